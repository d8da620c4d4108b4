import { randomBytes, randomUUID } from "node:crypto";
import type { DataSource, EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { AuditAction, type AuditEvent } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { requireViewer, type ViewerContext } from "../identity/viewer";
import { Webhook, WebhookDelivery, WebhookDeliveryStatus, WebhookEventType } from "./webhook.entities";
import type { WebhookQueue } from "./webhook-queue";
import type { AddressPolicy } from "./webhook-targets";
import { targetProblem } from "./webhook-transport";

const URL_MAX_LENGTH = 2048;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const isUuid = (v: unknown): v is string => typeof v === "string" && UUID.test(v);

/** Which audited actions are announced to webhooks, and as which event. */
const EVENT_OF_ACTION: Partial<Record<AuditAction, WebhookEventType>> = {
  [AuditAction.REVIEW_REQUESTED]: WebhookEventType.REVIEW_REQUESTED,
  [AuditAction.APPROVE]: WebhookEventType.REVIEW_DECIDED,
  [AuditAction.REJECT]: WebhookEventType.REVIEW_DECIDED,
  [AuditAction.VERSION_PUBLISHED]: WebhookEventType.VERSION_PUBLISHED,
  [AuditAction.QUALITY_REVIEW_DUE]: WebhookEventType.QUALITY_REVIEW_DUE,
  [AuditAction.TOKEN_EXPIRING]: WebhookEventType.TOKEN_EXPIRING,
};

export function webhookEventOf(action: AuditAction): WebhookEventType | null {
  return EVENT_OF_ACTION[action] ?? null;
}

/** Opaque ids in the same `base64url("<Type>:<id>")` form as every other global id. */
export function globalIdOf(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`, "utf8").toString("base64url");
}

/** Decodes a `<type>` global id wrapping a uuid, or answers null. */
export function uuidFromGlobalId(globalId: string, type: "Webhook" | "WebhookDelivery"): string | null {
  const decoded = Buffer.from(globalId, "base64url").toString("utf8");
  const prefix = `${type}:`;
  if (!decoded.startsWith(prefix)) return null;
  const id = decoded.slice(prefix.length);
  return isUuid(id) ? id : null;
}

/**
 * http(s) only, no credentials, absolute, and (unless private targets are allowed) not an internal
 * address written as an IP literal in any form the URL parser accepts (decimal, hex, short, IPv4-
 * mapped IPv6) nor a localhost name; host names are checked again at every delivery. Answers the
 * normalised URL.
 */
export function validateWebhookUrl(raw: string, addresses: AddressPolicy): string {
  const bad = (why: string) => new SkillyardError("BAD_USER_INPUT", `The webhook URL ${why}.`, { argument: "url" });
  if (raw.length > URL_MAX_LENGTH) throw bad(`is longer than ${URL_MAX_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw bad("is not a valid absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw bad("must use http or https");
  if (url.username || url.password) throw bad("must not contain credentials (use the signature to authenticate deliveries)");
  if (!url.hostname) throw bad("has no host");
  if (targetProblem(url, addresses)) {
    throw bad(
      "points at a loopback, private, link-local or otherwise internal address (allowed only with WEBHOOK_ALLOW_PRIVATE_TARGETS=true, for tests and labs)",
    );
  }
  // Fragments are never sent over HTTP; dropping them keeps the stored URL what is actually called.
  url.hash = "";
  return url.toString();
}

function validateEvents(events: WebhookEventType[]): WebhookEventType[] {
  const unique = [...new Set(events)];
  if (unique.length === 0) throw new SkillyardError("BAD_USER_INPUT", "Subscribe the webhook to at least one event.", { argument: "events" });
  const order = Object.values(WebhookEventType);
  return unique.sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/** Generates the HMAC key shown once to the admin (`whsec_` + 32 random bytes). */
function generateSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/** Only the origin goes into the audit log: webhook URLs often carry tokens in their path or query. */
function auditView(webhook: Webhook): Record<string, unknown> {
  return { origin: new URL(webhook.url).origin, events: webhook.events, active: webhook.active };
}

/**
 * Registers webhooks and turns audited governance actions into signed deliveries. Deliveries and
 * their jobs are written in the transaction that records the action (see `onAuditEvent`).
 */
export class WebhookService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly queue: WebhookQueue,
    private readonly addresses: AddressPolicy,
  ) {}

  async create(ctx: ViewerContext, input: { url: string; events: WebhookEventType[] }): Promise<{ webhook: Webhook; secret: string }> {
    const viewer = requireViewer(ctx);
    const url = validateWebhookUrl(input.url, this.addresses);
    const events = validateEvents(input.events);
    const secret = generateSecret();
    const webhook = await this.dataSource.transaction(async (em) => {
      const saved = await em.getRepository(Webhook).save(em.getRepository(Webhook).create({ url, events, secret, active: true, createdById: viewer.user.id }));
      await this.audit.record(em, {
        actorId: viewer.user.id,
        action: AuditAction.WEBHOOK_CREATE,
        targetType: "Webhook",
        targetId: saved.id,
        after: auditView(saved),
      });
      return saved;
    });
    return { webhook, secret };
  }

  /** Deactivates (its delivery history stays queryable) and gives up its pending deliveries. Idempotent. */
  async delete(ctx: ViewerContext, globalId: string): Promise<Webhook> {
    const viewer = requireViewer(ctx);
    const id = uuidFromGlobalId(globalId, "Webhook");
    if (!id) throw new SkillyardError("BAD_USER_INPUT", `"${globalId}" is not a Webhook id.`, { argument: "id" });
    return this.dataSource.transaction(async (em) => {
      const webhook = await em.getRepository(Webhook).findOne({ where: { id }, lock: { mode: "pessimistic_write" } });
      if (!webhook) throw new SkillyardError("NOT_FOUND", "No webhook has this id.", { argument: "id" });
      if (!webhook.active) return webhook;
      const before = auditView(webhook);
      webhook.active = false;
      await em.getRepository(Webhook).update(webhook.id, { active: false });
      // Deliveries still waiting are given up; their jobs then find nothing to do.
      await em
        .getRepository(WebhookDelivery)
        .update({ webhookId: webhook.id, status: WebhookDeliveryStatus.PENDING }, { status: WebhookDeliveryStatus.FAILED });
      await this.audit.record(em, {
        actorId: viewer.user.id,
        action: AuditAction.WEBHOOK_DELETE,
        targetType: "Webhook",
        targetId: webhook.id,
        before,
        after: auditView(webhook),
      });
      return webhook;
    });
  }

  /** Audit listener: one delivery (and one job) per active webhook subscribed to the event, in the caller's transaction. */
  readonly onAuditEvent = async (em: EntityManager, event: AuditEvent): Promise<void> => {
    const type = webhookEventOf(event.action);
    if (!type) return;
    const webhooks = await em
      .getRepository(Webhook)
      .createQueryBuilder("w")
      .select(["w.id"])
      .where("w.active = true")
      .andWhere("CAST(:event AS webhook_event_type) = ANY(w.events)", { event: type })
      .getMany();
    for (const webhook of webhooks) {
      const id = randomUUID();
      const payload = deliveryPayload(id, type, event);
      const deliveries = em.getRepository(WebhookDelivery);
      await deliveries.save(
        deliveries.create({ id, webhookId: webhook.id, event: type, auditEventId: event.id, payload, status: WebhookDeliveryStatus.PENDING, attemptCount: 0 }),
      );
      await this.queue.enqueue(em, { deliveryId: id });
    }
  };
}

/** The JSON body every receiver gets; ids are global ids as in the GraphQL API. */
function deliveryPayload(deliveryId: string, type: WebhookEventType, event: AuditEvent): Record<string, unknown> {
  return {
    id: globalIdOf("WebhookDelivery", deliveryId),
    event: type,
    occurredAt: (event.at ?? new Date()).toISOString(),
    auditEventId: globalIdOf("AuditEvent", event.id),
    action: event.action,
    target: { type: event.targetType, id: globalIdOf(event.targetType, event.targetId) },
    skillId: event.skillId ? globalIdOf("Skill", event.skillId) : null,
    actorId: event.actorId ? globalIdOf("User", event.actorId) : null,
    before: event.before,
    after: event.after,
  };
}
