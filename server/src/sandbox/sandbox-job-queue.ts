import PgBoss from "pg-boss";
import type { EntityManager } from "typeorm";
import type { Logger } from "../common/logger";

/**
 * Durable sandbox jobs in PostgreSQL (pg-boss, in its own `pgboss` schema which the library
 * migrates itself), one queue per kind of run (tests, evals). A job is enqueued in the transaction
 * that asks for it, so a publish and its job commit or vanish together.
 */
export class SandboxJobQueue<J extends object> {
  private readonly boss: PgBoss;

  constructor(
    private readonly name: string,
    databaseUrl: string,
    private readonly logger: Logger,
    options: { infraRetries: number; infraRetryDelaySeconds: number; expireInSeconds: number },
  ) {
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
    await this.boss.createQueue(this.name);
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true });
  }

  /** Enqueues within the caller's transaction. */
  async enqueue(em: EntityManager, job: J): Promise<string> {
    const id = await this.boss.send(this.name, job, {
      db: { executeSql: async (text: string, values: unknown[]) => ({ rows: (await em.query(text, values)) as unknown[] }) },
    });
    if (!id) throw new Error(`pg-boss refused the ${this.name} job`);
    return id;
  }

  /** Starts `concurrency` pollers; each handles one job at a time. Throwing makes pg-boss retry with backoff. */
  async work(concurrency: number, handler: (job: PgBoss.JobWithMetadata<J>) => Promise<void>): Promise<void> {
    for (let i = 0; i < concurrency; i++) {
      await this.boss.work<J>(this.name, { batchSize: 1, pollingIntervalSeconds: 0.5, includeMetadata: true }, async ([job]) => handler(job));
    }
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
