import type { ApiTokenOrigin, GlobalRole, UserKind } from "../../../gql/graphql";

export const GLOBAL_ROLES: { role: GlobalRole; label: string; description: string }[] = [
  { role: "ADMIN", label: "Admin", description: "Manages users, tokens and the permission catalogue; maintains every team's skills." },
  { role: "REVIEWER", label: "Reviewer", description: "Approves or rejects versions waiting for review; reads the audit log." },
];

export const USER_KINDS: { kind: UserKind; label: string; description: string }[] = [
  {
    kind: "PERSON",
    label: "Person",
    description:
      "Someone who signs in. They get their first token by redeeming a one-time invitation you create for them; nobody else can hold a token that acts as them.",
  },
  {
    kind: "SERVICE",
    label: "Service account",
    description: "An automation (CI, a publishing bot). It holds no global role and can never review; admins create its tokens.",
  },
];

/** How a token came to be, in words, for the token list. */
export function tokenOriginWords(origin: ApiTokenOrigin | null): string {
  switch (origin) {
    case "BOOTSTRAP":
      return "bootstrap token, set when the server started";
    case "INVITATION":
      return "from a redeemed invitation";
    case "SELF":
      return "created by its owner";
    case "SERVICE_ACCOUNT":
      return "service account token, created by an admin";
    case "DISTRIBUTION":
      return "made by Skillyard for generated Claude Code settings (reads catalogs or sends telemetry, nothing else)";
    case "SSO":
      return "from a single sign-on in the CLI";
    case null:
      return "origin not recorded";
  }
}
