import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How a receiver path answers its n-th request (1-based); "hang" never answers. */
export type Responder = (n: number, res: ServerResponse) => void | "hang";

/** A real HTTP receiver on 127.0.0.1 that records every request and answers per path. */
export class Receiver {
  readonly received: Received[] = [];
  private readonly counts = new Map<string, number>();
  private readonly responders = new Map<string, Responder>();
  private server: Server | null = null;
  url = "";

  on(path: string, responder: Responder): string {
    this.responders.set(path, responder);
    return `${this.url}${path}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const path = req.url ?? "/";
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        const n = (this.counts.get(path) ?? 0) + 1;
        this.counts.set(path, n);
        const responder = this.responders.get(path);
        if (!responder) return void res.writeHead(404).end();
        // A hanging request is left open; the server's closeAllConnections ends it at teardown.
        responder(n, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  requestsTo(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
