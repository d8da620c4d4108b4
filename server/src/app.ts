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
import { toClientError } from "./graphql/client-errors";
import { readCommittedSupergraph } from "./graphql/compose";
import { queryLimitsPlugin } from "./graphql/query-limits";
import { InProcessSubgraphDataSource } from "./graphql/subgraph-data-source";
import { buildSubgraphs } from "./graphql/subgraphs";
import { packageRoutes } from "./packages/package.routes";

export interface RunningApp {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

async function contextFor(runtime: AppRuntime, authorization: string | undefined): Promise<RequestContext> {
  const viewer = await runtime.services.apiTokens.authenticate(authorization);
  if (authorization && !viewer) {
    throw new GraphQLError("The API token is invalid or revoked.", { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
  }
  return {
    requestId: randomUUID(),
    viewer,
    runtime,
    loaders: { catalog: createCatalogLoaders(runtime.dataSource), community: createCommunityLoaders(runtime.dataSource) },
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
    try {
      await runtime.dataSource.query("SELECT 1");
      res.json({ status: "ready", database: "up" });
    } catch {
      res.status(503).json({ status: "not ready", database: "down" });
    }
  });
  app.use("/packages", packageRoutes(runtime));

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
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gatewayServer.stop();
      for (const s of subgraphServers) await s.server.stop();
    },
  };
}

