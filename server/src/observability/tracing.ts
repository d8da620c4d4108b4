/**
 * OpenTelemetry traces (HTTP, pg and GraphQL instrumentations, OTLP/HTTP exporter), on only when
 * OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set.
 *
 * Invariant: this is the first module main.ts imports. The instrumentations hook `require`, so they
 * are in place before anything loads http, pg or graphql. Hence it reads its variables itself (the
 * same definitions as loadConfig, which checks them again and reports bad values), and loads the
 * SDK synchronously, and only when tracing is on: with it off, no OpenTelemetry code is loaded.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { NodeSDK } from "@opentelemetry/sdk-node";
import { repoRoot } from "../common/repo-root";
import { ConfigError, loadTracingConfig, type TracingConfig } from "../config";
import { isProcessRole, roleArgument } from "../process-role";

/** Health checks and scrapes every few seconds would drown the traces that matter. */
const UNTRACED_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

function serviceVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(repoRoot(), "server", "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

function startTracing(config: TracingConfig, role: string): NodeSDK {
  /* eslint-disable @typescript-eslint/no-require-imports -- synchronous on purpose, see the top of this file */
  const { NodeSDK, resources } = require("@opentelemetry/sdk-node") as typeof import("@opentelemetry/sdk-node");
  const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-http") as typeof import("@opentelemetry/exporter-trace-otlp-http");
  const { HttpInstrumentation } = require("@opentelemetry/instrumentation-http") as typeof import("@opentelemetry/instrumentation-http");
  const { PgInstrumentation } = require("@opentelemetry/instrumentation-pg") as typeof import("@opentelemetry/instrumentation-pg");
  const { GraphQLInstrumentation } = require("@opentelemetry/instrumentation-graphql") as typeof import("@opentelemetry/instrumentation-graphql");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const sdk = new NodeSDK({
    serviceName: "skillyard",
    resource: resources.defaultResource().merge(resources.resourceFromAttributes({ "service.version": serviceVersion(), "skillyard.role": role })),
    traceExporter: new OTLPTraceExporter({ url: config.tracesUrl }),
    // Traces only: without these, the SDK would also export metrics and logs to the same collector.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? "").split("?")[0]) }),
      // Statement text only: parameter values (tokens, user data) never leave the process.
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, allowValues: false }),
    ],
  });
  sdk.start();
  return sdk;
}

function bootstrap(): NodeSDK | null {
  let config: TracingConfig | null;
  try {
    config = loadTracingConfig(process.env);
  } catch (error) {
    // main.ts reports it with every other bad variable, and exits.
    if (error instanceof ConfigError) return null;
    throw error;
  }
  if (!config) return null;
  const role = roleArgument(process.argv.slice(2));
  return startTracing(config, isProcessRole(role) ? role : "all");
}

const sdk = bootstrap();

/** Exports the spans still buffered and stops the SDK; main.ts calls it on every way out. */
export async function shutdownTracing(): Promise<void> {
  await sdk?.shutdown();
}
