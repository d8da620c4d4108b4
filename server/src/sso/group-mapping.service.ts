import { SkillyardError } from "@skillyard/core";
import type { DataSource, EntityManager } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { type Connection, decodeCursor, encodeCursor, pageSize } from "../common/connection";
import { expectGlobalId } from "../common/global-id";
import { TeamRole } from "../identity/membership.entity";
import { Team } from "../identity/team.entity";
import type { GlobalRole } from "../identity/user.entity";
import { requireViewer, type ViewerContext } from "../identity/viewer";
import { type DirectoryProvisioning, lockDirectory } from "./directory-provisioning";
import { GroupMapping } from "./group-mapping.entity";

const MAX_GROUP_LENGTH = 256;

const isKey = (v: unknown): v is [string, string] => Array.isArray(v) && v.length === 2 && v.every((part) => typeof part === "string");

/**
 * The group mappings admins edit. A change applies at once to everyone Skillyard knows to be in the
 * group (their last sign-in's claims, SCIM groups), and to everyone else at their next sign-in.
 */
export class GroupMappingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly provisioning: DirectoryProvisioning,
  ) {}

  /** Ordered by group, then creation (keyset-paged). */
  async list(args: { first?: number | null; after?: string | null }): Promise<Connection<GroupMapping>> {
    const size = pageSize(args.first);
    const after = args.after ? decodeCursor("groupMappings", args.after, isKey) : null;
    const page = this.dataSource.manager
      .createQueryBuilder(GroupMapping, "m")
      .orderBy("m.group", "ASC")
      .addOrderBy("m.id", "ASC")
      .take(size + 1);
    if (after) page.where("(m.group, m.id) > (:group, :id)", { group: after[0], id: after[1] });
    const [rows, totalCount] = await Promise.all([page.getMany(), this.dataSource.manager.count(GroupMapping)]);
    const edges = rows.slice(0, size).map((node) => ({ node, cursor: encodeCursor("groupMappings", [node.group, node.id]) }));
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > size,
        hasPreviousPage: after !== null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      totalCount,
    };
  }

  /**
   * Maps a group to a team with a role (changing the role of an existing team mapping) or to a
   * global role. Setting what is already there changes nothing and records nothing.
   */
  async set(ctx: ViewerContext, given: { group: string; team?: string | null; teamRole?: TeamRole | null; role?: GlobalRole | null }): Promise<GroupMapping> {
    const admin = requireViewer(ctx).user;
    // Omitted GraphQL input fields arrive as undefined, explicit nulls as null: the same here.
    const input = { team: given.team ?? null, teamRole: given.teamRole ?? null, role: given.role ?? null };
    const group = given.group.trim();
    // eslint-disable-next-line no-control-regex
    if (!group || group.length > MAX_GROUP_LENGTH || /[\u0000-\u001f\u007f]/.test(group)) {
      throw new SkillyardError("BAD_USER_INPUT", `A group name is 1-${MAX_GROUP_LENGTH} characters, without control characters.`, { argument: "group" });
    }
    const teamName = input.team?.trim() || null;
    if ((teamName === null) === (input.role === null)) {
      throw new SkillyardError("BAD_USER_INPUT", "Map the group to a team (team and teamRole) or to a global role (role): one of the two.", {
        argument: teamName === null ? "role" : "team",
      });
    }
    if (teamName === null && input.teamRole !== null) throw new SkillyardError("BAD_USER_INPUT", "teamRole goes with team.", { argument: "teamRole" });
    return this.dataSource.transaction(async (em) => {
      await lockDirectory(em);
      let mapping: GroupMapping;
      let before: Record<string, unknown> | null = null;
      if (teamName !== null) {
        const team = await em.findOneBy(Team, { name: teamName });
        if (!team) throw new SkillyardError("NOT_FOUND", `There is no team "${teamName}".`, { argument: "team" });
        const teamRole = input.teamRole ?? TeamRole.MEMBER;
        const existing = await em.findOneBy(GroupMapping, { group, teamId: team.id });
        if (existing?.teamRole === teamRole) return existing;
        if (existing) before = { group, team: team.name, teamRole: existing.teamRole };
        mapping = existing ?? em.create(GroupMapping, { group, teamId: team.id, role: null });
        mapping.teamRole = teamRole;
        mapping = await em.save(mapping);
        await this.record(em, admin.id, AuditAction.GROUP_MAPPING_SET, mapping, before, { group, team: team.name, teamRole });
      } else {
        const role = input.role!;
        const existing = await em.findOneBy(GroupMapping, { group, role });
        if (existing) return existing;
        mapping = await em.save(em.create(GroupMapping, { group, teamId: null, teamRole: null, role }));
        await this.record(em, admin.id, AuditAction.GROUP_MAPPING_SET, mapping, null, { group, role });
      }
      await this.reapply(em, group);
      return mapping;
    });
  }

  async delete(ctx: ViewerContext, input: { id: string }): Promise<GroupMapping> {
    const admin = requireViewer(ctx).user;
    const id = expectGlobalId(input.id, "GroupMapping");
    return this.dataSource.transaction(async (em) => {
      await lockDirectory(em);
      const mapping = await em.findOne(GroupMapping, { where: { id }, relations: { team: true } });
      if (!mapping) throw new SkillyardError("NOT_FOUND", "There is no such group mapping.", { argument: "id" });
      await em.delete(GroupMapping, { id });
      const before = mapping.team
        ? { group: mapping.group, team: mapping.team.name, teamRole: mapping.teamRole }
        : { group: mapping.group, role: mapping.role };
      await this.record(em, admin.id, AuditAction.GROUP_MAPPING_DELETE, mapping, before, null);
      await this.reapply(em, mapping.group);
      return mapping;
    });
  }

  private async reapply(em: EntityManager, group: string): Promise<void> {
    for (const userId of await this.provisioning.usersInGroup(em, group)) await this.provisioning.applyGroups(em, userId);
  }

  private async record(
    em: EntityManager,
    actorId: string,
    action: AuditAction,
    mapping: GroupMapping,
    before: Record<string, unknown> | null,
    after: Record<string, unknown> | null,
  ): Promise<void> {
    await this.audit.record(em, { actorId, action, targetType: "GroupMapping", targetId: mapping.id, before, after });
  }
}
