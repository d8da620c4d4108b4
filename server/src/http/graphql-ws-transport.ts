import type http from "node:http";
import { CloseCode, type ConnectionInitMessage, handleProtocols, makeServer, MessageType, type ServerOptions } from "graphql-ws";
import { type WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../common/logger";

/** What each graphql-ws context carries in `extra`. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly request: http.IncomingMessage;
}

export interface GraphqlWsTransportOptions {
  server: http.Server;
  path: string;
  maxPayload: number;
  /** Pings every this many ms; a socket that has not answered the previous ping by then is dropped. */
  keepAliveMs?: number;
  /**
   * Whether a `next` payload is one object sent to many sockets (a shared execution result): it is
   * JSON-encoded once, the first time, and the text reused. Such payloads must never change once sent.
   */
  sharedPayload(payload: object): boolean;
}

/** A socket holding more unsent bytes than this makes its sends wait for the write (back-pressure from a slow reader). */
const HIGH_WATER_BYTES = 1024 * 1024;
/** What the encoder writes in place of a shared payload; the socket's `send` puts the payload's text there. */
const PAYLOAD_STAND_IN = "\u0000shared payload";
const STAND_IN_TAIL = `,"payload":${JSON.stringify(PAYLOAD_STAND_IN)}}`;

/**
 * graphql-ws on a `ws` server: graphql-ws's `useServer` (which its authors offer as a starter to
 * adapt), adapted for live logs, where one event goes to many sockets and a batch of events to each:
 *
 * - A send does not wait for its write to finish (graphql-ws awaits each one before taking the
 *   subscription's next result), unless the socket is backed up past HIGH_WATER_BYTES; and each
 *   socket is corked from its first send until the promise jobs queued meanwhile have run
 *   (process.nextTick), so the messages one batch of events makes go out in one write per socket,
 *   not one per message.
 * - A shared payload is encoded once, not once per socket: the JSON replacer sets its text aside
 *   and writes a stand-in, which `send` replaces. graphql-ws encodes a message and hands it to
 *   `send` in one synchronous step, so the text set aside belongs to the message `send` gets next;
 *   the stand-in's place (the last member, `payload`) is checked, so a change there fails loudly.
 */
export function serveGraphqlWs(
  transport: GraphqlWsTransportOptions,
  options: Omit<ServerOptions<ConnectionInitMessage["payload"], SocketExtra>, "jsonMessageReplacer">,
  logger: Logger,
): { close(): Promise<void> } {
  const encoded = new WeakMap<object, string>();
  let setAside: string | null = null;
  const server = makeServer<ConnectionInitMessage["payload"], SocketExtra>({
    ...options,
    jsonMessageReplacer(this: unknown, key: string, value: unknown) {
      if (key !== "payload" || typeof value !== "object" || value === null || !transport.sharedPayload(value)) return value;
      if ((this as { type?: unknown }).type !== MessageType.Next) return value;
      let text = encoded.get(value);
      if (text === undefined) encoded.set(value, (text = JSON.stringify(value)));
      setAside = text;
      return PAYLOAD_STAND_IN;
    },
  });
  const withPayload = (data: string): string => {
    const text = setAside;
    if (text === null) return data;
    setAside = null;
    if (!data.endsWith(STAND_IN_TAIL)) throw new Error("graphql-ws encoded a next message with its payload elsewhere than last");
    return `${data.slice(0, -STAND_IN_TAIL.length)},"payload":${text}}`;
  };

  const wss = new WebSocketServer({ server: transport.server, path: transport.path, maxPayload: transport.maxPayload, handleProtocols });
  wss.once("error", (error) => {
    logger.error("the WebSocket server failed", { message: error.message });
    for (const client of wss.clients) client.close(CloseCode.InternalServerError, "Internal server error");
  });
  wss.on("connection", (socket, request) => {
    const tcp = request.socket;
    let corked = false;
    const corkUntilNextTick = () => {
      if (corked) return;
      corked = true;
      tcp.cork();
      process.nextTick(() => {
        corked = false;
        tcp.uncork();
      });
    };
    socket.once("error", (error) => {
      logger.warn("a WebSocket failed", { message: error.message });
      socket.close(CloseCode.InternalServerError, "Internal server error");
    });
    let answered = true;
    const keepAlive = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      if (!answered) {
        socket.terminate();
        return;
      }
      answered = false;
      socket.ping();
    }, transport.keepAliveMs ?? 12_000);
    socket.on("pong", () => (answered = true));

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send(data) {
          // Encoded or not, the set-aside text belongs to this message: take it even if the socket has closed.
          const message = withPayload(data);
          if (socket.readyState !== socket.OPEN) return;
          corkUntilNextTick();
          if (socket.bufferedAmount < HIGH_WATER_BYTES) {
            // A failed write closes the socket, which ends its subscriptions.
            socket.send(message);
            return;
          }
          return new Promise<void>((resolve, reject) => socket.send(message, (error) => (error ? reject(error) : resolve())));
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on("message", (data) => {
            handle(String(data)).catch((error: unknown) => {
              logger.error("handling a graphql-ws message failed", { message: error instanceof Error ? error.message : String(error) });
              socket.close(CloseCode.InternalServerError, "Internal server error");
            });
          }),
      },
      { socket, request },
    );
    socket.once("close", (code, reason) => {
      clearInterval(keepAlive);
      closed(code, String(reason)).catch((error: unknown) =>
        logger.error("ending a closed WebSocket's subscriptions failed", { message: error instanceof Error ? error.message : String(error) }),
      );
    });
  });

  return {
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
