import PgBoss from "pg-boss";
import type { EntityManager } from "typeorm";
import type { Logger } from "../common/logger";
import { createQueueInTurn } from "../common/pg-boss-queues";
import type { WebhookConfig } from "../config";

export const WEBHOOK_DELIVERY_QUEUE = "webhook-delivery";

export interface WebhookDeliveryJob {
  deliveryId: string;
}

/**
 * Durable webhook-delivery jobs (pg-boss, same `pgboss` schema as the test-run queue, own queue).
 * A job is enqueued in the transaction that records the audit event, so an event, its deliveries
 * and their jobs commit or vanish together. Retries and their backoff are pg-boss's: each job
 * carries its own retry settings, so a changed configuration applies to new deliveries at once.
 */
export class WebhookQueue {
  private readonly boss: PgBoss;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
    private readonly config: WebhookConfig,
  ) {
    this.boss = new PgBoss({
      connectionString: databaseUrl,
      application_name: "skillyard-webhooks",
      max: 2,
      maintenanceIntervalSeconds: 60,
    });
    this.boss.on("error", (error: Error) => this.logger.error("webhook queue error", { message: error.message }));
  }

  async start(): Promise<void> {
    await this.boss.start();
    await createQueueInTurn(this.boss, WEBHOOK_DELIVERY_QUEUE, this.databaseUrl);
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true });
  }

  /** Enqueues within the caller's transaction. */
  async enqueue(em: EntityManager, job: WebhookDeliveryJob): Promise<string> {
    const { maxAttempts, retryDelaySeconds, timeoutMs } = this.config;
    const id = await this.boss.send(WEBHOOK_DELIVERY_QUEUE, job, {
      retryLimit: maxAttempts - 1,
      retryDelay: retryDelaySeconds,
      retryBackoff: true,
      // An attempt ends within the timeout; expiry only catches a worker that died mid-attempt.
      expireInSeconds: Math.ceil(timeoutMs / 1000) + 60,
      db: { executeSql: async (text: string, values: unknown[]) => ({ rows: (await em.query(text, values)) as unknown[] }) },
    });
    if (!id) throw new Error("pg-boss refused the webhook-delivery job");
    return id;
  }

  /** Deliveries waiting to be attempted (new, or failed and waiting for a retry); for /metrics. */
  async size(): Promise<number> {
    return this.boss.getQueueSize(WEBHOOK_DELIVERY_QUEUE);
  }

  /** Starts `concurrency` pollers; each handles one job at a time. Throwing makes pg-boss retry with backoff. */
  async work(concurrency: number, handler: (job: PgBoss.JobWithMetadata<WebhookDeliveryJob>) => Promise<void>): Promise<void> {
    for (let i = 0; i < concurrency; i++) {
      await this.boss.work<WebhookDeliveryJob>(WEBHOOK_DELIVERY_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5, includeMetadata: true }, async ([job]) =>
        handler(job),
      );
    }
  }
}
