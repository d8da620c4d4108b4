import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { type AddressPolicy, type HostLookup, ipLiteral, isLocalhostName } from "./webhook-targets";

/** How many 307/308 redirects one attempt follows. */
export const MAX_REDIRECTS = 3;
const ERROR_MAX_LENGTH = 500;

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** Why a URL may not be called, or null when it may (as far as can be told before resolving it: host names are checked when connecting). */
export function targetProblem(url: URL, policy: AddressPolicy): string | null {
  if (url.protocol !== "http:" && url.protocol !== "https:") return `refused: ${url.protocol} is not http or https`;
  if (url.username || url.password) return "refused: the URL carries credentials";
  const literal = ipLiteral(url);
  if (literal !== null ? !policy.allows(literal) : isLocalhostName(url.hostname) && !policy.allows("127.0.0.1")) {
    return "refused: the target is a loopback, private, link-local or otherwise internal address";
  }
  return null;
}

class Refused extends Error {}

/**
 * POSTs one webhook delivery attempt. The target's addresses are checked when the connection is
 * made (the socket connects to exactly the address that was checked, so a DNS answer that changes
 * between the check and the connection cannot slip through), and again for every redirect. Only
 * 307 and 308 are followed (they keep the method and the signed body), at most MAX_REDIRECTS.
 * Connection failures are reported alike, so an attempt says nothing about which ports are open.
 */
export class WebhookTransport {
  constructor(
    private readonly options: {
      timeoutMs: number;
      addresses: AddressPolicy;
      lookup: HostLookup;
    },
  ) {}

  /** Never throws. */
  async post(target: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let url = new URL(target);
    for (let hop = 0; ; hop++) {
      const refused = targetProblem(url, this.options.addresses);
      if (refused) return { ok: false, statusCode: null, error: hop ? `${refused} (redirect ${hop})` : refused, durationMs: elapsed() };
      let statusCode: number;
      let location: string | undefined;
      try {
        ({ statusCode, location } = await this.send(url, headers, body, signal));
      } catch (error) {
        return { ok: false, statusCode: null, error: this.describe(error, hop), durationMs: elapsed() };
      }
      if (statusCode >= 200 && statusCode < 300) return { ok: true, statusCode, error: null, durationMs: elapsed() };
      if ((statusCode === 307 || statusCode === 308) && location && hop < MAX_REDIRECTS) {
        try {
          url = new URL(location, url);
        } catch {
          return { ok: false, statusCode, error: `HTTP ${statusCode} to an invalid location`, durationMs: elapsed() };
        }
        continue;
      }
      const error =
        statusCode === 307 || statusCode === 308
          ? `HTTP ${statusCode} (more than ${MAX_REDIRECTS} redirects)`
          : statusCode >= 300 && statusCode < 400
            ? `HTTP ${statusCode} (only 307 and 308 redirects are followed: they keep the POST)`
            : `HTTP ${statusCode}`;
      return { ok: false, statusCode, error, durationMs: elapsed() };
    }
  }

  private send(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<{ statusCode: number; location: string | undefined }> {
    const { addresses, lookup: resolve } = this.options;
    // Called by the socket for host names (IP literals were checked above): resolve, refuse the whole
    // answer if any address is internal, and connect to the first checked one.
    const lookup: LookupFunction = (hostname, options, callback) => {
      resolve(hostname).then(
        (found) => {
          const wanted = options.family === 4 || options.family === 6 ? found.filter((a) => (a.includes(":") ? 6 : 4) === options.family) : found;
          if (wanted.length === 0) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: "ENOTFOUND" }), "", 4);
          if (!wanted.every((a) => addresses.allows(a))) return callback(new Refused(), "", 4);
          const address = wanted[0];
          if (options.all)
            return (callback as unknown as (err: null, all: { address: string; family: number }[]) => void)(null, [
              { address, family: address.includes(":") ? 6 : 4 },
            ]);
          callback(null, address, address.includes(":") ? 6 : 4);
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), "", 4),
      );
    };
    return new Promise((resolvePromise, reject) => {
      const request = (url.protocol === "https:" ? https : http).request(url, {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        signal,
        lookup,
      });
      request.once("response", (res) => {
        // The answer's body is not needed; draining it frees the connection.
        res.resume();
        resolvePromise({ statusCode: res.statusCode ?? 0, location: typeof res.headers.location === "string" ? res.headers.location : undefined });
      });
      request.once("error", reject);
      request.end(body);
    });
  }

  private describe(error: unknown, hop: number): string {
    const where = hop ? ` (redirect ${hop})` : "";
    if (error instanceof Refused || (error instanceof Error && error.cause instanceof Refused)) {
      return `refused: the target resolves to a loopback, private, link-local or otherwise internal address${where}`;
    }
    if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError"))
      return `no answer within ${this.options.timeoutMs} ms${where}`;
    const code = (error as { code?: unknown }).code;
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `the host name does not resolve${where}`;
    // Refused, reset, unreachable, TLS: one answer, so deliveries cannot be used to scan ports.
    return `could not connect to the receiver${where}`.slice(0, ERROR_MAX_LENGTH);
  }
}
