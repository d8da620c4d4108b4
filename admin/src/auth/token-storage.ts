// The API token lives for the browser tab's session only: closing the tab signs out.
const KEY = "skillyard.token";

export function readToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function writeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, token);
}
