import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { IsNull, type DataSource } from "typeorm";
import { ApiToken } from "./api-token.entity";
import { Membership, TeamRole } from "./membership.entity";
import { Team } from "./team.entity";
import { GlobalRole, User } from "./user.entity";

const TOKEN_PREFIX = "sky_";

export function hashTokenSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function generateTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export interface Viewer {
  user: User;
  tokenId: string;
}

export class ApiTokenService {
  constructor(private readonly dataSource: DataSource) {}

  /** Resolves `Authorization: Bearer <secret>` to a user; null for a missing, unknown or revoked token. */
  async authenticate(authorization: string | undefined): Promise<Viewer | null> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    if (!match) return null;
    const digest = hashTokenSecret(match[1]);
    const token = await this.dataSource.getRepository(ApiToken).findOne({
      where: { secretSha256: digest, revokedAt: IsNull() },
      relations: { user: true },
    });
    // The lookup is by digest; compare again in constant time so timing says nothing about near misses.
    if (!token || !timingSafeEqual(Buffer.from(token.secretSha256), Buffer.from(digest))) return null;
    return { user: token.user, tokenId: token.id };
  }

  /** Creates a token; the returned secret is never stored and cannot be shown again. */
  async create(userId: string, name: string, secret = generateTokenSecret()): Promise<{ token: ApiToken; secret: string }> {
    const token = await this.dataSource.getRepository(ApiToken).save({
      userId,
      name,
      secretSha256: hashTokenSecret(secret),
      prefix: secret.slice(0, 10),
      lastUsedAt: null,
      revokedAt: null,
    });
    return { token, secret };
  }

  /**
   * First start without SKILLYARD_BOOTSTRAP_TOKEN: creates the `admin` user (and team) with a fresh
   * token and returns its secret so it can be shown once. Returns null when any user exists.
   */
  async createFirstAdmin(): Promise<string | null> {
    if ((await this.dataSource.getRepository(User).count()) > 0) return null;
    const secret = generateTokenSecret();
    await this.ensureBootstrapAdmin(secret);
    return secret;
  }

  /**
   * SKILLYARD_BOOTSTRAP_TOKEN: after start an ADMIN user `admin` (with a team `admin` to publish into)
   * holds a token with exactly this secret. Idempotent across restarts.
   */
  async ensureBootstrapAdmin(secret: string): Promise<User> {
    return this.dataSource.transaction(async (em) => {
      let admin = await em.findOne(User, { where: { handle: "admin" } });
      if (!admin) {
        admin = await em.save(em.create(User, { handle: "admin", email: "admin@skillyard.local", roles: [GlobalRole.ADMIN] }));
      } else if (!admin.roles.includes(GlobalRole.ADMIN)) {
        admin.roles = [...admin.roles, GlobalRole.ADMIN];
        await em.save(admin);
      }
      let team = await em.findOne(Team, { where: { name: "admin" } });
      if (!team) team = await em.save(em.create(Team, { name: "admin" }));
      await em
        .createQueryBuilder()
        .insert()
        .into(Membership)
        .values({ teamId: team.id, userId: admin.id, role: TeamRole.MAINTAINER })
        .orIgnore()
        .execute();
      const digest = hashTokenSecret(secret);
      const existing = await em.findOne(ApiToken, { where: { secretSha256: digest } });
      if (!existing) {
        await em.save(em.create(ApiToken, { userId: admin.id, name: "bootstrap", secretSha256: digest, prefix: secret.slice(0, 10) }));
      } else if (existing.userId !== admin.id || existing.revokedAt) {
        existing.userId = admin.id;
        existing.revokedAt = null;
        await em.save(existing);
      }
      return admin;
    });
  }
}
