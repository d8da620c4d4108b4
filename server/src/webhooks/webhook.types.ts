import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { connectionTypes } from "../common/connection";
import { WebhookDeliveryStatus, WebhookEventType } from "./webhook.entities";

registerEnumType(WebhookEventType, {
  name: "WebhookEventType",
  valuesConfig: {
    REVIEW_REQUESTED: { description: "A version needs human review before it can be published." },
    REVIEW_DECIDED: { description: "A reviewer approved or rejected a version (`action` in the payload says which)." },
    VERSION_PUBLISHED: { description: "A version became PUBLISHED (installable)." },
    QUALITY_REVIEW_DUE: { description: "A skill's quality review fell due (its usage tier's cadence passed, or a platform update for a Low-tier skill)." },
  },
});
registerEnumType(WebhookDeliveryStatus, {
  name: "WebhookDeliveryStatus",
  valuesConfig: {
    PENDING: { description: "Not delivered yet; retried with backoff." },
    SUCCEEDED: { description: "The receiver answered 2xx." },
    FAILED: { description: "Every attempt failed, or the webhook was deleted first." },
  },
});

@ObjectType("WebhookDeliveryAttempt", { description: "One HTTP POST of a delivery and what the receiver answered." })
export class WebhookDeliveryAttemptType {
  @Field(() => Int, { description: "1 for the first try." })
  attempt: number;

  @Field()
  at: Date;

  @Field(() => Int, { nullable: true, description: "The receiver's HTTP status; null when none arrived (network error, timeout)." })
  statusCode: number | null;

  @Field(() => String, { nullable: true })
  error: string | null;

  @Field(() => Int)
  durationMs: number;
}

export const { ConnectionType: WebhookDeliveryAttemptConnection } = connectionTypes("WebhookDeliveryAttempt", WebhookDeliveryAttemptType);

@ObjectType("WebhookDelivery", { description: "One event sent (or to be sent) to one webhook." })
export class WebhookDeliveryType {
  @Field(() => ID)
  id: string;

  @Field(() => WebhookEventType)
  event: WebhookEventType;

  @Field(() => WebhookDeliveryStatus)
  status: WebhookDeliveryStatus;

  @Field(() => Int)
  attemptCount: number;

  @Field(() => Date, { nullable: true, description: "When the receiver accepted it." })
  deliveredAt: Date | null;

  @Field()
  createdAt: Date;

  @Field(() => GraphQLJSONObject, { description: "The exact JSON body POSTed to the receiver." })
  payload: Record<string, unknown>;
}

export const { ConnectionType: WebhookDeliveryConnection } = connectionTypes("WebhookDelivery", WebhookDeliveryType);

@ObjectType("Webhook", { description: "A URL that receives signed governance events. Its secret is shown only when it is created." })
export class WebhookType {
  @Field(() => ID)
  id: string;

  @Field()
  url: string;

  @Field(() => [WebhookEventType])
  events: WebhookEventType[];

  @Field({ description: "False once deleted; deleted webhooks receive nothing but keep their delivery history." })
  active: boolean;

  @Field()
  createdAt: Date;
}

export const { ConnectionType: WebhookConnection } = connectionTypes("Webhook", WebhookType);

@InputType()
export class CreateWebhookInput {
  @Field({ description: "An http:// or https:// URL without credentials; receives POSTs of JSON." })
  url: string;

  @Field(() => [WebhookEventType], { description: "At least one." })
  events: WebhookEventType[];
}

@ObjectType()
export class CreateWebhookPayload {
  @Field(() => WebhookType)
  webhook: WebhookType;

  @Field({ description: "The HMAC-SHA256 key for `x-skillyard-signature`. Shown only now: store it." })
  secret: string;
}

@ObjectType()
export class DeleteWebhookPayload {
  @Field(() => WebhookType)
  webhook: WebhookType;
}
