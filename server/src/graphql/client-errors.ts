import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { isErrorCode, SkillyardError } from "@skillyard/core";
import type { Logger } from "../common/logger";

/** Follows GraphQLError.originalError links (resolver → executor, or resolver → subgraph → router) to the thrown error. */
export function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof GraphQLError && current.originalError) current = current.originalError;
  return current;
}

/**
 * The only path from an error to a client. Catalogue errors keep their message and details;
 * GraphQL's own errors (parse, validation, variables) keep message and code; anything else is an
 * internal failure: logged with its stack here, shown to the client as a bare INTERNAL_SERVER_ERROR
 * so no stack trace or SQL ever leaves the server.
 */
export function toClientError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const cause = rootCause(error);
  const where = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
  if (cause instanceof SkillyardError) {
    return { message: cause.message, ...where, extensions: { ...cause.details, code: cause.code } };
  }
  const code = formatted.extensions?.code;
  // Already masked (and logged) by the subgraph that failed: pass it on without logging twice.
  if (code === "INTERNAL_SERVER_ERROR" && cause instanceof GraphQLError && !cause.originalError) {
    return { message: "Internal server error", ...where, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  }
  if (!(cause instanceof Error && !(cause instanceof GraphQLError)) && isErrorCode(code) && code !== "INTERNAL_SERVER_ERROR") {
    const { code: _code, http: _http, stacktrace: _stack, serviceName: _service, ...rest } = formatted.extensions ?? {};
    return { message: formatted.message, ...where, extensions: { ...rest, code } };
  }
  logger.error("internal error", {
    message: cause instanceof Error ? cause.message : String(cause),
    stack: cause instanceof Error ? cause.stack : undefined,
    path: formatted.path,
  });
  return { message: "Internal server error", ...where, extensions: { code: "INTERNAL_SERVER_ERROR" } };
}

/** Re-creates an error as a plain GraphQLError whose extensions already carry the client-safe code. */
export function toSafeGraphQLError(error: GraphQLError, logger: Logger): GraphQLError {
  const safe = toClientError(error.toJSON(), error, logger);
  return new GraphQLError(safe.message, { path: error.path, nodes: error.nodes, extensions: safe.extensions });
}
