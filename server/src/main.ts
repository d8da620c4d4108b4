import "reflect-metadata";
import type { DataSource } from "typeorm";
import { ConfigError, loadConfig } from "./config";
import { startApp } from "./app";
import { createLogger } from "./common/logger";
import { createDataSource } from "./db/data-source";
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from "./db/embedded-postgres";
import { FileBlobStore } from "./packages/blob-store";
import { createServices } from "./services";

/** `npm start`: embedded PostgreSQL unless DATABASE_URL is set, migrations, then the HTTP server. */
async function main(): Promise<void> {
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
  const logger = createLogger(config.logLevel);
  let embedded: EmbeddedPostgresHandle | null = null;
  let dataSource: DataSource | null = null;
  let stopping = false;
  let app: Awaited<ReturnType<typeof startApp>> | null = null;

  const shutdown = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    await app?.close().catch((e: unknown) => logger.error("closing HTTP server failed", { error: String(e) }));
    logger.debug("HTTP server closed");
    await dataSource?.destroy().catch((e: unknown) => logger.error("closing database pool failed", { error: String(e) }));
    logger.debug("database pool closed");
    await embedded?.stop().catch((e: unknown) => logger.error("stopping embedded PostgreSQL failed", { error: String(e) }));
    logger.debug("embedded PostgreSQL stopped");
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
    const applied = await dataSource.runMigrations();
    if (applied.length) logger.info("migrations applied", { migrations: applied.map((m) => m.name) });
    const blobStore = new FileBlobStore(config.dataDir);
    await blobStore.init();
    const services = createServices(dataSource);
    if (config.bootstrapToken) {
      await services.apiTokens.ensureBootstrapAdmin(config.bootstrapToken);
    } else {
      const secret = await services.apiTokens.createFirstAdmin();
      if (secret) {
        process.stdout.write(`\nCreated the first ADMIN user "admin" (team "admin") with this API token. It is shown only once:\n\n  ${secret}\n\n`);
      }
    }
    app = await startApp({ config, dataSource, logger, blobStore, services }, { host: config.host, port: config.port });
    logger.info("Skillyard is up", { graphql: `${app.url}/graphql`, publicUrl: config.publicUrl });
  } catch (error) {
    logger.error("start-up failed", { message: error instanceof Error ? error.message : String(error) });
    await shutdown("startup-failure", 1);
  }
}

void main();
