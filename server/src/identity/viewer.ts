import { SkillyardError } from "@skillyard/core";
import type { TokenScope } from "./token-scope";
import { GlobalRole, type User, UserKind } from "./user.entity";

/** Who a request acts for: a user, through one of their API tokens or a console session. */
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
