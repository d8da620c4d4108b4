import { GlobalRole, type User, UserKind } from "./user.entity";

/**
 * What a credential may do. READ: every query and subscription, installs, ratings, downloads;
 * PUBLISH: publishing and what maintainers do; REVIEW: review decisions and quality reviews; ADMIN:
 * every admin-only operation; INGEST: /v1/logs only; CATALOG_READ: generated Claude Code catalogs only.
 */
export enum TokenScope {
  READ = "READ",
  PUBLISH = "PUBLISH",
  REVIEW = "REVIEW",
  ADMIN = "ADMIN",
  INGEST = "INGEST",
  CATALOG_READ = "CATALOG_READ",
}

/** Everything the user's roles allow: what a console session (and a full token) may do. */
export function sessionScopes(user: User): ReadonlySet<TokenScope> {
  const scopes = new Set([TokenScope.READ, TokenScope.PUBLISH]);
  const person = user.kind === UserKind.PERSON;
  if (person && (user.roles.includes(GlobalRole.REVIEWER) || user.roles.includes(GlobalRole.ADMIN))) scopes.add(TokenScope.REVIEW);
  if (user.roles.includes(GlobalRole.ADMIN)) scopes.add(TokenScope.ADMIN);
  return scopes;
}
