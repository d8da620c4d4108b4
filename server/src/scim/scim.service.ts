import { emailProblem, SkillyardError } from "@skillyard/core";
import { type DataSource, type EntityManager, In } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { User, UserKind } from "../identity/user.entity";
import { type DirectoryProvisioning, handleBase, lockDirectory, uniqueHandle } from "../sso/directory-provisioning";
import { DirectoryGroup, DirectoryGroupMember, DirectoryUser } from "../sso/directory.entities";
import {
  invalidValue,
  isObject,
  type JsonObject,
  listResponse,
  listWindow,
  memberFilterValue,
  optionalText,
  parseFilter,
  patchOperations,
  SCIM,
  scimBoolean,
} from "./scim-protocol";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a request changes about a user; undefined: unchanged. */
interface UserChanges {
  userName?: string;
  email?: string;
  name?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  externalId?: string | null;
  active?: boolean;
}

interface GroupState {
  displayName: string;
  externalId: string | null;
  memberIds: Set<string>;
}

function notFound(what: "User" | "Group", id: string): SkillyardError {
  return new SkillyardError("NOT_FOUND", `There is no ${what} ${id}.`);
}

/** The email a SCIM user resource names: the primary one, else the work one, else the first. */
function primaryEmail(emails: unknown): string | null {
  if (!Array.isArray(emails)) return null;
  const entries = emails.filter(isObject).filter((e) => typeof e.value === "string" && e.value.trim() !== "");
  const chosen = entries.find((e) => e.primary === true || e.primary === "true") ?? entries.find((e) => e.type === "work") ?? entries[0];
  return chosen ? (chosen.value as string).trim() : null;
}

/** One attribute of a user (lower-cased path) as a PATCH or a value object sets it. Attributes Skillyard keeps no copy of are ignored. */
function userAttribute(changes: UserChanges, path: string, value: unknown, remove: boolean): void {
  switch (path) {
    case "active":
      if (!remove) changes.active = scimBoolean(value, "active");
      return;
    case "username":
      changes.userName = optionalText(value, "userName") ?? undefined;
      if (changes.userName === undefined) throw invalidValue("userName cannot be empty.");
      return;
    case "displayname":
    case "name.formatted":
      changes.name = remove ? null : optionalText(value, path);
      return;
    case "name.givenname":
      changes.givenName = remove ? null : optionalText(value, path);
      return;
    case "name.familyname":
      changes.familyName = remove ? null : optionalText(value, path);
      return;
    case "name":
      if (isObject(value)) for (const [key, part] of Object.entries(value)) userAttribute(changes, `name.${key.toLowerCase()}`, part, remove);
      return;
    case "externalid":
      changes.externalId = remove ? null : optionalText(value, "externalId");
      return;
    case "emails": {
      const email = primaryEmail(value);
      if (email) changes.email = email;
      return;
    }
    case 'emails[type eq "work"].value':
    case "emails.value":
      if (!remove) changes.email = optionalText(value, "emails") ?? undefined;
      return;
    default:
      return;
  }
}

/** Every attribute of a full user resource (POST, PUT); `active` only when sent. */
function userResource(body: unknown): Required<Pick<UserChanges, "userName" | "email">> & UserChanges {
  if (!isObject(body)) throw invalidValue("The body is a SCIM User resource.");
  const userName = optionalText(body.userName, "userName");
  if (!userName) throw invalidValue("userName is required.");
  const email = primaryEmail(body.emails) ?? (emailProblem(userName) ? null : userName);
  if (!email) throw invalidValue("Skillyard needs an email: send emails, or a userName that is one.");
  const changes: UserChanges = { userName, email, externalId: optionalText(body.externalId, "externalId") };
  userAttribute(changes, "name", body.name, false);
  const displayName = optionalText(body.displayName, "displayName");
  if (displayName) changes.name = displayName;
  return { ...changes, userName, email, ...(body.active === undefined ? {} : { active: scimBoolean(body.active, "active") }) };
}

/**
 * SCIM 2.0 (RFC 7643/7644) for an identity provider that pushes: Users (people only; service
 * accounts are not the directory's) and Groups, whose members' memberships and roles follow the
 * group mappings. `active: false` (and DELETE) deactivates a person: their sessions and tokens are
 * revoked in the same transaction, so their open sockets close at commit. Every change takes the
 * directory lock and is audited.
 */
export class ScimService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly provisioning: DirectoryProvisioning,
    /** `${PUBLIC_URL}/scim/v2`, for meta.location. */
    private readonly baseUrl: string,
  ) {}

  serviceProviderConfig(): JsonObject {
    return {
      schemas: [SCIM.serviceProviderConfig],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: false },
      authenticationSchemes: [{ type: "oauthbearertoken", name: "OAuth Bearer Token", description: "Authorization: Bearer <SCIM_TOKEN>", primary: true }],
      meta: { resourceType: "ServiceProviderConfig", location: `${this.baseUrl}/ServiceProviderConfig` },
    };
  }

  // --- Users ---

  async listUsers(query: URLSearchParams): Promise<JsonObject> {
    const filter = parseFilter(query.get("filter"), ["userName", "externalId", "emails.value", "emails"]);
    const { startIndex, count } = listWindow(query.get("startIndex"), query.get("count"));
    const matching = this.dataSource.manager
      .createQueryBuilder(User, "u")
      .leftJoin(DirectoryUser, "du", "du.userId = u.id")
      .where("u.kind = :person", { person: UserKind.PERSON });
    if (filter?.attribute === "userName") {
      // A user no SCIM client named yet is found by email, so a client links existing people instead of duplicating them.
      matching.andWhere("(lower(du.scimUserName) = lower(:v) OR (du.scimUserName IS NULL AND lower(u.email) = lower(:v)))", { v: filter.value });
    } else if (filter?.attribute === "externalId") matching.andWhere("du.scimExternalId = :v", { v: filter.value });
    else if (filter) matching.andWhere("lower(u.email) = lower(:v)", { v: filter.value });
    const [total, users] = await Promise.all([
      matching.getCount(),
      count === 0
        ? Promise.resolve([])
        : matching
            .clone()
            .orderBy("u.createdAt", "ASC")
            .addOrderBy("u.id", "ASC")
            .offset(startIndex - 1)
            .limit(count)
            .getMany(),
    ]);
    const directory = await this.directoryRows(
      this.dataSource.manager,
      users.map((u) => u.id),
    );
    return listResponse(
      users.map((u) => this.userJson(u, directory.get(u.id) ?? null)),
      total,
      startIndex,
    );
  }

  async getUser(id: string): Promise<JsonObject> {
    const user = await this.person(this.dataSource.manager, id);
    return this.userJson(user, await this.dataSource.manager.findOneBy(DirectoryUser, { userId: user.id }));
  }

  async createUser(body: unknown): Promise<JsonObject> {
    const fields = userResource(body);
    return this.dataSource.transaction(async (em) => {
      await lockDirectory(em);
      await this.assertUnique(em, { userName: fields.userName, email: fields.email }, null);
      const handle = await uniqueHandle(em, handleBase([fields.userName, fields.email]));
      const user = await em.save(
        em.create(User, {
          handle,
          email: fields.email,
          name: fullName(fields, null),
          roles: [],
          directoryRoles: [],
          kind: UserKind.PERSON,
          oidcIssuer: null,
          oidcSubject: null,
          deactivatedAt: null,
        }),
      );
      const directory = await em.save(
        em.create(DirectoryUser, { userId: user.id, scimUserName: fields.userName, scimExternalId: fields.externalId ?? null, claimedGroups: [] }),
      );
      await this.audit.record(em, {
        actorId: null,
        action: AuditAction.USER_PROVISION,
        targetType: "User",
        targetId: user.id,
        after: { handle, email: user.email, name: user.name, via: "SCIM", userName: fields.userName },
      });
      if (fields.active === false) await this.provisioning.deactivate(em, user);
      return this.userJson(user, directory);
    });
  }

  /** PUT: the resource as sent (userName, emails, name, externalId; active when sent). */
  replaceUser(id: string, body: unknown): Promise<JsonObject> {
    const fields = userResource(body);
    return this.changeUser(id, () => ({ ...fields, externalId: fields.externalId ?? null }));
  }

  /** PATCH: add/replace/remove of attributes, by path or as a value object (`{"op":"replace","value":{"active":false}}`). */
  patchUser(id: string, body: unknown): Promise<JsonObject> {
    const operations = patchOperations(body);
    return this.changeUser(id, () => {
      const changes: UserChanges = {};
      for (const op of operations) {
        const remove = op.op === "remove";
        if (op.path !== null) userAttribute(changes, op.path, op.value, remove);
        else if (isObject(op.value)) for (const [key, value] of Object.entries(op.value)) userAttribute(changes, key.toLowerCase(), value, remove);
        else throw invalidValue("A PATCH operation without a path carries an object of attributes.");
      }
      return changes;
    });
  }

  /** DELETE: the person is deactivated (kept, with their history), and no longer answered by the directory's lists as active. */
  async deleteUser(id: string): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      await lockDirectory(em);
      await this.provisioning.deactivate(em, await this.person(em, id));
    });
  }

  private changeUser(id: string, changesOf: () => UserChanges): Promise<JsonObject> {
    const changes = changesOf();
    return this.dataSource.transaction(async (em) => {
      await lockDirectory(em);
      const user = await this.person(em, id);
      const directory = await this.provisioning.directoryUser(em, user.id);
      const before = { email: user.email, name: user.name, userName: directory.scimUserName, externalId: directory.scimExternalId };
      await this.assertUnique(em, { userName: changes.userName, email: changes.email }, user.id);
      if (changes.email !== undefined) {
        if (emailProblem(changes.email)) throw invalidValue(`"${changes.email}" is not an email address.`);
        user.email = changes.email;
      }
      user.name = fullName(changes, user.name);
      if (changes.userName !== undefined) directory.scimUserName = changes.userName;
      if (changes.externalId !== undefined) directory.scimExternalId = changes.externalId;
      const after = { email: user.email, name: user.name, userName: directory.scimUserName, externalId: directory.scimExternalId };
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        await em.update(User, user.id, { email: user.email, name: user.name });
        await em.save(directory);
        await this.audit.record(em, {
          actorId: null,
          action: AuditAction.USER_UPDATE,
          targetType: "User",
          targetId: user.id,
          before: { handle: user.handle, ...before },
          after: { handle: user.handle, ...after, via: "SCIM" },
        });
      }
      if (changes.active === false) await this.provisioning.deactivate(em, user);
      if (changes.active === true) await this.provisioning.reactivate(em, user);
      return this.userJson(user, directory);
    });
  }

  /** SCIM_UNIQUENESS when another user has this userName (or, without one, this email) or this email. */
  private async assertUnique(em: EntityManager, fields: { userName?: string; email?: string }, selfId: string | null): Promise<void> {
    const others = (qb: ReturnType<EntityManager["createQueryBuilder"]>) => (selfId ? qb.andWhere("u.id <> :selfId", { selfId }) : qb);
    if (fields.userName !== undefined) {
      const taken = await others(
        em.createQueryBuilder(User, "u").leftJoin(DirectoryUser, "du", "du.userId = u.id").where("lower(du.scimUserName) = lower(:v)", { v: fields.userName }),
      ).getExists();
      if (taken) throw new SkillyardError("SCIM_UNIQUENESS", `A user with userName "${fields.userName}" exists.`, { scimType: "uniqueness" });
    }
    if (fields.email !== undefined) {
      const taken = await others(em.createQueryBuilder(User, "u").where("lower(u.email) = lower(:v)", { v: fields.email })).getExists();
      if (taken) throw new SkillyardError("SCIM_UNIQUENESS", `A user with email "${fields.email}" exists.`, { scimType: "uniqueness" });
    }
  }

  private async person(em: EntityManager, id: string): Promise<User> {
    const user = UUID.test(id) ? await em.findOneBy(User, { id, kind: UserKind.PERSON }) : null;
    if (!user) throw notFound("User", id);
    return user;
  }

  private async directoryRows(em: EntityManager, userIds: string[]): Promise<Map<string, DirectoryUser>> {
    const rows = userIds.length ? await em.findBy(DirectoryUser, { userId: In(userIds) }) : [];
    return new Map(rows.map((r) => [r.userId, r]));
  }

  private userJson(user: User, directory: DirectoryUser | null): JsonObject {
    return {
      schemas: [SCIM.user],
      id: user.id,
      ...(directory?.scimExternalId ? { externalId: directory.scimExternalId } : {}),
      userName: directory?.scimUserName ?? user.email,
      ...(user.name ? { name: { formatted: user.name } } : {}),
      displayName: user.name ?? user.handle,
      emails: [{ value: user.email, type: "work", primary: true }],
      active: user.deactivatedAt === null,
      meta: {
        resourceType: "User",
        created: user.createdAt.toISOString(),
        lastModified: user.updatedAt.toISOString(),
        location: `${this.baseUrl}/Users/${user.id}`,
      },
    };
  }

  // --- Groups ---

  async listGroups(query: URLSearchParams): Promise<JsonObject> {
    const filter = parseFilter(query.get("filter"), ["displayName", "externalId"]);
    const { startIndex, count } = listWindow(query.get("startIndex"), query.get("count"));
    const withMembers = !(query.get("excludedAttributes") ?? "").toLowerCase().split(",").includes("members");
    const matching = this.dataSource.manager.createQueryBuilder(DirectoryGroup, "g");
    if (filter?.attribute === "displayName") matching.where("g.displayName = :v", { v: filter.value });
    else if (filter) matching.where("g.externalId = :v", { v: filter.value });
    const [total, groups] = await Promise.all([
      matching.getCount(),
      count === 0
        ? Promise.resolve([])
        : matching
            .clone()
            .orderBy("g.createdAt", "ASC")
            .addOrderBy("g.id", "ASC")
            .offset(startIndex - 1)
            .limit(count)
            .getMany(),
    ]);
    const members = withMembers
      ? await this.membersOf(
          this.dataSource.manager,
          groups.map((g) => g.id),
        )
      : null;
    return listResponse(
      groups.map((g) => this.groupJson(g, members?.get(g.id) ?? (members ? [] : null))),
      total,
      startIndex,
    );
  }

  async getGroup(id: string): Promise<JsonObject> {
    const group = await this.group(this.dataSource.manager, id);
    return this.groupJson(group, (await this.membersOf(this.dataSource.manager, [group.id])).get(group.id) ?? []);
  }

  async createGroup(body: unknown): Promise<JsonObject> {
    if (!isObject(body)) throw invalidValue("The body is a SCIM Group resource.");
    const displayName = optionalText(body.displayName, "displayName");
    if (!displayName) throw invalidValue("displayName is required.");
    return this.dataSource.transaction(async (em) => {
      await lockDirectory(em);
      await this.assertGroupNameFree(em, displayName, null);
      const group = await em.save(em.create(DirectoryGroup, { displayName, externalId: optionalText(body.externalId, "externalId") }));
      const members = await this.memberIdsOf(em, body.members ?? []);
      return this.commitGroup(
        em,
        group,
        { displayName, externalId: group.externalId, memberIds: new Set() },
        { ...groupState(group), memberIds: members },
        true,
      );
    });
  }

  /** PUT: displayName, externalId and the whole member list as sent. */
  replaceGroup(id: string, body: unknown): Promise<JsonObject> {
    if (!isObject(body)) return Promise.reject(invalidValue("The body is a SCIM Group resource."));
    return this.changeGroup(id, async (em, state) => ({
      displayName: optionalText(body.displayName, "displayName") ?? state.displayName,
      externalId: optionalText(body.externalId, "externalId"),
      memberIds: await this.memberIdsOf(em, body.members ?? []),
    }));
  }

  /** PATCH: add/remove/replace members (`members`, `members[value eq "id"]`), replace displayName or externalId. */
  patchGroup(id: string, body: unknown): Promise<JsonObject> {
    const operations = patchOperations(body);
    return this.changeGroup(id, async (em, state) => {
      const next: GroupState = { ...state, memberIds: new Set(state.memberIds) };
      for (const op of operations) {
        const member = memberFilterValue(op.rawPath);
        if (member !== null && op.op === "remove") next.memberIds.delete(member);
        else if (op.path === "members") {
          const ids = op.value === undefined ? new Set<string>() : await this.memberIdsOf(em, op.value);
          if (op.op === "add") for (const memberId of ids) next.memberIds.add(memberId);
          else if (op.op === "replace") next.memberIds = ids;
          else if (op.value === undefined) next.memberIds.clear();
          else for (const memberId of ids) next.memberIds.delete(memberId);
        } else if (op.path === null && isObject(op.value)) {
          // Okta sends {"op":"replace","value":{"id":…,"displayName":…}}.
          if (op.value.displayName !== undefined) next.displayName = optionalText(op.value.displayName, "displayName") ?? next.displayName;
          if (op.value.externalId !== undefined) next.externalId = optionalText(op.value.externalId, "externalId");
          if (op.value.members !== undefined) {
            const ids = await this.memberIdsOf(em, op.value.members);
            if (op.op === "replace") next.memberIds = ids;
            else for (const memberId of ids) next.memberIds.add(memberId);
          }
        } else if (op.path === "displayname" && op.op !== "remove") next.displayName = optionalText(op.value, "displayName") ?? next.displayName;
        else if (op.path === "externalid") next.externalId = op.op === "remove" ? null : optionalText(op.value, "externalId");
        else throw new SkillyardError("SCIM_INVALID_VALUE", `Skillyard cannot ${op.op} ${op.rawPath ?? "that"} on a group.`, { scimType: "invalidPath" });
      }
      return next;
    });
  }

  /** DELETE: the group goes, and its members lose what its mappings granted them. */
  async deleteGroup(id: string): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      await lockDirectory(em);
      const group = await this.group(em, id);
      const memberIds = new Set((await em.findBy(DirectoryGroupMember, { groupId: group.id })).map((m) => m.userId));
      await em.delete(DirectoryGroup, { id: group.id });
      await this.audit.record(em, {
        actorId: null,
        action: AuditAction.DIRECTORY_GROUP_CHANGE,
        targetType: "DirectoryGroup",
        targetId: group.id,
        before: { displayName: group.displayName, members: memberIds.size },
        after: null,
      });
      for (const userId of memberIds) await this.provisioning.applyGroups(em, userId);
    });
  }

  private changeGroup(id: string, next: (em: EntityManager, state: GroupState) => Promise<GroupState>): Promise<JsonObject> {
    return this.dataSource.transaction(async (em) => {
      await lockDirectory(em);
      const group = await this.group(em, id);
      const before: GroupState = {
        ...groupState(group),
        memberIds: new Set((await em.findBy(DirectoryGroupMember, { groupId: group.id })).map((m) => m.userId)),
      };
      const after = await next(em, before);
      if (after.displayName !== before.displayName) await this.assertGroupNameFree(em, after.displayName, group.id);
      return this.commitGroup(em, group, before, after, false);
    });
  }

  /**
   * Writes a group's new state, audits it, and re-applies the group mappings to everyone it concerns:
   * the members who came or went, or (renamed) every member before and after.
   */
  private async commitGroup(em: EntityManager, group: DirectoryGroup, before: GroupState, after: GroupState, created: boolean): Promise<JsonObject> {
    const added = [...after.memberIds].filter((m) => !before.memberIds.has(m));
    const removed = [...before.memberIds].filter((m) => !after.memberIds.has(m));
    const renamed = after.displayName !== before.displayName;
    if (renamed || after.externalId !== before.externalId) {
      group.displayName = after.displayName;
      group.externalId = after.externalId;
      await em.save(group);
    }
    if (removed.length) await em.delete(DirectoryGroupMember, { groupId: group.id, userId: In(removed) });
    for (const userId of added) await em.insert(DirectoryGroupMember, { groupId: group.id, userId });
    if (created || renamed || added.length || removed.length || after.externalId !== before.externalId) {
      const handles = await this.handles(em, [...added, ...removed]);
      await this.audit.record(em, {
        actorId: null,
        action: AuditAction.DIRECTORY_GROUP_CHANGE,
        targetType: "DirectoryGroup",
        targetId: group.id,
        before: created ? null : { displayName: before.displayName, externalId: before.externalId },
        after: {
          displayName: after.displayName,
          externalId: after.externalId,
          added: added.map((id) => handles.get(id)),
          removed: removed.map((id) => handles.get(id)),
        },
      });
    }
    const concerned = renamed ? new Set([...before.memberIds, ...after.memberIds]) : new Set([...added, ...removed]);
    for (const userId of concerned) await this.provisioning.applyGroups(em, userId);
    return this.groupJson(group, await this.membersOf(em, [group.id]).then((m) => m.get(group.id) ?? []));
  }

  private async assertGroupNameFree(em: EntityManager, displayName: string, selfId: string | null): Promise<void> {
    const existing = await em.findOneBy(DirectoryGroup, { displayName });
    if (existing && existing.id !== selfId) {
      throw new SkillyardError("SCIM_UNIQUENESS", `A group named "${displayName}" exists.`, { scimType: "uniqueness" });
    }
  }

  /** The user ids of a members array (`[{"value": "<user id>"}]`); each must be a person Skillyard knows. */
  private async memberIdsOf(em: EntityManager, members: unknown): Promise<Set<string>> {
    if (!Array.isArray(members)) throw invalidValue("members is an array of {value: <user id>}.");
    const ids = members.map((m) => (isObject(m) && typeof m.value === "string" ? m.value : ""));
    const bad = ids.find((id) => !UUID.test(id));
    if (bad !== undefined) throw invalidValue(`members: ${JSON.stringify(bad)} is not a user id.`);
    const known = ids.length ? await em.findBy(User, { id: In(ids), kind: UserKind.PERSON }) : [];
    const missing = ids.find((id) => !known.some((u) => u.id === id));
    if (missing !== undefined) throw invalidValue(`members: there is no user ${missing}.`);
    return new Set(ids);
  }

  private async group(em: EntityManager, id: string): Promise<DirectoryGroup> {
    const group = UUID.test(id) ? await em.findOneBy(DirectoryGroup, { id }) : null;
    if (!group) throw notFound("Group", id);
    return group;
  }

  private async membersOf(em: EntityManager, groupIds: string[]): Promise<Map<string, User[]>> {
    const rows = groupIds.length
      ? await em.find(DirectoryGroupMember, { where: { groupId: In(groupIds) }, relations: { user: true }, order: { createdAt: "ASC" } })
      : [];
    const byGroup = new Map<string, User[]>();
    for (const row of rows) byGroup.set(row.groupId, [...(byGroup.get(row.groupId) ?? []), row.user]);
    return byGroup;
  }

  private async handles(em: EntityManager, ids: string[]): Promise<Map<string, string>> {
    const users = ids.length ? await em.findBy(User, { id: In(ids) }) : [];
    return new Map(users.map((u) => [u.id, u.handle]));
  }

  private groupJson(group: DirectoryGroup, members: User[] | null): JsonObject {
    return {
      schemas: [SCIM.group],
      id: group.id,
      displayName: group.displayName,
      ...(group.externalId ? { externalId: group.externalId } : {}),
      ...(members ? { members: members.map((u) => ({ value: u.id, display: u.handle, $ref: `${this.baseUrl}/Users/${u.id}` })) } : {}),
      meta: {
        resourceType: "Group",
        created: group.createdAt.toISOString(),
        lastModified: group.updatedAt.toISOString(),
        location: `${this.baseUrl}/Groups/${group.id}`,
      },
    };
  }
}

function groupState(group: DirectoryGroup): Omit<GroupState, "memberIds"> {
  return { displayName: group.displayName, externalId: group.externalId };
}

/** The name a request leaves the user with: a formatted name wins; given and family names make one. */
function fullName(changes: UserChanges, current: string | null): string | null {
  if (changes.name !== undefined) return changes.name;
  if (changes.givenName !== undefined || changes.familyName !== undefined) {
    const [currentGiven = "", ...currentFamily] = (current ?? "").split(" ");
    const given = changes.givenName !== undefined ? (changes.givenName ?? "") : currentGiven;
    const family = changes.familyName !== undefined ? (changes.familyName ?? "") : currentFamily.join(" ");
    return `${given} ${family}`.trim() || null;
  }
  return current;
}
