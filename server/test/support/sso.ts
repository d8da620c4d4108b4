import assert from "node:assert/strict";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { Browser, type Hop } from "./browser";
import type { TestOidcProvider } from "./oidc-provider";
import type { GraphQLResponse } from "./test-server";

/** What GET /auth/session answers. */
export interface SessionInfo {
  user: { id: string; handle: string; name: string | null; email: string; roles: string[] };
  csrfToken: string;
  expiresAt: string;
  idleExpiresAt: string;
}

/** A browser signed in to the console through the provider. */
export interface SignedIn {
  browser: Browser;
  /** The value of the skillyard_session cookie. */
  cookie: string;
  csrfToken: string;
  session: SessionInfo;
  /** Skillyard's answer to the provider's redirect back (302 to returnTo, with Set-Cookie). */
  callback: Hop;
}

/** Starts a console sign-in at Skillyard: its 302 to the provider. */
export async function startSignIn(browser: Browser, skillyard: string, returnTo?: string): Promise<Hop> {
  const query = returnTo === undefined ? "" : `?returnTo=${encodeURIComponent(returnTo)}`;
  return browser.request(`${skillyard}/auth/oidc/login${query}`);
}

/**
 * Signs `login` in to the console as a browser does: Skillyard's sign-in redirect, the provider's
 * sign-in and consent pages, the callback. Answers the session (GET /auth/session).
 */
export async function signIn(
  skillyard: string,
  provider: TestOidcProvider,
  login: string,
  options: { browser?: Browser; returnTo?: string } = {},
): Promise<SignedIn> {
  const browser = options.browser ?? new Browser();
  const start = await startSignIn(browser, skillyard, options.returnTo);
  assert.equal(start.status, 302, start.body);
  assert.ok(start.location?.startsWith(provider.issuer), `the sign-in goes to the provider, not ${start.location}`);
  const back = await provider.authorize(browser, start.location!, login);
  const callback = await browser.request(back.location!);
  assert.equal(callback.status, 302);
  const cookie = browser.cookie(skillyard, "skillyard_session");
  assert.ok(cookie, `signed in: ${callback.location}`);
  const session = await browser.request(`${skillyard}/auth/session`);
  assert.equal(session.status, 200, session.body);
  const info = JSON.parse(session.body) as SessionInfo;
  return { browser, cookie, csrfToken: info.csrfToken, session: info, callback };
}

/** POST /graphql as the console does: the session cookie, and the CSRF header unless null. */
export async function cookieGql<T = Record<string, unknown>>(
  skillyard: string,
  cookie: string,
  csrfToken: string | null,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const res = await fetch(`${skillyard}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      cookie: `skillyard_session=${cookie}`,
      ...(csrfToken === null ? {} : { "x-csrf-token": csrfToken }),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  return { ...((await res.json()) as GraphQLResponse<T>), status: res.status };
}

/** A graphql-ws client that authenticates as the console does: the session cookie on the upgrade, the CSRF token in connection_init. */
export function sessionWsClient(skillyard: string, cookie: string, csrfToken: string | null, onClosed: (code: number) => void = () => undefined): Client {
  class CookieSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { cookie: `skillyard_session=${cookie}` } });
    }
  }
  return createClient({
    url: `${skillyard.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: CookieSocket,
    connectionParams: csrfToken === null ? {} : { csrfToken },
    retryAttempts: 0,
    lazy: true,
    on: { closed: (event) => onClosed((event as { code: number }).code) },
  });
}
