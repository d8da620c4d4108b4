import { listen as listenOn } from "../common/listen";
import { sameSecret } from "../common/same-secret";
import http from "node:http";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Runtime } from "../composition-root";
import { apolloOptions } from "./apollo-options";
import { authenticatedContext } from "./authenticated-context";
import type { RequestContext } from "../graphql/request-context";

/** The header a company router sends with the shared secret (SUBGRAPH_SECRET). */
export const SUBGRAPH_SECRET_HEADER = "x-skillyard-subgraph-secret";

export interface SubgraphListener {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves each subgraph at /subgraphs/{name}/graphql on its own port (SUBGRAPH_PORT), for a company
 * router (Apollo Router, Hive Gateway, Cosmo) and nothing else: every request must carry the shared
 * secret, or it is refused before GraphQL sees it. The viewer still comes from the request's own
 * `Authorization` header (routers forward it; a token's allowed CIDRs are matched against the
 * router's address unless TRUSTED_PROXIES names it, as for any proxy), and every reference resolver applies the same
 * visibility policy as /graphql; the same depth, alias and cost limits apply (`_entities` counts
 * each representation).
 */
export async function startSubgraphListener(runtime: Runtime, listen: { host: string; port: number; secret: string }): Promise<SubgraphListener> {
  const { config, logger } = runtime;
  const servers = runtime.subgraphs.map((s) => ({
    path: s.definition.path,
    // Federated tracing is only useful with Apollo's hosted reporting, which Skillyard does not use.
    server: new ApolloServer<RequestContext>({ schema: s.schema, ...apolloOptions(config, logger, [ApolloServerPluginInlineTraceDisabled()]) }),
  }));
  for (const s of servers) await s.server.start();

  const app = express();
  app.disable("x-powered-by");
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.headers[SUBGRAPH_SECRET_HEADER];
    if (typeof given === "string" && sameSecret(given, listen.secret)) {
      next();
      return;
    }
    res.status(401).json({
      errors: [
        {
          message: `This listener serves a company router only: send the shared secret in ${SUBGRAPH_SECRET_HEADER}.`,
          extensions: { code: "UNAUTHENTICATED" },
        },
      ],
    });
  });
  const json = express.json({ limit: config.limits.graphqlMaxBodyBytes });
  // Tokens only: a router forwards Authorization; console sessions are for /graphql.
  const context = ({ req }: { req: Request }) => authenticatedContext(runtime, req, { sessions: false });
  for (const s of servers) app.use(s.path, json, expressMiddleware(s.server, { context }));
  app.use((req, res) => {
    res.status(404).json({ errors: [{ message: `No subgraph at ${req.path}.`, extensions: { code: "NOT_FOUND" } }] });
  });

  const listening = await listenOn(http.createServer(app), listen);
  return {
    url: listening.url,
    async close() {
      await listening.close();
      for (const s of servers) await s.server.stop();
    },
  };
}
