import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import type { Metrics } from "./metrics";

/**
 * Times each GraphQL operation over HTTP and counts the errors its response carries by code. The
 * errors are read from the response as sent, after formatError, so each is counted once with the
 * code the client sees. A request whose operation could not be resolved (it did not parse or
 * validate, or names no operation in the document) has its errors counted but no duration: it had no
 * operation type.
 */
export function graphqlMetricsPlugin<C extends BaseContext>(metrics: Pick<Metrics, "observeGraphqlOperation" | "countError">): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse(ctx) {
          if (ctx.operation) {
            metrics.observeGraphqlOperation(ctx.operationName, ctx.operation.operation, Number(process.hrtime.bigint() - started) / 1e9);
          }
          const body = ctx.response.body;
          const errors = body.kind === "single" ? body.singleResult.errors : body.initialResult.errors;
          for (const error of errors ?? []) metrics.countError(error.extensions?.code, "graphql");
        },
      };
    },
  };
}
