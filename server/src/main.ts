// First: the tracing instrumentations must hook `require` before http, pg and graphql load.
import { shutdownTracing } from "./observability/tracing";
import "reflect-metadata";
import type { DataSource } from "typeorm";
import { ConfigError, loadConfig } from "./config";
import { startApp } from "./app";
import { createLogger } from "./common/logger";
import { createDataSource } from "./db/data-source";
import { runMigrationsLocked } from "./db/migrate";
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from "./db/embedded-postgres";
import { type StartedRuntime, startRuntime } from "./composition-root";
import { type MetricsListener, startMetricsListener } from "./observability/metrics-http";
import { isProcessRole, type ProcessRole, roleArgument } from "./process-role";

/**
 * `--role api|worker|all` (default all): several API replicas and workers can share one database.
 * `--role migrate` applies pending migrations and exits: a deployment's one-shot step (compose
 * service, Kubernetes Job). Every role also migrates under the same lock, so the order does not matter.
 */
function parseRole(argv: string[]): ProcessRole {
  const value = roleArgument(argv);
  if (!isProcessRole(value)) {
    process.stderr.write(`--role must be api, worker, all or migrate (got ${JSON.stringify(value)})\n`);
    process.exit(1);
  }
  return value;
}

/** `npm start`: embedded PostgreSQL unless DATABASE_URL is set, migrations, then the roles asked for. */
async function main(): Promise<void> {
  const role = parseRole(process.argv.slice(2));
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, {}, { format: config.logFormat });
  let embedded: EmbeddedPostgresHandle | null = null;
  let dataSource: DataSource | null = null;
  let stopping = false;
  let app: Awaited<ReturnType<typeof startApp>> | null = null;
  /** A worker's /healthz and /metrics. */
  let workerHttp: MetricsListener | null = null;
  let started: StartedRuntime | null = null;

  const shutdown = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    await app?.close().catch((e: unknown) => logger.error("closing HTTP server failed", { error: String(e) }));
    await workerHttp?.close().catch((e: unknown) => logger.error("closing the metrics listener failed", { error: String(e) }));
    logger.debug("HTTP server closed");
    await started?.stop().catch((e: unknown) => logger.error("stopping jobs and events failed", { error: String(e) }));
    logger.debug("job queue and event hub stopped");
    await dataSource?.destroy().catch((e: unknown) => logger.error("closing database pool failed", { error: String(e) }));
    logger.debug("database pool closed");
    await embedded?.stop().catch((e: unknown) => logger.error("stopping embedded PostgreSQL failed", { error: String(e) }));
    logger.debug("embedded PostgreSQL stopped");
    await shutdownTracing().catch((e: unknown) => logger.error("flushing traces failed", { error: String(e) }));
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  try {
    let url = config.databaseUrl;
    if (!url) {
      embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort, logger });
      url = embedded.url;
      logger.info("embedded PostgreSQL started", { dataDir: config.dataDir, port: config.embeddedPostgresPort });
    }
    dataSource = createDataSource({ url });
    await dataSource.initialize();
    const applied = await runMigrationsLocked(dataSource);
    if (applied.length) logger.info("migrations applied", { migrations: applied });
    if (role === "migrate") {
      logger.info("schema is up to date", { applied: applied.length });
      await shutdown("migrated");
      return;
    }
    started = await startRuntime({ config, dataSource, databaseUrl: url, logger, worker: role !== "api", role });
    const { services } = started.runtime;
    if (config.bootstrapToken) {
      const outcome = await services.apiTokens.ensureBootstrapAdmin(config.bootstrapToken);
      if (outcome.kind === "revoked") {
        logger.warn(
          "SKILLYARD_BOOTSTRAP_TOKEN is ignored: that token was revoked, and a revocation sticks. Unset the variable, or set a new secret to create a new bootstrap token.",
          {
            revokedAt: outcome.revokedAt.toISOString(),
          },
        );
      }
    } else {
      const secret = await services.apiTokens.createFirstAdmin();
      if (secret) {
        process.stdout.write(
          `\nCreated the first ADMIN user "admin" (team "admin") with this API token. It is shown only once:\n\n  ${secret}\n\nSign in to the admin console with it: ${config.publicUrl}/admin/\n\n`,
        );
      }
    }
    if (role === "worker") {
      workerHttp = await startMetricsListener(
        { metrics: started.runtime.metrics, token: config.metricsToken, logger },
        { host: config.host, port: config.port },
      );
      logger.info("Skillyard worker is up", { workerId: started.worker?.id, metrics: `${workerHttp.url}/metrics` });
      return;
    }
    app = await startApp(started.runtime, { host: config.host, port: config.port });
    logger.info("Skillyard is up", {
      role,
      graphql: `${app.url}/graphql`,
      admin: `${app.url}/admin/`,
      publicUrl: config.publicUrl,
      ...(app.subgraphs ? { subgraphs: `${app.subgraphs.url}/subgraphs/{catalog,community,testing,governance}/graphql` } : {}),
    });
  } catch (error) {
    logger.error("start-up failed", { message: error instanceof Error ? error.message : String(error) });
    await shutdown("startup-failure", 1);
  }
}

void main();
