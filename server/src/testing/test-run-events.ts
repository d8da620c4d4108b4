import { type DataSource, type EntityManager, MoreThan } from "typeorm";
import { type Connection, decodeCursor, encodeCursor, type PageArgs, pageSize } from "../common/connection";
import type { Logger } from "../common/logger";
import type { PgNotificationListener } from "../common/pg-notifications";
import { LogStream, TestRunEvent, TestRunEventKind } from "./test-run-event.entity";
import { FINAL_TEST_RUN_STATUSES, type TestRunStatus } from "./test-run.entity";

export const TEST_RUN_CHANNEL = "skillyard_test_run";

const isSeq = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/**
 * One page of a run's stored log lines (test or eval run), paged in SQL by seq rather than loaded
 * whole: logs can be long. `stream` narrows to stdout or stderr.
 */
export async function storedLogPage(dataSource: DataSource, runId: string, page: PageArgs, stream: LogStream | null = null): Promise<Connection<TestRunEvent>> {
  const after = page.after ? decodeCursor("logs", page.after, isSeq) : 0;
  const size = pageSize(page.first);
  const rows = await dataSource.getRepository(TestRunEvent).find({
    where: { runId, kind: TestRunEventKind.LOG, seq: MoreThan(after), ...(stream ? { stream } : {}) },
    order: { seq: "ASC" },
    take: size + 1,
  });
  const edges = rows.slice(0, size).map((node) => ({ node, cursor: encodeCursor("logs", node.seq) }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, hasPreviousPage: after > 0, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: null,
  };
}

export function isFinalEvent(event: Pick<TestRunEvent, "kind" | "status">): boolean {
  return event.kind === TestRunEventKind.STATUS && event.status !== null && FINAL_TEST_RUN_STATUSES.includes(event.status);
}

type PendingEvent = Pick<TestRunEvent, "kind" | "stream" | "text" | "status">;

/**
 * Buffers a run's events and writes them in batches, one INSERT and one NOTIFY per batch (never one
 * per line), adaptively (group commit): when no write is in flight, what is pending is written on
 * the next turn of the event loop (lines pushed in the same turn, such as one chunk of output, go
 * together); while one is in flight, new events wait and go in the next batch as soon as it returns.
 * A batch holds at most `maxBatch` events. One writer per run at a time (the worker holds the run
 * lock), so `seq` is assigned here, in push order; writes run one after another, so rows (and their
 * NOTIFYs) reach the table in seq order.
 */
export class TestRunEventWriter {
  private pending: PendingEvent[] = [];
  /** Events pushed so far, and events whose write has returned (stored or failed): flush waits for the second to reach the first. */
  private pushed = 0;
  private settled = 0;
  /** The last write queued; each waits for the one before it. */
  private tail: Promise<void> = Promise.resolve();
  /** True while the last queued write has not taken its batch yet: new events join it instead of queuing another. */
  private queued = false;
  /** The last failed write's error: every later flush throws (the failed batch's events, and their seqs, are lost). */
  private failed: Error | null = null;

  private constructor(
    private readonly dataSource: DataSource,
    private readonly runId: string,
    private nextSeq: number,
    private readonly maxBatch: number,
  ) {}

  static async open(dataSource: DataSource, runId: string, maxBatch = 500): Promise<TestRunEventWriter> {
    const [{ max }] = (await dataSource.query(`SELECT coalesce(max(seq), 0)::int AS max FROM test_run_event WHERE run_id = $1`, [runId])) as { max: number }[];
    return new TestRunEventWriter(dataSource, runId, max + 1, maxBatch);
  }

  log(stream: LogStream, text: string): void {
    this.push({ kind: TestRunEventKind.LOG, stream, text, status: null });
  }

  /** An eval case's result is stored (its row in eval_case_result): watchers read it by name. */
  caseScored(name: string): void {
    this.push({ kind: TestRunEventKind.CASE, stream: null, text: name, status: null });
  }

  /** Status changes are written at once (with anything buffered before them). */
  async status(status: TestRunStatus, text: string | null = null): Promise<void> {
    this.push({ kind: TestRunEventKind.STATUS, stream: null, text, status });
    await this.flush();
  }

  /** Resolves once every event pushed before the call is written; throws if any write of this writer failed. */
  async flush(): Promise<void> {
    const upTo = this.pushed;
    // Each queued write takes everything pending when it starts, so some tail covers `upTo`; a
    // later tail may also hold newer events, which costs at most the one write they are in.
    while (this.settled < upTo) await this.tail;
    if (this.failed) throw this.failed;
  }

  private push(event: PendingEvent): void {
    this.pending.push(event);
    this.pushed++;
    if (!this.queued) this.enqueue();
  }

  /** Queues a write after the current tail: it waits a turn, then takes up to maxBatch pending events. */
  private enqueue(): void {
    this.queued = true;
    const previous = this.tail;
    this.tail = (async () => {
      await previous;
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.queued = false;
      const batch = this.pending.splice(0, this.maxBatch);
      if (this.pending.length > 0) this.enqueue();
      await this.write(batch);
      this.settled += batch.length;
    })();
  }

  private async write(batch: PendingEvent[]): Promise<void> {
    const values: unknown[] = [];
    const rows = batch.map((e) => {
      const base = values.length;
      values.push(this.runId, this.nextSeq++, e.kind, e.stream, e.text, e.status);
      return `($${base + 1}::uuid, $${base + 2}::int, $${base + 3}::test_run_event_kind, $${base + 4}::log_stream, $${base + 5}::text, $${base + 6}::test_run_status)`;
    });
    // Output commits without waiting for its WAL flush (a PostgreSQL crash may lose the last moments
    // of it, never corrupt it): the flush is most of a commit's time. A batch with a status change
    // waits for it, which makes every line before it durable as well.
    const durable = batch.some((e) => e.kind === TestRunEventKind.STATUS);
    try {
      await this.dataSource.query(
        `WITH inserted AS (INSERT INTO test_run_event (run_id, seq, kind, stream, text, status) VALUES ${rows.join(", ")} RETURNING seq)
         SELECT pg_notify('${TEST_RUN_CHANNEL}', $1 || ':' || max(seq))${durable ? "" : ", set_config('synchronous_commit', 'off', true)"} FROM inserted`,
        values,
      );
    } catch (error) {
      this.failed = error instanceof Error ? error : new Error(String(error));
    }
  }
}

/** An unbounded async queue feeding one subscriber; `close` ends its iteration. */
class EventQueue {
  private items: TestRunEvent[] = [];
  private wake: (() => void) | null = null;
  private closed = false;

  push(events: TestRunEvent[]): void {
    this.items.push(...events);
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *drain(): AsyncGenerator<TestRunEvent> {
    for (;;) {
      while (this.items.length > 0) yield this.items.shift()!;
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}

/** A run's local subscribers and what the hub has read for them. */
interface RunFeed {
  readonly queues: Set<EventQueue>;
  /** The highest seq read and handed to `queues`. */
  lastSeq: number;
  /** The highest seq known to be stored (announced), Infinity when unknown (a new subscriber catching up); read while above lastSeq. */
  wanted: number;
  /** A read is running: what is wanted meanwhile is read when it returns, if it did not already cover it. */
  reading: boolean;
}

/**
 * Fans stored events out to this process's subscribers. Writers on any process NOTIFY after each
 * batch (`<runId>:<max seq>`); the hub hears it through the process's shared listener and reads the
 * new rows once per run, whatever the number of subscribers, handing the same event objects to every
 * local subscriber of that run. At most one read per run runs at a time, and a notification whose
 * rows were already read (by a read that started after they were committed) causes none: a burst of
 * notifications costs one read, or two.
 */
export class TestRunEventHub {
  private readonly feeds = new Map<string, RunFeed>();

  constructor(
    private readonly em: EntityManager,
    private readonly logger: Logger,
  ) {}

  async start(notifications: PgNotificationListener): Promise<void> {
    await notifications.listen(TEST_RUN_CHANNEL, (payload) => {
      const [runId, announced] = payload.split(":");
      const feed = this.feeds.get(runId);
      const seq = Number(announced);
      if (feed) this.readNew(runId, feed, Number.isInteger(seq) ? seq : Infinity);
    });
  }

  /** Ends every open stream (the shared listener connection is closed by its owner). */
  stop(): void {
    for (const feed of this.feeds.values()) for (const q of feed.queues) q.close();
    this.feeds.clear();
  }

  /** Every stored event of the run from the start, then live ones; ends after the final status, or when `signal` aborts. */
  async *stream(runId: string, signal?: AbortSignal): AsyncGenerator<TestRunEvent> {
    const queue = new EventQueue();
    const stop = () => queue.close();
    signal?.addEventListener("abort", stop, { once: true });
    // Register before replaying so nothing written meanwhile is missed; duplicates are dropped by seq.
    let feed = this.feeds.get(runId);
    if (!feed) this.feeds.set(runId, (feed = { queues: new Set(), lastSeq: 0, wanted: 0, reading: false }));
    feed.queues.add(queue);
    let last = 0;
    try {
      for (const event of await this.read(runId, 0)) {
        if (signal?.aborted) return;
        yield event;
        last = event.seq;
        if (isFinalEvent(event)) return;
      }
      // A notification may have arrived before we registered; catch up once explicitly.
      this.readNew(runId, feed, Infinity);
      for await (const event of queue.drain()) {
        if (event.seq <= last) continue;
        yield event;
        last = event.seq;
        if (isFinalEvent(event)) return;
      }
    } finally {
      signal?.removeEventListener("abort", stop);
      feed.queues.delete(queue);
      if (feed.queues.size === 0 && this.feeds.get(runId) === feed) this.feeds.delete(runId);
    }
  }

  /** Reads the rows after `feed.lastSeq` up to at least `upTo` and hands them to the feed's queues; one read at a time. */
  private readNew(runId: string, feed: RunFeed, upTo: number): void {
    feed.wanted = Math.max(feed.wanted, upTo);
    if (feed.reading) return;
    feed.reading = true;
    void (async () => {
      try {
        while (feed.wanted > feed.lastSeq) {
          // Cleared before reading: what is announced from here on may be newer than this read sees.
          feed.wanted = 0;
          const events = await this.read(runId, feed.lastSeq);
          if (events.length === 0) continue;
          feed.lastSeq = events.at(-1)!.seq;
          for (const queue of feed.queues) queue.push(events);
        }
      } catch (error) {
        // The next notification reads again from the same seq: nothing is skipped, only late.
        this.logger.error("reading test-run events failed", { runId, message: String(error) });
      } finally {
        feed.reading = false;
      }
    })();
  }

  /** The run's events after `afterSeq`, in order: plain SQL, as this runs once per notification (TypeORM's find builds and hydrates for a while). */
  private async read(runId: string, afterSeq: number): Promise<TestRunEvent[]> {
    const rows = (await this.em.query(`SELECT id, seq, kind, stream, text, status, at FROM test_run_event WHERE run_id = $1 AND seq > $2 ORDER BY seq`, [
      runId,
      afterSeq,
    ])) as Omit<TestRunEvent, "runId">[];
    return rows.map((row) => Object.assign(new TestRunEvent(), row, { runId }));
  }
}
