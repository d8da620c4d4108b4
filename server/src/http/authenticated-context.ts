import { GraphQLError } from "graphql";
import type { Runtime } from "../composition-root";
import type { RequestContext } from "../graphql/request-context";
import { readCookie, SESSION_COOKIE } from "../sso/cookies";

/** What a request may authenticate with: a bearer token, or the console's session cookie with its CSRF token. */
export interface RequestCredentials {
  authorization: string | undefined;
  /** The Cookie header; the session cookie counts only when no Authorization header came. */
  cookie?: string | undefined;
  /** The X-CSRF-Token header, required with the session cookie. */
  csrfToken?: string | string[] | undefined;
}

/**
 * The context of one GraphQL request. An Authorization header always wins: anonymous without one,
 * the token's user with a valid one, and a 401 (never silently anonymous) with an invalid, revoked
 * or expired one. Without it, a console session cookie makes the session's user the viewer, but
 * only with the session's CSRF token in X-CSRF-Token (403 CSRF_INVALID otherwise: a page on another
 * site can make a browser send the cookie, never read the token); an ended session is a 401.
 */
export async function authenticatedContext(runtime: Runtime, credentials: RequestCredentials): Promise<RequestContext> {
  const { apiTokens, sessions } = runtime.services;
  const { authorization } = credentials;
  if (authorization) {
    const viewer = await apiTokens.authenticate(authorization);
    if (viewer) return runtime.requestContext(viewer);
    // A narrow token (telemetry, catalogs) is real but acts for nobody: say so rather than "invalid".
    const scope = await apiTokens.scopeOf(authorization);
    if (scope) throw new GraphQLError(`This token is ${scope} only: it cannot use the API.`, { extensions: { code: "FORBIDDEN", http: { status: 403 } } });
    throw new GraphQLError("The API token is invalid or revoked.", { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
  }
  const secret = readCookie(credentials.cookie, SESSION_COOKIE);
  if (!secret) return runtime.requestContext(null);
  const live = await sessions.authenticate(secret);
  if (!live) {
    throw new GraphQLError("Your console session has ended (signed out, expired or idle too long): sign in again.", {
      extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
    });
  }
  if (!sessions.csrfMatches(live.session, credentials.csrfToken)) {
    throw new GraphQLError("Requests with the session cookie need the session's X-CSRF-Token header (GET /auth/session answers it).", {
      extensions: { code: "CSRF_INVALID", http: { status: 403 } },
    });
  }
  return runtime.requestContext(sessions.viewerOf(live));
}
