import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";
import { gunzipSync, inflateSync } from "node:zlib";
import type { TestTls } from "./tls";

/** One request the front received, as Claude Code sent it. */
export interface RecordedRequest {
  at: number;
  method: string;
  /** Path and query string, as sent. */
  url: string;
  pathname: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The body after any gzip/deflate content-encoding was undone. */
  body: Buffer;
  /** The status the front answered. */
  status: number;
}

/** A fixed answer for one path. */
export interface Fixture {
  status?: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

export interface HttpsFrontOptions {
  tls: TestTls;
  /** An HTTP origin (e.g. the product's `http://127.0.0.1:<port>`) that requests without a fixture are proxied to. */
  target?: string;
  /** Port on 127.0.0.1; a free one when left out (or when 0). */
  port?: number;
  /** Answers POST /v1/logs, /v1/metrics and /v1/traces with 200 `{}` (an OTLP/HTTP collector that keeps what it gets in `requests`). */
  otlp?: boolean;
  /** Decides first; return true when it answered the request itself. */
  handle?: (request: RecordedRequest, response: ServerResponse) => boolean | Promise<boolean>;
}

/** An HTTPS server on 127.0.0.1 reached as `https://<tls.hostName>:<port>`. */
export interface HttpsFront {
  hostName: string;
  port: number;
  /** `https://<host>:<port>` */
  origin: string;
  /** `origin + path` (path must start with "/"). */
  url(path: string): string;
  /** Every request so far, in arrival order. */
  readonly requests: RecordedRequest[];
  /** The requests whose pathname is `pathname`. */
  requestsTo(pathname: string): RecordedRequest[];
  /**
   * Serves `fixture` at `pathAndQuery`. A fixture keyed with a query string ("/marketplace.json?channel=stable")
   * matches only that exact query; one keyed by a bare path matches that path with any query not served otherwise.
   */
  serve(pathAndQuery: string, fixture: Fixture | string | Buffer): void;
  /** Stops serving a fixture (the path then answers 404, or is proxied when there is a target). */
  unserve(pathAndQuery: string): void;
  clearRequests(): void;
  /** Closes the listener and every open connection; afterwards the port refuses connections. */
  stop(): Promise<void>;
}

function decodeBody(raw: Buffer, encoding: string | undefined): Buffer {
  try {
    if (encoding === "gzip") return gunzipSync(raw);
    if (encoding === "deflate") return inflateSync(raw);
  } catch {
    return raw;
  }
  return raw;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function proxy(target: URL, request: RecordedRequest, raw: Buffer, response: ServerResponse, hostName: string, port: number): Promise<number> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = { ...request.headers, "x-forwarded-proto": "https", "x-forwarded-host": `${hostName}:${port}` };
    delete headers.connection;
    const upstream = http.request({ hostname: target.hostname, port: target.port, method: request.method, path: request.url, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
      answer.on("end", () => resolve(answer.statusCode ?? 502));
    });
    upstream.on("error", (error) => {
      if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
      response.end(`proxy error: ${error.message}`);
      resolve(502);
    });
    upstream.end(raw);
  });
}

/** Starts the front (TLS with the test certificate, bound to 127.0.0.1 only). */
export async function startHttpsFront(options: HttpsFrontOptions): Promise<HttpsFront> {
  const fixtures = new Map<string, Fixture>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const target = options.target ? new URL(options.target) : undefined;
  let port = 0;

  const server = https.createServer({ cert: options.tls.cert, key: options.tls.key }, (incoming, response) => {
    void (async () => {
      const raw = await readBody(incoming);
      const parsed = new URL(incoming.url ?? "/", "https://front.invalid");
      const record: RecordedRequest = {
        at: Date.now(),
        method: incoming.method ?? "GET",
        url: incoming.url ?? "/",
        pathname: parsed.pathname,
        query: parsed.searchParams,
        headers: incoming.headers,
        body: decodeBody(raw, incoming.headers["content-encoding"]),
        status: 0,
      };
      requests.push(record);
      response.on("finish", () => (record.status = response.statusCode));
      if (options.handle && (await options.handle(record, response))) return;
      if (options.otlp && record.method === "POST" && ["/v1/logs", "/v1/metrics", "/v1/traces"].includes(parsed.pathname)) {
        response.writeHead(200, { "content-type": "application/json" });
        response.end("{}");
        return;
      }
      const fixture = fixtures.get(record.url) ?? fixtures.get(parsed.pathname);
      if (fixture) {
        const body = typeof fixture.body === "string" ? Buffer.from(fixture.body, "utf8") : fixture.body;
        response.writeHead(fixture.status ?? 200, { "content-length": String(body.length), ...fixture.headers });
        response.end(record.method === "HEAD" ? undefined : body);
        return;
      }
      if (target) {
        await proxy(target, record, raw, response, options.tls.hostName, port);
        return;
      }
      response.writeHead(404, { "content-type": "text/plain" });
      response.end(`no fixture for ${record.url}`);
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end(String(error));
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `https://${options.tls.hostName}:${port}`;
  let stopped: Promise<void> | undefined;

  return {
    hostName: options.tls.hostName,
    port,
    origin,
    url: (path) => `${origin}${path}`,
    requests,
    requestsTo: (pathname) => requests.filter((request) => request.pathname === pathname),
    serve(pathAndQuery, fixture) {
      fixtures.set(pathAndQuery, typeof fixture === "string" || Buffer.isBuffer(fixture) ? { body: fixture } : fixture);
    },
    unserve: (pathAndQuery) => void fixtures.delete(pathAndQuery),
    clearRequests: () => void requests.splice(0, requests.length),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopped;
    },
  };
}
