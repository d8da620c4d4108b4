import { SkillyardError } from "@skillyard/core";
import { TokenScope } from "./api-token.entity";
import type { Viewer } from "./viewer";

/**
 * The token scopes each REST route takes, declared here once (GraphQL operations declare theirs
 * with @Access). A token needs one of the listed scopes; what the route then allows its user (which
 * packages they may see, which teams' settings) is the route's own rule.
 */
export const REST_ROUTE_SCOPES = {
  "POST /packages": [TokenScope.PUBLISH],
  "GET /packages/{sha256}.tgz": [TokenScope.READ],
  "GET /plugins/{sha256}.zip": [TokenScope.READ, TokenScope.CATALOG_READ],
  "GET /marketplace.json": [TokenScope.READ, TokenScope.CATALOG_READ],
  "GET /managed-settings.json": [TokenScope.READ],
  "POST /v1/logs": [TokenScope.INGEST],
  "POST /v1/metrics": [TokenScope.INGEST],
} as const satisfies Record<string, readonly TokenScope[]>;

export type RestRoute = keyof typeof REST_ROUTE_SCOPES;

/** Throws INSUFFICIENT_SCOPE unless the viewer's credential holds one of the scopes `route` takes. */
export function assertRouteScope(viewer: Viewer, route: RestRoute): void {
  const scopes: readonly TokenScope[] = REST_ROUTE_SCOPES[route];
  if (scopes.some((scope) => viewer.scopes.has(scope))) return;
  const held = [...viewer.scopes].sort().join(", ") || "none";
  throw new SkillyardError("INSUFFICIENT_SCOPE", `${route} needs a token with the ${scopes.join(" or ")} scope; this one has ${held}.`, {
    scope: scopes[0],
  });
}

/**
 * How a REST route learns who calls it: the request's token, authenticated (UNAUTHENTICATED,
 * TOKEN_EXPIRED, IP_NOT_ALLOWED) and checked against the route's scopes (INSUFFICIENT_SCOPE); null
 * when the request carries no token. The app wires it (the client address needs TRUSTED_PROXIES).
 */
export type RestAuthenticator<Request> = (req: Request, route: RestRoute) => Promise<Viewer | null>;
