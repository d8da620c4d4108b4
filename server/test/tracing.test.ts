import "reflect-metadata";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { repoRoot } from "../src/common/repo-root";
import { freePort } from "../src/db/free-port";
import { httpReady, startProductProcess } from "./support/product-process";
import { Receiver } from "./support/receiver";
import { createTestDatabase } from "./support/test-database";

/** OTLP/JSON ExportTraceServiceRequest, as the SDK's OTLP/HTTP exporter sends it. */
interface KeyValue {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean };
}
interface ExportedSpan {
  traceId: string;
  name: string;
  kind: number;
  attributes?: KeyValue[];
}
interface ExportTraceRequest {
  resourceSpans: { resource: { attributes: KeyValue[] }; scopeSpans: { scope: { name: string }; spans: ExportedSpan[] }[] }[];
}

interface Span extends ExportedSpan {
  scope: string;
  resource: Record<string, string>;
  attrs: Record<string, string>;
}

const flatten = (list: KeyValue[] | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, String(kv.value.stringValue ?? kv.value.intValue ?? kv.value.boolValue ?? "")]));

function spansFrom(receiver: Receiver): Span[] {
  return receiver
    .requestsTo("/v1/traces")
    .flatMap((r) =>
      (JSON.parse(r.body) as ExportTraceRequest).resourceSpans.flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) =>
          ss.spans.map((span) => ({ ...span, scope: ss.scope.name, resource: flatten(rs.resource.attributes), attrs: flatten(span.attributes) })),
        ),
      ),
    );
}

const PROBE = `query TracingProbe { skills(first: 1) { totalCount } }`;

/** Runs the built server (`--role api`) with `env`, sends one GraphQL query, and stops it with SIGTERM. */
async function runServer(env: Record<string, string>): Promise<{ exitCode: number | null; output: string }> {
  const database = await createTestDatabase();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "skillyard-tracing-"));
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = await startProductProcess(["--role", "api"], { DATABASE_URL: database.url, DATA_DIR: dataDir, PORT: String(port), ...env }, httpReady(url));
    const answered = fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: PROBE }) }).then(
      async (res) => ({ status: res.status, body: (await res.json()) as { errors?: unknown } }),
    );
    const settled = await answered.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const exitCode = await server.stop("SIGTERM");
    if ("error" in settled) throw settled.error;
    assert.equal(settled.value.status, 200);
    assert.equal(settled.value.body.errors, undefined, JSON.stringify(settled.value.body.errors));
    return { exitCode, output: server.output() };
  } finally {
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The environment without any OTEL_* variable this machine's shell may have set. */
function withoutOtel(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const key of Object.keys(env)) if (key.startsWith("OTEL_") && !(key in extra)) delete env[key];
  return env;
}

describe("tracing: OpenTelemetry spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set", () => {
  let receiver: Receiver;

  before(async () => {
    receiver = new Receiver();
    await receiver.start();
    for (const signal of ["traces", "metrics", "logs"]) {
      receiver.on(`/v1/${signal}`, (_n, res) => {
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    }
  });
  after(async () => {
    await receiver?.close();
  });

  test("the built server exports spans from the http, pg and graphql instrumentations, one trace per request, flushed at SIGTERM", async () => {
    const { exitCode, output } = await runServer({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Nothing is exported on a timer during the test: what arrives was flushed by the shutdown.
      OTEL_BSP_SCHEDULE_DELAY: "600000",
      // The SDK's defaults would export these too, to the same endpoint: traces only here.
      OTEL_METRIC_EXPORT_INTERVAL: "200",
    });
    assert.equal(exitCode, 0, output);
    const spans = spansFrom(receiver);
    assert.ok(spans.length > 0, "spans arrived");
    const scopes = new Set(spans.map((s) => s.scope));
    for (const scope of ["@opentelemetry/instrumentation-http", "@opentelemetry/instrumentation-pg", "@opentelemetry/instrumentation-graphql"]) {
      assert.ok(scopes.has(scope), `spans from ${scope} (got ${[...scopes].join(", ")})`);
    }
    const version = (JSON.parse(readFileSync(path.join(repoRoot(), "server", "package.json"), "utf8")) as { version: string }).version;
    for (const span of spans) {
      assert.equal(span.resource["service.name"], "skillyard");
      assert.equal(span.resource["service.version"], version);
      assert.equal(span.resource["skillyard.role"], "api");
    }
    // The request's server span, its GraphQL operation and its SQL share one trace.
    const request = spans.find(
      (s) => s.scope === "@opentelemetry/instrumentation-http" && s.kind === 2 && /\/graphql/.test(s.attrs["url.path"] ?? s.attrs["http.target"] ?? ""),
    );
    assert.ok(request, `a server span for POST /graphql in ${JSON.stringify(spans.map((s) => [s.scope, s.name]))}`);
    const inTrace = spans.filter((s) => s.traceId === request.traceId);
    // The one executable schema runs the client's operation under its own name.
    assert.ok(
      inTrace.some((s) => s.scope === "@opentelemetry/instrumentation-graphql" && /^TracingProbe/.test(s.attrs["graphql.operation.name"] ?? "")),
      "the TracingProbe operation in the request's trace",
    );
    assert.ok(
      inTrace.some((s) => s.scope === "@opentelemetry/instrumentation-pg"),
      "the query's SQL in the request's trace",
    );
    // Health checks are not traced; only traces were sent.
    assert.ok(!spans.some((s) => /\/readyz/.test(s.attrs["url.path"] ?? s.attrs["http.target"] ?? "")), "no span for /readyz");
    assert.deepEqual(new Set(receiver.received.map((r) => r.path)), new Set(["/v1/traces"]));
  });

  test("unset, no OpenTelemetry module is loaded and nothing is sent, even with other OTEL_* variables pointing at a collector", async () => {
    receiver.received.length = 0;
    const { exitCode, output } = await runServer({
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.url}/v1/metrics`,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.url}/v1/logs`,
      OTEL_METRIC_EXPORT_INTERVAL: "100",
    });
    assert.equal(exitCode, 0, output);
    assert.deepEqual(receiver.received, []);

    // What the bootstrap loads, seen from inside a process that loads it first, as main.ts does.
    const probe = [
      `require(${JSON.stringify(path.join(repoRoot(), "server", "src", "observability", "tracing.ts"))});`,
      `require("http"); require("pg"); require("graphql");`,
      `const loaded = Object.keys(require.cache).filter((file) => file.includes("${path.sep}@opentelemetry${path.sep}"));`,
      `process.stdout.write(JSON.stringify({ loaded: loaded.length, httpPatched: "__wrapped" in require("http").request }));`,
    ].join("\n");
    const inspect = (env: NodeJS.ProcessEnv) => {
      const result = spawnSync(process.execPath, ["-r", "@swc-node/register", "-e", probe], {
        env,
        encoding: "utf8",
        timeout: 60_000,
        cwd: path.join(repoRoot(), "server"),
      });
      assert.equal(result.status, 0, result.stderr);
      return JSON.parse(result.stdout) as { loaded: number; httpPatched: boolean };
    };
    assert.deepEqual(inspect(withoutOtel()), { loaded: 0, httpPatched: false });
    // The same probe with tracing on: the hooks are in place before http is required (so the check above can fail).
    const on = inspect(withoutOtel({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`, OTEL_BSP_SCHEDULE_DELAY: "600000" }));
    assert.ok(on.loaded > 0);
    assert.equal(on.httpPatched, true);
  });
});
