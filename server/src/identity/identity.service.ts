import { randomBytes } from "node:crypto";
import { emailProblem, handleProblem, SkillyardError, teamNameProblem, tokenNameProblem } from "@skillyard/core";
import { type DataSource, type EntityManager, In, IsNull } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { type Connection, decodeCursor, encodeCursor, pageSize } from "../common/connection";
import { type Cidr, cidrWithin, formatCidr, parseCidr } from "../common/cidr";
import { escapeLike } from "../common/sql";
import { ApiToken, ApiTokenOrigin, TokenScope } from "./api-token.entity";
import { type ApiTokenService, hashSecret, type IssuedToken } from "./api-token.service";
import { Invitation } from "./invitation.entity";
import { Membership, MembershipSource, TeamRole } from "./membership.entity";
import { Team } from "./team.entity";
import { GlobalRole, User, UserKind } from "./user.entity";
import { assertMayPublishFor, isAdmin, requireScope, requireViewer, sessionScopes, type Viewer, type ViewerContext } from "./viewer";

/** NOTIFY channel: a token was revoked (payload: its id). Every process closes that token's subscriptions. */
export const TOKEN_REVOKED_CHANNEL = "skillyard_token_revoked";
/** NOTIFY channel: a user's roles or team memberships changed (payload: the user id). Open subscriptions are re-checked. */
export const VIEWER_CHANGED_CHANNEL = "skillyard_viewer_changed";

const INVITATION_PREFIX = "syi_";
const DAY_MS = 86_400_000;
/** Most CIDR ranges one token may list. */
const MAX_ALLOWED_CIDRS = 32;

export interface TokenLifetimes {
  /** Expiry of a new token when its creator names none (TOKEN_DEFAULT_TTL_DAYS). */
  defaultTtlDays: number;
  /** The longest expiry a creator may name (TOKEN_MAX_TTL_DAYS). */
  maxTtlDays: number;
}

export interface CreateApiTokenRequest {
  /** Handle of a service account (admins); null or absent: the viewer's own token. */
  user?: string | null;
  name: string;
  /** Absent: every scope the creating credential holds that the user's roles allow, INGEST and CATALOG_READ aside. */
  scopes?: readonly TokenScope[] | null;
  /** Team names PUBLISH is limited to; absent: the creating credential's own limit (none for most). */
  publishTeams?: readonly string[] | null;
  expiresInDays?: number | null;
  allowedCidrs?: readonly string[] | null;
}

/**
 * The scopes a token of `user` may hold: what their roles allow (sessionScopes), and INGEST, which
 * can do less than any of them.
 */
function scopesAllowedFor(user: User): ReadonlySet<TokenScope> {
  return new Set([...sessionScopes(user), TokenScope.INGEST]);
}

/** What a credential may put in a token it creates: its own scopes, and INGEST when it holds ADMIN (admins set up telemetry). */
function grantableBy(viewer: Viewer): ReadonlySet<TokenScope> {
  const scopes = new Set(viewer.scopes);
  if (scopes.has(TokenScope.ADMIN)) scopes.add(TokenScope.INGEST);
  return scopes;
}

const badInput = (argument: string, message: string) => new SkillyardError("BAD_USER_INPUT", message, { argument });

/** Throws BAD_USER_INPUT naming the argument when a shared input rule (core/src/input-rules.ts) fails. */
function check(argument: string, problem: string | null): void {
  if (problem) throw new SkillyardError("BAD_USER_INPUT", problem, { argument });
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

export interface CreatedInvitation {
  invitation: Invitation;
  user: User;
  /** Never stored; shown once, to be handed to the person. */
  code: string;
}

/**
 * Users, teams, memberships, roles, API tokens and invitations; every change is audited.
 *
 * Nobody obtains a credential that acts as another person: a token is created for yourself, or by an
 * admin for a service account (which can never review). A person's first credential comes from a
 * one-time invitation an admin creates and they redeem. With local accounts an admin still controls
 * identities (they could revoke a person's tokens and redeem a new invitation themselves), so every
 * redemption is audited and each review decision shows how its reviewer's credential came to be.
 */
export class IdentityService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly tokens: ApiTokenService,
    private readonly invitationTtlHours: number,
    private readonly lifetimes: TokenLifetimes,
  ) {}

  /** Every user ordered by handle (keyset-paged on the unique handle), optionally only those whose handle contains `query`. */
  async listUsers(args: { first?: number | null; after?: string | null; query?: string | null }): Promise<Connection<User>> {
    const size = pageSize(args.first);
    const after = args.after ? decodeCursor("users", args.after, isHandle) : null;
    const filtered = this.dataSource.manager.createQueryBuilder(User, "u");
    const query = args.query?.trim();
    if (query) filtered.where("u.handle ILIKE :pattern", { pattern: `%${escapeLike(query)}%` });
    const page = filtered
      .clone()
      .orderBy("u.handle", "ASC")
      .take(size + 1);
    if (after !== null) page.andWhere("u.handle > :after", { after });
    const [rows, totalCount] = await Promise.all([page.getMany(), filtered.getCount()]);
    const edges = rows.slice(0, size).map((node) => ({ node, cursor: encodeCursor("users", node.handle) }));
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

  async createUser(ctx: ViewerContext, input: { handle: string; email: string; roles: GlobalRole[]; kind: UserKind }): Promise<User> {
    const admin = requireViewer(ctx).user;
    check("handle", handleProblem(input.handle));
    check("email", emailProblem(input.email));
    const roles = [...new Set(input.roles)];
    if (input.kind === UserKind.SERVICE && roles.length > 0) {
      throw new SkillyardError("BAD_USER_INPUT", "Service accounts hold no global role: they can never review or administer.", { argument: "roles" });
    }
    return this.dataSource.transaction(async (em) => {
      if (await em.existsBy(User, [{ handle: input.handle }, { email: input.email }])) {
        throw new SkillyardError("BAD_USER_INPUT", "A user with this handle or email already exists.", { argument: "handle" });
      }
      const user = await em.save(em.create(User, { handle: input.handle, email: input.email, roles, kind: input.kind }));
      await this.audit.record(em, {
        actorId: admin.id,
        action: AuditAction.USER_CREATE,
        targetType: "User",
        targetId: user.id,
        after: { handle: user.handle, roles: user.roles, kind: user.kind },
      });
      return user;
    });
  }

  async setUserRoles(ctx: ViewerContext, input: { user: string; roles: GlobalRole[] }): Promise<User> {
    const admin = requireViewer(ctx).user;
    return this.dataSource.transaction(async (em) => {
      const user = await userByHandle(em, input.user);
      const before = user.roles;
      user.roles = [...new Set(input.roles)];
      // A directory-granted role the admin keeps stays the directory's; one they remove is gone from both.
      user.directoryRoles = user.directoryRoles.filter((r) => user.roles.includes(r));
      if (user.kind === UserKind.SERVICE && user.roles.length > 0) {
        throw new SkillyardError("BAD_USER_INPUT", `${user.handle} is a service account: service accounts hold no global role.`, { argument: "roles" });
      }
      if (user.id === admin.id && !user.roles.includes(GlobalRole.ADMIN)) {
        throw new SkillyardError("BAD_USER_INPUT", "Admins cannot remove their own ADMIN role (ask another admin).", { argument: "roles" });
      }
      await em.save(user);
      await this.audit.record(em, {
        actorId: admin.id,
        action: AuditAction.ROLE_CHANGE,
        targetType: "User",
        targetId: user.id,
        before: { handle: user.handle, roles: before },
        after: { handle: user.handle, roles: user.roles },
      });
      await notifyViewerChanged(em, user.id);
      return user;
    });
  }

  async createTeam(ctx: ViewerContext, input: { name: string }): Promise<Team> {
    const admin = requireViewer(ctx).user;
    check("name", teamNameProblem(input.name));
    return this.dataSource.transaction(async (em) => {
      if (await em.existsBy(Team, { name: input.name }))
        throw new SkillyardError("BAD_USER_INPUT", `Team "${input.name}" already exists.`, { argument: "name" });
      const team = await em.save(em.create(Team, { name: input.name }));
      await this.audit.record(em, { actorId: admin.id, action: AuditAction.TEAM_CREATE, targetType: "Team", targetId: team.id, after: { name: team.name } });
      return team;
    });
  }

  /** Adds a user to a team, or changes their team role. Admins, or maintainers of that team. */
  async addTeamMember(ctx: ViewerContext, input: { team: string; user: string; role: TeamRole }): Promise<Membership> {
    const viewer = requireViewer(ctx);
    return this.dataSource.transaction(async (em) => {
      const team = await teamByName(em, input.team);
      await this.assertCanManageMembers(em, viewer, team);
      const user = await userByHandle(em, input.user);
      const existing = await em.findOneBy(Membership, { teamId: team.id, userId: user.id });
      const membership = existing ?? em.create(Membership, { teamId: team.id, userId: user.id });
      const before = existing ? { team: team.name, user: user.handle, role: existing.role, source: existing.source } : null;
      membership.role = input.role;
      // Set by hand, it is a manual grant from now on: the directory no longer changes or removes it.
      membership.source = MembershipSource.MANUAL;
      await em.save(membership);
      await this.audit.record(em, {
        actorId: viewer.user.id,
        action: existing ? AuditAction.ROLE_CHANGE : AuditAction.MEMBER_ADD,
        targetType: "Membership",
        targetId: membership.id,
        before,
        after: { team: team.name, user: user.handle, role: membership.role, source: membership.source },
      });
      await notifyViewerChanged(em, user.id);
      return membership;
    });
  }

  /**
   * Takes a user out of a team: they stop seeing its unreleased versions at once, open subscriptions
   * included. Admins, or maintainers of that team; a team keeps at least one maintainer.
   */
  async removeTeamMember(ctx: ViewerContext, input: { team: string; user: string }): Promise<Membership> {
    const viewer = requireViewer(ctx);
    return this.dataSource.transaction(async (em) => {
      const team = await teamByName(em, input.team);
      await this.assertCanManageMembers(em, viewer, team);
      const user = await userByHandle(em, input.user);
      // Lock the team's memberships so two removals cannot leave it without a maintainer.
      const members = await em.find(Membership, { where: { teamId: team.id }, lock: { mode: "pessimistic_write" } });
      const membership = members.find((m) => m.userId === user.id);
      if (!membership) throw new SkillyardError("NOT_FOUND", `${user.handle} is not a member of "${team.name}".`, { argument: "user" });
      const maintainers = members.filter((m) => m.role === TeamRole.MAINTAINER);
      if (membership.role === TeamRole.MAINTAINER && maintainers.length === 1) {
        throw new SkillyardError("BAD_USER_INPUT", `${user.handle} is the last maintainer of "${team.name}"; make someone else a maintainer first.`, {
          argument: "user",
        });
      }
      await em.delete(Membership, { id: membership.id });
      await this.audit.record(em, {
        actorId: viewer.user.id,
        action: AuditAction.MEMBER_REMOVE,
        targetType: "Membership",
        targetId: membership.id,
        before: { team: team.name, user: user.handle, role: membership.role },
      });
      await notifyViewerChanged(em, user.id);
      return membership;
    });
  }

  /**
   * A new token for yourself, or (admins) for a service account. Nobody creates a token for another
   * person: a person's credential comes from an invitation they redeem. A credential only makes
   * tokens that can do no more than itself: scopes it holds (that the user's roles allow too), PUBLISH
   * for no team it may not publish for, and networks within its own. Expiry: TOKEN_DEFAULT_TTL_DAYS
   * unless named, at most TOKEN_MAX_TTL_DAYS (a token may make a longer-lived one: that is how people
   * without single sign-on renew theirs). The secret is returned once.
   */
  async createApiToken(ctx: ViewerContext, input: CreateApiTokenRequest): Promise<IssuedToken> {
    const viewer = requireViewer(ctx);
    check("name", tokenNameProblem(input.name));
    const name = input.name.trim();
    const days = input.expiresInDays ?? this.lifetimes.defaultTtlDays;
    if (!Number.isInteger(days) || days < 1 || days > this.lifetimes.maxTtlDays) {
      throw badInput("expiresInDays", `A token expires in 1 to ${this.lifetimes.maxTtlDays} days (TOKEN_MAX_TTL_DAYS).`);
    }
    const requestedCidrs = input.allowedCidrs ? parseAllowedCidrs(input.allowedCidrs) : null;
    return this.dataSource.transaction(async (em) => {
      const user = input.user && input.user !== viewer.user.handle ? await userByHandle(em, input.user) : viewer.user;
      let origin = ApiTokenOrigin.SELF;
      const creator = viewer.tokenId ? await em.findOneBy(ApiToken, { id: viewer.tokenId }) : null;
      // A token made with another inherits that one's root invitation, so a chain of tokens still says who invited its person.
      let invitationId = creator?.invitationId ?? null;
      if (user.id !== viewer.user.id) {
        if (user.kind !== UserKind.SERVICE) {
          throw new SkillyardError(
            "FORBIDDEN",
            `Nobody can create a token for another person; an admin can invite ${user.handle} instead (createInvitation).`,
            { user: user.handle },
          );
        }
        if (!isAdmin(viewer.user)) throw new SkillyardError("FORBIDDEN", "Only admins create tokens for service accounts.", { user: user.handle });
        requireScope(viewer, TokenScope.ADMIN);
        origin = ApiTokenOrigin.SERVICE_ACCOUNT;
        invitationId = null;
      }
      const scopes = tokenScopes(viewer, user, input.scopes ?? null);
      const publishTeams = await this.publishTeams(em, viewer, user, scopes, input.publishTeams ?? null);
      const allowedCidrs = withinCreatorNetworks(requestedCidrs, creator?.allowedCidrs ?? null);
      const expiresAt = new Date(Date.now() + days * DAY_MS);
      const issued = await this.tokens.issue(em, {
        userId: user.id,
        name,
        origin,
        createdById: viewer.user.id,
        invitationId,
        scopes,
        publishTeamIds: publishTeams?.map((t) => t.id) ?? null,
        expiresAt,
        allowedCidrs,
      });
      await this.audit.record(em, {
        actorId: viewer.user.id,
        action: AuditAction.TOKEN_CREATE,
        targetType: "ApiToken",
        targetId: issued.token.id,
        after: {
          user: user.handle,
          name,
          prefix: issued.token.prefix,
          origin,
          scopes,
          publishTeams: publishTeams?.map((t) => t.name) ?? null,
          expiresAt: expiresAt.toISOString(),
          allowedCidrs,
        },
      });
      return issued;
    });
  }

  /**
   * The teams a new token's PUBLISH is limited to (null: not limited): the named ones, which the
   * user must belong to and the creating credential may publish for; unnamed, the creating
   * credential's own limit.
   */
  private async publishTeams(
    em: EntityManager,
    viewer: Viewer,
    user: User,
    scopes: readonly TokenScope[],
    names: readonly string[] | null,
  ): Promise<Team[] | null> {
    const publishes = scopes.includes(TokenScope.PUBLISH);
    if (names === null) return publishes && viewer.publishTeamIds ? em.findBy(Team, { id: In([...viewer.publishTeamIds]) }) : null;
    if (!publishes) throw badInput("publishTeams", "publishTeams limits the PUBLISH scope: add PUBLISH to the scopes, or leave publishTeams out.");
    const unique = [...new Set(names.map((n) => n.trim()))];
    if (unique.length === 0) throw badInput("publishTeams", "Name at least one team, or leave publishTeams out to publish for every team.");
    const teams = await em.findBy(Team, { name: In(unique) });
    const missing = unique.filter((n) => !teams.some((t) => t.name === n));
    if (missing.length > 0) throw badInput("publishTeams", `There is no team ${missing.map((n) => `"${n}"`).join(", ")}.`);
    const memberOf = new Set((await em.findBy(Membership, { userId: user.id, teamId: In(teams.map((t) => t.id)) })).map((m) => m.teamId));
    const foreign = teams.filter((t) => !memberOf.has(t.id));
    if (foreign.length > 0) throw badInput("publishTeams", `${user.handle} is not a member of ${foreign.map((t) => `"${t.name}"`).join(", ")}.`);
    const beyond = viewer.publishTeamIds ? teams.filter((t) => !viewer.publishTeamIds!.includes(t.id)) : [];
    if (beyond.length > 0) {
      throw badInput("publishTeams", `The token you create it with may not publish for ${beyond.map((t) => `"${t.name}"`).join(", ")}.`);
    }
    return teams;
  }

  /** Working tokens that expire within `withinDays`, soonest first: every user's for admins, the viewer's own for others. */
  async expiringApiTokens(ctx: ViewerContext, withinDays: number): Promise<ApiToken[]> {
    const viewer = requireViewer(ctx);
    if (!Number.isInteger(withinDays) || withinDays < 1 || withinDays > this.lifetimes.maxTtlDays) {
      throw badInput("withinDays", `withinDays is 1 to ${this.lifetimes.maxTtlDays}.`);
    }
    const query = this.dataSource
      .getRepository(ApiToken)
      .createQueryBuilder("t")
      .where("t.revokedAt IS NULL AND t.expiresAt > now() AND t.expiresAt <= now() + make_interval(days => :withinDays)", { withinDays })
      .orderBy("t.expiresAt", "ASC")
      .addOrderBy("t.id", "ASC");
    if (!isAdmin(viewer.user)) query.andWhere("t.userId = :userId", { userId: viewer.user.id });
    return query.getMany();
  }

  /**
   * Revokes at once: HTTP requests fail from the next one on; open subscriptions are closed on every
   * process. Your own tokens, or (admins, with the ADMIN scope) anyone's.
   */
  async revokeApiToken(ctx: ViewerContext, tokenId: string): Promise<ApiToken> {
    const viewer = requireViewer(ctx);
    return this.dataSource.transaction(async (em) => {
      const token = await em.findOneBy(ApiToken, { id: tokenId });
      if (!token || (token.userId !== viewer.user.id && !isAdmin(viewer.user))) throw new SkillyardError("NOT_FOUND", "There is no such token.");
      if (token.userId !== viewer.user.id) requireScope(viewer, TokenScope.ADMIN);
      if (!token.revokedAt) {
        token.revokedAt = new Date();
        await em.save(token);
        await this.audit.record(em, {
          actorId: viewer.user.id,
          action: AuditAction.TOKEN_REVOKE,
          targetType: "ApiToken",
          targetId: token.id,
          before: { revokedAt: null },
          after: { revokedAt: token.revokedAt.toISOString() },
        });
        // Delivered at commit to every process, which closes that token's subscriptions.
        await em.query(`SELECT pg_notify('${TOKEN_REVOKED_CHANNEL}', $1)`, [token.id]);
      }
      return token;
    });
  }

  /**
   * Revokes every working token of `userId` in the caller's transaction (the directory deactivated
   * them), each audited; at commit every process closes those tokens' subscriptions.
   */
  async revokeEveryToken(em: EntityManager, userId: string, actorId: string | null): Promise<number> {
    const revokedAt = new Date();
    const revoked: { id: string }[] = await em
      .createQueryBuilder()
      .update(ApiToken)
      .set({ revokedAt })
      .where("userId = :userId AND revokedAt IS NULL", { userId })
      .returning(["id"])
      .execute()
      .then((result) => result.raw as { id: string }[]);
    for (const { id } of revoked) {
      await this.audit.record(em, {
        actorId,
        action: AuditAction.TOKEN_REVOKE,
        targetType: "ApiToken",
        targetId: id,
        before: { revokedAt: null },
        after: { revokedAt: revokedAt.toISOString(), reason: "account deactivated" },
      });
      await em.query(`SELECT pg_notify('${TOKEN_REVOKED_CHANNEL}', $1)`, [id]);
    }
    return revoked.length;
  }

  /**
   * A one-time invitation for a person with no working credential (their first one, or after all
   * theirs were revoked). Admins only; supersedes the person's unredeemed invitations.
   */
  async createInvitation(ctx: ViewerContext, input: { user: string }): Promise<CreatedInvitation> {
    const admin = requireViewer(ctx).user;
    return this.dataSource.transaction(async (em) => {
      const user = await userByHandle(em, input.user);
      await em.findOne(User, { where: { id: user.id }, lock: { mode: "pessimistic_write" } });
      return this.invite(em, user, admin.id);
    });
  }

  /**
   * Creates an invitation in the caller's transaction (createInvitation, and test seeds with no
   * admin behind them). The caller holds the user's row lock.
   */
  async invite(em: EntityManager, user: User, createdById: string | null): Promise<CreatedInvitation> {
    if (user.kind === UserKind.SERVICE) {
      throw new SkillyardError("BAD_USER_INPUT", `${user.handle} is a service account: an admin creates its tokens directly (createApiToken).`, {
        argument: "user",
      });
    }
    if (await em.existsBy(ApiToken, { userId: user.id, revokedAt: IsNull() })) {
      throw new SkillyardError(
        "BAD_USER_INPUT",
        `${user.handle} already holds a working API token and can create more themselves; invitations are for people with none (revoke theirs first if they lost them).`,
        { argument: "user" },
      );
    }
    const now = new Date();
    await em.update(Invitation, { userId: user.id, redeemedAt: IsNull(), supersededAt: IsNull() }, { supersededAt: now });
    const code = `${INVITATION_PREFIX}${randomBytes(24).toString("base64url")}`;
    const invitation = await em.save(
      em.create(Invitation, {
        userId: user.id,
        codeSha256: hashSecret(code),
        createdById,
        expiresAt: new Date(now.getTime() + this.invitationTtlHours * 3600_000),
        redeemedAt: null,
        supersededAt: null,
        tokenId: null,
      }),
    );
    await this.audit.record(em, {
      actorId: createdById,
      action: AuditAction.INVITATION_CREATE,
      targetType: "User",
      targetId: user.id,
      after: { user: user.handle, invitationId: invitation.id, expiresAt: invitation.expiresAt.toISOString() },
    });
    return { invitation, code, user };
  }

  /** Redeems an invitation (no token needed): creates the invited person's token, once. */
  async redeemInvitation(input: { code: string; tokenName: string }): Promise<IssuedToken & { user: User }> {
    check("tokenName", tokenNameProblem(input.tokenName));
    return this.dataSource.transaction(async (em) => {
      // The row lock makes a second, concurrent redemption of the same code wait and then find it used.
      const invitation = await em.findOne(Invitation, { where: { codeSha256: hashSecret(input.code.trim()) }, lock: { mode: "pessimistic_write" } });
      const problem = !invitation
        ? "This invitation code is not valid."
        : invitation.redeemedAt
          ? "This invitation was already redeemed; ask an admin for a new one."
          : invitation.supersededAt
            ? "This invitation was replaced by a newer one; use the newest code."
            : invitation.expiresAt <= new Date()
              ? "This invitation has expired; ask an admin for a new one."
              : null;
      if (problem || !invitation) throw new SkillyardError("INVITATION_INVALID", problem ?? "This invitation code is not valid.");
      const user = await em.findOneByOrFail(User, { id: invitation.userId });
      const issued = await this.tokens.issue(em, {
        userId: user.id,
        name: input.tokenName.trim(),
        origin: ApiTokenOrigin.INVITATION,
        createdById: null,
        invitationId: invitation.id,
        scopes: [...sessionScopes(user)],
        expiresAt: new Date(Date.now() + this.lifetimes.defaultTtlDays * DAY_MS),
      });
      invitation.redeemedAt = new Date();
      invitation.tokenId = issued.token.id;
      await em.save(invitation);
      await this.audit.record(em, {
        actorId: user.id,
        action: AuditAction.INVITATION_REDEEM,
        targetType: "ApiToken",
        targetId: issued.token.id,
        after: {
          user: user.handle,
          invitationId: invitation.id,
          invitedById: invitation.createdById,
          invitedAt: invitation.createdAt.toISOString(),
          name: issued.token.name,
          prefix: issued.token.prefix,
        },
      });
      return { ...issued, user };
    });
  }

  private async assertCanManageMembers(em: EntityManager, viewer: Viewer, team: Team): Promise<void> {
    const actor = viewer.user;
    if (!isAdmin(actor) && !(await em.existsBy(Membership, { teamId: team.id, userId: actor.id, role: TeamRole.MAINTAINER }))) {
      throw new SkillyardError("FORBIDDEN", `Only admins and maintainers of "${team.name}" can manage its members.`);
    }
    assertMayPublishFor(viewer, team.id, `manage the members of "${team.name}"`);
  }
}

/** Delivered at commit to every process: open subscriptions of this user are checked again. */
export async function notifyViewerChanged(em: EntityManager, userId: string): Promise<void> {
  await em.query(`SELECT pg_notify('${VIEWER_CHANGED_CHANNEL}', $1)`, [userId]);
}

/**
 * The scopes of a new token: the requested ones, or by default every scope the creating credential
 * holds that the user's roles allow (INGEST and CATALOG_READ aside). BAD_USER_INPUT for CATALOG_READ
 * (Skillyard's own), INGEST with anything else, and a scope the credential does not hold or the
 * user's roles do not allow.
 */
function tokenScopes(viewer: Viewer, user: User, requested: readonly TokenScope[] | null): TokenScope[] {
  const allowed = scopesAllowedFor(user);
  const grantable = grantableBy(viewer);
  const order = Object.values(TokenScope);
  const scopes = (
    requested === null ? [...viewer.scopes].filter((s) => s !== TokenScope.INGEST && s !== TokenScope.CATALOG_READ && allowed.has(s)) : [...new Set(requested)]
  ).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  if (scopes.length === 0) throw badInput("scopes", "A token needs at least one scope.");
  if (scopes.includes(TokenScope.CATALOG_READ)) throw badInput("scopes", "CATALOG_READ tokens are made by Skillyard for generated settings only.");
  if (scopes.includes(TokenScope.INGEST) && scopes.length > 1) throw badInput("scopes", "An INGEST token has no other scope: create it on its own.");
  const ungrantable = scopes.filter((s) => !grantable.has(s));
  if (ungrantable.length > 0) {
    throw badInput(
      "scopes",
      `The credential you create it with does not hold ${ungrantable.join(", ")}${ungrantable.includes(TokenScope.INGEST) ? " (INGEST tokens are made by admins)" : ""}.`,
    );
  }
  const disallowed = scopes.filter((s) => !allowed.has(s));
  if (disallowed.length > 0) throw badInput("scopes", `${user.handle}'s roles do not allow ${disallowed.join(", ")}.`);
  return scopes;
}

/** The requested networks, parsed (BAD_USER_INPUT naming a bad one), deduplicated and canonical. */
function parseAllowedCidrs(texts: readonly string[]): Cidr[] {
  if (texts.length === 0) throw badInput("allowedCidrs", "Name at least one network, or leave allowedCidrs out to allow every address.");
  if (texts.length > MAX_ALLOWED_CIDRS) throw badInput("allowedCidrs", `A token lists at most ${MAX_ALLOWED_CIDRS} networks.`);
  const cidrs = new Map<string, Cidr>();
  for (const text of texts) {
    const cidr = parseCidr(text, { strict: true });
    if (!cidr) {
      throw badInput(
        "allowedCidrs",
        `"${text}" is not a network: write an address or address/prefix with no bits set past the prefix, e.g. 10.0.0.0/8 or 2001:db8::/32.`,
      );
    }
    cidrs.set(formatCidr(cidr), cidr);
  }
  return [...cidrs.values()];
}

/**
 * The new token's networks: the requested ones, which must each lie within one of the creating
 * token's (a token limited to some networks cannot make one usable from others); none requested,
 * the creating token's own. Canonical texts; null: from anywhere.
 */
function withinCreatorNetworks(requested: Cidr[] | null, creator: readonly string[] | null): string[] | null {
  if (creator === null) return requested?.map(formatCidr) ?? null;
  if (requested === null) return [...creator];
  const outer = creator.map((text) => parseCidr(text, { strict: false })!);
  const outside = requested.filter((cidr) => !outer.some((o) => cidrWithin(cidr, o)));
  if (outside.length > 0) {
    throw badInput("allowedCidrs", `The token you create it with is limited to ${creator.join(", ")}: ${outside.map(formatCidr).join(", ")} lies outside.`);
  }
  return requested.map(formatCidr);
}
