import semver from "semver";
import { type DataSource, type EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import type { CatalogContext } from "../catalog/catalog.context";
import { isChannelName, LATEST_CHANNEL } from "../catalog/channel.service";
import { DependencyTreeResolver, type ResolvedNode } from "../catalog/dependency-tree-resolver";
import { Skill } from "../catalog/skill.entity";
import { Membership } from "../identity/membership.entity";
import { Team } from "../identity/team.entity";
import { isAdmin, requireViewer } from "../identity/viewer";
import { Install } from "./install.entity";

export interface InstallInput {
  name: string;
  /**
   * A semver range, `latest` (the default) for the skill's latest version, or the name of one of the
   * skill's channels (`stable`, `beta`, …). Channels apply to the requested skill only; its
   * dependencies are always resolved by their semver ranges.
   */
  range?: string | null;
  /** Team name of the installing tenant; defaults to the viewer's only team. */
  tenant?: string | null;
}

export interface InstallResult {
  tenant: Team;
  nodes: ResolvedNode[];
  /** Yanked versions installed anyway (exact pin or channel) and deprecated ones, one line each. */
  warnings: string[];
}

export class InstallService {
  constructor(private readonly dataSource: DataSource) {}

  /** Resolves the tree and records one install per node for the tenant, in one transaction. */
  async installSkill(ctx: CatalogContext, input: InstallInput): Promise<InstallResult> {
    const viewer = requireViewer(ctx);
    const range = input.range?.trim() || LATEST_CHANNEL;
    if (range !== LATEST_CHANNEL && semver.validRange(range) === null && !isChannelName(range)) {
      throw new SkillyardError("BAD_USER_INPUT", `"${range}" is neither a semver range nor a channel name (such as "latest" or "stable").`, {
        argument: "range",
      });
    }
    return this.dataSource.transaction(async (em) => {
      const tenant = await this.tenantFor(em, viewer.user.id, isAdmin(viewer.user), input.tenant ?? null);
      // A skill that was never released does not exist for those who may not see it.
      const root = await ctx.visibility.skillOrNull(await em.getRepository(Skill).findOneBy({ name: input.name }));
      if (!root) throw new SkillyardError("NOT_FOUND", `There is no skill named "${input.name}".`, { name: input.name });
      const resolver = new DependencyTreeResolver(em);
      const nodes = await resolver.resolve(root, range);
      await em
        .getRepository(Install)
        .insert(nodes.map((n, i) => ({ tenantId: tenant.id, skillId: n.skill.id, versionId: n.version.id, installedById: viewer.user.id, transitive: i > 0 })));
      await em.query(`UPDATE skill SET download_count = download_count + 1 WHERE id = ANY($1::uuid[])`, [nodes.map((n) => n.skill.id)]);
      return { tenant, nodes, warnings: resolver.warnings };
    });
  }

  private async tenantFor(em: EntityManager, userId: string, admin: boolean, tenantName: string | null): Promise<Team> {
    if (tenantName) {
      const team = await em.getRepository(Team).findOneBy({ name: tenantName });
      if (!team) throw new SkillyardError("NOT_FOUND", `There is no team "${tenantName}".`, { tenant: tenantName });
      if (!admin && !(await em.getRepository(Membership).existsBy({ userId, teamId: team.id }))) {
        throw new SkillyardError("FORBIDDEN", `You cannot install for team "${tenantName}": you are not a member.`, { tenant: tenantName });
      }
      return team;
    }
    const memberships = await em.getRepository(Membership).find({ where: { userId }, relations: { team: true } });
    if (memberships.length === 1) return memberships[0].team;
    throw new SkillyardError(
      "BAD_USER_INPUT",
      memberships.length === 0 ? "You belong to no team; name the tenant to install for." : "You belong to several teams; name the tenant to install for.",
      { argument: "tenant" },
    );
  }
}
