import { emailProblem, handleProblem, permissionDescriptionProblem, permissionNameProblem, SkillyardError, teamNameProblem, tokenNameProblem } from "@skillyard/core";
import type { EntityManager } from "typeorm";
import { type Connection, decodeCursor, encodeCursor, pageSize } from "../common/connection";
import { type RequestContext, requireViewer } from "../common/request-context";
import { escapeLike } from "../common/sql";
import { AuditAction } from "../governance/audit-event.entity";
import { Permission, PermissionRisk } from "../catalog/permission.entity";
import { ApiToken } from "./api-token.entity";
import { hashTokenSecret, generateTokenSecret } from "./api-token.service";
import { Membership, TeamRole } from "./membership.entity";
import { Team } from "./team.entity";
import { GlobalRole, User } from "./user.entity";

export const TOKEN_REVOKED_CHANNEL = "skillyard_token_revoked";

/** Throws BAD_USER_INPUT naming the argument when a shared input rule (core/src/input-rules.ts) fails. */
function check(argument: string, problem: string | null): void {
  if (problem) throw new SkillyardError("BAD_USER_INPUT", problem, { argument });
}

function isAdmin(user: User): boolean {
  return user.roles.includes(GlobalRole.ADMIN);
}

function requireAdmin(ctx: RequestContext): User {
  const viewer = requireViewer(ctx);
  if (!isAdmin(viewer.user)) throw new SkillyardError("FORBIDDEN", "Only admins can do this.");
  return viewer.user;
}

async function userByHandle(em: EntityManager, handle: string): Promise<User> {
  const user = await em.findOneBy(User, { handle });
  if (!user) throw new SkillyardError("NOT_FOUND", `There is no user "${handle}".`, { user: handle });
  return user;
}

async function teamByName(em: EntityManager, name: string): Promise<Team> {
  const team = await em.findOneBy(Team, { name });
  if (!team) throw new SkillyardError("NOT_FOUND", `There is no team "${name}".`, { team: name });
  return team;
}

const isHandle = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/** Users, teams, memberships, roles, API tokens and the permission catalogue; every change is audited. */
export class IdentityService {
  /**
   * Every user ordered by handle (keyset-paged on the unique handle), optionally only those whose
   * handle contains `query` (case-insensitive; `%` and `_` match literally). Admins only.
   */
  async listUsers(ctx: RequestContext, args: { first?: number | null; after?: string | null; query?: string | null }): Promise<Connection<User>> {
    requireAdmin(ctx);
    const size = pageSize(args.first);
    const after = args.after ? decodeCursor("users", args.after, isHandle) : null;
    const filtered = ctx.runtime.dataSource.manager.createQueryBuilder(User, "u");
    const query = args.query?.trim();
    if (query) filtered.where("u.handle ILIKE :pattern", { pattern: `%${escapeLike(query)}%` });
    const page = filtered.clone().orderBy("u.handle", "ASC").take(size + 1);
    if (after !== null) page.andWhere("u.handle > :after", { after });
    const [rows, totalCount] = await Promise.all([page.getMany(), filtered.getCount()]);
    const edges = rows.slice(0, size).map((node) => ({ node, cursor: encodeCursor("users", node.handle) }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > size, hasPreviousPage: after !== null, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount,
    };
  }

  async createUser(ctx: RequestContext, input: { handle: string; email: string; roles: GlobalRole[] }): Promise<User> {
    const admin = requireAdmin(ctx);
    check("handle", handleProblem(input.handle));
    check("email", emailProblem(input.email));
    return ctx.runtime.dataSource.transaction(async (em) => {
      if (await em.existsBy(User, [{ handle: input.handle }, { email: input.email }])) {
        throw new SkillyardError("BAD_USER_INPUT", "A user with this handle or email already exists.", { argument: "handle" });
      }
      const user = await em.save(em.create(User, { handle: input.handle, email: input.email, roles: [...new Set(input.roles)] }));
      await ctx.runtime.services.audit.record(em, { actorId: admin.id, action: AuditAction.USER_CREATE, targetType: "User", targetId: user.id, after: { handle: user.handle, roles: user.roles } });
      return user;
    });
  }

  async setUserRoles(ctx: RequestContext, input: { user: string; roles: GlobalRole[] }): Promise<User> {
    const admin = requireAdmin(ctx);
    return ctx.runtime.dataSource.transaction(async (em) => {
      const user = await userByHandle(em, input.user);
      const before = user.roles;
      user.roles = [...new Set(input.roles)];
      if (user.id === admin.id && !user.roles.includes(GlobalRole.ADMIN)) {
        throw new SkillyardError("BAD_USER_INPUT", "Admins cannot remove their own ADMIN role (ask another admin).", { argument: "roles" });
      }
      await em.save(user);
      await ctx.runtime.services.audit.record(em, { actorId: admin.id, action: AuditAction.ROLE_CHANGE, targetType: "User", targetId: user.id, before: { handle: user.handle, roles: before }, after: { handle: user.handle, roles: user.roles } });
      return user;
    });
  }

  async createTeam(ctx: RequestContext, input: { name: string }): Promise<Team> {
    const admin = requireAdmin(ctx);
    check("name", teamNameProblem(input.name));
    return ctx.runtime.dataSource.transaction(async (em) => {
      if (await em.existsBy(Team, { name: input.name })) throw new SkillyardError("BAD_USER_INPUT", `Team "${input.name}" already exists.`, { argument: "name" });
      const team = await em.save(em.create(Team, { name: input.name }));
      await ctx.runtime.services.audit.record(em, { actorId: admin.id, action: AuditAction.TEAM_CREATE, targetType: "Team", targetId: team.id, after: { name: team.name } });
      return team;
    });
  }

  /** Adds a user to a team, or changes their team role. Admins, or maintainers of that team. */
  async addTeamMember(ctx: RequestContext, input: { team: string; user: string; role: TeamRole }): Promise<Membership> {
    const viewer = requireViewer(ctx);
    return ctx.runtime.dataSource.transaction(async (em) => {
      const team = await teamByName(em, input.team);
      const canManage =
        isAdmin(viewer.user) || (await em.existsBy(Membership, { teamId: team.id, userId: viewer.user.id, role: TeamRole.MAINTAINER }));
      if (!canManage) throw new SkillyardError("FORBIDDEN", `Only admins and maintainers of "${team.name}" can manage its members.`);
      const user = await userByHandle(em, input.user);
      const existing = await em.findOneBy(Membership, { teamId: team.id, userId: user.id });
      const membership = existing ?? em.create(Membership, { teamId: team.id, userId: user.id });
      const before = existing ? { role: existing.role } : null;
      membership.role = input.role;
      await em.save(membership);
      await ctx.runtime.services.audit.record(em, {
        actorId: viewer.user.id,
        action: existing ? AuditAction.ROLE_CHANGE : AuditAction.MEMBER_ADD,
        targetType: "Membership",
        targetId: membership.id,
        before,
        after: { team: team.name, user: user.handle, role: membership.role },
      });
      return membership;
    });
  }

  /** A new token for yourself, or (admins) for anyone. The secret is returned once and never stored. */
  async createApiToken(ctx: RequestContext, input: { user: string; name: string }): Promise<{ token: ApiToken; secret: string }> {
    const viewer = requireViewer(ctx);
    const name = input.name.trim();
    check("name", tokenNameProblem(input.name));
    return ctx.runtime.dataSource.transaction(async (em) => {
      const user = await userByHandle(em, input.user);
      if (user.id !== viewer.user.id && !isAdmin(viewer.user)) throw new SkillyardError("FORBIDDEN", "You can create tokens only for yourself.");
      const secret = generateTokenSecret();
      const token = await em.save(em.create(ApiToken, { userId: user.id, name, secretSha256: hashTokenSecret(secret), prefix: secret.slice(0, 10), lastUsedAt: null, revokedAt: null }));
      await ctx.runtime.services.audit.record(em, { actorId: viewer.user.id, action: AuditAction.TOKEN_CREATE, targetType: "ApiToken", targetId: token.id, after: { user: user.handle, name, prefix: token.prefix } });
      return { token, secret };
    });
  }

  /** Revokes at once: HTTP requests fail from the next one on; open subscriptions are closed on every process. */
  async revokeApiToken(ctx: RequestContext, tokenId: string): Promise<ApiToken> {
    const viewer = requireViewer(ctx);
    return ctx.runtime.dataSource.transaction(async (em) => {
      const token = await em.findOneBy(ApiToken, { id: tokenId });
      if (!token || (token.userId !== viewer.user.id && !isAdmin(viewer.user))) throw new SkillyardError("NOT_FOUND", "There is no such token.");
      if (!token.revokedAt) {
        token.revokedAt = new Date();
        await em.save(token);
        await ctx.runtime.services.audit.record(em, { actorId: viewer.user.id, action: AuditAction.TOKEN_REVOKE, targetType: "ApiToken", targetId: token.id, before: { revokedAt: null }, after: { revokedAt: token.revokedAt.toISOString() } });
        // Delivered at commit to every process, which closes that token's subscriptions.
        await em.query(`SELECT pg_notify('${TOKEN_REVOKED_CHANNEL}', $1)`, [token.id]);
      }
      return token;
    });
  }

  async setPermission(ctx: RequestContext, input: { name: string; description: string; risk: PermissionRisk }): Promise<Permission> {
    const admin = requireAdmin(ctx);
    check("name", permissionNameProblem(input.name));
    check("description", permissionDescriptionProblem(input.description));
    return ctx.runtime.dataSource.transaction(async (em) => {
      const existing = await em.findOneBy(Permission, { name: input.name });
      const before = existing ? { description: existing.description, risk: existing.risk } : null;
      const saved = await em.save(Permission, { name: input.name, description: input.description.trim(), risk: input.risk });
      await ctx.runtime.services.audit.record(em, { actorId: admin.id, action: AuditAction.PERMISSION_EDIT, targetType: "Permission", targetId: saved.name, before, after: { description: saved.description, risk: saved.risk } });
      return saved;
    });
  }
}
