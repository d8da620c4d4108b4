import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * What a CDN or a caching proxy is to Claude Code: an HTTP front on 127.0.0.1 (a server's PUBLIC_URL)
 * that forwards every request to `target` and passes the answer back, recording each request. An
 * answer whose path `corrupt` picks gets one byte flipped, as a tampered or broken cache would serve it.
 */
export class RecordingFront {
  readonly requests: RecordedRequest[] = [];
  target = "";
  corrupt: ((url: string) => boolean) | null = null;
  url = "";
  private readonly server = http.createServer((req, res) => {
    this.forward(req, res).catch((err: unknown) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(String(err));
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The requests whose path (without the query) is `pathname`. */
  requestsTo(pathname: string): RecordedRequest[] {
    return this.requests.filter((r) => r.url.split("?")[0] === pathname);
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    this.requests.push({ method: req.method ?? "GET", url, headers: req.headers });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const hopByHop = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length"]);
    const headers = Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === "string" && !hopByHop.has(e[0]));
    const upstream = await fetch(`${this.target}${url}`, {
      method: req.method,
      headers: Object.fromEntries(headers),
      body: req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.concat(chunks),
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    if (upstream.ok && body.length > 0 && this.corrupt?.(url)) body[Math.floor(body.length / 2)] ^= 0xff;
    res.writeHead(upstream.status, {
      "content-type": upstream.headers.get("content-type") ?? "application/octet-stream",
      "content-length": String(body.length),
    });
    res.end(body);
  }
}
