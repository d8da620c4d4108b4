import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { BaseEntity } from "../common/base.entity";

export enum WebhookEventType {
  REVIEW_REQUESTED = "REVIEW_REQUESTED",
  REVIEW_DECIDED = "REVIEW_DECIDED",
  VERSION_PUBLISHED = "VERSION_PUBLISHED",
  QUALITY_REVIEW_DUE = "QUALITY_REVIEW_DUE",
  /** An API token expires within 7 days (once per token). */
  TOKEN_EXPIRING = "TOKEN_EXPIRING",
}

export enum WebhookDeliveryStatus {
  PENDING = "PENDING",
  SUCCEEDED = "SUCCEEDED",
  FAILED = "FAILED",
}

/** An admin-registered URL that receives signed notifications of governance events. */
@Entity()
export class Webhook extends BaseEntity {
  @Column({ type: "text" })
  url: string;

  @Column({ type: "enum", enum: WebhookEventType, enumName: "webhook_event_type", array: true })
  events: WebhookEventType[];

  /** HMAC-SHA256 key for the signature header; shown once at registration. */
  @Column({ type: "text" })
  secret: string;

  @Column({ type: "boolean", default: true })
  active: boolean;

  @Column({ type: "uuid", nullable: true })
  createdById: string | null;
}

/** One event to deliver to one webhook; retried with backoff until it succeeds or gives up. */
@Entity()
@Index(["webhookId", "createdAt"])
export class WebhookDelivery extends BaseEntity {
  @Column({ type: "uuid" })
  webhookId: string;

  @Column({ type: "enum", enum: WebhookEventType, enumName: "webhook_event_type" })
  event: WebhookEventType;

  /** The audit event that caused it. */
  @Column({ type: "bigint" })
  auditEventId: string;

  @Column({ type: "jsonb" })
  payload: Record<string, unknown>;

  @Column({ type: "enum", enum: WebhookDeliveryStatus, enumName: "webhook_delivery_status", default: WebhookDeliveryStatus.PENDING })
  status: WebhookDeliveryStatus;

  @Column({ type: "integer", default: 0 })
  attemptCount: number;

  @Column({ type: "timestamptz", nullable: true })
  deliveredAt: Date | null;
}

/** Each HTTP attempt of a delivery, so operators can see what the receiver answered. */
@Entity()
@Index(["deliveryId", "attempt"], { unique: true })
export class WebhookDeliveryAttempt {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "uuid" })
  deliveryId: string;

  @Column({ type: "integer" })
  attempt: number;

  @CreateDateColumn({ type: "timestamptz" })
  at: Date;

  @Column({ type: "integer", nullable: true })
  statusCode: number | null;

  @Column({ type: "text", nullable: true })
  error: string | null;

  @Column({ type: "integer" })
  durationMs: number;
}
