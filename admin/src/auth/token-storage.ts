// What a browser tab remembers about how it is signed in, for the tab's life only: closing the tab
// forgets it (a session cookie outlives the tab, but the tab's memory of having used it does not).

// The API token the tab signed in with.
const KEY = "skillyard.token";
// Why the tab's last session ended without the user asking. Kept beside the token so a reload
// that races the sign-out (a 401 arrives, then the page reloads) still says why.
const ENDED_KEY = "skillyard.session-ended";
// Set while the tab is signed in by the session cookie: a reload that finds no live session then
// knows one ended (timed out, revoked) rather than that there never was one.
const COOKIE_SESSION_KEY = "skillyard.cookie-session";

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

export function wasSignedInByCookie(): boolean {
  return sessionStorage.getItem(COOKIE_SESSION_KEY) !== null;
}

export function markSignedInByCookie(signedIn: boolean): void {
  if (signedIn) sessionStorage.setItem(COOKIE_SESSION_KEY, "1");
  else sessionStorage.removeItem(COOKIE_SESSION_KEY);
}
