export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricShape {
  type: MetricType;
  labels: readonly string[];
}

/**
 * The metrics contract of issue 16: names, types and labels (every series also has `role`). The
 * Grafana dashboard queries them and the server must register exactly these; both tests read this.
 */
export const METRICS_CONTRACT: Readonly<Record<string, MetricShape>> = {
  skillyard_http_request_duration_seconds: { type: "histogram", labels: ["method", "route", "status"] },
  skillyard_graphql_operation_duration_seconds: { type: "histogram", labels: ["operation", "type"] },
  skillyard_errors_total: { type: "counter", labels: ["code", "surface"] },
  skillyard_queue_depth: { type: "gauge", labels: ["queue"] },
  skillyard_sandbox_runs_total: { type: "counter", labels: ["kind", "outcome"] },
  skillyard_sandbox_run_duration_seconds: { type: "histogram", labels: ["kind", "outcome"] },
  skillyard_live_subscriptions: { type: "gauge", labels: ["field"] },
  skillyard_otlp_events_ingested_total: { type: "counter", labels: ["signal", "outcome"] },
  skillyard_webhook_deliveries_total: { type: "counter", labels: ["event", "outcome"] },
  skillyard_db_pool_connections: { type: "gauge", labels: ["state"] },
  skillyard_blobs_damaged_total: { type: "counter", labels: ["kind"] },
};
