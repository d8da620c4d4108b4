import type { DataSource } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";

/** How long before its expiry a token is announced (TOKEN_EXPIRING). */
export const TOKEN_EXPIRY_WARNING_DAYS = 7;

interface ExpiringRow {
  id: string;
  name: string;
  prefix: string;
  expires_at: Date;
  handle: string;
}

/**
 * Announces each working token that expires within TOKEN_EXPIRY_WARNING_DAYS, once: an audit entry
 * TOKEN_EXPIRING (no actor) whose webhook event carries the token's id, name, prefix, its user's
 * handle and the expiry. Workers run it periodically; several may at once.
 */
export class TokenExpiryWarnings {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** Announces what fell due by `now`; answers how many tokens were announced. */
  async announce(now = new Date()): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      // Marking and announcing commit together. Two workers: the second one's UPDATE waits for the
      // first one's row locks, then re-checks `expiry_warned_at IS NULL` on the committed rows and
      // skips them, so each token is announced exactly once (and again by nobody if this rolls back
      // and a later run gets it).
      const [rows] = (await em.query(
        `UPDATE api_token t SET expiry_warned_at = $1
           FROM "user" u
          WHERE u.id = t.user_id AND t.expiry_warned_at IS NULL AND t.revoked_at IS NULL
            AND t.expires_at > $1 AND t.expires_at <= $1::timestamptz + make_interval(days => $2)
        RETURNING t.id, t.name, t.prefix, t.expires_at, u.handle`,
        [now, TOKEN_EXPIRY_WARNING_DAYS],
      )) as [ExpiringRow[], number];
      for (const row of rows) {
        await this.audit.record(em, {
          actorId: null,
          action: AuditAction.TOKEN_EXPIRING,
          targetType: "ApiToken",
          targetId: row.id,
          after: { name: row.name, prefix: row.prefix, user: row.handle, expiresAt: row.expires_at.toISOString() },
        });
      }
      return rows.length;
    });
  }
}
