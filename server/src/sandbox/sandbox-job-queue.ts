import PgBoss from "pg-boss";
import type { EntityManager } from "typeorm";
import type { Logger } from "../common/logger";
import { createQueueInTurn } from "../common/pg-boss-queues";
import type { PgNotificationListener } from "../common/pg-notifications";

/**
 * Durable sandbox jobs in PostgreSQL (pg-boss, in its own `pgboss` schema which the library
 * migrates itself), one queue per kind of run (tests, evals). A job is enqueued in the transaction
 * that asks for it, so a publish and its job commit or vanish together.
 *
 * Workers are woken, not left to poll: `enqueue` also NOTIFYs the queue's channel in that
 * transaction, which PostgreSQL delivers only at commit, so whoever wakes finds the job. Every
 * worker process LISTENs (on its one PgNotificationListener) and wakes its pollers at once, in
 * any process. Their own poll, every `pollSeconds`, is the fallback for what no notification
 * announces: retries falling due (pg-boss makes them available after a delay, silently) and
 * notifications lost with a dropped LISTEN connection.
 */
export class SandboxJobQueue<J extends object> {
  private readonly boss: PgBoss;
  /** The NOTIFY channel of this queue: `skillyard_jobs_test_run` for "test-run". */
  readonly channel: string;
  private readonly pollSeconds: number;
  /** This process's pg-boss workers of the queue, woken by a notification. */
  private readonly workerIds: string[] = [];
  private unlisten: (() => void) | null = null;

  constructor(
    private readonly name: string,
    private readonly databaseUrl: string,
    private readonly logger: Logger,
    options: { infraRetries: number; infraRetryDelaySeconds: number; expireInSeconds: number; pollSeconds: number },
  ) {
    this.channel = `skillyard_jobs_${name.replace(/-/g, "_")}`;
    this.pollSeconds = options.pollSeconds;
    this.boss = new PgBoss({
      connectionString: databaseUrl,
      application_name: "skillyard-jobs",
      max: 4,
      retryLimit: options.infraRetries,
      retryDelay: options.infraRetryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: options.expireInSeconds,
      // Crash recovery is ours (run locks, see TestRunWorker); the supervisor only archives.
      maintenanceIntervalSeconds: 60,
    });
    this.boss.on("error", (error: Error) => this.logger.error(`${this.name} job queue error`, { message: error.message }));
  }

  async start(): Promise<void> {
    await this.boss.start();
    await createQueueInTurn(this.boss, this.name, this.databaseUrl);
  }

  async stop(): Promise<void> {
    this.unlisten?.();
    await this.boss.stop({ graceful: false, wait: true });
  }

  /** Enqueues within the caller's transaction, and wakes the workers once it commits. */
  async enqueue(em: EntityManager, job: J): Promise<string> {
    const id = await this.boss.send(this.name, job, {
      db: { executeSql: async (text: string, values: unknown[]) => ({ rows: (await em.query(text, values)) as unknown[] }) },
    });
    if (!id) throw new Error(`pg-boss refused the ${this.name} job`);
    // Delivered at commit, never on rollback: a woken worker always finds the job.
    await em.query(`SELECT pg_notify($1, '')`, [this.channel]);
    return id;
  }

  /**
   * Starts `concurrency` pollers; each handles one job at a time. Throwing makes pg-boss retry with
   * backoff. `notifications` wakes them whenever a job is enqueued, by any process.
   */
  async work(concurrency: number, handler: (job: PgBoss.JobWithMetadata<J>) => Promise<void>, notifications: PgNotificationListener): Promise<void> {
    // LISTEN before the first fetch: a job committed earlier is found by that fetch, a later one announced.
    this.unlisten = await notifications.listen(this.channel, () => this.wake());
    for (let i = 0; i < concurrency; i++) {
      const id = await this.boss.work<J>(this.name, { batchSize: 1, pollingIntervalSeconds: this.pollSeconds, includeMetadata: true }, async ([job]) =>
        handler(job),
      );
      this.workerIds.push(id);
    }
  }

  /**
   * Every poller fetches now: an idle one at once, a busy one as soon as its job is done (pg-boss
   * then skips its wait). One gets the job (SKIP LOCKED); the others find nothing and wait again.
   */
  private wake(): void {
    for (const id of this.workerIds) this.boss.notifyWorker(id);
  }

  /** Jobs waiting to run (created, or failed and waiting for a retry); for /metrics. */
  async size(): Promise<number> {
    return this.boss.getQueueSize(this.name);
  }

  /** Hands a job whose worker died back to pg-boss, which retries it (or fails it for good). */
  async failJob(jobId: string, reason: string): Promise<void> {
    await this.boss.fail(this.name, jobId, { reason });
  }
}
