import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { DataSource } from "typeorm";
import { createLogger } from "../src/common/logger";
import { PgNotificationListener } from "../src/common/pg-notifications";
import { createDataSource } from "../src/db/data-source";
import { SandboxJobQueue } from "../src/sandbox/sandbox-job-queue";
import { createTestDatabase } from "./support/test-database";
import { waitFor } from "./support/wait";

interface Job {
  n: number;
}

const logger = createLogger("silent");

/**
 * The sandbox queues' wake-up path on a real PostgreSQL: the enqueuing side and the working side
 * each have their own pg-boss instance and connections, as an API process and a worker process do.
 */
describe("sandbox job queue: woken by NOTIFY, polling only as the fallback", () => {
  let db: { url: string; drop(): Promise<void> };
  let dataSource: DataSource;
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async () => {
    db = await createTestDatabase();
    dataSource = createDataSource({ url: db.url, poolSize: 4 });
    await dataSource.initialize();
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await dataSource.destroy();
    await db.drop();
  });

  const queue = async (name: string, pollSeconds: number): Promise<SandboxJobQueue<Job>> => {
    const q = new SandboxJobQueue<Job>(name, db.url, logger, { infraRetries: 0, infraRetryDelaySeconds: 1, expireInSeconds: 60, pollSeconds });
    await q.start();
    cleanups.push(() => q.stop());
    return q;
  };
  const listener = async (): Promise<PgNotificationListener> => {
    const l = await PgNotificationListener.connect(db.url, logger);
    cleanups.push(() => l.stop());
    return l;
  };
  /** Starts one poller on `q`; answers, per job number, when its handler was called (performance.now()). */
  const worker = async (q: SandboxJobQueue<Job>, notifications: PgNotificationListener) => {
    const started = new Map<number, (at: number) => void>();
    const ran = (n: number) => new Promise<number>((resolve) => started.set(n, resolve));
    await q.work(1, async (job) => started.get(job.data.n)?.(performance.now()), notifications);
    return ran;
  };
  /** Enqueues in a transaction of its own, as a publish does. */
  const enqueue = (q: SandboxJobQueue<Job>, n: number) => dataSource.transaction((em) => q.enqueue(em, { n }));
  const within = <T>(promise: Promise<T>, ms: number, what: string) =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms).unref())]);

  test("jobs enqueued by another process start at once, long before the worker's next poll", async () => {
    const pollSeconds = 60;
    const producer = await queue("wake-test", pollSeconds);
    const consumer = await queue("wake-test", pollSeconds);
    const firstPollAt = performance.now();
    const ran = await worker(consumer, await listener());
    // One poller fetches one job per fetch, and without a wake it fetches once per pollSeconds,
    // starting after `firstPollAt`. Three jobs, each enqueued after the previous one ran, all run
    // before the second poll could: at least two of them came through a wake.
    for (let n = 1; n <= 3; n++) {
      const running = ran(n);
      await enqueue(producer, n);
      const secondPollAt = firstPollAt + pollSeconds * 1000;
      // Five seconds short of the second poll: a margin no scheduling delay comes near.
      await within(running, secondPollAt - performance.now() - 5_000, `job ${n} starting before the worker's second poll`);
    }
  });

  test("a rolled-back enqueue leaves no job behind; the next one runs", async () => {
    const producer = await queue("rollback-test", 60);
    const consumer = await queue("rollback-test", 60);
    const ran = await worker(consumer, await listener());
    const rolledBack = ran(1);
    await assert.rejects(
      dataSource.transaction(async (em) => {
        await producer.enqueue(em, { n: 1 });
        throw new Error("the publish failed");
      }),
      /the publish failed/,
    );
    assert.equal(await producer.size(), 0);
    const next = ran(2);
    await enqueue(producer, 2);
    await within(next, 20_000, "job 2 starting");
    // Jobs are fetched oldest first: had job 1 survived, it would have run before job 2.
    const outcome = await Promise.race([rolledBack.then(() => "ran"), new Promise((resolve) => setImmediate(() => resolve("never ran")))]);
    assert.equal(outcome, "never ran");
  });

  test("with the notification lost (LISTEN connection gone), the fallback poll still runs the job", async () => {
    const producer = await queue("fallback-test", 1);
    const consumer = await queue("fallback-test", 1);
    const listenerPids = async () =>
      (
        (await dataSource.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'skillyard-notifications'`)) as {
          pid: number;
        }[]
      ).map((r) => r.pid);
    const others = new Set(await listenerPids());
    const ran = await worker(consumer, await listener());
    const [mine, ...more] = (await listenerPids()).filter((pid) => !others.has(pid));
    assert.ok(mine !== undefined && more.length === 0, "found this worker's LISTEN connection");
    // It dies and does not come back: no NOTIFY reaches the worker any more.
    await dataSource.query(`SELECT pg_terminate_backend($1)`, [mine]);
    await waitFor(async () => !(await listenerPids()).includes(mine), "the LISTEN connection to be gone");
    const running = ran(1);
    await enqueue(producer, 1);
    await within(running, 20_000, "the job starting through the fallback poll");
  });

  test("processes starting together on a fresh database create the same queues without a deadlock", async () => {
    // As compose starts two API replicas and a worker at once: each creates every queue. pg-boss's
    // create_queue alone deadlocks here (each waits for the other's lock on pgboss.queue).
    const names = ["together-a", "together-b", "together-c"];
    const queues = names.flatMap((name) =>
      [1, 2, 3].map(() => new SandboxJobQueue<Job>(name, db.url, logger, { infraRetries: 0, infraRetryDelaySeconds: 1, expireInSeconds: 60, pollSeconds: 1 })),
    );
    const started = await Promise.allSettled(queues.map((q) => q.start()));
    for (const q of queues) cleanups.push(() => q.stop());
    assert.deepEqual(
      started.filter((s) => s.status === "rejected").map((s) => String(s.reason)),
      [],
    );
    const created = (await dataSource.query(`SELECT name FROM pgboss.queue WHERE name = ANY($1) ORDER BY name`, [names])) as { name: string }[];
    assert.deepEqual(
      created.map((r) => r.name),
      names,
    );
  });
});
