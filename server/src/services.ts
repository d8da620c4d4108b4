import { ChannelService } from "./catalog/channel.service";
import { PermissionCatalogueService } from "./catalog/permission-catalogue.service";
import { PublishService } from "./catalog/publish.service";
import { SkillSearchService } from "./catalog/skill-search.service";
import { VersionLifecycleService } from "./catalog/version-lifecycle.service";
import { InstallService } from "./community/install.service";
import { ReviewService } from "./community/review.service";
import { ApiTokenService } from "./identity/api-token.service";
import type { DataSource } from "typeorm";
import type { TestQueue } from "./testing/test-queue";
import { TestRunService } from "./testing/test-run.service";
import { AuditService } from "./governance/audit.service";
import { ReviewPolicy } from "./governance/review-policy";
import { VersionReviewService } from "./governance/review.service";
import { LatestVersionService } from "./catalog/latest-version.service";
import { PermissionRisk } from "./catalog/permission.entity";
import type { Config } from "./config";
import { IdentityService } from "./identity/identity.service";
import type { WebhookQueue } from "./webhooks/webhook-queue";
import { WebhookService } from "./webhooks/webhook.service";

/** Stateless domain services, created once per process; their methods take the request context first. */
export function createServices(dataSource: DataSource, testQueue: TestQueue, config: Config, webhookQueue: WebhookQueue) {
  const search = new SkillSearchService();
  const testRuns = new TestRunService(testQueue);
  const audit = new AuditService();
  const latest = new LatestVersionService(search);
  const versionReviews = new VersionReviewService(new ReviewPolicy(PermissionRisk[config.reviewRiskThreshold]), latest, audit);
  return {
    audit,
    latest,
    versionReviews,
    identity: new IdentityService(),
    apiTokens: new ApiTokenService(dataSource),
    permissionCatalogue: new PermissionCatalogueService(),
    search,
    publish: new PublishService(latest, testRuns, versionReviews),
    testRuns,
    channels: new ChannelService(),
    versionLifecycle: new VersionLifecycleService(),
    installs: new InstallService(),
    reviews: new ReviewService(),
    webhooks: new WebhookService(webhookQueue),
  };
}

export type Services = ReturnType<typeof createServices>;
