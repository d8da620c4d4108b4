import { isErrorCode } from "@skillyard/core";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Logger } from "../common/logger";

/** What this process runs; every series carries it as the `role` label. */
export type MetricsRole = "api" | "worker" | "all";
/** Where an error reached its client: a GraphQL response (HTTP or WebSocket), or a REST/OTLP/metrics route. */
export type ErrorSurface = "graphql" | "http";
export type SandboxKind = "test" | "eval";
/** The pg-boss queues whose waiting jobs are reported, by their label (not pg-boss's queue names). */
export type QueueLabel = "test" | "eval" | "webhook";
export type OtlpSignal = "logs" | "metrics";
/** `stored`: kept as a usage event; `ignored`: received and dropped (another event kind, a duplicate, refused, or any metric). */
export type OtlpOutcome = "stored" | "ignored";
/** `delivered`: a 2xx; `failed`: refused or unreachable, retried later; `dead`: the last attempt failed, no more retries. */
export type WebhookOutcome = "delivered" | "failed" | "dead";
export type GraphqlOperationType = "query" | "mutation" | "subscription";
/** What a blob is (packages/blob-store.ts's BlobKind, repeated: packages/ reports here, never the reverse). */
export type BlobKindLabel = "tgz" | "zip";

export interface PoolCounts {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * Operation names come from clients. Past this many distinct names the rest are reported as
 * "other", so a client inventing names cannot grow the series without bound.
 */
const MAX_OPERATION_NAMES = 500;
const MAX_OPERATION_NAME_LENGTH = 100;

/** Sandbox runs take seconds to minutes (the wall-clock cap is SANDBOX_MAX_TIMEOUT_SECONDS, 600 by default). */
const SANDBOX_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200];

/**
 * The Prometheus metrics of one process. Names and labels are a fixed contract (issue 16): the
 * Grafana dashboard queries every one of them. Each instance owns its registry:
 * several runtimes in one process (tests) never share series, and nothing goes to prom-client's
 * global registry. Label values are bounded: routes are patterns, codes come from the catalogue,
 * operation names are capped.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<"method" | "route" | "status">;
  private readonly graphqlDuration: Histogram<"operation" | "type">;
  private readonly errors: Counter<"code" | "surface">;
  private readonly sandboxRuns: Counter<"kind" | "outcome">;
  private readonly sandboxDuration: Histogram<"kind" | "outcome">;
  private readonly liveSubscriptions: Gauge<"field">;
  private readonly otlpEvents: Counter<"signal" | "outcome">;
  private readonly webhookDeliveries: Counter<"event" | "outcome">;
  private readonly damagedBlobs: Counter<"kind">;
  private readonly queueSizes = new Map<QueueLabel, () => Promise<number>>();
  private poolCounts: (() => PoolCounts | null) | null = null;
  private readonly operationNames = new Set<string>();

  constructor(
    role: MetricsRole,
    private readonly logger: Logger,
  ) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ role });
    collectDefaultMetrics({ register: this.registry, prefix: "skillyard_" });
    this.httpDuration = new Histogram({
      name: "skillyard_http_request_duration_seconds",
      help: "HTTP requests by method, route pattern (never a raw URL) and status code.",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.graphqlDuration = new Histogram({
      name: "skillyard_graphql_operation_duration_seconds",
      help: 'GraphQL operations by operation name ("anonymous" without one) and type; a subscription counts its set-up.',
      labelNames: ["operation", "type"],
      registers,
    });
    this.errors = new Counter({
      name: "skillyard_errors_total",
      help: "Errors returned to clients, by error code (the catalogue's) and surface (graphql or http).",
      labelNames: ["code", "surface"],
      registers,
    });
    const queueDepth: Gauge<"queue"> = new Gauge({
      name: "skillyard_queue_depth",
      help: "Jobs waiting in a queue (test, eval, webhook), read from pg-boss at scrape time.",
      labelNames: ["queue"],
      registers,
      collect: async () => {
        await Promise.all(
          [...this.queueSizes].map(async ([queue, size]) => {
            try {
              queueDepth.set({ queue }, await size());
            } catch (error) {
              // A scrape still answers; the series disappears rather than repeating a stale value.
              queueDepth.remove({ queue });
              this.logger.warn("reading a queue's depth for /metrics failed", { queue, message: String(error) });
            }
          }),
        );
      },
    });
    this.sandboxRuns = new Counter({
      name: "skillyard_sandbox_runs_total",
      help: "Finished sandbox runs (counted once, when their final status is recorded) by kind and outcome.",
      labelNames: ["kind", "outcome"],
      registers,
    });
    this.sandboxDuration = new Histogram({
      name: "skillyard_sandbox_run_duration_seconds",
      help: "Wall time of a sandbox run's final attempt, from taking the run to recording its outcome.",
      labelNames: ["kind", "outcome"],
      buckets: SANDBOX_BUCKETS,
      registers,
    });
    this.liveSubscriptions = new Gauge({
      name: "skillyard_live_subscriptions",
      help: "GraphQL subscriptions open now, by root field.",
      labelNames: ["field"],
      registers,
    });
    this.otlpEvents = new Counter({
      name: "skillyard_otlp_events_ingested_total",
      help: "OTLP records received at /v1/logs and /v1/metrics, by signal and whether they were stored.",
      labelNames: ["signal", "outcome"],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: "skillyard_webhook_deliveries_total",
      help: "Webhook delivery attempts by event and outcome (delivered, failed and retried later, dead).",
      labelNames: ["event", "outcome"],
      registers,
    });
    this.damagedBlobs = new Counter({
      name: "skillyard_blobs_damaged_total",
      help: "Blobs of the local store found not matching their digest by the scheduled verification (each counted once, when set aside), by kind.",
      labelNames: ["kind"],
      registers,
    });
    for (const kind of ["tgz", "zip"] as const) this.damagedBlobs.inc({ kind }, 0);
    const pool: Gauge<"state"> = new Gauge({
      name: "skillyard_db_pool_connections",
      help: "The database pool's connections: total, idle, and requests waiting for one.",
      labelNames: ["state"],
      registers,
      collect: () => {
        const counts = this.poolCounts?.();
        if (!counts) return;
        pool.set({ state: "total" }, counts.total);
        pool.set({ state: "idle" }, counts.idle);
        pool.set({ state: "waiting" }, counts.waiting);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric, collected now. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  observeGraphqlOperation(operationName: string | null | undefined, type: GraphqlOperationType, seconds: number): void {
    this.graphqlDuration.observe({ operation: this.operationLabel(operationName), type }, seconds);
  }

  /** A code outside the catalogue (which should not reach a client) is counted as UNKNOWN. */
  countError(code: unknown, surface: ErrorSurface): void {
    this.errors.inc({ code: isErrorCode(code) ? code : "UNKNOWN", surface });
  }

  /** Call exactly once per run, when its final status was recorded; `outcome` is that status. */
  sandboxRunFinished(kind: SandboxKind, outcome: string, seconds: number): void {
    const labels = { kind, outcome: outcome.toLowerCase() };
    this.sandboxRuns.inc(labels);
    this.sandboxDuration.observe(labels, seconds);
  }

  /** Shows each field at 0 before its first subscription. */
  declareSubscriptionFields(fields: readonly string[]): void {
    for (const field of fields) this.liveSubscriptions.inc({ field }, 0);
  }

  /** Pair every call with exactly one subscriptionClosed for the same field. */
  subscriptionOpened(field: string): void {
    this.liveSubscriptions.inc({ field });
  }

  subscriptionClosed(field: string): void {
    this.liveSubscriptions.dec({ field });
  }

  otlpIngested(signal: OtlpSignal, outcome: OtlpOutcome, records: number): void {
    if (records > 0) this.otlpEvents.inc({ signal, outcome }, records);
  }

  webhookDelivery(event: string, outcome: WebhookOutcome): void {
    this.webhookDeliveries.inc({ event, outcome });
  }

  /** Call once per damaged blob, when it is set aside. */
  blobDamaged(kind: BlobKindLabel): void {
    this.damagedBlobs.inc({ kind });
  }

  /** Reads the queue's waiting jobs at each scrape. */
  collectQueueDepth(queue: QueueLabel, size: () => Promise<number>): void {
    this.queueSizes.set(queue, size);
  }

  /** Reads the pool's counts at each scrape; null while it has no pool. */
  collectDbPool(counts: () => PoolCounts | null): void {
    this.poolCounts = counts;
  }

  private operationLabel(name: string | null | undefined): string {
    if (!name) return "anonymous";
    if (name.length > MAX_OPERATION_NAME_LENGTH) return "other";
    if (!this.operationNames.has(name)) {
      if (this.operationNames.size >= MAX_OPERATION_NAMES) return "other";
      this.operationNames.add(name);
    }
    return name;
  }
}
