import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger as TypeOrmLogger } from "typeorm";
import { type RunningApp, startApp } from "../../src/app";
import { createLogger } from "../../src/common/logger";
import { startRuntime, type Runtime } from "../../src/composition-root";
import { loadConfig } from "../../src/config";
import { createDataSource } from "../../src/db/data-source";
import { freePort } from "../../src/db/free-port";
import type Dockerode from "dockerode";
import type { AddressPolicy, HostLookup } from "../../src/webhooks/webhook-targets";
import { createTestDatabase } from "./test-database";
import { Seed } from "./seed";

/** Counts SQL statements sent through TypeORM (the batching tests read it). */
export class QueryCounter implements TypeOrmLogger {
  count = 0;
  statements: string[] = [];
  logQuery(query: string): void {
    this.count++;
    this.statements.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
  reset(): void {
    this.count = 0;
    this.statements = [];
  }
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions: { code: string; [key: string]: unknown } }[];
}

export interface TestServer {
  url: string;
  /** The test database, for other processes (workers, API replicas) to share. */
  databaseUrl: string;
  runtime: Runtime;
  app: RunningApp;
  queries: QueryCounter;
  seed: Seed;
  /** POST /graphql as a JSON request, optionally with a bearer token. */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  /** POST /packages; answers the parsed JSON body and status. */
  upload(body: Buffer, token?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A real server (own database cloned from the migrated template, own DATA_DIR) on a free loopback port. */
export interface TestServerOptions {
  /** Run the sandbox and webhook workers in this process too (tests of the publish gate, webhooks). */
  worker?: boolean;
  docker?: Dockerode;
  webhookAddresses?: AddressPolicy;
  webhookLookup?: HostLookup;
  /** Listen on this port (a test that registers the server's URL somewhere first, e.g. at an OpenID provider). */
  port?: number;
  /** How often sockets of console sessions are checked for expiry. */
  sessionSweepMs?: number;
}

export async function startTestServer(env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "skillyard-test-data-"));
  const port = options.port ?? (await freePort());
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", DATA_DIR: dataDir, DATABASE_URL: database.url, PORT: String(port), ...env });
  const queries = new QueryCounter();
  const dataSource = createDataSource({ url: database.url, queryLogger: queries, poolSize: 5 });
  await dataSource.initialize();
  const started = await startRuntime({
    config,
    dataSource,
    databaseUrl: database.url,
    logger: createLogger(config.logLevel),
    worker: options.worker ?? false,
    docker: options.docker,
    webhookAddresses: options.webhookAddresses,
    webhookLookup: options.webhookLookup,
  });
  const { runtime } = started;
  const app = await startApp(runtime, { host: "127.0.0.1", port }, { sessionSweepMs: options.sessionSweepMs });
  return {
    url: app.url,
    databaseUrl: database.url,
    runtime,
    app,
    queries,
    seed: new Seed(runtime),
    async gql<T>(query: string, variables: Record<string, unknown> = {}, token?: string) {
      const res = await fetch(`${app.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as GraphQLResponse<T>;
      return { ...body, status: res.status };
    },
    async upload(body: Buffer, token?: string) {
      const res = await fetch(`${app.url}/packages`, {
        method: "POST",
        headers: { "content-type": "application/gzip", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async close() {
      await app.close();
      await started.stop();
      await dataSource.destroy();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
