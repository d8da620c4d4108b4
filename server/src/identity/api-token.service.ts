import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { SkillyardError } from "@skillyard/core";
import { type DataSource, type EntityManager } from "typeorm";
import { cidrContains, type IpAddress, formatIp, parseCidr } from "../common/cidr";
import { ApiToken, ApiTokenOrigin, type TokenScope } from "./api-token.entity";
import { Membership, TeamRole } from "./membership.entity";
import { Team } from "./team.entity";
import type { TokenLastUsed } from "./token-last-used";
import { GlobalRole, User } from "./user.entity";
import { sessionScopes, type Viewer } from "./viewer";

const TOKEN_PREFIX = "sky_";

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function generateTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export interface IssuedToken {
  token: ApiToken;
  /** Never stored; shown once. */
  secret: string;
}

/** What a new token carries; origin and creator say how it came to be (see ApiTokenOrigin). */
export interface TokenFields {
  userId: string;
  name: string;
  origin: ApiTokenOrigin;
  createdById: string | null;
  invitationId?: string | null;
  scopes: readonly TokenScope[];
  publishTeamIds?: readonly string[] | null;
  /** Null only for BOOTSTRAP and DISTRIBUTION tokens (the table's check constraint). */
  expiresAt: Date | null;
  /** Canonical CIDR texts (formatCidr); null: usable from anywhere. */
  allowedCidrs?: readonly string[] | null;
}

/** A working token's viewer, and when the token stops working (null: never). */
export interface AuthenticatedToken {
  viewer: Viewer;
  expiresAt: Date | null;
}

/** What start-up did with SKILLYARD_BOOTSTRAP_TOKEN, for the log. */
export type BootstrapOutcome = { kind: "active" } | { kind: "revoked"; revokedAt: Date };

function viewerOf(token: ApiToken): Viewer {
  return { user: token.user, tokenId: token.id, sessionId: null, scopes: new Set(token.scopes), publishTeamIds: token.publishTeamIds };
}

const unauthenticated = () => new SkillyardError("UNAUTHENTICATED", "The API token is invalid or revoked.");

/** Authenticates API tokens and issues them; who may ask for one is IdentityService's business. */
export class ApiTokenService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly lastUsed: TokenLastUsed,
  ) {}

  /**
   * Resolves `Authorization: Bearer <secret>`, sent from `client`, to its viewer: null without the
   * header; otherwise UNAUTHENTICATED for an unknown or revoked token, TOKEN_EXPIRED past its
   * expiry, IP_NOT_ALLOWED from outside its allowed CIDRs. One SQL statement (the use is recorded
   * later, off the request path: TokenLastUsed). What the token may do is its scopes' business:
   * every operation checks the one it declares.
   */
  async authenticate(authorization: string | undefined, client: IpAddress | null, now = new Date()): Promise<AuthenticatedToken | null> {
    if (authorization === undefined || authorization === "") return null;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw unauthenticated();
    const digest = hashSecret(match[1]);
    // One statement on every authenticated request: findOne with a relation costs two (a DISTINCT id query first).
    const token = await this.dataSource
      .getRepository(ApiToken)
      .createQueryBuilder("token")
      .innerJoinAndSelect("token.user", "user")
      .where("token.secretSha256 = :digest AND token.revokedAt IS NULL", { digest })
      .getOne();
    // The lookup is by digest; compare again in constant time so timing says nothing about near misses.
    if (!token || !timingSafeEqual(Buffer.from(token.secretSha256), Buffer.from(digest))) throw unauthenticated();
    assertUsable(token, client, now);
    this.lastUsed.note(token.id, token.lastUsedAt, now);
    return { viewer: viewerOf(token), expiresAt: token.expiresAt };
  }

  /** The viewer behind a token as it is now (roles re-read); null once the token is revoked or expired, or its user deactivated. */
  async viewerOfToken(tokenId: string, now = new Date()): Promise<Viewer | null> {
    const token = await this.dataSource
      .getRepository(ApiToken)
      .createQueryBuilder("token")
      .innerJoinAndSelect("token.user", "user")
      .where("token.id = :tokenId AND token.revokedAt IS NULL", { tokenId })
      .getOne();
    return token && (token.expiresAt === null || token.expiresAt > now) && token.user.deactivatedAt === null ? viewerOf(token) : null;
  }

  /** Stores a new token in the caller's transaction; the returned secret cannot be shown again. */
  async issue(em: EntityManager, fields: TokenFields, secret = generateTokenSecret()): Promise<IssuedToken> {
    const token = await em.getRepository(ApiToken).save(
      em.getRepository(ApiToken).create({
        userId: fields.userId,
        name: fields.name,
        origin: fields.origin,
        createdById: fields.createdById,
        invitationId: fields.invitationId ?? null,
        scopes: [...fields.scopes],
        publishTeamIds: fields.publishTeamIds ? [...fields.publishTeamIds] : null,
        expiresAt: fields.expiresAt,
        allowedCidrs: fields.allowedCidrs ? [...fields.allowedCidrs] : null,
        secretSha256: hashSecret(secret),
        prefix: secret.slice(0, 10),
        lastUsedAt: null,
        revokedAt: null,
        expiryWarnedAt: null,
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
      return (await this.issue(em, this.bootstrapFields(admin, "first start"))).secret;
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
      if (!existing) await this.issue(em, this.bootstrapFields(admin, "bootstrap"), secret);
      return { kind: "active" };
    });
  }

  /** The deployment's own admin credential: every scope an admin's roles allow, and no expiry (see ApiToken). */
  private bootstrapFields(admin: User, name: string): TokenFields {
    return { userId: admin.id, name, origin: ApiTokenOrigin.BOOTSTRAP, createdById: null, scopes: [...sessionScopes(admin)], expiresAt: null };
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

/**
 * Throws ACCOUNT_DISABLED for a deactivated user's token, TOKEN_EXPIRED once `token` is past its expiry, and IP_NOT_ALLOWED when it has allowed CIDRs
 * and `client` lies in none of them (an unknown address lies in none).
 */
function assertUsable(token: ApiToken, client: IpAddress | null, now: Date): void {
  // Deactivation revokes every token at once (SCIM); this holds even for one revoked by nobody.
  if (token.user.deactivatedAt !== null) throw new SkillyardError("ACCOUNT_DISABLED", `${token.user.handle} is deactivated: their tokens no longer work.`);
  if (token.expiresAt !== null && token.expiresAt <= now) {
    throw new SkillyardError("TOKEN_EXPIRED", `The API token "${token.name}" expired at ${token.expiresAt.toISOString()}; create a new one.`, {
      expiredAt: token.expiresAt.toISOString(),
    });
  }
  if (token.allowedCidrs === null) return;
  // Stored as PostgreSQL cidr values, so every one parses.
  const allowed = token.allowedCidrs.map((text) => parseCidr(text, { strict: false })!);
  if (client && allowed.some((cidr) => cidrContains(cidr, client))) return;
  throw new SkillyardError(
    "IP_NOT_ALLOWED",
    `The API token "${token.name}" may not be used from ${client ? formatIp(client) : "an unknown address"}: it is limited to certain networks.`,
  );
}
