import { SkillyardError } from "@skillyard/core";
import { TokenScope } from "./api-token.entity";
import { GlobalRole, type User, UserKind } from "./user.entity";

/** Who a request acts for, and with which credential. */
export interface Viewer {
  user: User;
  /** The API token of this request, or null when it came with a console session. */
  tokenId: string | null;
  /** The console session of this request, or null when it came with a token. */
  sessionId: string | null;
  /** What this credential may do: a token's own scopes; a session every scope the user's roles allow. */
  scopes: ReadonlySet<TokenScope>;
  /** PUBLISH limited to these team ids; null = every team the user may publish to. */
  publishTeamIds: readonly string[] | null;
}

/** The part of every request context that says who is asking; null for anonymous requests. */
export interface ViewerContext {
  readonly viewer: Viewer | null;
  /** False when the deployment requires a token for every read (REQUIRE_AUTH_FOR_READ). */
  readonly anonymousReads: boolean;
}

export function requireViewer(ctx: ViewerContext): Viewer {
  if (!ctx.viewer) throw new SkillyardError("UNAUTHENTICATED", "Sign in with an API token (Authorization: Bearer <token>).");
  return ctx.viewer;
}

export function isAdmin(user: User): boolean {
  return user.roles.includes(GlobalRole.ADMIN);
}

/**
 * Who may decide on reviews and see every unreleased version: reviewers and admins, and never a
 * service account (their credentials are made by admins, so they must not count as a second person).
 */
export function isReviewer(user: User): boolean {
  return user.kind === UserKind.PERSON && (user.roles.includes(GlobalRole.REVIEWER) || user.roles.includes(GlobalRole.ADMIN));
}

/**
 * Every scope the user's roles give a use for: READ and PUBLISH for everyone, REVIEW for reviewers,
 * ADMIN for admins. A console session holds these; so did every token made before scopes existed
 * (the GranularApiTokens migration gave them exactly this).
 */
export function sessionScopes(user: User): ReadonlySet<TokenScope> {
  const scopes = new Set([TokenScope.READ, TokenScope.PUBLISH]);
  if (isReviewer(user)) scopes.add(TokenScope.REVIEW);
  if (isAdmin(user)) scopes.add(TokenScope.ADMIN);
  return scopes;
}

/** Throws INSUFFICIENT_SCOPE naming `scope` unless the viewer's credential holds it. */
export function requireScope(viewer: Viewer, scope: TokenScope): void {
  if (viewer.scopes.has(scope)) return;
  const held = [...viewer.scopes].sort().join(", ") || "none";
  throw new SkillyardError("INSUFFICIENT_SCOPE", `This needs a token with the ${scope} scope; this one has ${held}.`, { scope });
}

/**
 * Whether the viewer's credential may do PUBLISH work for team `teamId` (null: for the whole
 * organisation, e.g. an organisation-wide required skill): it holds PUBLISH and, when its PUBLISH is
 * limited to some teams, `teamId` is one of them. Whether the user may do it at all (membership,
 * maintainer, admin) is the caller's own rule, checked as well.
 */
export function mayPublishFor(viewer: Viewer, teamId: string | null): boolean {
  if (!viewer.scopes.has(TokenScope.PUBLISH)) return false;
  return viewer.publishTeamIds === null || (teamId !== null && viewer.publishTeamIds.includes(teamId));
}

/** Throws INSUFFICIENT_SCOPE unless mayPublishFor(viewer, teamId); `what` completes "this token cannot …". */
export function assertMayPublishFor(viewer: Viewer, teamId: string | null, what: string): void {
  requireScope(viewer, TokenScope.PUBLISH);
  if (mayPublishFor(viewer, teamId)) return;
  throw new SkillyardError("INSUFFICIENT_SCOPE", `This token's PUBLISH scope is limited to other teams (its publishTeams): it cannot ${what}.`, {
    scope: TokenScope.PUBLISH,
  });
}
