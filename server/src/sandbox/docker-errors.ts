/** Socket-level failures: the daemon could not be reached at all. */
const CONNECTION_CODES = new Set([
  "ENOENT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EACCES",
  "EPERM",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

/** The HTTP status of an error answered by the Docker daemon (docker-modem sets `statusCode`). */
export function dockerStatusCode(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "statusCode" in error) {
    const status = (error as { statusCode: unknown }).statusCode;
    if (typeof status === "number") return status;
  }
  return undefined;
}

export function isDockerUnreachable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && CONNECTION_CODES.has(code);
}

/** One line for logs and for the INFRA_ERROR reason. */
export function describeDockerError(error: unknown): string {
  if (isDockerUnreachable(error)) return `Docker is unreachable: ${messageOf(error)}`;
  const status = dockerStatusCode(error);
  const message = messageOf(error);
  return status === undefined ? `Docker failed: ${message}` : `Docker answered ${status}: ${message}`;
}

function messageOf(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    // docker-modem puts the daemon's own message in `json.message`.
    const json = (error as { json?: unknown }).json;
    const daemonMessage = typeof json === "object" && json !== null ? (json as { message?: unknown }).message : undefined;
    text = typeof daemonMessage === "string" && daemonMessage ? daemonMessage : error.message;
  } else {
    text = String(error);
  }
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
