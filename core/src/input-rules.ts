// Rules for what people type into identity and catalogue forms. The server enforces them; the admin
// console checks them first so a typo is caught before the round trip, with the same message.
// Browser-safe: no Node imports (the console imports this file directly).

/** `database:read`, `filesystem:write:/tmp`-style scopes: a namespace and one to three parts. */
export const PERMISSION_NAME_PATTERN = "^[a-z][a-z0-9-]*(:[a-z0-9*][a-z0-9_-]*){1,3}$";

const PERMISSION_NAME = new RegExp(PERMISSION_NAME_PATTERN);
const HANDLE = /^[a-z0-9][a-z0-9-]{0,38}$/;
const TEAM_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_TOKEN_NAME = 100;

/** Each answers null when the value is acceptable, or what is wrong with it. */
export function permissionNameProblem(name: string): string | null {
  return PERMISSION_NAME.test(name) ? null : `"${name}" is not a permission name like database:read.`;
}

export function permissionDescriptionProblem(description: string): string | null {
  return description.trim() ? null : "A permission needs a description.";
}

export function handleProblem(handle: string): string | null {
  return HANDLE.test(handle) ? null : "A handle is 1-39 lowercase letters, digits or '-', starting with a letter or digit.";
}

export function teamNameProblem(name: string): string | null {
  return TEAM_NAME.test(name) ? null : "A team name is 1-64 lowercase letters, digits or '-'.";
}

export function emailProblem(email: string): string | null {
  return EMAIL.test(email) ? null : `"${email}" is not an email address.`;
}

/** Token names are trimmed before they are stored. */
export function tokenNameProblem(name: string): string | null {
  const trimmed = name.trim();
  return trimmed && trimmed.length <= MAX_TOKEN_NAME ? null : `A token name is 1-${MAX_TOKEN_NAME} characters.`;
}
