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
    return { message: `The server answered ${error.statusCode}.`, code: error.statusCode === 401 ? "UNAUTHENTICATED" : null, argument: null };
  }
  if (error instanceof TypeError) return { message: "The server could not be reached. Is it running?", code: "NETWORK", argument: null };
  if (error instanceof Error) return { message: error.message, code: null, argument: null };
  return { message: "Something went wrong.", code: null, argument: null };
}

/** True when the token is missing, invalid or revoked, whichever way the error arrived. */
export function isUnauthenticated(error: unknown): boolean {
  if (ServerError.is(error) && error.statusCode === 401) return true;
  return CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.["code"] === "UNAUTHENTICATED");
}
