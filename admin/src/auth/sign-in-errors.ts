import { ERROR_CODES, isErrorCode } from "@skillyard/core/src/errors";

// Why a sign-in through the identity provider failed: the server's callback sends the browser to
// `/admin/?signInError=<CODE>`, a code from the one error catalogue.

/** What a person signing in should read for the codes they can do something about. */
const IN_WORDS: Partial<Record<string, string>> = {
  ACCESS_DENIED: "The sign-in was cancelled or refused at your identity provider. Try again, or ask whoever runs your directory.",
  ACCOUNT_DISABLED: "Your Skillyard account is deactivated. Ask whoever runs your directory (or a Skillyard admin) to restore it.",
  SSO_STATE_INVALID: "That sign-in expired or was started in another browser or tab. Start it again from here.",
  SSO_SIGN_IN_FAILED: "Your identity provider's answer could not be accepted. Try again; if it keeps failing, tell a Skillyard admin.",
  SSO_CLAIMS_INVALID: "Your identity provider did not tell Skillyard your email address. Ask whoever runs your directory to release it to Skillyard.",
  SSO_ACCOUNT_CONFLICT: "Your email address already belongs to a Skillyard user linked to another directory account. Ask a Skillyard admin.",
  SSO_UNAVAILABLE: "Your identity provider did not answer. Try again in a moment.",
  SSO_NOT_CONFIGURED: "Single sign-on is not set up on this server. Sign in with an API token instead.",
};

/** A readable message for a `signInError` code, ending with the code itself for whoever helps. */
export function signInErrorMessage(code: string): string {
  const words = IN_WORDS[code] ?? (isErrorCode(code) ? ERROR_CODES[code].description : "Signing in with your identity provider did not work. Try again.");
  return `${words} (${code})`;
}

/** The code in the address the server sent the browser back to, if any (only catalogue-shaped codes). */
export function readSignInError(search: string): string | null {
  const code = new URLSearchParams(search).get("signInError");
  return code && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : null;
}
