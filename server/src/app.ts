import { randomUUID } from "node:crypto";
import http from "node:http";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer, type ApolloServerPlugin, type BaseContext } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type NextFunction, type Request, type Response } from "express";
import { GraphQLError, type GraphQLSchema } from "graphql";
import { SkillyardError } from "@skillyard/core";
import { createCatalogLoaders } from "./catalog/catalog.loaders";
import { createCommunityLoaders } from "./community/community.loaders";
import type { AppRuntime, RequestContext } from "./common/request-context";
import { archiveLimits } from "./config";
import { toClientError, toSafeGraphQLError } from "./graphql/client-errors";
import { createTestingLoaders } from "./testing/testing.loaders";
import { createGovernanceLoaders } from "./governance/governance.loaders";
import type { Viewer } from "./identity/api-token.service";
import { useServer } from "graphql-ws/use/ws";
import { type WebSocket, WebSocketServer } from "ws";
import { TOKEN_REVOKED_CHANNEL } from "./identity/identity.service";
import { readCommittedSupergraph } from "./graphql/compose";
import { queryLimitsPlugin } from "./graphql/query-limits";
import { InProcessSubgraphDataSource } from "./graphql/subgraph-data-source";
import { buildSubgraphs } from "./graphql/subgraphs";
import { packageRoutes } from "./packages/package.routes";
import { adminSpaRoutes } from "./admin-spa/admin-spa.routes";

export interface RunningApp {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

function newContext(runtime: AppRuntime, viewer: Viewer | null): RequestContext {
  const { dataSource, blobStore, config } = runtime;
  const packages = { blobStore, limits: archiveLimits(config) };
  return {
    requestId: randomUUID(),
    viewer,
    runtime,
    loaders: {
      catalog: createCatalogLoaders(dataSource),
      community: createCommunityLoaders(dataSource),
      testing: createTestingLoaders(dataSource),
      governance: createGovernanceLoaders(dataSource, packages),
    },
  };
}

async function contextFor(runtime: AppRuntime, authorization: string | undefined): Promise<RequestContext> {
  const viewer = await runtime.services.apiTokens.authenticate(authorization);
  if (authorization && !viewer) {
    throw new GraphQLError("The API token is invalid or revoked.", { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
  }
  return newContext(runtime, viewer);
}

/**
 * Subscriptions over graphql-ws on the same /graphql path (WebSocket upgrade), served by the
 * subgraph that owns test runs (the gateway does not proxy subscriptions). The token is checked in
 * connection_init (`{"authorization": "Bearer <token>"}`); without a valid one the socket closes 4403.
 */
async function subscriptionServer(runtime: AppRuntime, server: http.Server, schema: GraphQLSchema) {
  const wss = new WebSocketServer({ server, path: "/graphql" });
  const viewers = new WeakMap<object, Viewer>();
  const socketsByToken = new Map<string, Set<WebSocket>>();
  // A revoked token's open subscriptions close at once, whichever process revoked it.
  const stopRevocations = await runtime.notifications.listen(TOKEN_REVOKED_CHANNEL, (tokenId) => {
    for (const socket of socketsByToken.get(tokenId) ?? []) socket.close(4401, "API token revoked");
  });
  const disposable = useServer(
    {
      schema,
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const viewer = await runtime.services.apiTokens.authenticate(typeof raw === "string" ? raw : undefined);
        if (!viewer) return false;
        viewers.set(ctx, viewer);
        const socket = ctx.extra.socket;
        let set = socketsByToken.get(viewer.tokenId);
        if (!set) socketsByToken.set(viewer.tokenId, (set = new Set()));
        set.add(socket);
        socket.once("close", () => {
          set.delete(socket);
          if (set.size === 0) socketsByToken.delete(viewer.tokenId);
        });
        return true;
      },
      onSubscribe: (_ctx, _id, payload) => {
        if (!/^\s*subscription\b/.test(payload.query)) {
          return [new GraphQLError("Only subscriptions are served over WebSocket; send queries and mutations as HTTP POST.", { extensions: { code: "BAD_REQUEST" } })];
        }
      },
      context: (ctx) => newContext(runtime, viewers.get(ctx) ?? null),
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => toSafeGraphQLError(e, runtime.logger)),
      onNext: (_ctx, _id, _payload, _args, result) =>
        "errors" in result && result.errors ? { ...result, errors: result.errors.map((e) => toSafeGraphQLError(e, runtime.logger)) } : result,
    },
    wss,
  );
  return {
    async close() {
      for (const client of wss.clients) client.terminate();
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      stopRevocations();
    },
  };
}

function apolloOptions(runtime: AppRuntime) {
  const production = runtime.config.nodeEnv === "production";
  const plugins: ApolloServerPlugin<BaseContext>[] = [
    queryLimitsPlugin({
      maxDepth: runtime.config.limits.graphqlMaxDepth,
      maxCost: runtime.config.limits.graphqlMaxCost,
      maxAliases: runtime.config.limits.graphqlMaxAliases,
    }),
  ];
  return {
    introspection: !production,
    // Also removes "Did you mean ...?" field suggestions from validation errors.
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // main.ts owns SIGINT/SIGTERM and stops the servers in order.
    stopOnTerminationSignals: false,
    maxRecursiveSelections: true,
    plugins,
    formatError: (formatted: Parameters<typeof toClientError>[0], error: unknown) => toClientError(formatted, error, runtime.logger),
  };
}

/** Maps any error that reaches Express to `{"error":{"code","message"}}` with the catalogue's status. */
function restErrorHandler(runtime: AppRuntime) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
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
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // GraphQL paths answer in GraphQL's error shape so clients parse one format there.
    if (_req.path.endsWith("/graphql")) {
      res.status(body.status).json({ errors: [{ message: body.message, extensions: { code: body.code } }] });
      return;
    }
    res.status(body.status).json({ error: { code: body.code, message: body.message, ...body.details } });
  };
}

/** Builds the HTTP server: REST package endpoints, health, the federated gateway and each subgraph. */
export async function startApp(runtime: AppRuntime, listen: { host: string; port: number }): Promise<RunningApp> {
  const { config, logger } = runtime;
  const subgraphs = await buildSubgraphs();
  const byName = new Map<string, GraphQLSchema>(subgraphs.map((s) => [s.definition.name, s.schema]));

  const gateway = new ApolloGateway({
    supergraphSdl: readCommittedSupergraph(),
    buildService: ({ name }) => {
      const schema = byName.get(name);
      if (!schema) throw new Error(`The supergraph names subgraph "${name}", which this server does not have. Run npm run schema:compose.`);
      return new InProcessSubgraphDataSource(schema, logger);
    },
  });
  const gatewayServer = new ApolloServer<RequestContext>({ gateway, ...apolloOptions(runtime) });
  const subgraphServers = subgraphs.map((s) => ({
    path: s.definition.path,
    server: new ApolloServer<RequestContext>({
      schema: s.schema,
      ...apolloOptions(runtime),
      // Federated tracing is only useful with Apollo's hosted reporting, which Skillyard does not use.
      plugins: [...apolloOptions(runtime).plugins, ApolloServerPluginInlineTraceDisabled()],
    }),
  }));
  await gatewayServer.start();
  for (const s of subgraphServers) await s.server.start();

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
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
  app.use("/packages", packageRoutes(runtime));
  app.use("/admin", adminSpaRoutes(config.adminDistDir));

  const json = express.json({ limit: config.limits.graphqlMaxBodyBytes });
  const context = async ({ req }: { req: Request }) => contextFor(runtime, req.headers.authorization);
  app.use("/graphql", json, expressMiddleware(gatewayServer, { context }));
  for (const s of subgraphServers) app.use(s.path, json, expressMiddleware(s.server, { context }));

  app.use((req, res) => {
    res.status(404).json({ error: { code: "NOT_FOUND", message: `No route for ${req.method} ${req.path}.` } });
  });
  app.use(restErrorHandler(runtime));

  const server = http.createServer(app);
  server.requestTimeout = 120_000;
  const subscriptions = await subscriptionServer(runtime, server, byName.get("testing")!);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : listen.port;
  let closed = false;
  return {
    server,
    url: `http://${listen.host}:${port}`,
    async close() {
      if (closed) return;
      closed = true;
      await subscriptions.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gatewayServer.stop();
      for (const s of subgraphServers) await s.server.stop();
    },
  };
}

