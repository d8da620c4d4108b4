import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { DataSource } from "typeorm";
import { Access, AccessRule } from "../identity/access";
import { TokenScope } from "../identity/api-token.entity";
import { type Connection, connectionFromArray, decodeCursor, encodeCursor, PageArgs, pageSize } from "../common/connection";
import type { ViewerContext } from "../identity/viewer";
import { Webhook, type WebhookDelivery, type WebhookDeliveryAttempt } from "./webhook.entities";
import type { WebhookContext } from "./webhook.loaders";
import { globalIdOf, isUuid, type WebhookService } from "./webhook.service";
import {
  CreateWebhookInput,
  CreateWebhookPayload,
  DeleteWebhookPayload,
  WebhookConnection,
  WebhookDeliveryAttemptConnection,
  WebhookDeliveryConnection,
  WebhookDeliveryType,
  WebhookType,
} from "./webhook.types";

function page<T extends { id: string }>(kind: string, rows: T[], size: number, after: string | null, totalCount: number | null): Connection<T> {
  const edges = rows.slice(0, size).map((node) => ({ node, cursor: encodeCursor(kind, node.id) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      hasPreviousPage: Boolean(after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}

@Resolver(() => WebhookType)
export class WebhookResolver {
  constructor(
    private readonly dataSource: DataSource,
    private readonly webhooks: WebhookService,
  ) {}

  @Access(AccessRule.ADMIN, TokenScope.READ)
  @Query(() => WebhookConnection, { name: "webhooks", description: "Registered webhooks (deleted ones too, inactive), newest first. Admins only." })
  async listWebhooks(@Args() args: PageArgs): Promise<Connection<Webhook>> {
    const size = pageSize(args.first);
    const repo = this.dataSource.getRepository(Webhook);
    const query = repo
      .createQueryBuilder("w")
      .orderBy("w.created_at", "DESC")
      .addOrderBy("w.id", "DESC")
      .limit(size + 1);
    if (args.after) {
      const afterId = decodeCursor("webhooks", args.after, isUuid);
      // Keyset on (created_at, id) read from the row itself, so timestamps keep their full precision.
      query.where("(w.created_at, w.id) < (SELECT a.created_at, a.id FROM webhook a WHERE a.id = :afterId)", { afterId });
    }
    const [rows, total] = await Promise.all([query.getMany(), repo.count()]);
    return page("webhooks", rows, size, args.after, total);
  }

  @Access(AccessRule.ADMIN, TokenScope.ADMIN)
  @Mutation(() => CreateWebhookPayload, {
    description: "Registers a URL for governance events; answers its signing secret, shown only this once. Admins only.",
  })
  async createWebhook(@Ctx() ctx: ViewerContext, @Arg("input") input: CreateWebhookInput): Promise<CreateWebhookPayload> {
    return this.webhooks.create(ctx, input);
  }

  @Access(AccessRule.ADMIN, TokenScope.ADMIN)
  @Mutation(() => DeleteWebhookPayload, {
    description: "Deactivates a webhook: it receives nothing more (pending deliveries are given up) but keeps its history. Admins only.",
  })
  async deleteWebhook(@Ctx() ctx: ViewerContext, @Arg("id", () => ID) id: string): Promise<DeleteWebhookPayload> {
    return { webhook: await this.webhooks.delete(ctx, id) };
  }

  @FieldResolver(() => ID)
  id(@Root() webhook: Webhook): string {
    return globalIdOf("Webhook", webhook.id);
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: "Newest first." })
  async deliveries(@Ctx() ctx: WebhookContext, @Root() webhook: Webhook, @Args() args: PageArgs): Promise<Connection<WebhookDelivery>> {
    const size = pageSize(args.first);
    const afterId = args.after ? decodeCursor("webhookDeliveries", args.after, isUuid) : null;
    const rows = await ctx.loaders.webhooks.deliveryPage.load({ webhookId: webhook.id, afterId, size });
    return page("webhookDeliveries", rows, size, args.after, null);
  }
}

@Resolver(() => WebhookDeliveryType)
export class WebhookDeliveryResolver {
  @FieldResolver(() => ID)
  id(@Root() delivery: WebhookDelivery): string {
    return globalIdOf("WebhookDelivery", delivery.id);
  }

  @FieldResolver(() => WebhookDeliveryAttemptConnection, { description: "Oldest first." })
  async attempts(@Ctx() ctx: WebhookContext, @Root() delivery: WebhookDelivery, @Args() args: PageArgs): Promise<Connection<WebhookDeliveryAttempt>> {
    return connectionFromArray("webhookAttempts", await ctx.loaders.webhooks.attemptsByDeliveryId.load(delivery.id), args);
  }
}

export const WEBHOOK_RESOLVERS = [WebhookResolver, WebhookDeliveryResolver] as const;
