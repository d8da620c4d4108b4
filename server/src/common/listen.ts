import type http from "node:http";

export interface Listening {
  /** `http://host:port`, with the port actually bound (0 asks for a free one) and IPv6 hosts bracketed. */
  url: string;
  /** Ends open connections (keep-alive, streams), then stops listening. */
  close(): Promise<void>;
}

/** Starts `server` on `host:port`; the one way every listener here (API, subgraphs, a worker's metrics) binds. */
export async function listen(server: http.Server, at: { host: string; port: number }): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(at.port, at.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : at.port;
  return {
    url: `http://${at.host.includes(":") ? `[${at.host}]` : at.host}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
