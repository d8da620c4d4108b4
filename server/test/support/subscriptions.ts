import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

export interface ReceivedEvent {
  seq: number;
  kind: "LOG" | "STATUS";
  stream: "STDOUT" | "STDERR" | null;
  text: string | null;
  status: string | null;
  at: string;
}

export const TEST_RUN_EVENTS = `subscription Events($id: ID!) { testRunEvents(testRunId: $id) { seq kind stream text status at } }`;

export function wsClient(httpUrl: string, token: string | null): Client {
  return createClient({
    url: `${httpUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/**
 * Subscribes to a run's events and collects them until the stream completes; `onEvent` sees each
 * as it arrives (with its arrival time) so tests can check that lines come live.
 */
export function collectRunEvents(
  client: Client,
  testRunId: string,
  onEvent: (e: ReceivedEvent, receivedAt: number) => void = () => undefined,
): Promise<ReceivedEvent[]> {
  return collectEvents<ReceivedEvent>(client, TEST_RUN_EVENTS, { id: testRunId }, onEvent);
}

/** Any one-field subscription: its payloads, in order, until it completes; rejects on the first error. */
export function collectEvents<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  onEvent: (e: T, receivedAt: number) => void = () => undefined,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const events: T[] = [];
    client.subscribe<Record<string, T>>(
      { query, variables },
      {
        next: (message) => {
          if (message.errors) {
            reject(new Error(JSON.stringify(message.errors)));
            return;
          }
          const event = Object.values(message.data!)[0];
          events.push(event);
          onEvent(event, Date.now());
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => resolve(events),
      },
    );
  });
}
