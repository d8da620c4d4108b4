import type { ApolloServerOptions, ApolloServerPlugin } from "@apollo/server";
import type { Logger } from "../common/logger";
import type { Config } from "../config";
import { toClientError } from "../graphql/client-errors";
import { queryLimitsPlugin, type QueryLimits } from "../graphql/query-limits";
import type { RequestContext } from "../graphql/request-context";

export function queryLimits(config: Config): QueryLimits {
  return { maxDepth: config.limits.graphqlMaxDepth, maxCost: config.limits.graphqlMaxCost, maxAliases: config.limits.graphqlMaxAliases };
}

/** What every Apollo Server here shares: limits, masking, CSRF prevention, production hardening. */
export function apolloOptions(config: Config, logger: Logger, extraPlugins: ApolloServerPlugin<RequestContext>[] = []) {
  const production = config.nodeEnv === "production";
  return {
    introspection: !production,
    // Also removes "Did you mean ...?" field suggestions from validation errors.
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // main.ts owns SIGINT/SIGTERM and stops the servers in order.
    stopOnTerminationSignals: false,
    maxRecursiveSelections: true,
    plugins: [queryLimitsPlugin(queryLimits(config)) as ApolloServerPlugin<RequestContext>, ...extraPlugins],
    formatError: (formatted: Parameters<typeof toClientError>[0], error: unknown) => toClientError(formatted, error, logger),
  } satisfies Partial<ApolloServerOptions<RequestContext>>;
}
