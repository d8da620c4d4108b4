import { LocalGraphQLDataSource } from "@apollo/gateway";
import type { GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import { GraphQLError, type GraphQLSchema } from "graphql";
import type { Logger } from "../common/logger";
import { toSafeGraphQLError } from "./client-errors";

/**
 * Runs a subgraph in-process (no HTTP hop) with the gateway's request context, so per-request
 * DataLoaders are shared across subgraphs. Subgraph errors are made client-safe here, before the
 * gateway copies their messages and extensions.
 */
export class InProcessSubgraphDataSource extends LocalGraphQLDataSource {
  constructor(
    schema: GraphQLSchema,
    private readonly logger: Logger,
  ) {
    super(schema);
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const response = await super.process(options);
    if (!response.errors) return response;
    return {
      ...response,
      errors: response.errors.map((e) => (e instanceof GraphQLError ? toSafeGraphQLError(e, this.logger) : e)),
    };
  }
}
