import type { Pool } from "pg";
import type { Logger } from "../common/logger";
import { PeriodicTask } from "../common/periodic-task";

/** lastUsedAt is kept to this precision: a token used all day is written once a minute at most. */
export const LAST_USED_PRECISION_MS = 60_000;
const FLUSH_INTERVAL_MS = 30_000;

/**
 * Keeps ApiToken.lastUsedAt off the request path. Authentication only notes a use here (in memory);
 * a timer writes what was noted, for every token at once, in one UPDATE. A use is noted only when
 * the stored time (read by the authenticating statement anyway) and this process's last note are
 * both a minute old, and the UPDATE skips rows another replica moved within the minute, so each
 * token is written at most about once a minute whatever the traffic. A crash loses at most the last
 * interval's notes: the time is a hint for people, not an audit record.
 *
 * It writes through a pool of its own (one connection): bookkeeping never waits for, nor holds, a
 * connection requests need, and never shows up among the statements a request runs.
 */
export class TokenLastUsed {
  /** Token id → the use to write. */
  private pending = new Map<string, Date>();
  /** Token id → when this process last noted it (entries older than the precision are dropped at each flush). */
  private readonly noted = new Map<string, number>();
  private readonly task: PeriodicTask;

  constructor(
    private readonly pool: Pool,
    logger: Logger,
  ) {
    this.task = new PeriodicTask("recording tokens' last use", async () => void (await this.flush()), FLUSH_INTERVAL_MS, logger, true);
  }

  start(): void {
    this.task.start();
  }

  /** A successful authentication by `tokenId`, whose row says it was last used at `stored`. */
  note(tokenId: string, stored: Date | null, now = new Date()): void {
    const at = now.getTime();
    if (stored && at - stored.getTime() < LAST_USED_PRECISION_MS) return;
    const previous = this.noted.get(tokenId);
    if (previous !== undefined && at - previous < LAST_USED_PRECISION_MS) return;
    this.noted.set(tokenId, at);
    this.pending.set(tokenId, now);
  }

  /** Writes the noted uses; answers how many rows moved. The timer calls it, and `stop` once more. */
  async flush(): Promise<number> {
    const uses = this.pending;
    this.pending = new Map();
    const cutoff = Date.now() - LAST_USED_PRECISION_MS;
    for (const [id, at] of this.noted) if (at < cutoff) this.noted.delete(id);
    if (uses.size === 0) return 0;
    const result = await this.pool.query(
      `UPDATE api_token t SET last_used_at = u.at
         FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, at)
        WHERE t.id = u.id AND (t.last_used_at IS NULL OR t.last_used_at < u.at - interval '1 minute')`,
      [[...uses.keys()], [...uses.values()]],
    );
    return result.rowCount ?? 0;
  }

  /** Stops the timer, writes what is pending, and closes the pool. */
  async stop(): Promise<void> {
    await this.task.stop();
    await this.pool.end();
  }
}
