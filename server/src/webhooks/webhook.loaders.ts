import type DataLoader from "dataloader";
import { type DataSource, In } from "typeorm";
import { batchLoader, groupBy } from "../common/loader-utils";
import { WebhookDelivery, WebhookDeliveryAttempt, type WebhookDeliveryStatus, type WebhookEventType } from "./webhook.entities";

/** One page of one webhook's deliveries, newest first: `size + 1` rows are read to know if more follow. */
export interface DeliveryPageKey {
  webhookId: string;
  /** Id of the last delivery of the previous page. */
  afterId: string | null;
  size: number;
}

interface DeliveryRow {
  id: string;
  created_at: Date;
  updated_at: Date;
  webhook_id: string;
  event: WebhookEventType;
  audit_event_id: string;
  payload: Record<string, unknown>;
  status: WebhookDeliveryStatus;
  attempt_count: number;
  delivered_at: Date | null;
  ord: string;
}

/**
 * Per-request batch loaders for the webhook admin API, so listing N webhooks with their deliveries and
 * attempts costs three queries, not 1 + N + N×M. One instance per request.
 */
export class WebhookLoaders {
  readonly deliveryPage: DataLoader<DeliveryPageKey, WebhookDelivery[], string>;
  readonly attemptsByDeliveryId: DataLoader<string, WebhookDeliveryAttempt[]>;

  constructor(dataSource: DataSource) {
    this.deliveryPage = batchLoader(async (keys) => loadDeliveryPages(dataSource, keys), {
      cacheKeyFn: (k) => `${k.webhookId}|${k.afterId ?? ""}|${k.size}`,
    });
    this.attemptsByDeliveryId = batchLoader(async (ids) => {
      const rows = await dataSource
        .getRepository(WebhookDeliveryAttempt)
        .find({ where: { deliveryId: In([...ids]) }, order: { deliveryId: "ASC", attempt: "ASC" } });
      return groupBy(ids, rows, (r) => r.deliveryId);
    });
  }
}

/** The slice of a request context that the webhook resolvers read. */
export interface WebhookContext {
  readonly loaders: { readonly webhooks: WebhookLoaders };
}

/** One LATERAL query per distinct page size: each key takes its page from the (webhook_id, created_at) index. */
async function loadDeliveryPages(dataSource: DataSource, keys: readonly DeliveryPageKey[]): Promise<WebhookDelivery[][]> {
  const pages: WebhookDelivery[][] = keys.map(() => []);
  const sizes = [...new Set(keys.map((k) => k.size))];
  for (const size of sizes) {
    const indexes = keys.flatMap((k, i) => (k.size === size ? [i] : []));
    const rows = (await dataSource.query(
      `SELECT k.ord, d.*
         FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS k(webhook_id, after_id, ord)
         CROSS JOIN LATERAL (
           SELECT d.* FROM webhook_delivery d
            WHERE d.webhook_id = k.webhook_id
              AND (k.after_id IS NULL
                   OR (d.created_at, d.id) < (SELECT a.created_at, a.id FROM webhook_delivery a WHERE a.id = k.after_id AND a.webhook_id = k.webhook_id))
            ORDER BY d.created_at DESC, d.id DESC
            LIMIT $3
         ) d
        ORDER BY k.ord, d.created_at DESC, d.id DESC`,
      [indexes.map((i) => keys[i].webhookId), indexes.map((i) => keys[i].afterId), size + 1],
    )) as DeliveryRow[];
    for (const row of rows) pages[indexes[Number(row.ord) - 1]].push(toDelivery(dataSource, row));
  }
  return pages;
}

function toDelivery(dataSource: DataSource, row: DeliveryRow): WebhookDelivery {
  return dataSource.getRepository(WebhookDelivery).create({
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    webhookId: row.webhook_id,
    event: row.event,
    auditEventId: row.audit_event_id,
    payload: row.payload,
    status: row.status,
    attemptCount: row.attempt_count,
    deliveredAt: row.delivered_at,
  });
}
