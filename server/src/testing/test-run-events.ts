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
 * Buffers a run's events and writes them in batches: one INSERT and one NOTIFY per batch (never
 * one per line), at most every `flushMs` or every `maxBatch` events. One writer per run at a time
 * (the worker holds the run lock), so `seq` is assigned here.
 */
export class TestRunEventWriter {
  private pending: PendingEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private failed: Error | null = null;

  private constructor(
    private readonly dataSource: DataSource,
    private readonly runId: string,
    private nextSeq: number,
    private readonly flushMs: number,
    private readonly maxBatch: number,
  ) {}

  static async open(dataSource: DataSource, runId: string, flushMs = 50, maxBatch = 500): Promise<TestRunEventWriter> {
    const [{ max }] = (await dataSource.query(`SELECT coalesce(max(seq), 0)::int AS max FROM test_run_event WHERE run_id = $1`, [runId])) as { max: number }[];
    return new TestRunEventWriter(dataSource, runId, max + 1, flushMs, maxBatch);
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

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) this.chain = this.chain.then(() => this.write(batch));
    await this.chain;
    if (this.failed) throw this.failed;
  }

  private push(event: PendingEvent): void {
    this.pending.push(event);
    if (this.pending.length >= this.maxBatch) void this.flush().catch(() => undefined);
    else this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.flushMs);
  }

  private async write(batch: PendingEvent[]): Promise<void> {
    const values: unknown[] = [];
    const rows = batch.map((e) => {
      const base = values.length;
      values.push(this.runId, this.nextSeq++, e.kind, e.stream, e.text, e.status);
      return `($${base + 1}::uuid, $${base + 2}::int, $${base + 3}::test_run_event_kind, $${base + 4}::log_stream, $${base + 5}::text, $${base + 6}::test_run_status)`;
    });
    try {
      await this.dataSource.query(
        `WITH inserted AS (INSERT INTO test_run_event (run_id, seq, kind, stream, text, status) VALUES ${rows.join(", ")} RETURNING seq)
         SELECT pg_notify('${TEST_RUN_CHANNEL}', $1 || ':' || max(seq)) FROM inserted`,
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

/**
 * Fans stored events out to this process's subscribers. Writers on any process NOTIFY after each
 * batch; the hub hears it through the process's shared listener, reads new rows once per run and
 * notification, and hands them to every local subscriber of that run.
 */
export class TestRunEventHub {
  private readonly subscribers = new Map<string, Set<EventQueue>>();
  private readonly lastFetched = new Map<string, number>();
  private readonly fetching = new Map<string, Promise<void>>();

  constructor(
    private readonly em: EntityManager,
    private readonly logger: Logger,
  ) {}

  async start(notifications: PgNotificationListener): Promise<void> {
    await notifications.listen(TEST_RUN_CHANNEL, (payload) => {
      const [runId] = payload.split(":");
      if (runId && this.subscribers.has(runId)) this.fetchNew(runId);
    });
  }

  /** Ends every open stream (the shared listener connection is closed by its owner). */
  stop(): void {
    for (const queues of this.subscribers.values()) for (const q of queues) q.close();
    this.subscribers.clear();
  }

  /** Every stored event of the run from the start, then live ones; ends after the final status, or when `signal` aborts. */
  async *stream(runId: string, signal?: AbortSignal): AsyncGenerator<TestRunEvent> {
    const queue = new EventQueue();
    const stop = () => queue.close();
    signal?.addEventListener("abort", stop, { once: true });
    // Register before replaying so nothing written meanwhile is missed; duplicates are dropped by seq.
    let set = this.subscribers.get(runId);
    if (!set) this.subscribers.set(runId, (set = new Set()));
    set.add(queue);
    let last = 0;
    try {
      for (const event of await this.read(runId, 0)) {
        if (signal?.aborted) return;
        yield event;
        last = event.seq;
        if (isFinalEvent(event)) return;
      }
      // A notification may have arrived before we registered; catch up once explicitly.
      this.fetchNew(runId);
      for await (const event of queue.drain()) {
        if (event.seq <= last) continue;
        yield event;
        last = event.seq;
        if (isFinalEvent(event)) return;
      }
    } finally {
      signal?.removeEventListener("abort", stop);
      set.delete(queue);
      if (set.size === 0) {
        this.subscribers.delete(runId);
        this.lastFetched.delete(runId);
      }
    }
  }

  private fetchNew(runId: string): void {
    const previous = this.fetching.get(runId) ?? Promise.resolve();
    const next = previous.then(async () => {
      const events = await this.read(runId, this.lastFetched.get(runId) ?? 0);
      if (events.length === 0) return;
      this.lastFetched.set(runId, events.at(-1)!.seq);
      for (const queue of this.subscribers.get(runId) ?? []) queue.push(events);
    });
    const settled = next.catch((error: unknown) => this.logger.error("reading test-run events failed", { runId, message: String(error) }));
    this.fetching.set(runId, settled);
    void settled.then(() => {
      if (this.fetching.get(runId) === settled) this.fetching.delete(runId);
    });
  }

  private read(runId: string, afterSeq: number): Promise<TestRunEvent[]> {
    return this.em.getRepository(TestRunEvent).find({ where: { runId, seq: MoreThan(afterSeq) }, order: { seq: "ASC" } });
  }
}
