import http from "node:http";
import { listen as listenOn } from "./common/listen";
import { ApolloServer } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type NextFunction, type Request, type Response } from "express";
import { SkillyardError } from "@skillyard/core";
import { adminSpaRoutes } from "./admin-spa/admin-spa.routes";
import type { Runtime } from "./composition-root";
import { apolloOptions, queryLimits } from "./http/apollo-options";
import { authenticatedContext, restAuthenticator } from "./http/authenticated-context";
import type { RequestContext } from "./graphql/request-context";
import { startSubgraphListener, type SubgraphListener } from "./http/subgraph-listener";
import { startSubscriptionServer } from "./http/subscription-server";
import { packageRoutes } from "./packages/package.routes";
import { distributionRoutes } from "./distribution/distribution.routes";
import { cidrContains, parseIp } from "./common/cidr";
import { otlpRoutes } from "./usage/otlp.routes";
import { scimRoutes } from "./scim/scim.routes";
import { secureCookies } from "./sso/cookies";
import { ssoRoutes } from "./sso/sso.routes";
import { graphqlMetricsPlugin } from "./observability/graphql-metrics";
import { httpMetricsMiddleware, metricsRoute } from "./observability/metrics-http";

/**
 * How HTTP metrics label a request: its mount (every path `app.use(path, …)` mounts below) and
 * route pattern, with the metrics contract's name for the package download.
 */
const ROUTE_LABELS = { mounts: ["/packages", "/admin", "/graphql", "/auth", "/scim/v2"], names: { "/packages/:file": "/packages/:sha256" } };

export interface RunningApp {
  server: http.Server;
  url: string;
  /** The subgraph listener for a company router; null unless SUBGRAPH_PORT is set. */
  subgraphs: SubgraphListener | null;
  close(): Promise<void>;
}

/** Maps any error that reaches Express to `{"error":{"code","message"}}` with the catalogue's status. */
function restErrorHandler(runtime: Runtime) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    let body: SkillyardError;
    if (error instanceof SkillyardError) body = error;
    else if ((error as { type?: string }).type === "entity.too.large") {
      body = new SkillyardError("PAYLOAD_TOO_LARGE", "The request body is over the size limit.");
    } else if ((error as { type?: string }).type === "entity.parse.failed") {
      body = new SkillyardError("BAD_REQUEST", "The request body is not valid JSON.");
    } else {
      runtime.logger.error("internal error", { message: String(error), stack: error instanceof Error ? error.stack : undefined });
      body = new SkillyardError("INTERNAL_SERVER_ERROR", "Internal server error");
    }
    runtime.metrics.countError(body.code, req.path.endsWith("/graphql") ? "graphql" : "http");
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // GraphQL paths answer in GraphQL's error shape so clients parse one format there.
    if (req.path.endsWith("/graphql")) {
      res.status(body.status).json({ errors: [{ message: body.message, extensions: { code: body.code } }] });
      return;
    }
    res.status(body.status).json({ error: { code: body.code, message: body.message, ...body.details } });
  };
}

/**
 * The public HTTP server: health, packages, the admin SPA, the one executable schema on /graphql and
 * subscriptions on its WebSocket; plus, when SUBGRAPH_PORT is set, the subgraph listener for a
 * company router on its own port.
 */
export async function startApp(
  runtime: Runtime,
  listen: { host: string; port: number },
  options: { /** How often sockets of console sessions are checked for expiry (tests shorten it). */ sessionSweepMs?: number } = {},
): Promise<RunningApp> {
  const { config, logger } = runtime;
  // Discovery starts now and is not awaited: a provider that is down only fails sign-ins (retried at the next).
  runtime.services.oidc?.warmUp();
  // One executable schema: each request is parsed, validated (both cached by the document's hash) and executed once.
  const graphqlServer = new ApolloServer<RequestContext>({ schema: runtime.schema, ...apolloOptions(config, logger, [graphqlMetricsPlugin(runtime.metrics)]) });
  await graphqlServer.start();

  const app = express();
  app.disable("x-powered-by");
  // The same proxies as every client address Skillyard finds (common/client-address.ts), so Express's req.ip agrees.
  app.set("trust proxy", (address: string) => {
    const ip = parseIp(address);
    return ip !== null && config.trustedProxies.some((proxy) => cidrContains(proxy, ip));
  });
  const authenticate = restAuthenticator(runtime);
  app.use(httpMetricsMiddleware(runtime.metrics, ROUTE_LABELS));
  app.get("/metrics", metricsRoute(runtime.metrics, config.metricsToken));
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    const database = await runtime.dataSource.query("SELECT 1").then(
      () => "up",
      () => "down",
    );
    const docker = runtime.sandboxPing ? ((await runtime.sandboxPing().catch(() => false)) ? "up" : "down") : "not used";
    const ready = database === "up" && docker !== "down";
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", database, docker });
  });
  app.use(
    "/packages",
    packageRoutes({
      dataSource: runtime.dataSource,
      blobStore: runtime.blobStore,
      maxPackageBytes: config.limits.maxPackageBytes,
      requireAuthForRead: config.requireAuthForRead,
      authenticate,
      visibleBlob: (viewer, sha256) => runtime.services.publicPackages.visibleBlob(sha256, () => runtime.requestContext(viewer).visibility.visibleBlob(sha256)),
    }),
  );
  app.use(
    distributionRoutes({
      dataSource: runtime.dataSource,
      blobStore: runtime.blobStore,
      catalogs: runtime.services.marketplaces,
      policy: runtime.services.runtimePolicy,
      settings: runtime.services.managedSettings,
      requireAuthForRead: config.requireAuthForRead,
      authenticate,
    }),
  );
  app.use(
    otlpRoutes({
      ingest: runtime.services.usageIngest,
      logger,
      teamAttribute: config.usage.teamAttribute,
      retentionDays: config.usage.rawRetentionDays,
      maxBodyBytes: config.usage.maxBodyBytes,
      authenticate,
      ingestTeam: (tokenId) => runtime.services.distributionCredentials.ingestTeam(tokenId),
      metrics: runtime.metrics,
    }),
  );
  app.use("/admin", adminSpaRoutes(config.adminDistDir));
  app.use(
    "/auth",
    ssoRoutes({
      signIn: runtime.services.signIn,
      sessions: runtime.services.sessions,
      issuer: config.oidc?.issuer ?? null,
      secureCookies: secureCookies(config.publicUrl),
    }),
  );
  if (config.scimToken) {
    const countError = (code: string) => runtime.metrics.countError(code, "http");
    app.use("/scim/v2", scimRoutes({ token: config.scimToken, scim: runtime.services.scim, logger, countError }));
  }
  const json = express.json({ limit: config.limits.graphqlMaxBodyBytes });
  app.use("/graphql", json, expressMiddleware(graphqlServer, { context: ({ req }) => authenticatedContext(runtime, req, { sessions: true }) }));
  app.use((req, res) => {
    runtime.metrics.countError("NOT_FOUND", "http");
    res.status(404).json({ error: { code: "NOT_FOUND", message: `No route for ${req.method} ${req.path}.` } });
  });
  app.use(restErrorHandler(runtime));

  const server = http.createServer(app);
  server.requestTimeout = 120_000;
  // Test runs and eval runs stream from their own subgraphs; each subscription goes to the one that declares it.
  const subscribing = runtime.subgraphs.filter((built) => built.schema.getSubscriptionType()).map((built) => built.schema);
  const subscriptions = await startSubscriptionServer(runtime, server, subscribing, queryLimits(config), options.sessionSweepMs);
  const listening = await listenOn(server, listen);
  const subgraphs = config.subgraphListener ? await startSubgraphListener(runtime, { host: listen.host, ...config.subgraphListener }) : null;
  let closed = false;
  return {
    server,
    url: listening.url,
    subgraphs,
    async close() {
      if (closed) return;
      closed = true;
      await subgraphs?.close();
      await subscriptions.close();
      await listening.close();
      await graphqlServer.stop();
    },
  };
}
