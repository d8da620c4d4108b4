import "reflect-metadata";
import { METRICS_CONTRACT } from "./support/metrics-contract";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import PgBoss from "pg-boss";
import { EVAL_RUN_QUEUE } from "../src/evals/eval-run.service";
import { TokenScope } from "../src/identity/api-token.entity";
import { GlobalRole } from "../src/identity/user.entity";
import { ClaudeSession, logsRequest, postLogs } from "./support/claude-telemetry";
import { type ProductProcess, startProductProcess, workerReady } from "./support/product-process";
import { type Exposition, parseExposition } from "./support/prometheus";
import { publishOk } from "./support/publish";
import { Receiver } from "./support/receiver";
import { skillYaml } from "./support/seed";
import { pythonSkill } from "./support/skills";
import { collectRunEvents, TEST_RUN_EVENTS, wsClient } from "./support/subscriptions";
import { startTestServer, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";

const TOKEN = "metrics-scrape-token-0123456789";

const CONTRACT = METRICS_CONTRACT;

/** prom-client's default metrics, with the contract's prefix. */
const DEFAULT_METRICS = ["skillyard_process_cpu_seconds_total", "skillyard_process_resident_memory_bytes", "skillyard_nodejs_eventloop_lag_seconds"];

const HTTP = "skillyard_http_request_duration_seconds_count";
const GRAPHQL = "skillyard_graphql_operation_duration_seconds_count";
const ERRORS = "skillyard_errors_total";
const RUNS = "skillyard_sandbox_runs_total";
const LIVE = "skillyard_live_subscriptions";
const OTLP = "skillyard_otlp_events_ingested_total";
const WEBHOOKS = "skillyard_webhook_deliveries_total";

async function scrapeAt(url: string, token: string | null = TOKEN): Promise<Exposition> {
  const res = await fetch(`${url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  assert.equal(res.status, 200, await res.clone().text());
  return parseExposition(await res.text());
}

/** A skill whose tests take a few seconds (long enough to watch its run live) and whose eval suite passes. */
function slowSkillWithEvals(name: string): Record<string, string> {
  return {
    "skill.yaml": skillYaml({
      name,
      version: "1.0.0",
      requirements: { runtime: "python3.11", memory_mb: 128, timeout_seconds: 60 },
      entrypoint: "python3 -m src.main",
      outputs: { type: "object", required: ["mean"], properties: { mean: { type: "number" } } },
    }),
    "src/__init__.py": "",
    "src/main.py": "import json, sys\nvalues = json.load(sys.stdin)['values']\nprint(json.dumps({'mean': sum(values) / len(values)}))\n",
    "tests/test_main.py": "import time\ntime.sleep(4)\n\ndef test_ok():\n    assert True\n",
    "evals/suite.yaml": "min_score: 0.5\ncases:\n  - name: two-values\n    input: {values: [1, 3]}\n    expect: {number: {path: mean, value: 2}}\n",
  };
}

describe("metrics: /metrics on the API process", () => {
  let server: TestServer;
  let receiver: Receiver;
  let admin: string;
  let publisher: string;
  let ingestToken: string;
  const scrape = (token: string | null = TOKEN) => scrapeAt(server.url, token);

  before(async () => {
    receiver = new Receiver();
    await receiver.start();
    server = await startTestServer(
      {
        METRICS_TOKEN: TOKEN,
        WEBHOOK_ALLOW_PRIVATE_TARGETS: "true",
        WEBHOOK_MAX_ATTEMPTS: "2",
        WEBHOOK_RETRY_DELAY_SECONDS: "1",
        WEBHOOK_TIMEOUT_MS: "2000",
        SANDBOX_MAX_CONCURRENCY: "2",
      },
      { worker: true },
    );
    admin = (await server.seed.user("metrics-admin", [GlobalRole.ADMIN])).token;
    const team = server.seed.team("metrics");
    publisher = (await team.member("metrics-publisher")).token;
    ingestToken = await server.runtime.services.distributionCredentials.secretFor(TokenScope.INGEST, await team.entity(), null);
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  test("METRICS_TOKEN: no token and a wrong one get 401 and the catalogue's error body; the right one gets the Prometheus text", async () => {
    const before = await scrape();
    for (const authorization of [undefined, "Bearer not-the-metrics-token", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const res = await fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });
      assert.equal(res.status, 401, String(authorization));
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "UNAUTHENTICATED");
      assert.match(body.error.message, /METRICS_TOKEN/);
    }
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const after = parseExposition(await res.text());
    assert.equal(after.sum(ERRORS, { code: "UNAUTHENTICATED", surface: "http" }) - before.sum(ERRORS, { code: "UNAUTHENTICATED", surface: "http" }), 4);
    assert.equal(
      after.sum(HTTP, { method: "GET", route: "/metrics", status: "401" }) - before.sum(HTTP, { method: "GET", route: "/metrics", status: "401" }),
      4,
    );
  });

  test("HTTP requests are timed under their route pattern, never the raw URL; REST errors are counted by code", async () => {
    const before = await scrape();
    const sha = randomBytes(32).toString("hex");
    const unmatched = `/no-such-route-${randomUUID()}`;
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const download = await fetch(`${server.url}/packages/${sha}.tgz`);
    assert.equal(download.status, 404);
    assert.equal(((await download.json()) as { error: { code: string } }).error.code, "PACKAGE_NOT_FOUND");
    const nowhere = await fetch(`${server.url}${unmatched}`);
    assert.equal(nowhere.status, 404);
    assert.equal(((await nowhere.json()) as { error: { code: string } }).error.code, "NOT_FOUND");

    const after = await scrape();
    const moved = (labels: Record<string, string>) => after.sum(HTTP, labels) - before.sum(HTTP, labels);
    assert.equal(moved({ method: "GET", route: "/healthz", status: "200" }), 1);
    assert.equal(moved({ method: "GET", route: "/packages/:sha256", status: "404" }), 1);
    assert.equal(moved({ method: "GET", route: "other", status: "404" }), 1);
    assert.equal(after.sum(ERRORS, { code: "PACKAGE_NOT_FOUND", surface: "http" }) - before.sum(ERRORS, { code: "PACKAGE_NOT_FOUND", surface: "http" }), 1);
    assert.equal(after.sum(ERRORS, { code: "NOT_FOUND", surface: "http" }) - before.sum(ERRORS, { code: "NOT_FOUND", surface: "http" }), 1);
    const routes = new Set(after.find(HTTP).map((s) => s.labels.route));
    for (const route of routes) {
      assert.ok(!route.includes(sha) && !route.includes("no-such-route"), `a raw URL became a label: ${route}`);
    }
  });

  test("GraphQL operations are timed by name and type; their errors are counted by extensions.code", async () => {
    const before = await scrape();
    const named = await server.gql(`query MetricsProbe { viewer { handle } }`, {}, publisher);
    assert.equal(named.errors, undefined, JSON.stringify(named.errors));
    const anonymous = await server.gql(`{ skills(first: 1) { totalCount } }`);
    assert.equal(anonymous.errors, undefined, JSON.stringify(anonymous.errors));
    const refused = await server.gql(`mutation MetricsMint($u: String!) { createApiToken(input: { user: $u, name: "m" }) { token } }`, { u: "metrics-admin" });
    assert.equal(refused.errors?.[0]?.extensions.code, "UNAUTHENTICATED");
    const invalid = await server.gql(`query MetricsBroken { noSuchField }`);
    assert.equal(invalid.errors?.[0]?.extensions.code, "GRAPHQL_VALIDATION_FAILED");
    // Over the WebSocket too: a subscription refused before it starts.
    const ws = wsClient(server.url, publisher);
    try {
      const refusal = await new Promise<unknown>((resolve) =>
        ws.subscribe({ query: `subscription MetricsNowhere { noSuchField }` }, { next: () => undefined, error: resolve, complete: () => resolve(null) }),
      );
      assert.equal((refusal as { extensions?: { code?: string } }[])[0]?.extensions?.code, "GRAPHQL_VALIDATION_FAILED", JSON.stringify(refusal));
    } finally {
      await ws.dispose();
    }

    const after = await scrape();
    const moved = (labels: Record<string, string>) => after.sum(GRAPHQL, labels) - before.sum(GRAPHQL, labels);
    assert.equal(moved({ operation: "MetricsProbe", type: "query" }), 1);
    assert.equal(moved({ operation: "anonymous", type: "query" }), 1);
    assert.equal(moved({ operation: "MetricsMint", type: "mutation" }), 1);
    // It never became an operation: its error is counted, no duration.
    assert.equal(after.find(GRAPHQL, { operation: "MetricsBroken" }).length, 0);
    const errors = (code: string) => after.sum(ERRORS, { code, surface: "graphql" }) - before.sum(ERRORS, { code, surface: "graphql" });
    assert.equal(errors("UNAUTHENTICATED"), 1);
    assert.equal(errors("GRAPHQL_VALIDATION_FAILED"), 2);
    assert.equal(after.find(GRAPHQL, { operation: "MetricsNowhere" }).length, 0);
    assert.ok(after.sum("skillyard_graphql_operation_duration_seconds_sum", { operation: "MetricsProbe" }) > 0);
  });

  test("queue depth is read from pg-boss at each scrape", async () => {
    const depth = (e: Exposition, queue: string) => {
      const found = e.find("skillyard_queue_depth", { queue });
      assert.equal(found.length, 1, `one skillyard_queue_depth{queue="${queue}"}`);
      return found[0].value;
    };
    const before = await scrape();
    for (const queue of ["test", "eval", "webhook"]) assert.ok(depth(before, queue) >= 0);
    // A job due in an hour waits in the eval queue; no worker takes it before then.
    const boss = new PgBoss({ connectionString: server.databaseUrl, supervise: false, schedule: false, migrate: false });
    await boss.start();
    try {
      const ids = await Promise.all([1, 2].map(() => boss.send(EVAL_RUN_QUEUE, { evalRunId: randomUUID() }, { startAfter: 3600 })));
      assert.equal(depth(await scrape(), "eval"), depth(before, "eval") + 2);
      await boss.deleteJob(
        EVAL_RUN_QUEUE,
        ids.filter((id): id is string => id !== null),
      );
      assert.equal(depth(await scrape(), "eval"), depth(before, "eval"));
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  });

  test("the database pool is read at scrape time", async () => {
    const pool = (e: Exposition, state: string) => e.sum("skillyard_db_pool_connections", { state });
    const inUse = (e: Exposition) => pool(e, "total") - pool(e, "idle");
    // A connection checked out here shows as in use at the next scrape, and as idle once released.
    const held = server.runtime.dataSource.createQueryRunner();
    await held.connect();
    await held.query("SELECT 1");
    try {
      const busy = await scrape();
      assert.ok(pool(busy, "total") >= 1);
      assert.ok(inUse(busy) >= 1, JSON.stringify(busy.find("skillyard_db_pool_connections")));
      assert.ok(pool(busy, "waiting") >= 0);
      await held.release();
      // Background work (the worker's sweep) borrows connections for moments: wait for a quiet scrape.
      await waitFor(async () => inUse(await scrape()) === 0, "every pooled connection to be idle again", 15_000, 100);
    } finally {
      if (!held.isReleased) await held.release();
    }
  });

  test("OTLP: each record of a logs batch counts as stored or ignored, a retried batch as ignored, metric data points as ignored", async () => {
    const before = await scrape();
    // Kept: skill_activated and the Skill tool's tool_result. Dropped: api_request and the prompt.
    const session = new ClaudeSession({ userId: "metrics-user", resource: { team: "metrics" } })
      .invoke({ skill: "metrics-notes", source: "userSettings", success: true })
      .other();
    assert.equal(session.events.length, 4);
    const body = logsRequest([session]);
    assert.equal((await postLogs(server.url, ingestToken, body)).status, 200);
    const once = await scrape();
    const moved = (e: Exposition, from: Exposition, labels: Record<string, string>) => e.sum(OTLP, labels) - from.sum(OTLP, labels);
    assert.equal(moved(once, before, { signal: "logs", outcome: "stored" }), 2);
    assert.equal(moved(once, before, { signal: "logs", outcome: "ignored" }), 2);
    // The exporter's retry of the same batch stores nothing new.
    assert.equal((await postLogs(server.url, ingestToken, body)).status, 200);
    const twice = await scrape();
    assert.equal(moved(twice, once, { signal: "logs", outcome: "stored" }), 0);
    assert.equal(moved(twice, once, { signal: "logs", outcome: "ignored" }), 4);

    const metricsBody = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: "claude_code.token.usage", sum: { dataPoints: [{ asInt: "10" }, { asInt: "20" }] } },
                { name: "claude_code.session.count", gauge: { dataPoints: [{ asDouble: 1 }] } },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`${server.url}/v1/metrics`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ingestToken}` },
      body: JSON.stringify(metricsBody),
    });
    assert.equal(res.status, 200);
    const withMetrics = await scrape();
    assert.equal(moved(withMetrics, twice, { signal: "metrics", outcome: "ignored" }), 3);
    assert.equal(moved(withMetrics, twice, { signal: "metrics", outcome: "stored" }), 0);
    // An OTLP refusal is an HTTP error with its code.
    const refused = await postLogs(server.url, null, body);
    assert.equal(refused.status, 401);
    const afterRefusal = await scrape();
    assert.equal(
      afterRefusal.sum(ERRORS, { code: "UNAUTHENTICATED", surface: "http" }) - withMetrics.sum(ERRORS, { code: "UNAUTHENTICATED", surface: "http" }),
      1,
    );
  });

  test("webhooks: a 2xx from a 127.0.0.1 receiver is delivered; a refusing one is failed, then dead after the last attempt", async () => {
    const create = async (url: string) => {
      const res = await server.gql<{ createWebhook: { webhook: { id: string } } }>(
        `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }`,
        { input: { url, events: ["VERSION_PUBLISHED"] } },
        admin,
      );
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      return res.data!.createWebhook.webhook.id;
    };
    const hooks = [
      await create(
        receiver.on("/ok", (_n, res) => {
          res.writeHead(204).end();
        }),
      ),
      await create(
        receiver.on("/refuse", (_n, res) => {
          res.writeHead(500).end();
        }),
      ),
    ];
    const before = await scrape();
    const moved = (e: Exposition, outcome: string) =>
      e.sum(WEBHOOKS, { event: "VERSION_PUBLISHED", outcome }) - before.sum(WEBHOOKS, { event: "VERSION_PUBLISHED", outcome });
    try {
      const published = await publishOk(server, publisher, {
        "skill.yaml": skillYaml({ name: "metrics-hooked", version: "1.0.0" }),
        "README.md": "# hooked\n",
      });
      assert.equal(published.version.status, "PUBLISHED");
      const settled = await waitFor(
        async () => {
          const e = await scrape();
          return moved(e, "delivered") >= 1 && moved(e, "dead") >= 1 ? e : null;
        },
        "both deliveries to settle",
        60_000,
        200,
      );
      assert.equal(moved(settled, "delivered"), 1);
      assert.equal(moved(settled, "failed"), 1, "the first of two attempts failed and was retried");
      assert.equal(moved(settled, "dead"), 1);
      assert.equal(receiver.requestsTo("/ok").length, 1);
      assert.equal(receiver.requestsTo("/refuse").length, 2);
    } finally {
      for (const id of hooks) await server.gql(`mutation($id: ID!) { deleteWebhook(id: $id) { webhook { id } } }`, { id }, admin);
    }
  });

  test("a sandbox run: live subscriptions go up and down, and its test run and eval run are each counted once, with outcome and duration", async () => {
    const before = await scrape();
    const live = async () => (await scrape()).sum(LIVE, { field: "testRunEvents" });
    const base = before.sum(LIVE, { field: "testRunEvents" });
    const published = await publishOk(server, publisher, slowSkillWithEvals("metrics-sandboxed"));
    assert.equal(published.version.status, "TESTING");
    const state = await server.gql<{ node: { latestTestRun: { id: string } } }>(
      `query($id: ID!) { node(id: $id) { ... on SkillVersion { latestTestRun { id } } } }`,
      { id: published.version.id },
      publisher,
    );
    const runId = state.data!.node.latestTestRun.id;

    // Closed by the client's complete message.
    const first = wsClient(server.url, publisher);
    const second = wsClient(server.url, publisher);
    try {
      const unsubscribe = first.subscribe(
        { query: TEST_RUN_EVENTS, variables: { id: runId } },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
      await waitFor(async () => (await live()) === base + 1, "the first subscription to count as live", 10_000, 50);
      unsubscribe();
      await waitFor(async () => (await live()) === base, "the completed subscription to stop counting", 10_000, 50);
      // Closed with its socket.
      second.subscribe({ query: TEST_RUN_EVENTS, variables: { id: runId } }, { next: () => undefined, error: () => undefined, complete: () => undefined });
      await waitFor(async () => (await live()) === base + 1, "the second subscription to count as live", 10_000, 50);
    } finally {
      await first.dispose();
      await second.dispose();
    }
    await waitFor(async () => (await live()) === base, "the closed socket's subscription to stop counting", 10_000, 50);

    // Ended by the stream itself: the run's events run to its final status.
    const third = wsClient(server.url, publisher);
    try {
      const events = await collectRunEvents(third, runId);
      assert.equal(events.at(-1)?.status, "PASSED");
    } finally {
      await third.dispose();
    }
    assert.equal(await live(), base, "never below where it started");
    // Each of the three was an operation of type subscription (named Events in TEST_RUN_EVENTS), timed to its set-up.
    const subscribed = await scrape();
    assert.equal(
      subscribed.sum(GRAPHQL, { operation: "Events", type: "subscription" }) - before.sum(GRAPHQL, { operation: "Events", type: "subscription" }),
      3,
    );

    const runs = (e: Exposition, kind: string) => e.sum(RUNS, { kind, outcome: "passed" }) - before.sum(RUNS, { kind, outcome: "passed" });
    const finished = await waitFor(
      async () => {
        const e = await scrape();
        return runs(e, "test") >= 1 && runs(e, "eval") >= 1 ? e : null;
      },
      "the test run and the eval run to be counted",
      180_000,
      250,
    );
    assert.equal(runs(finished, "test"), 1);
    assert.equal(runs(finished, "eval"), 1);
    const durationCount = (e: Exposition, kind: string) => e.sum("skillyard_sandbox_run_duration_seconds_count", { kind, outcome: "passed" });
    assert.equal(durationCount(finished, "test") - durationCount(before, "test"), 1);
    const testSeconds =
      finished.sum("skillyard_sandbox_run_duration_seconds_sum", { kind: "test", outcome: "passed" }) -
      before.sum("skillyard_sandbox_run_duration_seconds_sum", { kind: "test", outcome: "passed" });
    assert.ok(testSeconds >= 4, `the run's tests sleep 4 s; its duration was ${testSeconds} s`);
    // Exactly once: nothing counts the same runs again later (a retry, a sweep).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const later = await scrape();
    assert.equal(runs(later, "test"), 1);
    assert.equal(runs(later, "eval"), 1);
  });

  test("every metric and label of the contract is exposed, every series carries role, and the default process metrics are there", async () => {
    const e = await scrape();
    for (const [name, { type, labels }] of Object.entries(CONTRACT)) {
      assert.equal(e.types.get(name), type, `# TYPE ${name} ${type}`);
      const samples = type === "histogram" ? e.find(`${name}_bucket`) : e.find(name);
      assert.ok(samples.length > 0, `${name} has series`);
      for (const sample of samples) {
        const expected = [...labels, "role", ...(type === "histogram" ? ["le"] : [])].sort();
        assert.deepEqual(Object.keys(sample.labels).sort(), expected, `${name} labels`);
      }
    }
    for (const name of DEFAULT_METRICS) assert.ok(e.find(name).length > 0, `${name} is exposed`);
    for (const sample of e.samples) assert.equal(sample.labels.role, "all", `${sample.name} carries role="all"`);
    assert.deepEqual(new Set(e.find(LIVE).map((s) => s.labels.field)), new Set(["testRunEvents", "evalRunEvents"]));
    assert.deepEqual(new Set(e.find("skillyard_db_pool_connections").map((s) => s.labels.state)), new Set(["total", "idle", "waiting"]));
    assert.deepEqual(new Set(e.find("skillyard_queue_depth").map((s) => s.labels.queue)), new Set(["test", "eval", "webhook"]));
  });
});

describe("metrics: a --role worker process serves /healthz and /metrics on its own port", () => {
  let server: TestServer;
  let worker: ProductProcess | null = null;
  let url = "";

  before(async () => {
    // The API in this process runs no worker: the spawned one runs the sandbox.
    server = await startTestServer({});
    worker = await startProductProcess(
      ["--role", "worker"],
      { DATABASE_URL: server.databaseUrl, DATA_DIR: server.runtime.config.dataDir, PORT: "0", METRICS_TOKEN: TOKEN, SANDBOX_MAX_CONCURRENCY: "1" },
      workerReady,
    );
    const announced = /"metrics":"(http:\/\/[^"]+)\/metrics"/.exec(worker.output());
    assert.ok(announced, `the worker announces its metrics URL:\n${worker.output()}`);
    url = announced[1];
  });
  after(async () => {
    await worker?.stop("SIGKILL");
    await server?.close();
  });

  test("only /healthz and /metrics (behind METRICS_TOKEN); its sandbox runs are counted there with role worker; SIGTERM closes it", async () => {
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
    assert.equal((await fetch(`${url}/metrics`)).status, 401);
    const other = await fetch(`${url}/graphql`, { method: "POST" });
    assert.equal(other.status, 404);
    assert.equal(((await other.json()) as { error: { code: string } }).error.code, "NOT_FOUND");

    const author = (await server.seed.team("worker-metrics").member("worker-metrics-author")).token;
    const published = await publishOk(server, author, pythonSkill("worker-counted", "1.0.0", { total: 1 }));
    assert.equal(published.version.status, "TESTING");
    const counted = await waitFor(
      async () => {
        const e = await scrapeAt(url);
        return e.sum(RUNS, { kind: "test", outcome: "passed", role: "worker" }) === 1 ? e : null;
      },
      "the worker to count its run",
      120_000,
      250,
    );
    assert.ok(counted.samples.length > 0 && counted.samples.every((s) => s.labels.role === "worker"));
    // The API process ran nothing: its own counters did not move.
    assert.equal((await scrapeAt(server.url, null)).sum(RUNS), 0);

    assert.equal(await worker!.stop("SIGTERM"), 0);
    await assert.rejects(fetch(`${url}/healthz`), "the listener is closed");
  });
});
