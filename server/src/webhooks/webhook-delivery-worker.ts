import { createHmac } from "node:crypto";
import type PgBoss from "pg-boss";
import type { DataSource } from "typeorm";
import type { Logger } from "../common/logger";
import type { Metrics } from "../observability/metrics";
import { Webhook, WebhookDelivery, WebhookDeliveryAttempt, WebhookDeliveryStatus } from "./webhook.entities";
import type { WebhookDeliveryJob, WebhookQueue } from "./webhook-queue";
import type { AttemptResult, WebhookTransport } from "./webhook-transport";

/** Deliveries in flight per process; each waits at most WEBHOOK_TIMEOUT_MS for its receiver. */
const DELIVERY_CONCURRENCY = 4;

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: what receivers recompute to verify a delivery. */
export function signWebhookBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * POSTs webhook deliveries. One pg-boss job per delivery; each HTTP attempt is recorded, a 2xx ends
 * it as SUCCEEDED, anything else throws so pg-boss retries with exponential backoff until the job's
 * retry limit, after which the delivery is FAILED. Where an attempt may go is WebhookTransport's
 * business (internal addresses refused, checked when connecting and on every redirect). Stopping is
 * the queue's: pg-boss stops polling, and a job cut off mid-attempt expires and runs again.
 */
export class WebhookDeliveryWorker {
  constructor(
    private readonly deps: {
      dataSource: DataSource;
      logger: Logger;
      queue: WebhookQueue;
      transport: WebhookTransport;
      metrics: Pick<Metrics, "webhookDelivery">;
    },
  ) {}

  async start(): Promise<void> {
    await this.deps.queue.work(DELIVERY_CONCURRENCY, (job) => this.handle(job));
  }

  private async handle(job: PgBoss.JobWithMetadata<WebhookDeliveryJob>): Promise<void> {
    const { dataSource, logger } = this.deps;
    const { deliveryId } = job.data;
    const delivery = await dataSource.getRepository(WebhookDelivery).findOneBy({ id: deliveryId });
    if (!delivery || delivery.status !== WebhookDeliveryStatus.PENDING) return;
    const webhook = await dataSource.getRepository(Webhook).findOneBy({ id: delivery.webhookId });
    if (!webhook?.active) {
      // Deleted after the event: nothing is sent.
      await dataSource
        .getRepository(WebhookDelivery)
        .update({ id: delivery.id, status: WebhookDeliveryStatus.PENDING }, { status: WebhookDeliveryStatus.FAILED });
      return;
    }
    const result = await this.post(webhook, delivery);
    const lastAttempt = job.retryCount >= job.retryLimit;
    const status = result.ok ? WebhookDeliveryStatus.SUCCEEDED : lastAttempt ? WebhookDeliveryStatus.FAILED : WebhookDeliveryStatus.PENDING;
    const recorded = await dataSource.transaction(async (em) => {
      const current = await em.getRepository(WebhookDelivery).findOne({ where: { id: delivery.id }, lock: { mode: "pessimistic_write" } });
      if (!current) return false;
      const attempt = current.attemptCount + 1;
      await em
        .getRepository(WebhookDeliveryAttempt)
        .insert({ deliveryId: current.id, attempt, statusCode: result.statusCode, error: result.error, durationMs: result.durationMs });
      // The webhook may have been deleted during the attempt, which already settled the delivery.
      const settle = current.status === WebhookDeliveryStatus.PENDING ? { status, deliveredAt: result.ok ? new Date() : null } : {};
      await em.getRepository(WebhookDelivery).update(current.id, { attemptCount: attempt, ...settle });
      return true;
    });
    // One count per attempt recorded; the last failed attempt is the delivery's death.
    if (recorded) this.deps.metrics.webhookDelivery(delivery.event, result.ok ? "delivered" : lastAttempt ? "dead" : "failed");
    if (!result.ok) {
      logger.warn("webhook delivery attempt failed", {
        deliveryId,
        webhookId: webhook.id,
        statusCode: result.statusCode,
        error: result.error,
        willRetry: !lastAttempt,
      });
      // Failing the job is what makes pg-boss retry (or, after the last attempt, keep it as failed).
      throw new Error(`webhook delivery failed: ${result.error}`);
    }
  }

  /** One HTTP attempt (redirects included); never throws. */
  private post(webhook: Webhook, delivery: WebhookDelivery): Promise<AttemptResult> {
    const body = JSON.stringify(delivery.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    return this.deps.transport.post(
      webhook.url,
      {
        "content-type": "application/json",
        "user-agent": "Skillyard-Webhooks/1",
        "x-skillyard-event": delivery.event,
        "x-skillyard-delivery": String(delivery.payload.id),
        "x-skillyard-timestamp": String(timestamp),
        "x-skillyard-signature": signWebhookBody(webhook.secret, timestamp, body),
      },
      body,
    );
  }
}
