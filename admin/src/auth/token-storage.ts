// The API token lives for the browser tab's session only: closing the tab signs out.
const KEY = "skillyard.token";
// Why the tab's last session ended without the user asking. Kept beside the token so a reload
// that races the sign-out (a 401 arrives, then the page reloads) still says why.
const ENDED_KEY = "skillyard.session-ended";

export function readToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function writeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, token);
}

export function readEndedReason(): string | null {
  return sessionStorage.getItem(ENDED_KEY);
}

export function writeEndedReason(reason: string | null): void {
  if (reason === null) sessionStorage.removeItem(ENDED_KEY);
  else sessionStorage.setItem(ENDED_KEY, reason);
}
