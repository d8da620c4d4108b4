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
  return new Promise((resolve, reject) => {
    const events: ReceivedEvent[] = [];
    client.subscribe<{ testRunEvents: ReceivedEvent }>(
      { query: TEST_RUN_EVENTS, variables: { id: testRunId } },
      {
        next: (message) => {
          if (message.errors) {
            reject(new Error(JSON.stringify(message.errors)));
            return;
          }
          const event = message.data!.testRunEvents;
          events.push(event);
          onEvent(event, Date.now());
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => resolve(events),
      },
    );
  });
}
