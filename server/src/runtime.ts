import { createHash } from "node:crypto";
import Dockerode from "dockerode";
import type { DataSource } from "typeorm";
import type { Config } from "./config";
import type { Logger } from "./common/logger";
import type { AppRuntime } from "./common/request-context";
import { FileBlobStore } from "./packages/blob-store";
import { SandboxRunner } from "./sandbox/sandbox-runner";
import { createServices } from "./services";
import { TestQueue } from "./testing/test-queue";
import { TestRunEventHub } from "./testing/test-run-events";
import { PgNotificationListener } from "./common/pg-notifications";
import { TestRunWorker } from "./testing/test-run-worker";
import { WebhookDeliveryWorker } from "./webhooks/webhook-delivery-worker";
import { WebhookQueue } from "./webhooks/webhook-queue";

/**
 * Which sandboxes belong to this installation: several installations (or test databases) may share
 * one Docker host, and each worker's orphan sweep must only ever touch its own. Derived from the
 * database every worker of one installation shares (host, port, name), unless SANDBOX_SCOPE says.
 */
export function sandboxScope(databaseUrl: string, configured: string | undefined): string {
  if (configured) return configured;
  const url = new URL(databaseUrl);
  return createHash("sha256").update(`${url.hostname}:${url.port || "5432"}${url.pathname}`).digest("hex").slice(0, 16);
}

export interface StartedRuntime {
  runtime: AppRuntime;
  /** Present when this process runs test jobs (role worker or all). */
  worker: TestRunWorker | null;
  stop(): Promise<void>;
}

/**
 * Assembles what every role shares (blob store, job queue, live-event hub, services) on a migrated
 * database, and the sandbox worker when asked for. `npm start`, tests and benches all start here.
 */
export async function startRuntime(options: {
  config: Config;
  dataSource: DataSource;
  databaseUrl: string;
  logger: Logger;
  worker: boolean;
  docker?: Dockerode;
}): Promise<StartedRuntime> {
  const { config, dataSource, databaseUrl, logger } = options;
  const blobStore = new FileBlobStore(config.dataDir);
  await blobStore.init();
  const { sandbox } = config;
  const testQueue = new TestQueue(databaseUrl, logger, {
    infraRetries: sandbox.infraRetries,
    infraRetryDelaySeconds: sandbox.infraRetryDelaySeconds,
    // A live worker always finishes within the wall-clock cap; expiry only catches the unexpected.
    expireInSeconds: sandbox.maxTimeoutSeconds + 300,
  });
  await testQueue.start();
  const webhookQueue = new WebhookQueue(databaseUrl, logger, config.webhooks);
  await webhookQueue.start();
  const notifications = await PgNotificationListener.connect(databaseUrl, logger);
  const eventHub = new TestRunEventHub(dataSource.manager, logger);
  await eventHub.start(notifications);
  const runner = options.worker ? new SandboxRunner(options.docker ?? new Dockerode(), sandbox, { scope: sandboxScope(databaseUrl, sandbox.scope) }) : null;
  const runtime: AppRuntime = {
    config,
    dataSource,
    databaseUrl,
    logger,
    blobStore,
    services: createServices(dataSource, testQueue, config, webhookQueue),
    eventHub,
    notifications,
    sandboxPing: runner ? () => runner.ping() : null,
  };
  // Every role records audited actions, so every role turns them into webhook deliveries.
  runtime.services.audit.onRecorded(runtime.services.webhooks.onAuditEvent);
  let worker: TestRunWorker | null = null;
  if (runner) {
    worker = new TestRunWorker(runtime, testQueue, runner);
    await worker.start();
  }
  if (options.worker) await new WebhookDeliveryWorker(runtime, webhookQueue).start();
  return {
    runtime,
    worker,
    async stop() {
      await worker?.stop();
      await testQueue.stop();
      await webhookQueue.stop();
      eventHub.stop();
      await notifications.stop();
    },
  };
}
