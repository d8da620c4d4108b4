import { CombinedGraphQLErrors, ServerError } from "@apollo/client/errors";

/** What a person should read about a failed request, and the server's machine-readable code. */
export interface DescribedError {
  message: string;
  code: string | null;
  /** The input the server blamed, when it named one (`extensions.argument`, e.g. `rules.2.pattern`). */
  argument: string | null;
}

export function describeError(error: unknown): DescribedError {
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0];
    const code = first?.extensions?.["code"];
    const argument = first?.extensions?.["argument"];
    return {
      message: first?.message ?? error.message,
      code: typeof code === "string" ? code : null,
      argument: typeof argument === "string" ? argument : null,
    };
  }
  if (ServerError.is(error)) {
    const rest = restErrorBody(error.bodyText);
    return {
      message: rest?.message ?? `The server answered ${error.statusCode}.`,
      code: rest?.code ?? (error.statusCode === 401 ? "UNAUTHENTICATED" : null),
      argument: null,
    };
  }
  if (error instanceof TypeError) return { message: "The server could not be reached. Is it running?", code: "NETWORK", argument: null };
  if (error instanceof Error) return { message: error.message, code: null, argument: null };
  return { message: "Something went wrong.", code: null, argument: null };
}

/** The code and message of a REST error body (`{"error":{"code","message"}}`), which a request refused before GraphQL answers with. */
function restErrorBody(bodyText: string): { code: string | null; message: string | null } | null {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return null;
  }
  if (typeof body !== "object" || body === null || !("error" in body)) return null;
  const inner: unknown = body.error;
  if (typeof inner !== "object" || inner === null) return null;
  const code = "code" in inner && typeof inner.code === "string" ? inner.code : null;
  const message = "message" in inner && typeof inner.message === "string" ? inner.message : null;
  return { code, message };
}

/** True when the credential (token or session) is missing, invalid, revoked or expired, whichever way the error arrived. */
export function isUnauthenticated(error: unknown): boolean {
  if (ServerError.is(error) && error.statusCode === 401) return true;
  return (
    CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.["code"] === "UNAUTHENTICATED" || e.extensions?.["code"] === "TOKEN_EXPIRED")
  );
}

/** True when a request made by session cookie was refused for its X-CSRF-Token (CSRF_INVALID). */
export function isCsrfRejected(error: unknown): boolean {
  return describeError(error).code === "CSRF_INVALID";
}
