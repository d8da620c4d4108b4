/**
 * Everything that talks to a registry: GraphQL over HTTP, package upload and download, and
 * graphql-ws subscriptions. Failures become CliErrors carrying the server's catalogue code.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { createClient, type Client } from "graphql-ws/client";
import WebSocket from "ws";
import { isErrorCode } from "@skillyard/core";
import { CliError } from "./errors";

interface GraphQLErrorShape {
  message?: unknown;
  extensions?: { code?: unknown };
}

/** An operation's variables, as codegen types them (src/gql/graphql.ts). */
type Variables = Record<string, unknown>;

interface GraphQLBody<T> {
  data?: T | null;
  errors?: GraphQLErrorShape[];
}

export interface UploadResult {
  sha256: string;
  size: number;
}

export interface DownloadResult {
  data: Buffer;
  sha256: string;
}

const USER_AGENT = "skillyard-cli";

export class RegistryClient {
  constructor(
    readonly registry: string,
    readonly token: string | null,
  ) {}

  private authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  /**
   * Runs one operation (a generated document from src/graphql/*.graphql); the first GraphQL error
   * becomes a CliError with its `extensions.code`.
   */
  async gql<T, V extends Variables>(document: TypedDocumentNode<T, V>, variables: V): Promise<T> {
    const url = `${this.registry}/graphql`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", "user-agent": USER_AGENT, ...this.authHeaders() },
        body: JSON.stringify({ query: print(document), variables }),
      });
    } catch (err) {
      throw this.connectionFailed(err);
    }
    const text = await res.text().catch((err: unknown) => {
      throw this.connectionFailed(err);
    });
    let body: GraphQLBody<T>;
    try {
      body = JSON.parse(text) as GraphQLBody<T>;
    } catch {
      throw new CliError(
        "BAD_RESPONSE",
        `${url} answered HTTP ${res.status} with something that is not GraphQL JSON; is ${this.registry} a Skillyard registry?`,
      );
    }
    const [first] = body.errors ?? [];
    if (first) throw graphqlError(first);
    if (!body.data) throw new CliError("BAD_RESPONSE", `${url} answered HTTP ${res.status} without data.`);
    return body.data;
  }

  /**
   * POSTs a JSON body to one of the registry's REST endpoints (sign-in under /auth) and answers the
   * parsed JSON; an error answer `{"error":{"code","message"}}` becomes a CliError with that code.
   */
  async postJson<T>(path: string, body: Record<string, unknown>): Promise<T> {
    const url = `${this.registry}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", "user-agent": USER_AGENT },
        body: JSON.stringify(body),
      });
    } catch (err) {
      throw this.connectionFailed(err);
    }
    const text = await res.text().catch((err: unknown) => {
      throw this.connectionFailed(err);
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError("BAD_RESPONSE", `${url} answered HTTP ${res.status} with something that is not JSON; is ${this.registry} a Skillyard registry?`);
    }
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (!res.ok || error) {
      if (error && typeof error.code === "string") throw new CliError(error.code, String(error.message ?? `HTTP ${res.status}`));
      throw new CliError("BAD_RESPONSE", `${url} answered HTTP ${res.status}.`);
    }
    return parsed as T;
  }

  /** POST /packages, streaming the body and reporting bytes sent. */
  upload(body: Buffer, onProgress: (sent: number, total: number) => void = () => undefined): Promise<UploadResult> {
    const url = new URL(`${this.registry}/packages`);
    const transport = url.protocol === "https:" ? https : http;
    return new Promise<UploadResult>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        reject(err instanceof CliError ? err : this.connectionFailed(err));
      };
      const req = transport.request(url, {
        method: "POST",
        headers: {
          "content-type": "application/gzip",
          "content-length": String(body.length),
          "user-agent": USER_AGENT,
          ...this.authHeaders(),
        },
      });
      req.on("error", fail);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.on("end", () => {
          if (settled) return;
          settled = true;
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          try {
            const parsed = JSON.parse(text) as { sha256?: unknown; size?: unknown; error?: { code?: unknown; message?: unknown } };
            if (status >= 200 && status < 300 && typeof parsed.sha256 === "string" && typeof parsed.size === "number") {
              resolve({ sha256: parsed.sha256, size: parsed.size });
              return;
            }
            if (parsed.error && typeof parsed.error.code === "string") {
              reject(new CliError(parsed.error.code, String(parsed.error.message ?? `upload failed with HTTP ${status}`)));
              return;
            }
          } catch {
            // fall through
          }
          reject(new CliError("BAD_RESPONSE", `${url.href} answered HTTP ${status} with an unexpected body.`));
        });
      });
      countingReadable(body, onProgress).pipe(req);
    });
  }

  /**
   * Downloads a package, refusing to read more than `expectedSize` bytes. The token goes only to the
   * registry's own origin (a deployment with REQUIRE_AUTH_FOR_READ needs it there); a download URL on
   * any other host gets none.
   */
  async download(downloadUrl: string, expectedSize: number, label: string): Promise<DownloadResult> {
    const sameOrigin = new URL(downloadUrl).origin === new URL(this.registry).origin;
    const result = await this.get(
      downloadUrl,
      sameOrigin ? this.authHeaders() : {},
      label,
      expectedSize,
      () => new CliError("PACKAGE_CORRUPT", `size mismatch for ${label}: expected ${expectedSize} bytes, the download is larger.`),
    );
    if (result.data.length !== expectedSize) {
      throw new CliError("PACKAGE_CORRUPT", `size mismatch for ${label}: expected ${expectedSize} bytes, got ${result.data.length}.`);
    }
    return result;
  }

  /**
   * GETs a file of unknown size (a marketplace catalog, a plugin archive) with exactly the given
   * headers (never the CLI's token), refusing to read more than `maxBytes`.
   */
  fetchFile(url: string, headers: Record<string, string>, label: string, maxBytes: number): Promise<DownloadResult> {
    return this.get(url, headers, label, maxBytes, () => new CliError("BAD_RESPONSE", `${label}: ${url} sent more than ${maxBytes} bytes; refused.`));
  }

  /**
   * GET `url`, hashing the body as it arrives and stopping at `maxBytes`. An HTTP error becomes the
   * server's `{"error":{"code"}}` when it sent one, else BAD_RESPONSE.
   */
  private async get(url: string, headers: Record<string, string>, label: string, maxBytes: number, tooLarge: () => CliError): Promise<DownloadResult> {
    let res: Response;
    try {
      res = await fetch(url, { headers: { "user-agent": USER_AGENT, ...headers } });
    } catch (err) {
      throw this.connectionFailed(err, new URL(url).origin);
    }
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      let parsed: { error?: { code?: unknown; message?: unknown } } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        // not JSON
      }
      if (parsed.error && typeof parsed.error.code === "string") {
        throw new CliError(parsed.error.code, `${label}: ${String(parsed.error.message ?? `HTTP ${res.status}`)}`);
      }
      throw new CliError("BAD_RESPONSE", `${label}: ${url} answered HTTP ${res.status}.`);
    }
    const hash = createHash("sha256");
    const chunks: Buffer[] = [];
    let size = 0;
    if (res.body) {
      try {
        for await (const chunk of Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>)) {
          const buffer = chunk as Buffer;
          size += buffer.length;
          if (size > maxBytes) throw tooLarge();
          hash.update(buffer);
          chunks.push(buffer);
        }
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw this.connectionFailed(err, new URL(url).origin);
      }
    }
    return { data: Buffer.concat(chunks), sha256: hash.digest("hex") };
  }

  /** A graphql-ws client on the registry's /graphql path; dispose it when done. */
  subscriptions(): Client {
    return createClient({
      url: `${this.registry.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: this.token ? { authorization: `Bearer ${this.token}` } : {},
      retryAttempts: 0,
      lazy: true,
    });
  }

  /**
   * Subscribes and calls `onData` for each result; resolves when the server completes the stream.
   * Errors (GraphQL errors, a refused or dropped socket) reject with a CliError.
   */
  subscribe<T, V extends Variables>(client: Client, document: TypedDocumentNode<T, V>, variables: V, onData: (data: T) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      client.subscribe<T>(
        { query: print(document), variables },
        {
          next: (message) => {
            const [first] = (message.errors ?? []) as GraphQLErrorShape[];
            if (first) {
              reject(graphqlError(first));
              return;
            }
            if (message.data) {
              try {
                onData(message.data);
              } catch (err) {
                reject(err);
              }
            }
          },
          error: (err: unknown) => reject(this.subscriptionError(err)),
          complete: () => resolve(),
        },
      );
    });
  }

  private subscriptionError(err: unknown): CliError {
    if (Array.isArray(err) && err.length > 0) return graphqlError(err[0] as GraphQLErrorShape);
    const close = err as { code?: unknown; reason?: unknown } | null;
    if (close && typeof close.code === "number") {
      if (close.code === 4401 || close.code === 4403) {
        // The registry closes a refused connection with the error code as the reason (TOKEN_EXPIRED, IP_NOT_ALLOWED, …).
        const reason = String(close.reason ?? "");
        if (isErrorCode(reason)) return new CliError(reason, `The registry refused the live output's connection (${reason}).`);
        return new CliError("UNAUTHENTICATED", `The registry closed the live output: ${reason || "the API token was refused"}.`);
      }
      return new CliError(
        "CONNECTION_FAILED",
        `The live output from ${this.registry} closed (${close.code}${close.reason ? ` ${String(close.reason)}` : ""}).`,
      );
    }
    return this.connectionFailed(err);
  }

  private connectionFailed(err: unknown, origin = this.registry): CliError {
    return new CliError("CONNECTION_FAILED", `cannot reach ${origin} (${describeNetworkError(err)})`);
  }
}

function graphqlError(error: GraphQLErrorShape): CliError {
  const code = typeof error.extensions?.code === "string" ? error.extensions.code : "INTERNAL_SERVER_ERROR";
  return new CliError(code, typeof error.message === "string" ? error.message : "The registry answered with an error.");
}

/** The innermost errno-style code or message (fetch wraps the socket error in `cause`). */
function describeNetworkError(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    const e = current as { code?: unknown; cause?: unknown; message?: unknown; errors?: unknown };
    if (typeof e.code === "string" && /^E[A-Z]+/.test(e.code)) return e.code;
    if (Array.isArray(e.errors) && e.errors.length > 0) {
      current = e.errors[0];
      continue;
    }
    if (e.cause) {
      current = e.cause;
      continue;
    }
    if (typeof e.message === "string" && e.message) return e.message;
    break;
  }
  return "network error";
}

/** Yields the buffer in 64 KiB slices and reports how much has been handed to the socket. */
function countingReadable(body: Buffer, onProgress: (sent: number, total: number) => void): Readable {
  const SLICE = 64 * 1024;
  let offset = 0;
  onProgress(0, body.length);
  return new Readable({
    read() {
      if (offset >= body.length) {
        this.push(null);
        return;
      }
      const slice = body.subarray(offset, offset + SLICE);
      offset += slice.length;
      this.push(slice);
      onProgress(offset, body.length);
    },
  });
}
