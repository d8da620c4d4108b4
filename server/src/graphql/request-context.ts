import type { LiveAccess } from "../common/live-access";
import type { CommunityContext } from "../community/community.context";
import type { EvalsContext } from "../evals/evals.context";
import type { DistributionContext } from "../distribution/distribution.context";
import type { GovernanceContext } from "../governance/governance.context";
import type { TestingContext } from "../testing/testing.context";
import type { UsageContext } from "../usage/usage.context";
import type { WebhookContext } from "../webhooks/webhook.loaders";

/**
 * Everything one request carries: who is asking, the per-request DataLoaders of every domain, and
 * the visibility policy built on them. Built per HTTP request (or per subscription) by the
 * composition root; domains declare the slice they read (CatalogContext, TestingContext, …).
 */
export type RequestContext = CommunityContext & TestingContext & EvalsContext & GovernanceContext & WebhookContext & DistributionContext & UsageContext;

/** A subscription's context: a request context that also re-checks access while it streams. */
export type SubscriptionContext = RequestContext & { readonly live: LiveAccess<RequestContext> };
