import type { DataSource } from "typeorm";
import type { Logger } from "../common/logger";

/**
 * Keeps Skill.downloadCount and SkillVersion.downloadCount. installSkill only appends to the install
 * log, so installs of one popular skill never queue on its row; a roll-up adds to the counters what
 * was committed since the last one.
 *
 * Exactly once, whatever crashes and however many workers run it:
 * - Every install row carries its transaction's id (install.xact_id). Ids below the oldest one still
 *   running in this database (the horizon) are all committed or rolled back, so the rows in
 *   [watermark, horizon) are final: a transaction still in flight has an id >= horizon and is counted
 *   by a later roll-up, whenever it commits. (created_at or a sequence would not do: a row can
 *   commit after rows with later values were counted.)
 * - The counters and the watermark move in one transaction: a roll-up that dies moves neither.
 * - Roll-ups take turns on an advisory lock and read the watermark after taking it, so two never
 *   count the same range.
 *
 * What readers get: `downloads` lags installs by up to DOWNLOADS_ROLLUP_INTERVAL_SECONDS, plus the
 * age of the oldest write transaction open in this database at roll-up time (it holds the horizon back).
 */
export class DownloadCounters {
  constructor(private readonly dataSource: DataSource) {}

  /** Adds the installs that became final since the last roll-up to the counters; answers how many. */
  async rollUp(): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      await em.query("SELECT pg_advisory_xact_lock(hashtext('download roll-up'))");
      // A new snapshot, taken after the lock: it sees the watermark the previous roll-up committed.
      // The horizon is the oldest transaction still running, leaving out those positively seen in
      // another database (they cannot have written here; pg_stat_activity compares the low 32 bits,
      // which tell running transactions apart): one database's long transaction does not hold back
      // another's counters. Without the right to see other sessions' xids, it is every running one.
      const [{ watermark, horizon }] = (await em.query(
        `WITH snap AS (SELECT txid_current_snapshot() AS s),
              elsewhere AS (SELECT backend_xid::text::bigint AS xid32 FROM pg_stat_activity WHERE datname <> current_database() AND backend_xid IS NOT NULL)
         SELECT (SELECT watermark FROM download_rollup WHERE id = 1) AS watermark,
                coalesce(
                  (SELECT min(x) FROM snap, txid_snapshot_xip(snap.s) AS x WHERE x % 4294967296 NOT IN (SELECT xid32 FROM elsewhere)),
                  (SELECT txid_snapshot_xmax(s) FROM snap)
                ) AS horizon`,
      )) as { watermark: string; horizon: string }[];
      if (BigInt(horizon) <= BigInt(watermark)) return 0;
      const [{ installs }] = (await em.query(
        `WITH counted AS (
           SELECT skill_id, version_id, count(*)::int AS n FROM install WHERE xact_id >= $1::bigint AND xact_id < $2::bigint GROUP BY skill_id, version_id
         ), per_skill AS (
           SELECT skill_id, sum(n)::int AS n FROM counted GROUP BY skill_id
         ), skills AS (
           UPDATE skill SET download_count = skill.download_count + c.n FROM per_skill c WHERE skill.id = c.skill_id
         ), versions AS (
           UPDATE skill_version SET download_count = skill_version.download_count + c.n FROM counted c WHERE skill_version.id = c.version_id
         ), moved AS (
           UPDATE download_rollup SET watermark = $2::bigint WHERE id = 1
         )
         SELECT coalesce(sum(n), 0)::int AS installs FROM counted`,
        [watermark, horizon],
      )) as { installs: number }[];
      return installs;
    });
  }
}

/**
 * Runs the roll-up on worker processes: once at start-up, before the process serves, and then every
 * DOWNLOADS_ROLLUP_INTERVAL_SECONDS. Several workers may run it; they take turns (the advisory lock),
 * and one process never starts a roll-up while its previous one is still running.
 */
export class DownloadRollupJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      counters: DownloadCounters;
      logger: Logger;
      intervalSeconds: number;
    },
  ) {}

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.deps.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private tick(): Promise<void> {
    this.running ??= this.deps.counters
      .rollUp()
      .then(
        (installs) => {
          if (installs > 0) this.deps.logger.debug("downloads rolled up", { installs });
        },
        (error: unknown) => this.deps.logger.error("download roll-up failed", { message: String(error) }),
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }
}
