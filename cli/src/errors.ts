import { isErrorCode, SkillyardError, type ErrorCode } from "@skillyard/core";

/**
 * Codes only the CLI produces, for failures that never reach a server (so the catalogue in
 * @skillyard/core has no entry for them). Catalogue codes are used wherever one fits; keep this
 * map small and documented.
 */
export const CLI_ERROR_CODES = {
  CONNECTION_FAILED: "The registry could not be reached (refused, DNS, TLS, reset).",
  BAD_RESPONSE:
    "The registry answered something that is not Skillyard's API (wrong URL, proxy page), or an answer that breaks its promises (an install naming a folder outside the install folder, a bad digest or size); nothing was written.",
  CONFIG_INVALID: "The configuration file is not valid JSON of the expected shape.",
  LOCKFILE_INVALID: "skillyard.lock is not a lockfile this CLI understands.",
  TESTS_NOT_RUN: "The sandbox could not run the tests (an infrastructure error); the version stays in TESTING.",
  EVALS_NOT_RUN:
    "The sandbox could not run the version's evals (an infrastructure error); it stays in EVALUATING until a member of its team re-runs them (rerunEvals).",
  INTERNAL_ERROR: "An unexpected failure inside the CLI itself (a file system error, a bug).",
} as const;

export type CliErrorCode = keyof typeof CLI_ERROR_CODES;
export type AnyErrorCode = ErrorCode | CliErrorCode;

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** What to do about a failure the user can fix, added to the registry's reason. */
const FIXES: Partial<Record<AnyErrorCode, string>> = {
  TOKEN_EXPIRED: "create a new token (`skillyard token create` with a working one, or in the console) and store it with `skillyard login`",
  INSUFFICIENT_SCOPE: "use a token with that scope: `skillyard token create --name <name> --scope <scope>` (it cannot exceed the token you create it with)",
  IP_NOT_ALLOWED: "run this from a network the token allows, or use a token whose --cidr ranges cover this machine",
};

/** The message to show for `error`: its own, and how to fix it when the CLI knows. */
export function explained(error: CliError): string {
  const fix = FIXES[error.code as AnyErrorCode];
  return fix ? `${error.message.replace(/\.?\s*$/, "")}. To fix: ${fix}.` : error.message;
}

/** A failure to report as one line (`error CODE: message`) or as `{"error":{"code","message"}}`. */
export class CliError extends Error {
  constructor(
    readonly code: AnyErrorCode | string,
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** A mistake in how the command was called: exit code 2. */
export function usageError(message: string): CliError {
  return new CliError("BAD_USER_INPUT", message, EXIT_USAGE);
}

/** Anything thrown, as a CliError. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof SkillyardError) return new CliError(error.code, error.message);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && isErrorCode(code)) return new CliError(code, error instanceof Error ? error.message : String(error));
  return new CliError("INTERNAL_ERROR", error instanceof Error ? error.message : String(error));
}
