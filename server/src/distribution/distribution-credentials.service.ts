import type { DataSource, EntityManager } from "typeorm";
import { IsNull } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { ApiToken, ApiTokenOrigin, TokenScope } from "../identity/api-token.entity";
import type { ApiTokenService } from "../identity/api-token.service";
import type { Team } from "../identity/team.entity";
import { User, UserKind } from "../identity/user.entity";
import { DistributionCredential, type DistributionScope } from "./distribution-credential.entity";

/** The service account that owns every distribution token (it has no role and no team, so it can do nothing else). */
export const DISTRIBUTION_ACCOUNT_HANDLE = "skillyard-distribution";
const DISTRIBUTION_ACCOUNT_EMAIL = "skillyard-distribution@skillyard.invalid";

/** How long an ingest token's team is remembered; a revocation through the API drops it at once (TOKEN_REVOKED NOTIFY). */
const INGEST_CACHE_MS = 60_000;
const INGEST_CACHE_MAX = 10_000;

/**
 * The narrow tokens generated settings carry: one CATALOG_READ token for the installation, one
 * INGEST token per team (and one for settings without a team). Made on first use and reused, so
 * every machine of a team holds the same one; a revoked one is replaced on the next generation. That
 * is how they are rotated, so they have no expiry (an expiry would cut every machine off at once).
 */
export class DistributionCredentialsService {
  /** Ingest token id → the team it reports for: every machine posts telemetry every few seconds. */
  private readonly ingestCache = new Map<string, { team: string | null; expires: number }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly apiTokens: ApiTokenService,
    private readonly audit: AuditService,
  ) {}

  /** The secret of the working token for `scope` (and `team`, for INGEST), made if there is none. */
  async secretFor(scope: DistributionScope, team: Team | null, actorId: string | null): Promise<string> {
    const teamId = scope === TokenScope.INGEST ? (team?.id ?? null) : null;
    const existing = await this.working(this.dataSource.manager, scope, teamId);
    if (existing) return existing.secret;
    return this.dataSource.transaction(async (em) => {
      // Serialises the first generation of settings for a scope: concurrent requests share one token.
      await em.query("SELECT pg_advisory_xact_lock(hashtext('distribution_credential'))");
      const again = await this.working(em, scope, teamId);
      if (again) return again.secret;
      await em.getRepository(DistributionCredential).delete({ scope, teamId: teamId ?? IsNull() });
      const account = await this.account(em);
      const name =
        scope === TokenScope.CATALOG_READ ? "catalog read (managed settings)" : `telemetry ingest for ${team ? `team ${team.name}` : "the organisation"}`;
      const issued = await this.apiTokens.issue(em, {
        userId: account.id,
        name,
        origin: ApiTokenOrigin.DISTRIBUTION,
        createdById: actorId,
        scopes: [scope],
        expiresAt: null,
      });
      await em.getRepository(DistributionCredential).insert({ scope, teamId, tokenId: issued.token.id, secret: issued.secret });
      await this.audit.record(em, {
        actorId,
        action: AuditAction.TOKEN_CREATE,
        targetType: "ApiToken",
        targetId: issued.token.id,
        before: null,
        after: { user: account.handle, name, scope, origin: ApiTokenOrigin.DISTRIBUTION },
      });
      return issued.secret;
    });
  }

  /**
   * The team an ingest token reports for (the one whose settings carry it; null for settings without
   * a team, and for ingest tokens not made here). Telemetry is attributed by it. The caller has
   * authenticated the token.
   */
  async ingestTeam(tokenId: string): Promise<string | null> {
    const cached = this.ingestCache.get(tokenId);
    if (cached && cached.expires > Date.now()) return cached.team;
    this.ingestCache.delete(tokenId);
    const credential = await this.dataSource.getRepository(DistributionCredential).findOne({ where: { tokenId }, relations: { team: true } });
    const team = credential?.team?.name ?? null;
    if (this.ingestCache.size >= INGEST_CACHE_MAX) this.ingestCache.clear();
    this.ingestCache.set(tokenId, { team, expires: Date.now() + INGEST_CACHE_MS });
    return team;
  }

  /** A token was revoked (any process): stop accepting it here at once. */
  forgetToken(tokenId: string): void {
    this.ingestCache.delete(tokenId);
  }

  private async working(em: EntityManager, scope: DistributionScope, teamId: string | null): Promise<DistributionCredential | null> {
    return em
      .getRepository(DistributionCredential)
      .createQueryBuilder("c")
      .innerJoin(ApiToken, "t", "t.id = c.token_id AND t.revoked_at IS NULL")
      .where("c.scope = :scope", { scope })
      .andWhere(teamId ? "c.team_id = :teamId" : "c.team_id IS NULL", { teamId })
      .getOne();
  }

  private async account(em: EntityManager): Promise<User> {
    const users = em.getRepository(User);
    const found = await users.findOneBy({ handle: DISTRIBUTION_ACCOUNT_HANDLE });
    if (found) {
      if (found.kind !== UserKind.SERVICE || found.roles.length > 0) {
        throw new Error(`The user "${DISTRIBUTION_ACCOUNT_HANDLE}" is not a role-less service account; rename it so Skillyard can own that handle.`);
      }
      return found;
    }
    return users.save(users.create({ handle: DISTRIBUTION_ACCOUNT_HANDLE, email: DISTRIBUTION_ACCOUNT_EMAIL, roles: [], kind: UserKind.SERVICE }));
  }
}
