import type { GlobalRole } from "../../../gql/graphql";

// The server's rules and messages (server/src/identity/identity.service.ts), checked before the round trip.
const HANDLE = /^[a-z0-9][a-z0-9-]{0,38}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function handleError(handle: string): string | null {
  return HANDLE.test(handle) ? null : "A handle is 1-39 lowercase letters, digits or '-', starting with a letter or digit.";
}

export function emailError(email: string): string | null {
  return EMAIL.test(email) ? null : `"${email}" is not an email address.`;
}

export function tokenNameError(name: string): string | null {
  const trimmed = name.trim();
  return trimmed && trimmed.length <= 100 ? null : "A token name is 1-100 characters.";
}

export const GLOBAL_ROLES: { role: GlobalRole; label: string; description: string }[] = [
  { role: "ADMIN", label: "Admin", description: "Manages users, tokens and the permission catalogue; maintains every team's skills." },
  { role: "REVIEWER", label: "Reviewer", description: "Approves or rejects versions waiting for review; reads the audit log." },
];
