import type { IncomingMessage } from "node:http";
import { SkillyardError } from "@skillyard/core";
import { GraphQLError } from "graphql";
import { clientAddress } from "../common/client-address";
import type { Runtime } from "../composition-root";
import type { RequestContext } from "../graphql/request-context";
import { assertRouteScope, type RestAuthenticator } from "../identity/rest-access";
import { readCookie, SESSION_COOKIE } from "../sso/cookies";

type Request = Pick<IncomingMessage, "socket" | "headers">;

/** Apollo answers an error thrown while building the context with its own code and status, unless it is a GraphQLError saying both. */
function asGraphQLError(error: SkillyardError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { ...error.details, code: error.code, http: { status: error.status } } });
}

/**
 * The context of one GraphQL request. An Authorization header always wins: anonymous without one,
 * the token's user with a working one, and an error (never silently anonymous) otherwise: 401
 * UNAUTHENTICATED for an invalid or revoked token, 401 TOKEN_EXPIRED, 403 IP_NOT_ALLOWED. Without
 * it, and where `sessions` allows (public /graphql, not the subgraph listener), a console session
 * cookie makes the session's user the viewer, but only with the session's CSRF token in
 * X-CSRF-Token (403 CSRF_INVALID otherwise: a page on another site can make a browser send the
 * cookie, never read the token); an ended session is a 401. What the credential's scopes allow is
 * checked per operation (@Access).
 */
export async function authenticatedContext(runtime: Runtime, req: Request, options: { sessions: boolean }): Promise<RequestContext> {
  const { authorization } = req.headers;
  try {
    const secret = authorization || !options.sessions ? null : readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!secret) {
      const authenticated = await runtime.services.apiTokens.authenticate(authorization, clientAddress(req, runtime.config.trustedProxies));
      return runtime.requestContext(authenticated?.viewer ?? null);
    }
    const { sessions } = runtime.services;
    const live = await sessions.authenticate(secret);
    if (!live) throw new SkillyardError("UNAUTHENTICATED", "Your console session has ended (signed out, expired or idle too long): sign in again.");
    if (!sessions.csrfMatches(live.session, req.headers["x-csrf-token"])) {
      throw new SkillyardError("CSRF_INVALID", "Requests with the session cookie need the session's X-CSRF-Token header (GET /auth/session answers it).");
    }
    return runtime.requestContext(sessions.viewerOf(live));
  } catch (error) {
    if (error instanceof SkillyardError) throw asGraphQLError(error);
    throw error;
  }
}

/** REST routes' authentication (the token, its expiry, its networks) and scope check (REST_ROUTE_SCOPES). */
export function restAuthenticator(runtime: Runtime): RestAuthenticator<Request> {
  return async (req, route) => {
    const authenticated = await runtime.services.apiTokens.authenticate(req.headers.authorization, clientAddress(req, runtime.config.trustedProxies));
    if (authenticated) assertRouteScope(authenticated.viewer, route);
    return authenticated?.viewer ?? null;
  };
}
