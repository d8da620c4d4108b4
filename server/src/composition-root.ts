import { createHash } from "node:crypto";
import Dockerode from "dockerode";
import type { DataSource } from "typeorm";
import type { ContainerType } from "type-graphql";
import type { GraphQLSchema } from "graphql";
import { AuditService } from "./audit/audit.service";
import { createCatalogLoaders } from "./catalog/catalog.loaders";
import {
  CatalogQueryResolver,
  DependencyFieldsResolver,
  SkillResolver,
  SkillVersionResolver,
  TeamReferenceResolver,
  UserReferenceResolver,
  VersionPermissionResolver,
} from "./catalog/catalog.resolver";
import { ChannelResolver, DeprecationResolver, SkillChannelsResolver, VersionLifecycleResolver } from "./catalog/channel.resolver";
import { ChannelService } from "./catalog/channel.service";
import { LatestVersionService } from "./catalog/latest-version.service";
import { PermissionRisk } from "./catalog/permission.entity";
import { PermissionAdminResolver } from "./catalog/permission.resolver";
import { PermissionCatalogueService } from "./catalog/permission-catalogue.service";
import { PublicPackages } from "./catalog/public-packages";
import { PublishPipeline } from "./catalog/publish-pipeline";
import { PublishService } from "./catalog/publish.service";
import { SkillSearchService } from "./catalog/skill-search.service";
import { VersionLifecycle } from "./catalog/version-lifecycle";
import { VisibilityPolicy } from "./catalog/visibility";
import { YankAndDeprecateService } from "./catalog/yank-and-deprecate.service";
import type { Logger } from "./common/logger";
import { PeriodicTask } from "./common/periodic-task";
import { PgNotificationListener } from "./common/pg-notifications";
import { Pool } from "pg";
import {
  CommunityMutationResolver,
  RatingResolver,
  SkillStatsResolver,
  SkillVersionStatsResolver,
  TenantInstallsResolver,
} from "./community/community.resolver";
import { createCommunityLoaders } from "./community/community.loaders";
import { DownloadCounters, DownloadRollupJob } from "./community/download-counters";
import { InstallService } from "./community/install.service";
import { RatingService } from "./community/rating.service";
import { archiveLimits, type Config } from "./config";
import { AuditResolver } from "./governance/audit.resolver";
import { createGovernanceLoaders } from "./governance/governance.loaders";
import { ReviewGate } from "./governance/review-gate";
import { ReviewPolicy } from "./governance/review-policy";
import {
  FileChangeResolver,
  ReviewDecisionResolver,
  ReviewedVersionResolver,
  ReviewerCredentialResolver,
  ReviewRequestResolver,
} from "./governance/review.resolver";
import { VersionReviewService } from "./governance/review.service";
import type { BuiltSubgraph } from "./graphql/subgraphs";
import { buildSubgraphs } from "./graphql/subgraphs";
import { buildExecutableSchema } from "./graphql/executable-schema";
import type { RequestContext } from "./graphql/request-context";
import { ApiTokenService } from "./identity/api-token.service";
import { createIdentityLoaders } from "./identity/identity.loaders";
import { createDistributionLoaders } from "./distribution/distribution.loaders";
import { DistributionCredentialsService } from "./distribution/distribution-credentials.service";
import { DistributionResolver, SkillVersionPluginResolver } from "./distribution/distribution.resolver";
import { ManagedSettingsService } from "./distribution/managed-settings.service";
import { MarketplaceCatalogService } from "./distribution/marketplace-catalog";
import { PluginBundleService } from "./distribution/plugin-bundle.service";
import { RequiredSkillsService } from "./distribution/required-skills.service";
import { RuntimePolicyService } from "./distribution/runtime-policy.service";
import { ApiTokenResolver, PendingInvitationResolver, TeamMembershipResolver, TeamResolver, UserResolver } from "./identity/identity.resolver";
import { IdentityService, TOKEN_REVOKED_CHANNEL } from "./identity/identity.service";
import { TokenExpiryWarnings } from "./identity/token-expiry";
import { TokenLastUsed } from "./identity/token-last-used";
import type { Viewer } from "./identity/viewer";
import type { BlobStore } from "./packages/blob-store";
import { BlobScrubber } from "./packages/blob-scrubber";
import { FileBlobStore } from "./packages/file-blob-store";
import { S3BlobStore } from "./packages/s3-blob-store";
import { PublicUrl } from "./packages/public-url";
import { pgPoolCounts } from "./observability/db-pool";
import { Metrics, type MetricsRole } from "./observability/metrics";
import { SandboxJobQueue } from "./sandbox/sandbox-job-queue";
import { EvalSandbox, evalHarnessSha256 } from "./sandbox/eval-sandbox";
import { EvalGate, EvalReviewTrigger } from "./evals/eval-gate";
import { EVAL_JUDGE_DEFAULTS, type EvalJudge, MessagesApiJudge, NoJudge } from "./evals/eval-judge";
import { EVAL_RUN_QUEUE, type EvalQueue, EvalRunService } from "./evals/eval-run.service";
import { EvalRunWorker } from "./evals/eval-run-worker";
import { EvalRunEventResolver, EvalRunResolver, evalRunEventsSubscriber, SkillEvalsResolver, SkillVersionEvalsResolver } from "./evals/evals.resolver";
import { createEvalLoaders } from "./evals/evals.loaders";
import { SandboxRunner } from "./sandbox/sandbox-runner";
import { TestGate } from "./testing/test-gate";
import { TestRunEventHub } from "./testing/test-run-events";
import { TEST_RUN_QUEUE, type TestQueue, TestRunService } from "./testing/test-run.service";
import { TestRunWorker } from "./testing/test-run-worker";
import { SkillVersionTestsResolver, TestRunResolver, testRunEventsSubscriber } from "./testing/testing.resolver";
import { createTestingLoaders } from "./testing/testing.loaders";
import { WebhookDeliveryWorker } from "./webhooks/webhook-delivery-worker";
import { WebhookQueue } from "./webhooks/webhook-queue";
import { WebhookLoaders } from "./webhooks/webhook.loaders";
import { WebhookDeliveryResolver, WebhookResolver } from "./webhooks/webhook.resolver";
import { WebhookService } from "./webhooks/webhook.service";
import { ScimService } from "./scim/scim.service";
import { DirectoryProvisioning } from "./sso/directory-provisioning";
import { GroupMappingResolver } from "./sso/group-mapping.resolver";
import { GroupMappingService } from "./sso/group-mapping.service";
import { OidcClient } from "./sso/oidc-client";
import { SessionService } from "./sso/session.service";
import { SignInService } from "./sso/sign-in.service";
import { type AddressPolicy, anyAddress, type HostLookup, publicAddressesOnly, systemLookup } from "./webhooks/webhook-targets";
import { WebhookTransport } from "./webhooks/webhook-transport";
import { QualityReviewService } from "./usage/quality-reviews.service";
import { UsageEventStore } from "./usage/usage-event-store";
import { UsageIngestService } from "./usage/usage-ingest.service";
import { UsageJobs } from "./usage/usage-jobs";
import { createUsageLoaders } from "./usage/usage.loaders";
import { SkillUsageResolver, UsageQueryResolver } from "./usage/usage.resolver";
import { UsageTierReviewTrigger } from "./usage/usage-tier-review-trigger";
import { UsageTierService } from "./usage/usage-tiers.service";

/** How often workers look for tokens to announce as expiring (they are announced a week ahead). */
const TOKEN_EXPIRY_CHECK_INTERVAL_MS = 3_600_000;

/**
 * Which sandboxes belong to this installation: several installations (or test databases) may share
 * one Docker host, and each worker's orphan sweep must only ever touch its own. Derived from the
 * database every worker of one installation shares (host, port, name), unless SANDBOX_SCOPE says.
 */
export function sandboxScope(databaseUrl: string, configured: string | undefined): string {
  if (configured) return configured;
  const url = new URL(databaseUrl);
  return createHash("sha256")
    .update(`${url.hostname}:${url.port || "5432"}${url.pathname}`)
    .digest("hex")
    .slice(0, 16);
}

/** The wired services, for the entry points (HTTP routes, start-up) and for tests that drive them directly. */
export type Services = ReturnType<typeof createServices>;

/** Long-lived pieces every role shares, wired once. */
export interface Runtime {
  config: Config;
  dataSource: DataSource;
  /** The database every process of this installation shares (for LISTEN connections and job queues). */
  databaseUrl: string;
  logger: Logger;
  blobStore: BlobStore;
  services: Services;
  /** Live test-run events for this process's subscribers. */
  eventHub: TestRunEventHub;
  /** This process's one LISTEN connection (NOTIFY fan-out: test output, token and session revocation, viewer changes). */
  notifications: PgNotificationListener;
  /** The subgraphs with their resolvers wired to `services` (the subgraph listener serves them to a company router). */
  subgraphs: BuiltSubgraph[];
  /** The same resolvers as one executable schema: what `/graphql` runs. */
  schema: GraphQLSchema;
  /** A fresh request context (its own DataLoaders and visibility policy) for `viewer`. */
  requestContext(viewer: Viewer | null): RequestContext;
  /** This process's Prometheus metrics (its own registry), served at /metrics. */
  metrics: Metrics;
  /** Checks the Docker engine; null when this process runs no sandbox worker (readiness skips it). */
  sandboxPing: (() => Promise<boolean>) | null;
}

export interface StartedRuntime {
  runtime: Runtime;
  /** Present when this process runs test jobs (role worker or all). */
  worker: TestRunWorker | null;
  stop(): Promise<void>;
}

/** The composition root of the services: every collaborator is handed over here, through constructors. */
function createServices(
  config: Config,
  dataSource: DataSource,
  logger: Logger,
  blobStore: BlobStore,
  testQueue: TestQueue,
  evalQueue: EvalQueue,
  webhookQueue: WebhookQueue,
  webhookAddresses: AddressPolicy,
  tokenLastUsed: TokenLastUsed,
) {
  const audit = new AuditService();
  const apiTokens = new ApiTokenService(dataSource, tokenLastUsed);
  const identity = new IdentityService(dataSource, audit, apiTokens, config.invitationTtlHours, config.tokens);
  // Single sign-on: console sessions, provisioning from the directory (sign-in and SCIM), the sign-in flows.
  const sessions = new SessionService(dataSource, config.sessions);
  const provisioning = new DirectoryProvisioning(audit, identity, sessions);
  const oidc = config.oidc ? new OidcClient(config.oidc, `${config.publicUrl}/auth/oidc/callback`, logger) : null;
  const search = new SkillSearchService(dataSource);
  const lifecycle = new VersionLifecycle(audit, new LatestVersionService(search));
  const testRuns = new TestRunService(dataSource, testQueue);
  const evalRuns = new EvalRunService(dataSource, evalQueue, config.evals);
  // A new version of a High-tier skill always waits for a reviewer (usage supplies that trigger), and
  // one of a gated tier with no suite, unscored rubric cases or a regression too (evals supplies those).
  const reviewPolicy = new ReviewPolicy(PermissionRisk[config.reviewRiskThreshold], [new UsageTierReviewTrigger(), new EvalReviewTrigger(evalRuns)]);
  // The publish gates, in order: tests, evals, review.
  const pipeline = new PublishPipeline(lifecycle, [new TestGate(testRuns), new EvalGate(evalRuns), new ReviewGate(reviewPolicy)]);
  const permissionCatalogue = new PermissionCatalogueService(dataSource, audit);
  const webhooks = new WebhookService(dataSource, audit, webhookQueue, webhookAddresses);
  // Every role records audited actions, so every role turns them into webhook deliveries.
  audit.onRecorded(webhooks.onAuditEvent);
  const publicUrl = new PublicUrl(config.publicUrl);
  const pluginBundles = new PluginBundleService(dataSource, blobStore, archiveLimits(config), logger);
  // A version that becomes installable gets its Claude Code plugin in the same transaction.
  lifecycle.onTransition(pluginBundles.onTransition);
  const runtimePolicy = new RuntimePolicyService(dataSource, blobStore, audit, logger, `${config.marketplaceName}-policy`);
  const marketplaces = new MarketplaceCatalogService(dataSource, publicUrl, config.marketplaceName, runtimePolicy, logger);
  const requiredSkills = new RequiredSkillsService(dataSource, audit);
  const distributionCredentials = new DistributionCredentialsService(dataSource, apiTokens, audit);
  const usageEvents = new UsageEventStore(dataSource);
  const qualityReviews = new QualityReviewService(dataSource, audit, lifecycle);
  // Drift detection: a due quality review re-runs the skill's suite; a platform update re-runs every suite.
  qualityReviews.onReviewEvents({
    reviewDue: async (em, skillId) => void (await evalRuns.reevaluate(em, [skillId])),
    platformUpdated: async (em) => void (await evalRuns.reevaluateAll(em)),
  });
  return {
    audit,
    apiTokens,
    tokenLastUsed,
    identity,
    tokenExpiryWarnings: new TokenExpiryWarnings(dataSource, audit),
    sessions,
    provisioning,
    oidc,
    signIn: new SignInService(dataSource, oidc, provisioning, sessions, apiTokens, audit, logger, {
      publicUrl: config.publicUrl,
      cliTokenTtlDays: config.cliTokenTtlDays,
    }),
    groupMappings: new GroupMappingService(dataSource, audit, provisioning),
    scim: new ScimService(dataSource, audit, provisioning, `${config.publicUrl}/scim/v2`),
    search,
    lifecycle,
    pipeline,
    permissionCatalogue,
    publicPackages: new PublicPackages(),
    publish: new PublishService(dataSource, blobStore, archiveLimits(config), permissionCatalogue, audit, pipeline, new Set([runtimePolicy.pluginName])),
    channels: new ChannelService(dataSource, audit),
    yankAndDeprecate: new YankAndDeprecateService(dataSource, lifecycle),
    testRuns,
    installs: new InstallService(dataSource),
    downloadCounters: new DownloadCounters(dataSource),
    ratings: new RatingService(dataSource),
    versionReviews: new VersionReviewService(dataSource, audit, lifecycle, pipeline, reviewPolicy),
    webhooks,
    publicUrl,
    pluginBundles,
    runtimePolicy,
    marketplaces,
    requiredSkills,
    distributionCredentials,
    managedSettings: new ManagedSettingsService(dataSource, marketplaces, requiredSkills, distributionCredentials, runtimePolicy, {
      publicUrl: config.publicUrl,
      requireAuthForRead: config.requireAuthForRead,
      teamAttribute: config.usage.teamAttribute,
    }),
    usageEvents,
    usageIngest: new UsageIngestService(dataSource, usageEvents, config.marketplaceName),
    usageTiers: new UsageTierService(dataSource, audit, config.usage),
    qualityReviews,
    evalRuns,
  };
}

/** Every resolver class with its instance: type-graphql asks this container, never constructs one itself. */
function resolverContainer(config: Config, dataSource: DataSource, s: Services): ContainerType {
  const instances = new Map<Function, object>(
    [
      new SkillResolver(s.search, s.publish),
      new SkillVersionResolver(s.publicUrl),
      new DependencyFieldsResolver(),
      new VersionPermissionResolver(),
      new TeamReferenceResolver(),
      new UserReferenceResolver(),
      new CatalogQueryResolver(s.permissionCatalogue),
      new ChannelResolver(s.channels),
      new SkillChannelsResolver(),
      new VersionLifecycleResolver(s.yankAndDeprecate),
      new DeprecationResolver(),
      new PermissionAdminResolver(s.permissionCatalogue),
      new SkillStatsResolver(),
      new TenantInstallsResolver(),
      new SkillVersionStatsResolver(),
      new RatingResolver(),
      new CommunityMutationResolver(s.ratings, s.installs, s.publicUrl),
      new UserResolver(s.identity),
      new ApiTokenResolver(),
      new TeamResolver(s.identity),
      new TeamMembershipResolver(),
      new PendingInvitationResolver(),
      new GroupMappingResolver(s.groupMappings),
      new TestRunResolver(dataSource, s.testRuns, config.sandbox.maxConcurrency),
      new SkillVersionTestsResolver(),
      new EvalRunResolver(dataSource, s.evalRuns),
      new EvalRunEventResolver(),
      new SkillVersionEvalsResolver(),
      new SkillEvalsResolver(),
      new AuditResolver(dataSource),
      new ReviewRequestResolver(s.versionReviews, {
        riskThreshold: PermissionRisk[config.reviewRiskThreshold],
        testPassThreshold: config.sandbox.passThreshold,
      }),
      new ReviewDecisionResolver(),
      new ReviewerCredentialResolver(),
      new FileChangeResolver(s.versionReviews),
      new ReviewedVersionResolver(),
      new WebhookResolver(dataSource, s.webhooks),
      new WebhookDeliveryResolver(),
      new DistributionResolver(dataSource, s.marketplaces, s.requiredSkills, s.runtimePolicy, s.managedSettings),
      new SkillVersionPluginResolver(s.marketplaces),
      new SkillUsageResolver(),
      new UsageQueryResolver(dataSource, s.qualityReviews),
    ].map((instance) => [instance.constructor, instance]),
  );
  return {
    get(someClass: Function) {
      const instance = instances.get(someClass);
      if (!instance) throw new Error(`${someClass.name} has no instance in the composition root`);
      return instance;
    },
  };
}

/**
 * Assembles what every role shares (blob store, job queues, live-event hub, services, subgraphs) on
 * a migrated database, and the sandbox and webhook workers when asked for. `npm start`, tests and
 * benches all start here.
 */
export async function startRuntime(options: {
  config: Config;
  dataSource: DataSource;
  databaseUrl: string;
  logger: Logger;
  worker: boolean;
  docker?: Dockerode;
  /** Where webhooks may be delivered; by default from WEBHOOK_ALLOW_PRIVATE_TARGETS. */
  webhookAddresses?: AddressPolicy;
  /** How webhook host names are resolved; by default the system resolver. */
  webhookLookup?: HostLookup;
  /** The `role` label of every metric; by default "all" with a worker, "api" without. */
  role?: MetricsRole;
}): Promise<StartedRuntime> {
  const { config, dataSource, databaseUrl, logger } = options;
  const metrics = new Metrics(options.role ?? (options.worker ? "all" : "api"), logger);
  metrics.collectDbPool(() => pgPoolCounts(dataSource));
  const blobStore: BlobStore = config.blobStore.kind === "s3" ? new S3BlobStore(config.blobStore, config.dataDir) : new FileBlobStore(config.dataDir);
  await blobStore.init();
  const { sandbox } = config;
  const testQueue: TestQueue = new SandboxJobQueue(TEST_RUN_QUEUE, databaseUrl, logger, {
    infraRetries: sandbox.infraRetries,
    infraRetryDelaySeconds: sandbox.infraRetryDelaySeconds,
    // A live worker always finishes within the wall-clock cap; expiry only catches the unexpected.
    expireInSeconds: sandbox.maxTimeoutSeconds + 300,
    pollSeconds: sandbox.jobPollSeconds,
  });
  await testQueue.start();
  const evalQueue: EvalQueue = new SandboxJobQueue(EVAL_RUN_QUEUE, databaseUrl, logger, {
    infraRetries: sandbox.infraRetries,
    infraRetryDelaySeconds: sandbox.infraRetryDelaySeconds,
    // A suite's cases each have the case timeout; expiry only catches the unexpected.
    expireInSeconds: 3600,
    pollSeconds: sandbox.jobPollSeconds,
  });
  await evalQueue.start();
  const webhookQueue = new WebhookQueue(databaseUrl, logger, config.webhooks);
  await webhookQueue.start();
  metrics.collectQueueDepth("test", () => testQueue.size());
  metrics.collectQueueDepth("eval", () => evalQueue.size());
  metrics.collectQueueDepth("webhook", () => webhookQueue.size());
  const notifications = await PgNotificationListener.connect(databaseUrl, logger);
  const eventHub = new TestRunEventHub(dataSource.manager, logger);
  await eventHub.start(notifications);
  const webhookAddresses = options.webhookAddresses ?? (config.webhooks.allowPrivateTargets ? anyAddress : publicAddressesOnly);
  // Its own single connection (see TokenLastUsed): every role authenticates tokens.
  const tokenLastUsed = new TokenLastUsed(new Pool({ connectionString: databaseUrl, max: 1, application_name: "skillyard-token-last-used" }), logger);
  tokenLastUsed.start();
  const services = createServices(config, dataSource, logger, blobStore, testQueue, evalQueue, webhookQueue, webhookAddresses, tokenLastUsed);
  // A revoked ingest token stops being accepted at once in every process.
  await notifications.listen(TOKEN_REVOKED_CHANNEL, (tokenId) => services.distributionCredentials.forgetToken(tokenId));
  await services.runtimePolicy.init();
  await services.pluginBundles.backfill();
  const subgraphs = await buildSubgraphs({
    container: resolverContainer(config, dataSource, services),
    subscriptions: { testRunEvents: testRunEventsSubscriber(eventHub), evalRunEvents: evalRunEventsSubscriber(eventHub) },
  });
  const packageSource = { blobStore, limits: archiveLimits(config) };
  const docker = options.docker ?? new Dockerode();
  const scope = sandboxScope(databaseUrl, sandbox.scope);
  const runner = options.worker ? new SandboxRunner(docker, sandbox, { scope }) : null;
  const runtime: Runtime = {
    config,
    dataSource,
    databaseUrl,
    logger,
    blobStore,
    services,
    eventHub,
    notifications,
    subgraphs,
    schema: buildExecutableSchema(subgraphs),
    requestContext(viewer) {
      const catalog = createCatalogLoaders(dataSource.manager);
      const identity = createIdentityLoaders(dataSource);
      return {
        viewer,
        anonymousReads: !config.requireAuthForRead,
        loaders: {
          catalog,
          identity,
          community: createCommunityLoaders(dataSource, catalog),
          testing: createTestingLoaders(dataSource),
          evals: createEvalLoaders(dataSource),
          governance: createGovernanceLoaders(dataSource, packageSource),
          webhooks: new WebhookLoaders(dataSource),
          distribution: createDistributionLoaders(dataSource),
          usage: createUsageLoaders(dataSource, catalog),
        },
        visibility: new VisibilityPolicy(viewer, { ...catalog, membershipsByUserId: identity.membershipsByUserId }),
      };
    },
    metrics,
    sandboxPing: runner ? () => runner.ping() : null,
  };
  let worker: TestRunWorker | null = null;
  let evalWorker: EvalRunWorker | null = null;
  if (runner) {
    worker = new TestRunWorker({
      dataSource,
      logger,
      blobStore,
      archiveLimits: archiveLimits(config),
      maxConcurrency: sandbox.maxConcurrency,
      audit: services.audit,
      lifecycle: services.lifecycle,
      pipeline: services.pipeline,
      queue: testQueue,
      notifications,
      runner,
      metrics,
    });
    await worker.start();
    const judge: EvalJudge = config.evals.judge ? new MessagesApiJudge({ ...EVAL_JUDGE_DEFAULTS, ...config.evals.judge }) : new NoJudge();
    evalWorker = new EvalRunWorker({
      dataSource,
      logger,
      blobStore,
      archiveLimits: archiveLimits(config),
      maxConcurrency: sandbox.maxConcurrency,
      config: config.evals,
      audit: services.audit,
      lifecycle: services.lifecycle,
      pipeline: services.pipeline,
      queue: evalQueue,
      notifications,
      sandbox: new EvalSandbox(docker, sandbox, { scope, harnessSha256: await evalHarnessSha256() }),
      judge,
      metrics,
    });
    await evalWorker.start();
  }
  let usageJobs: UsageJobs | null = null;
  let tokenExpiry: PeriodicTask | null = null;
  let scrubber: BlobScrubber | null = null;
  let downloadRollup: DownloadRollupJob | null = null;
  if (options.worker) {
    if (blobStore instanceof FileBlobStore && config.blobStore.kind === "file" && config.blobStore.verifyIntervalHours > 0) {
      scrubber = new BlobScrubber({ store: blobStore, logger, metrics, intervalHours: config.blobStore.verifyIntervalHours });
      scrubber.start();
    }
    downloadRollup = new DownloadRollupJob({ counters: services.downloadCounters, logger, intervalSeconds: config.downloadsRollupIntervalSeconds });
    await downloadRollup.start();
    usageJobs = new UsageJobs({
      store: services.usageEvents,
      tiers: services.usageTiers,
      reviews: services.qualityReviews,
      logger,
      retentionDays: config.usage.rawRetentionDays,
      intervalSeconds: config.usage.jobsIntervalSeconds,
    });
    usageJobs.start();
    // Several workers may announce at once: each token is announced once all the same (TokenExpiryWarnings).
    tokenExpiry = new PeriodicTask(
      "announcing expiring tokens",
      async () => {
        const announced = await services.tokenExpiryWarnings.announce();
        if (announced > 0) logger.info("expiring tokens announced", { announced });
      },
      TOKEN_EXPIRY_CHECK_INTERVAL_MS,
      logger,
    );
    void tokenExpiry.tick();
    tokenExpiry.start();
    const transport = new WebhookTransport({
      timeoutMs: config.webhooks.timeoutMs,
      addresses: webhookAddresses,
      lookup: options.webhookLookup ?? systemLookup,
    });
    await new WebhookDeliveryWorker({ dataSource, logger, queue: webhookQueue, transport, metrics }).start();
  }
  return {
    runtime,
    worker,
    async stop() {
      await worker?.stop();
      await evalWorker?.stop();
      await usageJobs?.stop();
      await tokenExpiry?.stop();
      await scrubber?.stop();
      await downloadRollup?.stop();
      await testQueue.stop();
      await evalQueue.stop();
      await webhookQueue.stop();
      eventHub.stop();
      await notifications.stop();
      await tokenLastUsed.stop();
    },
  };
}
