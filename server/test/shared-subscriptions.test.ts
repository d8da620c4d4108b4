import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { type ExecutionResult, GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, subscribe as graphqlSubscribe } from "graphql";
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, MessageType } from "graphql-ws";
import WebSocket from "ws";
import { createLogger } from "../src/common/logger";
import { SharedSubscriptionExecution } from "../src/graphql/shared-subscription-execution";
import { serveGraphqlWs } from "../src/http/graphql-ws-transport";
import { seededRandom } from "./support/prng";

interface Event {
  seq: number;
  text: string;
}

/** Each subscriber's context: who they are, and their own stream of the run's (shared) event objects. */
interface Ctx {
  viewer: string;
  events: () => AsyncGenerator<Event>;
}

/** How many times each field resolver ran. */
const calls = { seq: 0, text: 0, shout: 0, viewer: 0, viewerOrNobody: 0 };

const EventType = new GraphQLObjectType<Event, Ctx>({
  name: "Event",
  fields: {
    seq: { type: GraphQLInt, resolve: (e) => (calls.seq++, e.seq) },
    text: { type: GraphQLString, resolve: (e) => (calls.text++, e.text) },
    shout: { type: GraphQLString, args: { times: { type: GraphQLInt } }, resolve: (e, args: { times: number }) => (calls.shout++, e.text.repeat(args.times)) },
    viewer: { type: GraphQLString, resolve: (_e, _args, ctx) => (calls.viewer++, `${ctx.viewer} sees it`) },
    // A resolver that swallows errors cannot hide that it read the context.
    viewerOrNobody: {
      type: GraphQLString,
      resolve: (_e, _args, ctx) => {
        calls.viewerOrNobody++;
        try {
          return ctx.viewer;
        } catch {
          return "nobody";
        }
      },
    },
  },
});

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLInt } } }),
  subscription: new GraphQLObjectType<Event, Ctx>({
    name: "Subscription",
    fields: { events: { type: EventType, subscribe: (_root, _args, ctx) => ctx.events(), resolve: (event) => event } },
  }),
});

/** A run's events as one array of objects: every subscriber's stream yields these same objects. */
async function* streamOf(events: readonly Event[]): AsyncGenerator<Event> {
  for (const event of events) yield event;
}

const DOCUMENTS = [
  `subscription { events { seq text } }`,
  `subscription($times: Int) { events { seq shout(times: $times) } }`,
  `subscription { events { seq viewer } }`,
  `subscription { events { text viewerOrNobody } }`,
] as const;

async function drain(stream: AsyncGenerator<ExecutionResult> | ExecutionResult): Promise<ExecutionResult[]> {
  assert.ok(Symbol.asyncIterator in stream, JSON.stringify(stream));
  const results: ExecutionResult[] = [];
  for await (const result of stream) results.push(result);
  return results;
}

const resetCalls = () => {
  for (const key of Object.keys(calls) as (keyof typeof calls)[]) calls[key] = 0;
};

describe("shared subscription execution", () => {
  test("every subscriber gets what graphql-js's own subscribe gives them, whatever the mix of documents, variables and viewers", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const random = seededRandom(seed);
      const events = Array.from({ length: 1 + Math.floor(random() * 5) }, (_, i) => ({ seq: i + 1, text: `line ${i}` }));
      const subscribers = Array.from({ length: 1 + Math.floor(random() * 12) }, () => ({
        document: parse(DOCUMENTS[Math.floor(random() * DOCUMENTS.length)]),
        variables: { times: 1 + Math.floor(random() * 2) },
        viewer: ["ada", "grace", "alan"][Math.floor(random() * 3)],
      }));
      const execution = new SharedSubscriptionExecution();
      const shared = await Promise.all(
        subscribers.map(async (s) =>
          drain(
            await execution.subscribe({
              schema,
              document: s.document,
              variableValues: s.variables,
              contextValue: { viewer: s.viewer, events: () => streamOf(events) } satisfies Ctx,
            }),
          ),
        ),
      );
      const own = await Promise.all(
        subscribers.map(async (s) =>
          drain(
            await graphqlSubscribe({
              schema,
              document: s.document,
              variableValues: s.variables,
              contextValue: { viewer: s.viewer, events: () => streamOf(events) } satisfies Ctx,
            }),
          ),
        ),
      );
      assert.deepEqual(shared, own, `seed ${seed}`);
    }
  });

  test("an operation that reads no context is executed once per event, whatever the number of subscribers and viewers; its result is one object", async () => {
    const events = [1, 2, 3].map((seq) => ({ seq, text: `line ${seq}` }));
    const execution = new SharedSubscriptionExecution();
    resetCalls();
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) =>
        drain(
          await execution.subscribe({
            schema,
            document: parse(DOCUMENTS[0]),
            contextValue: { viewer: `viewer ${i}`, events: () => streamOf(events) } satisfies Ctx,
          }),
        ),
      ),
    );
    assert.deepEqual(calls, { seq: 3, text: 3, shout: 0, viewer: 0, viewerOrNobody: 0 });
    for (const [i, result] of results.entries()) {
      for (const [n, r] of result.entries()) {
        assert.equal(r, results[0][n], `subscriber ${i}, event ${n}: the same object`);
        assert.ok(execution.isShared(r));
      }
    }
  });

  test("different variables, documents or event objects are executed apart", async () => {
    const events = [{ seq: 1, text: "a" }];
    const execution = new SharedSubscriptionExecution();
    resetCalls();
    const run = (document: string, times: number, ownEvents = events) =>
      execution
        .subscribe({
          schema,
          document: parse(document),
          variableValues: { times },
          contextValue: { viewer: "ada", events: () => streamOf(ownEvents) } satisfies Ctx,
        })
        .then(drain);
    await Promise.all([run(DOCUMENTS[1], 2), run(DOCUMENTS[1], 2), run(DOCUMENTS[1], 3), run(DOCUMENTS[0], 1)]);
    assert.equal(calls.shout, 2, "times: 2 once, times: 3 once");
    assert.equal(calls.text, 1);
    // A replay reads its own rows: equal events, but other objects.
    await Promise.all([run(DOCUMENTS[0], 1, [{ seq: 1, text: "a" }]), run(DOCUMENTS[0], 1, [{ seq: 1, text: "a" }])]);
    assert.equal(calls.text, 3);
  });

  test("a field that reads the context, even one that swallows the refusal, is executed per subscriber with their own context", async () => {
    const events = [{ seq: 1, text: "a" }];
    const execution = new SharedSubscriptionExecution();
    for (const document of [DOCUMENTS[2], DOCUMENTS[3]]) {
      const results = await Promise.all(
        ["ada", "grace"].map(async (viewer) =>
          drain(await execution.subscribe({ schema, document: parse(document), contextValue: { viewer, events: () => streamOf(events) } satisfies Ctx })),
        ),
      );
      const seen = results.map(([r]) => JSON.stringify(r.data));
      assert.match(seen[0], /ada/);
      assert.match(seen[1], /grace/);
      assert.ok(!execution.isShared(results[0][0]) && !execution.isShared(results[1][0]));
    }
  });

  test("ending one subscriber's stream ends its source, and the others keep streaming the same events", async () => {
    const events = [1, 2, 3].map((seq) => ({ seq, text: `line ${seq}` }));
    const ended: string[] = [];
    const source = (viewer: string) =>
      async function* (): AsyncGenerator<Event> {
        try {
          yield* events;
        } finally {
          ended.push(viewer);
        }
      };
    const execution = new SharedSubscriptionExecution();
    const [ada, grace] = await Promise.all(
      ["ada", "grace"].map(async (viewer) => {
        const stream = await execution.subscribe({ schema, document: parse(DOCUMENTS[0]), contextValue: { viewer, events: source(viewer) } satisfies Ctx });
        assert.ok(Symbol.asyncIterator in stream);
        return stream;
      }),
    );
    const first = (await ada.next()).value as ExecutionResult;
    assert.deepEqual(await ada.return(undefined), { done: true, value: undefined });
    assert.deepEqual(ended, ["ada"]);
    const rest = await drain(grace);
    assert.equal(rest[0], first, "the same shared result");
    assert.deepEqual(
      rest.map((r) => JSON.stringify(r.data)),
      events.map((e) => JSON.stringify({ events: e })),
    );
    assert.deepEqual(ended, ["ada", "grace"]);
  });
});

describe("graphql-ws transport", () => {
  const server = http.createServer();
  let url = "";
  let transport: { close(): Promise<void> };
  const execution = new SharedSubscriptionExecution();
  // The stand-in the transport writes for a shared payload, in the text itself: it must come back as sent.
  const texts = ["plain", 'quote " and \\ backslash', "\u0000shared payload", '","payload":{}}', "ünïcödé ✓"];
  const events = texts.map((text, i) => ({ seq: i + 1, text }));

  before(async () => {
    transport = serveGraphqlWs(
      { server, path: "/graphql", maxPayload: 100_000, sharedPayload: (payload) => execution.isShared(payload) },
      {
        schema,
        subscribe: (args) => execution.subscribe(args),
        context: (ctx) => ({ viewer: String(ctx.connectionParams?.viewer), events: () => streamOf(events) }) satisfies Ctx,
      },
      createLogger("silent"),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  after(async () => {
    await transport.close();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A raw graphql-transport-ws client: subscribes with each id, answers every message until all complete. */
  async function subscribeRaw(viewer: string, subscriptions: { id: string; document: string }[]): Promise<Record<string, unknown>[]> {
    const socket = new WebSocket(url, GRAPHQL_TRANSPORT_WS_PROTOCOL);
    const messages: Record<string, unknown>[] = [];
    await new Promise<void>((resolve, reject) => {
      let completed = 0;
      socket.on("error", reject);
      socket.on("open", () => socket.send(JSON.stringify({ type: MessageType.ConnectionInit, payload: { viewer } })));
      socket.on("message", (data) => {
        const message = JSON.parse(String(data)) as Record<string, unknown>;
        if (message.type === MessageType.ConnectionAck) {
          for (const { id, document } of subscriptions) socket.send(JSON.stringify({ id, type: MessageType.Subscribe, payload: { query: document } }));
          return;
        }
        messages.push(message);
        if (message.type === MessageType.Complete && ++completed === subscriptions.length) resolve();
      });
    });
    socket.close();
    return messages;
  }

  test("every socket gets every event, intact, whatever its subscription ids and the events' text hold; shared payloads included", async () => {
    const ids = ["1", 'quo"te', "back\\slash", '","payload":"x"}', "\u0000shared payload"];
    const sockets = await Promise.all(
      ["ada", "grace", "alan"].map((viewer) =>
        subscribeRaw(
          viewer,
          ids.map((id, i) => ({ id, document: i % 2 === 0 ? DOCUMENTS[0] : DOCUMENTS[3] })),
        ),
      ),
    );
    for (const [s, messages] of sockets.entries()) {
      const viewer = ["ada", "grace", "alan"][s];
      for (const [i, id] of ids.entries()) {
        const own = messages.filter((m) => m.id === id);
        const expected = events.map((e) => ({
          id,
          type: MessageType.Next,
          payload: { data: { events: i % 2 === 0 ? { seq: e.seq, text: e.text } : { text: e.text, viewerOrNobody: viewer } } },
        }));
        assert.deepEqual(own, [...expected, { id, type: MessageType.Complete }], `socket ${s}, subscription ${JSON.stringify(id)}`);
      }
    }
  });
});
