import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { type DataSource, type EntityManager, IsNull } from "typeorm";
import { ApiToken, ApiTokenOrigin, ApiTokenScope } from "./api-token.entity";
import { Membership, TeamRole } from "./membership.entity";
import { Team } from "./team.entity";
import { sessionScopes } from "./token-scope";
import { GlobalRole, User } from "./user.entity";
import type { Viewer } from "./viewer";

const TOKEN_PREFIX = "sky_";

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function generateTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** The viewer a full token acts as: its user, with every scope the user's roles allow. */
function tokenViewer(token: ApiToken): Viewer {
  return { user: token.user, tokenId: token.id, sessionId: null, scopes: sessionScopes(token.user), publishTeamIds: null };
}

export interface IssuedToken {
  token: ApiToken;
  /** Never stored; shown once. */
  secret: string;
}

/** What start-up did with SKILLYARD_BOOTSTRAP_TOKEN, for the log. */
export type BootstrapOutcome = { kind: "active" } | { kind: "revoked"; revokedAt: Date };

/** Authenticates API tokens and issues them; who may ask for one is IdentityService's business. */
export class ApiTokenService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Resolves `Authorization: Bearer <secret>` to a user for the API: null for a missing, unknown,
   * revoked or expired token, one of a deactivated user, and a narrow one (INGEST, CATALOG_READ),
   * which acts for nobody.
   */
  async authenticate(authorization: string | undefined): Promise<Viewer | null> {
    const token = await this.tokenFor(authorization);
    return token?.scope === ApiTokenScope.FULL ? tokenViewer(token) : null;
  }

  /** The scope of a working token, or null: for saying why a narrow token is refused where it cannot be used. */
  async scopeOf(authorization: string | undefined): Promise<ApiTokenScope | null> {
    return (await this.tokenFor(authorization))?.scope ?? null;
  }

  /** True when the header carries a working token that may do `scope` (a FULL token may do anything). */
  async allows(authorization: string | undefined, scope: ApiTokenScope): Promise<boolean> {
    const token = await this.tokenFor(authorization);
    return token !== null && (token.scope === ApiTokenScope.FULL || token.scope === scope);
  }

  /** The working token in the header when it has exactly `scope` (an ingest endpoint takes INGEST tokens only). */
  async tokenWithScope(authorization: string | undefined, scope: ApiTokenScope): Promise<ApiToken | null> {
    const token = await this.tokenFor(authorization);
    return token?.scope === scope ? token : null;
  }

  private async tokenFor(authorization: string | undefined): Promise<ApiToken | null> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    if (!match) return null;
    const digest = hashSecret(match[1]);
    // One statement on every authenticated request: findOne with a relation costs two (a DISTINCT id query first).
    const token = await this.dataSource
      .getRepository(ApiToken)
      .createQueryBuilder("token")
      .innerJoinAndSelect("token.user", "user")
      .where("token.secretSha256 = :digest AND token.revokedAt IS NULL", { digest })
      .andWhere("(token.expiresAt IS NULL OR token.expiresAt > now()) AND user.deactivatedAt IS NULL")
      .getOne();
    // The lookup is by digest; compare again in constant time so timing says nothing about near misses.
    return token && timingSafeEqual(Buffer.from(token.secretSha256), Buffer.from(digest)) ? token : null;
  }

  /** The viewer behind a token as it is now (roles re-read); null once the token is revoked or expired, or its user deactivated. */
  async viewerOfToken(tokenId: string): Promise<Viewer | null> {
    const token = await this.dataSource
      .getRepository(ApiToken)
      .findOne({ where: { id: tokenId, revokedAt: IsNull(), scope: ApiTokenScope.FULL }, relations: { user: true } });
    const usable = token && (token.expiresAt === null || token.expiresAt > new Date()) && token.user.deactivatedAt === null;
    return usable ? tokenViewer(token) : null;
  }

  /** Stores a new token in the caller's transaction; the returned secret cannot be shown again. */
  async issue(
    em: EntityManager,
    fields: {
      userId: string;
      name: string;
      origin: ApiTokenOrigin;
      createdById: string | null;
      invitationId?: string | null;
      scope?: ApiTokenScope;
      expiresAt?: Date | null;
    },
    secret = generateTokenSecret(),
  ): Promise<IssuedToken> {
    const token = await em.getRepository(ApiToken).save(
      em.getRepository(ApiToken).create({
        userId: fields.userId,
        name: fields.name,
        origin: fields.origin,
        createdById: fields.createdById,
        invitationId: fields.invitationId ?? null,
        scope: fields.scope ?? ApiTokenScope.FULL,
        secretSha256: hashSecret(secret),
        prefix: secret.slice(0, 10),
        lastUsedAt: null,
        revokedAt: null,
        expiresAt: fields.expiresAt ?? null,
      }),
    );
    return { token, secret };
  }

  /**
   * First start without SKILLYARD_BOOTSTRAP_TOKEN: creates the `admin` user (and team) with a fresh
   * token and returns its secret so it can be shown once. Returns null when any user exists.
   */
  async createFirstAdmin(): Promise<string | null> {
    return this.dataSource.transaction(async (em) => {
      // Two processes starting on one empty database: the table lock lets one of them create the admin.
      await em.query(`LOCK TABLE "user" IN SHARE ROW EXCLUSIVE MODE`);
      if ((await em.getRepository(User).count()) > 0) return null;
      const admin = await this.ensureAdminUser(em);
      return (await this.issue(em, { userId: admin.id, name: "first start", origin: ApiTokenOrigin.BOOTSTRAP, createdById: null })).secret;
    });
  }

  /**
   * SKILLYARD_BOOTSTRAP_TOKEN: after start an ADMIN user `admin` (with a team `admin` to publish into)
   * holds a token with exactly this secret, unless that token was revoked: a revocation sticks, and
   * the variable is then ignored (the caller logs why). Idempotent across restarts.
   */
  async ensureBootstrapAdmin(secret: string): Promise<BootstrapOutcome> {
    return this.dataSource.transaction(async (em) => {
      await em.query(`LOCK TABLE "user" IN SHARE ROW EXCLUSIVE MODE`);
      const existing = await em.findOne(ApiToken, { where: { secretSha256: hashSecret(secret) } });
      if (existing?.revokedAt) return { kind: "revoked", revokedAt: existing.revokedAt };
      const admin = await this.ensureAdminUser(em);
      if (!existing) await this.issue(em, { userId: admin.id, name: "bootstrap", origin: ApiTokenOrigin.BOOTSTRAP, createdById: null }, secret);
      return { kind: "active" };
    });
  }

  /** The `admin` user with the ADMIN role, and team `admin` with them as MAINTAINER. */
  private async ensureAdminUser(em: EntityManager): Promise<User> {
    let admin = await em.findOne(User, { where: { handle: "admin" } });
    if (!admin) {
      admin = await em.save(em.create(User, { handle: "admin", email: "admin@skillyard.local", roles: [GlobalRole.ADMIN] }));
    } else if (!admin.roles.includes(GlobalRole.ADMIN)) {
      admin.roles = [...admin.roles, GlobalRole.ADMIN];
      await em.save(admin);
    }
    let team = await em.findOne(Team, { where: { name: "admin" } });
    if (!team) team = await em.save(em.create(Team, { name: "admin" }));
    await em.createQueryBuilder().insert().into(Membership).values({ teamId: team.id, userId: admin.id, role: TeamRole.MAINTAINER }).orIgnore().execute();
    return admin;
  }
}
