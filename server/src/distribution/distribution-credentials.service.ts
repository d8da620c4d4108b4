import type { DataSource, EntityManager } from "typeorm";
import { IsNull } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { ApiToken, ApiTokenOrigin, ApiTokenScope } from "../identity/api-token.entity";
import type { ApiTokenService } from "../identity/api-token.service";
import type { Team } from "../identity/team.entity";
import { User, UserKind } from "../identity/user.entity";
import { DistributionCredential } from "./distribution-credential.entity";

/** The service account that owns every distribution token (it has no role and no team, so it can do nothing else). */
export const DISTRIBUTION_ACCOUNT_HANDLE = "skillyard-distribution";
const DISTRIBUTION_ACCOUNT_EMAIL = "skillyard-distribution@skillyard.invalid";

/** How long a working ingest token's team is remembered; a revocation through the API drops it at once (TOKEN_REVOKED NOTIFY). */
const INGEST_CACHE_MS = 60_000;
const INGEST_CACHE_MAX = 10_000;

/**
 * The narrow tokens generated settings carry: one CATALOG_READ token for the installation, one
 * INGEST token per team (and one for settings without a team). Made on first use and reused, so
 * every machine of a team holds the same one; a revoked one is replaced on the next generation.
 */
export class DistributionCredentialsService {
  /** Authorization header → the ingest token's id and team: every machine posts telemetry every few seconds. */
  private readonly ingestCache = new Map<string, { tokenId: string; team: string | null; expires: number }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly apiTokens: ApiTokenService,
    private readonly audit: AuditService,
  ) {}

  /** The secret of the working token for `scope` (and `team`, for INGEST), made if there is none. */
  async secretFor(scope: ApiTokenScope.CATALOG_READ | ApiTokenScope.INGEST, team: Team | null, actorId: string | null): Promise<string> {
    const teamId = scope === ApiTokenScope.INGEST ? (team?.id ?? null) : null;
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
        scope === ApiTokenScope.CATALOG_READ ? "catalog read (managed settings)" : `telemetry ingest for ${team ? `team ${team.name}` : "the organisation"}`;
      const issued = await this.apiTokens.issue(em, { userId: account.id, name, origin: ApiTokenOrigin.DISTRIBUTION, createdById: actorId, scope });
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
   * The team a working INGEST token reports for (null for settings without a team); null when the
   * header carries no working INGEST token. Telemetry is attributed by it.
   */
  async ingestTeam(authorization: string | undefined): Promise<{ team: string | null } | null> {
    const key = authorization ?? "";
    const cached = this.ingestCache.get(key);
    if (cached && cached.expires > Date.now()) return { team: cached.team };
    this.ingestCache.delete(key);
    const token = await this.apiTokens.tokenWithScope(authorization, ApiTokenScope.INGEST);
    if (!token) return null;
    const credential = await this.dataSource.getRepository(DistributionCredential).findOne({ where: { tokenId: token.id }, relations: { team: true } });
    const team = credential?.team?.name ?? null;
    if (this.ingestCache.size >= INGEST_CACHE_MAX) this.ingestCache.clear();
    this.ingestCache.set(key, { tokenId: token.id, team, expires: Date.now() + INGEST_CACHE_MS });
    return { team };
  }

  /** A token was revoked (any process): stop accepting it here at once. */
  forgetToken(tokenId: string): void {
    for (const [key, entry] of this.ingestCache) if (entry.tokenId === tokenId) this.ingestCache.delete(key);
  }

  private async working(em: EntityManager, scope: ApiTokenScope, teamId: string | null): Promise<DistributionCredential | null> {
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
