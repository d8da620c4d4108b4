import { tokenNameProblem } from "@skillyard/core/src/input-rules";
import type { Session } from "../../auth/session";
import type { CreateApiTokenInput, TokenScope } from "../../gql/graphql";
import { EXPIRING_WITHIN_DAYS } from "./tokens-url";

/** A scope as the console names and explains it. */
export interface ScopeInfo {
  scope: TokenScope;
  label: string;
  description: string;
}

/** The scopes a person can put on a token, in the order the dialog offers them. */
export const CREATABLE_SCOPES: readonly ScopeInfo[] = [
  { scope: "READ", label: "Read", description: "Search and read the catalogue, install and rate skills, download packages." },
  {
    scope: "PUBLISH",
    label: "Publish",
    description: "Upload and publish versions, yank, deprecate, move channels: for the teams you pick below, or all of yours.",
  },
  { scope: "REVIEW", label: "Review", description: "Approve or reject versions and record quality reviews." },
  { scope: "ADMIN", label: "Admin", description: "Everything only admins may do: users, tokens, teams, the permission catalogue, directory groups." },
  {
    scope: "INGEST",
    label: "Ingest telemetry",
    description: "Send Claude Code's usage logs to /v1/logs and nothing else: it cannot be combined with another scope.",
  },
];

const SCOPE_LABEL: Record<TokenScope, string> = {
  READ: "read",
  PUBLISH: "publish",
  REVIEW: "review",
  ADMIN: "admin",
  INGEST: "ingest",
  // Made by Skillyard alone, for generated Claude Code settings.
  CATALOG_READ: "catalog read",
};

export function scopeLabel(scope: TokenScope): string {
  return SCOPE_LABEL[scope];
}

/**
 * What the viewer may put on a token; the server applies the same rule (and a token never does
 * more than its user's roles allow, whatever its scopes say). Everyone reads and publishes (to
 * their teams); reviewers (and admins) review; admins administer and make telemetry (INGEST) tokens.
 */
export function allowedScopes(session: Session): ReadonlySet<TokenScope> {
  const allowed = new Set<TokenScope>(["READ", "PUBLISH"]);
  if (session.isReviewer) allowed.add("REVIEW");
  if (session.isAdmin) {
    allowed.add("ADMIN");
    allowed.add("INGEST");
  }
  return allowed;
}

/** The server's default expiry; the dialog starts there. */
export const DEFAULT_EXPIRY_DAYS = 90;

/** What the create dialog holds before it is sent. */
export interface TokenDraft {
  name: string;
  scopes: TokenScope[];
  /** Team names; empty: every team the viewer may publish to. */
  publishTeams: string[];
  /** From the number field: a number, or "" while it is empty. */
  expiresInDays: number | string;
  /** One CIDR range per line; blank lines are ignored. */
  allowedCidrs: string;
}

export const emptyDraft = (): TokenDraft => ({ name: "", scopes: ["READ"], publishTeams: [], expiresInDays: DEFAULT_EXPIRY_DAYS, allowedCidrs: "" });

/**
 * Ticking a scope: INGEST stands alone (the server refuses it with any other), so ticking it clears
 * the rest and ticking another clears it. Kept in the offered order.
 */
export function withScopes(previous: readonly TokenScope[], ticked: readonly string[]): TokenScope[] {
  const chosen = CREATABLE_SCOPES.map((s) => s.scope).filter((scope) => ticked.includes(scope));
  const ingestNewlyTicked = chosen.includes("INGEST") && !previous.includes("INGEST");
  if (ingestNewlyTicked) return ["INGEST"];
  return chosen.length > 1 ? chosen.filter((scope) => scope !== "INGEST") : chosen;
}

export function cidrLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** What is wrong with each field, before the round trip; the server checks it all again (CIDR syntax, the maximum expiry). */
export function draftProblems(draft: TokenDraft): { name: string | null; scopes: string | null; expiresInDays: string | null } {
  const days = draft.expiresInDays;
  return {
    name: tokenNameProblem(draft.name),
    scopes: draft.scopes.length === 0 ? "Pick at least one scope." : null,
    expiresInDays: typeof days !== "number" || !Number.isInteger(days) || days < 1 ? "A whole number of days, at least 1." : null,
  };
}

/** The createApiToken input of a valid draft. Publish teams go only with PUBLISH; no ranges means from anywhere. */
export function createInput(draft: TokenDraft): CreateApiTokenInput {
  const cidrs = cidrLines(draft.allowedCidrs);
  return {
    name: draft.name.trim(),
    scopes: draft.scopes,
    expiresInDays: Number(draft.expiresInDays),
    ...(draft.scopes.includes("PUBLISH") && draft.publishTeams.length > 0 ? { publishTeams: draft.publishTeams } : {}),
    ...(cidrs.length > 0 ? { allowedCidrs: cidrs } : {}),
  };
}

/** How a token's expiry is shown: none (bootstrap and distribution tokens), past, close (a warning), or later. */
export type ExpiryState = "never" | "expired" | "soon" | "later";

export function expiryState(expiresAt: string | null, now = Date.now()): ExpiryState {
  if (expiresAt === null) return "never";
  const left = new Date(expiresAt).getTime() - now;
  if (left <= 0) return "expired";
  return left <= EXPIRING_WITHIN_DAYS * 24 * 3600 * 1000 ? "soon" : "later";
}
