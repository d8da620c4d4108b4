import { GraphQLError } from "graphql";
import type { Runtime } from "../composition-root";
import type { RequestContext } from "../graphql/request-context";

/**
 * The context of one GraphQL request: anonymous without an Authorization header, the token's user
 * with a valid one, and a 401 (never silently anonymous) with an invalid or revoked one.
 */
export async function authenticatedContext(runtime: Runtime, authorization: string | undefined): Promise<RequestContext> {
  const { apiTokens } = runtime.services;
  const viewer = await apiTokens.authenticate(authorization);
  if (authorization && !viewer) {
    // A narrow token (telemetry, catalogs) is real but acts for nobody: say so rather than "invalid".
    const scope = await apiTokens.scopeOf(authorization);
    if (scope) throw new GraphQLError(`This token is ${scope} only: it cannot use the API.`, { extensions: { code: "FORBIDDEN", http: { status: 403 } } });
    throw new GraphQLError("The API token is invalid or revoked.", { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
  }
  return runtime.requestContext(viewer);
}
