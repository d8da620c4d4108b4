import "reflect-metadata";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { Client } from "graphql-ws";
import { type ExecutionResult, parse } from "graphql";
import { parseIp } from "../src/common/cidr";
import { SharedSubscriptionExecution } from "../src/graphql/shared-subscription-execution";
import type { SubscriptionContext } from "../src/graphql/request-context";
import { LogStream, TestRunEventKind } from "../src/testing/test-run-event.entity";
import { TEST_RUN_CHANNEL, TestRunEventWriter } from "../src/testing/test-run-events";
import { TestRunStatus } from "../src/testing/test-run.entity";
import { publishOk, testRunIdOf } from "./support/publish";
import { pythonSkill } from "./support/skills";
import { type ReceivedEvent, TEST_RUN_EVENTS, wsClient } from "./support/subscriptions";
import { startTestServer, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";
import { seededRandom } from "./support/prng";

const INSERT = /INSERT INTO test_run_event/;
/** The hub's read of a run's rows after a seq. */
const HUB_READ = /^SELECT .* FROM test_run_event WHERE run_id = \$1 AND seq > \$2/;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`, "utf8").toString("base64url");

describe("live logs", () => {
  let server: TestServer;
  let author: string;
  let reader: string;
  /** A QUEUED run (no worker here): its stream stays open until a final status is written. */
  let runId: string;
  const clients: Client[] = [];

  before(async () => {
    server = await startTestServer();
    const owners = server.seed.team("owners");
    author = (await owners.member("ll-author")).token;
    reader = (await owners.member("ll-reader")).token;
    const published = await publishOk(server, author, pythonSkill("ll-live", "1.0.0"));
    runId = await testRunIdOf(server, published.version.packageSha256);
  });
  after(async () => {
    for (const c of clients) await c.dispose();
    await server?.close();
  });

  const stored = async (id: string) =>
    (await server.runtime.dataSource.query(`SELECT seq, kind, text, status FROM test_run_event WHERE run_id = $1 ORDER BY seq`, [id])) as {
      seq: number;
      kind: TestRunEventKind;
      text: string | null;
      status: TestRunStatus | null;
    }[];
  const inserts = () => server.queries.statements.filter((s) => INSERT.test(s)).length;

  describe("the event writer flushes adaptively", () => {
    test("a lone line is stored and announced at once: with every timer frozen, it still arrives", { timeout: 10_000 }, async (t) => {
      const id = randomUUID();
      const writer = await TestRunEventWriter.open(server.runtime.dataSource, id);
      let stop = () => {};
      const announced = new Promise<string>((resolve) => {
        void server.runtime.notifications
          .listen(TEST_RUN_CHANNEL, (payload) => {
            if (payload.startsWith(id)) resolve(payload);
          })
          .then((unsubscribe) => (stop = unsubscribe));
      });
      await nextTurn();
      t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
      try {
        writer.log(LogStream.STDOUT, "alone");
        assert.equal(await announced, `${id}:1`);
      } finally {
        t.mock.timers.reset();
        stop();
      }
      assert.deepEqual(
        (await stored(id)).map((e) => e.text),
        ["alone"],
      );
    });

    test("a burst pushed in one turn is one INSERT per maxBatch events; whatever is pushed while a write is in flight, however long, goes in the next one", async () => {
      const id = randomUUID();
      const writer = await TestRunEventWriter.open(server.runtime.dataSource, id);
      server.queries.reset();
      for (let i = 0; i < 1200; i++) writer.log(LogStream.STDOUT, `burst ${i}`);
      await writer.flush();
      assert.equal(inserts(), 3, "1200 lines in one turn: 500 + 500 + 200");

      // Hold the next INSERT in flight behind a table lock, and push lines over 30 turns (150 ms or more) meanwhile.
      const lock = server.runtime.dataSource.createQueryRunner();
      await lock.connect();
      await lock.startTransaction();
      await lock.query(`LOCK TABLE test_run_event IN EXCLUSIVE MODE`);
      try {
        server.queries.reset();
        writer.log(LogStream.STDOUT, "first");
        await waitFor(async () => inserts() === 1, "the first line's INSERT to be sent", 10_000, 5);
        for (let turn = 0; turn < 30; turn++) {
          for (let i = 0; i < 10; i++) writer.log(LogStream.STDERR, `waiting ${turn}.${i}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        assert.equal(inserts(), 1, "nothing more is sent while the first write is in flight");
      } finally {
        await lock.commitTransaction();
        await lock.release();
      }
      await writer.flush();
      assert.equal(inserts(), 2, "the 300 lines pushed over 30 turns went in one batch");
      const rows = await stored(id);
      assert.deepEqual(
        rows.map((e) => e.seq),
        Array.from({ length: 1501 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        rows.slice(1200, 1203).map((e) => e.text),
        ["first", "waiting 0.0", "waiting 0.1"],
      );
    });

    test("under concurrent flushes and status changes, every flush returns only once what was pushed before it is stored, and seqs are contiguous in push order", async () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const random = seededRandom(seed);
        const id = randomUUID();
        const writer = await TestRunEventWriter.open(server.runtime.dataSource, id, 1 + Math.floor(random() * 20));
        const pushed: string[] = [];
        const flushes: Promise<void>[] = [];
        const checkedFlush = (promise: () => Promise<void>) => {
          const before = pushed.length;
          flushes.push(
            promise().then(async () => {
              const count = (await stored(id)).length;
              assert.ok(count >= before, `seed ${seed}: a flush returned with ${count} of the ${before} events pushed before it stored`);
            }),
          );
        };
        for (let step = 0; step < 200; step++) {
          const roll = random();
          if (roll < 0.7) {
            const text = `line ${step}`;
            pushed.push(text);
            writer.log(random() < 0.5 ? LogStream.STDOUT : LogStream.STDERR, text);
          } else if (roll < 0.8) {
            const text = `status ${step}`;
            pushed.push(text);
            checkedFlush(() => writer.status(TestRunStatus.RUNNING, text));
          } else if (roll < 0.9) {
            checkedFlush(() => writer.flush());
          } else {
            await nextTurn();
          }
        }
        checkedFlush(() => writer.flush());
        await Promise.all(flushes);
        const rows = await stored(id);
        assert.deepEqual(
          rows.map((e) => e.text),
          pushed,
          `seed ${seed}: rows in push order`,
        );
        assert.deepEqual(
          rows.map((e) => e.seq),
          pushed.map((_, i) => i + 1),
          `seed ${seed}: seqs contiguous from 1`,
        );
        // A later writer of the same run (the next attempt) continues the sequence.
        const next = await TestRunEventWriter.open(server.runtime.dataSource, id);
        await next.status(TestRunStatus.PASSED);
        assert.deepEqual((await stored(id)).at(-1), { seq: pushed.length + 1, kind: TestRunEventKind.STATUS, text: null, status: TestRunStatus.PASSED });
      }
    });

    test("a failed write fails the flush that waits for it and every later one; later events are still stored", async () => {
      const id = randomUUID();
      const writer = await TestRunEventWriter.open(server.runtime.dataSource, id);
      writer.log(LogStream.STDOUT, "before");
      await writer.flush();
      // PostgreSQL refuses a NUL byte in text: the whole batch (one INSERT) fails.
      writer.log(LogStream.STDOUT, "good neighbour");
      writer.log(LogStream.STDOUT, "bad \u0000 byte");
      await assert.rejects(writer.flush(), /invalid byte sequence|0x00/);
      writer.log(LogStream.STDOUT, "after");
      await assert.rejects(writer.flush(), /invalid byte sequence|0x00/);
      await assert.rejects(writer.status(TestRunStatus.FAILED), /invalid byte sequence|0x00/);
      assert.deepEqual(
        (await stored(id)).map((e) => e.text),
        ["before", "after", null],
      );
    });
  });

  describe("the fan-out shares the work of each event", () => {
    const SUBSCRIBERS = 100;

    test(`${SUBSCRIBERS} subscribers: the new rows are read once per NOTIFY at most (once for a burst of them), and every subscriber gets every line once, in order`, async () => {
      const received: ReceivedEvent[][] = Array.from({ length: SUBSCRIBERS }, () => []);
      const failures: string[] = [];
      // Two documents (both shareable): the read is per run, whatever the subscribers ask for.
      const queries = [TEST_RUN_EVENTS, `subscription Events($id: ID!) { testRunEvents(testRunId: $id) { seq text kind stream } }`];
      for (let i = 0; i < SUBSCRIBERS; i++) {
        const client = wsClient(server.url, i % 2 === 0 ? author : reader);
        clients.push(client);
        client.subscribe<{ testRunEvents: ReceivedEvent }>(
          { query: queries[i % 2], variables: { id: globalId("TestRun", runId) } },
          {
            next: (message) => {
              if (message.errors || !message.data) failures.push(`subscriber ${i}: ${JSON.stringify(message.errors)}`);
              else received[i].push(message.data.testRunEvents);
            },
            error: (error) => failures.push(`subscriber ${i} failed: ${JSON.stringify(error)}`),
            complete: () => failures.push(`subscriber ${i} completed early`),
          },
        );
      }
      /** Until no statement is sent for 300 ms: reads still running or queued are counted too. */
      const settled = async () => {
        let seen = -1;
        await waitFor(
          async () => {
            const now = server.queries.count;
            const quiet = now === seen;
            seen = now;
            return quiet;
          },
          "the statements to settle",
          10_000,
          300,
        );
      };
      const everyoneHas = (text: string) =>
        waitFor(
          async () => {
            assert.deepEqual(failures, []);
            return received.every((events) => events.some((e) => e.text === text));
          },
          `every subscriber to receive "${text}"`,
          20_000,
          10,
        );
      const writer = await TestRunEventWriter.open(server.runtime.dataSource, runId);
      writer.log(LogStream.STDOUT, "warm-up");
      await writer.flush();
      await everyoneHas("warm-up");
      // The catch-up reads of subscribing return.
      await settled();
      server.queries.reset();
      const lines = 10;
      for (let i = 0; i < lines; i++) {
        writer.log(LogStream.STDOUT, `one by one ${i}`);
        await writer.flush();
        await everyoneHas(`one by one ${i}`);
      }
      const reads = () => server.queries.statements.filter((s) => HUB_READ.test(s)).length;
      assert.equal(reads(), lines, "one read per NOTIFY, not one per subscriber");

      // Writes faster than reads: notifications that arrive during a read are covered by one more.
      server.queries.reset();
      const burst = 40;
      for (let i = 0; i < burst; i++) {
        writer.log(LogStream.STDERR, `burst ${i}`);
        await writer.flush();
      }
      await everyoneHas(`burst ${burst - 1}`);
      await settled();
      assert.equal(inserts(), burst);
      assert.ok(reads() <= burst, `${reads()} reads for ${burst} NOTIFYs`);

      // Rows committed together (as by several writers at once), each batch announced: one read covers them all.
      const lastSeq = received[0].at(-1)!.seq;
      const together = 20;
      server.queries.reset();
      await server.runtime.dataSource.transaction(async (em) => {
        await em.query(
          `INSERT INTO test_run_event (run_id, seq, kind, stream, text)
           SELECT $1, s, 'LOG', 'STDOUT', 'together ' || (s - $2) FROM generate_series($2 + 1, $2 + $3) AS s`,
          [runId, lastSeq, together],
        );
        await em.query(`SELECT pg_notify($4, $1 || ':' || s) FROM generate_series($2 + 1, $2 + $3) AS s`, [runId, lastSeq, together, TEST_RUN_CHANNEL]);
      });
      await everyoneHas(`together ${together}`);
      await settled();
      assert.equal(reads(), 1, `one read for ${together} notifications of rows committed together`);

      const expected = [
        "warm-up",
        ...Array.from({ length: lines }, (_, i) => `one by one ${i}`),
        ...Array.from({ length: burst }, (_, i) => `burst ${i}`),
        ...Array.from({ length: together }, (_, i) => `together ${i + 1}`),
      ];
      for (const [i, events] of received.entries()) {
        const live = events.filter((e) => e.kind === "LOG");
        assert.deepEqual(
          live.map((e) => e.text),
          expected,
          `subscriber ${i}`,
        );
        assert.deepEqual(
          events.map((e) => e.seq),
          events.map((_, n) => n + 1),
          `subscriber ${i}: seqs`,
        );
      }
    });

    test("the subscription's own selection reads no context: two viewers' subscribers get one shared result object per event", async () => {
      const testing = server.runtime.subgraphs.find((s) => s.definition.name === "testing")!.schema;
      const execution = new SharedSubscriptionExecution();
      const contextOf = async (token: string): Promise<SubscriptionContext> => {
        const viewer = (await server.runtime.services.apiTokens.authenticate(`Bearer ${token}`, parseIp("127.0.0.1")))?.viewer;
        assert.ok(viewer);
        return { ...server.runtime.requestContext(viewer), live: { guard: (open) => open(new AbortController().signal) } };
      };
      const streams = await Promise.all(
        [author, reader].map(async (token) => {
          const stream = await execution.subscribe({
            schema: testing,
            document: parse(TEST_RUN_EVENTS),
            variableValues: { id: globalId("TestRun", runId) },
            contextValue: await contextOf(token),
          });
          assert.ok(Symbol.asyncIterator in stream, JSON.stringify(stream));
          return stream;
        }),
      );
      const nextResults = async (): Promise<ExecutionResult[]> => Promise.all(streams.map(async (s) => (await s.next()).value as ExecutionResult));
      // The replay: each subscriber reads its own rows, so its own objects, executed per subscriber.
      let results = await nextResults();
      while (!JSON.stringify(results[0].data).includes("together 20")) results = await nextResults();
      assert.notEqual(results[0], results[1]);
      const writer = await TestRunEventWriter.open(server.runtime.dataSource, runId);
      writer.log(LogStream.STDOUT, "shared");
      await writer.flush();
      results = await nextResults();
      assert.equal(results[0], results[1], "the same object");
      assert.ok(execution.isShared(results[0]));
      assert.equal((results[0].data as { testRunEvents: ReceivedEvent }).testRunEvents.text, "shared");
      await Promise.all(streams.map((s) => s.return(undefined)));
    });
  });
});
