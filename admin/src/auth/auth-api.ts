// The console's side of the server's /auth endpoints (single sign-on and cookie sessions). Every
// request is same-origin: the session cookie is HttpOnly, so the SPA never sees it, only the
// session's CSRF token, which it sends back in X-CSRF-Token with every request made by cookie.

/** `GET /auth/config`: whether the sign-in page offers the identity provider. */
export interface AuthConfig {
  oidc: { enabled: boolean; issuer: string | null };
}

/**
 * What the console keeps of `GET /auth/session` (which also names the user and the expiry times):
 * the CSRF token it must send with every request made by cookie. Who the user is comes from
 * GraphQL's `viewer`, as for a token.
 */
export interface CookieSession {
  csrfToken: string;
}

/** The server answered something the console cannot use (a proxy's error page, an older server). */
export class AuthApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
    this.name = "AuthApiError";
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

async function readJson(response: Response, what: string): Promise<Json> {
  const body: unknown = await response.json().catch(() => null);
  if (!isObject(body)) throw new AuthApiError(`${what}: the server answered ${response.status} without a JSON object.`, response.status, null);
  return body;
}

/** The catalogue code and message of a REST error body `{"error":{"code","message"}}`. */
function restError(body: Json, status: number, what: string): AuthApiError {
  const error = body["error"];
  const code = isObject(error) && typeof error["code"] === "string" ? error["code"] : null;
  const message = isObject(error) && typeof error["message"] === "string" ? error["message"] : `the server answered ${status}`;
  return new AuthApiError(`${what}: ${message}`, status, code);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

export async function fetchAuthConfig(): Promise<AuthConfig> {
  const response = await fetch("/auth/config", { credentials: "same-origin", headers: { accept: "application/json" } });
  const body = await readJson(response, "GET /auth/config");
  if (!response.ok) throw restError(body, response.status, "GET /auth/config");
  const oidc = body["oidc"];
  if (!isObject(oidc) || typeof oidc["enabled"] !== "boolean")
    throw new AuthApiError("GET /auth/config: no oidc.enabled in the answer.", response.status, null);
  return { oidc: { enabled: oidc["enabled"], issuer: stringOrNull(oidc["issuer"]) } };
}

/**
 * The session the browser's cookie belongs to, or null when there is none (401: no cookie, or its
 * session ended; 404: a server from before console sessions).
 */
export async function fetchCookieSession(): Promise<CookieSession | null> {
  const response = await fetch("/auth/session", { credentials: "same-origin", headers: { accept: "application/json" } });
  if (response.status === 401 || response.status === 404) return null;
  const body = await readJson(response, "GET /auth/session");
  if (!response.ok) throw restError(body, response.status, "GET /auth/session");
  const csrfToken = body["csrfToken"];
  if (typeof csrfToken !== "string" || csrfToken === "") throw new AuthApiError("GET /auth/session: the answer has no csrfToken.", response.status, null);
  return { csrfToken };
}

/**
 * Ends the cookie's session on the server (which also clears the cookie). Answers where to go next:
 * the identity provider's end-session page, or null when it has none. A 401 means the session had
 * already ended, which is what was asked for.
 */
export async function logoutCookieSession(csrfToken: string): Promise<{ endSessionUrl: string | null }> {
  const response = await fetch("/auth/logout", {
    method: "POST",
    credentials: "same-origin",
    headers: { accept: "application/json", "x-csrf-token": csrfToken },
  });
  if (response.status === 401) return { endSessionUrl: null };
  const body = await readJson(response, "POST /auth/logout");
  if (!response.ok) throw restError(body, response.status, "POST /auth/logout");
  return { endSessionUrl: stringOrNull(body["endSessionUrl"]) };
}

/**
 * Where "Sign in with …" goes: the server's redirect to the identity provider, which comes back to
 * `returnTo` (a path under /admin; the server refuses any other) once the session is made.
 */
export function oidcLoginUrl(returnTo: string): string {
  return `/auth/oidc/login?${new URLSearchParams({ returnTo }).toString()}`;
}

/** "login.example.com" for the button, from the issuer URL (the URL itself if it is not one). */
export function issuerHost(issuer: string): string {
  try {
    return new URL(issuer).host;
  } catch {
    return issuer;
  }
}
