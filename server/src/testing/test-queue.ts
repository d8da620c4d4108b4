import PgBoss from "pg-boss";
import type { EntityManager } from "typeorm";
import type { Logger } from "../common/logger";

export const TEST_RUN_QUEUE = "test-run";

export interface TestRunJob {
  testRunId: string;
}

/**
 * Durable test-run jobs in PostgreSQL (pg-boss, in its own `pgboss` schema which the library
 * migrates itself). A job is enqueued in the publishing transaction, so a publish and its job
 * commit or vanish together.
 */
export class TestQueue {
  private readonly boss: PgBoss;

  constructor(
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
    this.boss.on("error", (error: Error) => this.logger.error("job queue error", { message: error.message }));
  }

  async start(): Promise<void> {
    await this.boss.start();
    await this.boss.createQueue(TEST_RUN_QUEUE);
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true });
  }

  /** Enqueues within the caller's transaction. */
  async enqueue(em: EntityManager, job: TestRunJob): Promise<string> {
    const id = await this.boss.send(TEST_RUN_QUEUE, job, {
      db: { executeSql: async (text: string, values: unknown[]) => ({ rows: (await em.query(text, values)) as unknown[] }) },
    });
    if (!id) throw new Error("pg-boss refused the test-run job");
    return id;
  }

  /** Starts `concurrency` pollers; each handles one job at a time. Throwing makes pg-boss retry with backoff. */
  async work(concurrency: number, handler: (job: PgBoss.JobWithMetadata<TestRunJob>) => Promise<void>): Promise<void> {
    for (let i = 0; i < concurrency; i++) {
      await this.boss.work<TestRunJob>(TEST_RUN_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5, includeMetadata: true }, async ([job]) => handler(job));
    }
  }

  /** Hands a job whose worker died back to pg-boss, which retries it (or fails it for good). */
  async failJob(jobId: string, reason: string): Promise<void> {
    await this.boss.fail(TEST_RUN_QUEUE, jobId, { reason });
  }
}
