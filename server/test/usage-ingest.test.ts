import "reflect-metadata";
import assert from "node:assert/strict";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { OTLPLogExporter as JsonLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtobufLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { CompressionAlgorithm } from "@opentelemetry/otlp-exporter-base";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { fromGlobalId } from "../src/common/global-id";
import { TokenScope } from "../src/identity/api-token.entity";
import { GlobalRole } from "../src/identity/user.entity";
import { partitionName } from "../src/usage/usage-event-store";
import { UsageJobs } from "../src/usage/usage-jobs";
import { addDays } from "../src/usage/usage-weeks";
import { CLAUDE_CODE_VERSION, CLAUDE_EVENTS_SCOPE, ClaudeSession, logsRequest, postLogs } from "./support/claude-telemetry";
import { publishOk } from "./support/publish";
import { skillYaml } from "./support/seed";
import { startTestServer, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";

const DAY_MS = 86_400_000;
const MAX_BODY = 256 * 1024;

type Exporter = typeof JsonLogExporter | typeof ProtobufLogExporter;

/**
 * Sends sessions the way Claude Code does: the OpenTelemetry SDK's own LoggerProvider and OTLP log
 * exporter, one provider per session (its resource carries the team), records batched and flushed.
 */
async function exportWithSdk(Exporter: Exporter, url: string, token: string, sessions: ClaudeSession[], options: { gzip?: boolean } = {}): Promise<void> {
  for (const session of sessions) {
    const exporter = new Exporter({
      url: `${url}/v1/logs`,
      headers: { Authorization: `Bearer ${token}` },
      ...(options.gzip ? { compression: CompressionAlgorithm.GZIP } : {}),
    });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes(session.resource),
      processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 60_000, maxExportBatchSize: 512 })],
    });
    const logger = provider.getLogger(CLAUDE_EVENTS_SCOPE, CLAUDE_CODE_VERSION);
    for (const e of session.events) logger.emit({ body: `claude_code.${e.name}`, attributes: e.attributes, timestamp: e.at });
    await provider.forceFlush();
    await provider.shutdown();
  }
}

/** A proxy to the server that answers 503 to the first `failures` requests after forwarding them (the batch is stored, the exporter retries). */
async function flakyProxy(target: string, failures: number): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = ++requests;
      const upstream = httpRequest(new URL(req.url ?? "/", target), { method: req.method, headers: req.headers }, (answer) => {
        const body: Buffer[] = [];
        answer.on("data", (c: Buffer) => body.push(c));
        answer.on("end", () => {
          if (n <= failures) res.writeHead(503, { "retry-after": "0" }).end();
          else res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(body));
        });
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("usage: the OTLP receiver for Claude Code's telemetry", () => {
  let server: TestServer;
  let ingestToken: string;
  let teamlessIngestToken: string;
  let fullToken: string;
  let csvStatsId: string;
  const now = new Date();
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);

  const count = async (sql: string, params: unknown[] = []) => Number(((await server.runtime.dataSource.query(sql, params)) as { n: string }[])[0].n);
  const rawEvents = () => count(`SELECT count(*) AS n FROM usage_event`);
  const invocations = (skillId: string) => count(`SELECT COALESCE(sum(invocations), 0) AS n FROM usage_daily WHERE skill_id = $1`, [skillId]);

  before(async () => {
    server = await startTestServer({ USAGE_MAX_BODY_BYTES: String(MAX_BODY) });
    const data = server.seed.team("data");
    const maintainer = await data.member("usage-maintainer");
    fullToken = maintainer.token;
    csvStatsId = fromGlobalId((await publishOk(server, fullToken, { "skill.yaml": skillYaml({ name: "csv-stats", version: "1.2.0" }) })).version.skill.id).id;
    await publishOk(server, fullToken, { "skill.yaml": skillYaml({ name: "sql-helper", version: "2.0.0" }) });
    const credentials = server.runtime.services.distributionCredentials;
    ingestToken = await credentials.secretFor(TokenScope.INGEST, await data.entity(), null);
    teamlessIngestToken = await credentials.secretFor(TokenScope.INGEST, null, null);
  });
  after(async () => {
    await server?.close();
  });

  test("the SDK's JSON and protobuf exporters deliver a mix of events; skills, versions, teams and outcomes are counted", async () => {
    const json = new ClaudeSession({ userId: "user-json", resource: { team: "data" }, at: daysAgo(1) })
      .pluginLoaded("csv-stats", "skillyard", "1.2.0")
      .pluginLoaded("elsewhere", "other-market", "0.1.0")
      .other("user_prompt")
      .invoke({ skill: "csv-stats:csv-stats", plugin: "csv-stats", marketplace: "skillyard", success: true })
      .invoke({ skill: "csv-stats", plugin: "csv-stats", marketplace: "skillyard", success: false })
      .invoke({ skill: "elsewhere", plugin: "elsewhere", marketplace: "other-market", success: true })
      .other("assistant_response");
    const protobuf = new ClaudeSession({ userId: "user-proto", resource: { team: "web" }, at: daysAgo(1) })
      .pluginLoaded("csv-stats", "skillyard-stable", "1.1.0")
      .invoke({ skill: "csv-stats", plugin: "csv-stats", marketplace: "skillyard-stable", success: true })
      .invoke({ skill: "sql-helper", source: "userSettings", success: true })
      .invoke({ skill: "my-own-notes", source: "projectSettings", success: true });
    await exportWithSdk(JsonLogExporter, server.url, ingestToken, [json]);
    await exportWithSdk(ProtobufLogExporter, server.url, ingestToken, [protobuf], { gzip: true });

    // Kept: skill_activated, the Skill tool_result and plugin_loaded; api_request, prompts and responses are dropped.
    const kept = (s: ClaudeSession) => s.events.filter((e) => ["skill_activated", "tool_result", "plugin_loaded"].includes(e.name)).length;
    assert.equal(await rawEvents(), kept(json) + kept(protobuf));
    const rows = (await server.runtime.dataSource.query(
      `SELECT s.name, d.version, d.team, sum(d.invocations)::int AS invocations, sum(d.successes)::int AS ok, sum(d.failures)::int AS failed
         FROM usage_daily d JOIN skill s ON s.id = d.skill_id GROUP BY s.name, d.version, d.team ORDER BY s.name, d.version`,
    )) as { name: string; version: string; team: string; invocations: number; ok: number; failed: number }[];
    assert.deepEqual(rows, [
      // Keyed on plugin and marketplace, whatever skill.name the model passed; the version from plugin_loaded.
      { name: "csv-stats", version: "1.1.0", team: "web", invocations: 1, ok: 1, failed: 0 },
      { name: "csv-stats", version: "1.2.0", team: "data", invocations: 2, ok: 1, failed: 1 },
      // A user skill installed by `skillyard install --target claude` is the Skillyard skill of that name, version unknown.
      { name: "sql-helper", version: "", team: "web", invocations: 1, ok: 1, failed: 0 },
    ]);
    const unmanaged = (await server.runtime.dataSource.query(`SELECT name, source, plugin, marketplace FROM unmanaged_skill ORDER BY name`)) as object[];
    assert.deepEqual(unmanaged, [
      { name: "elsewhere", source: "plugin", plugin: "elsewhere", marketplace: "other-market" },
      { name: "my-own-notes", source: "projectSettings", plugin: null, marketplace: null },
    ]);
  });

  test("user ids are kept only as a salted hash", async () => {
    const stored = (await server.runtime.dataSource.query(`SELECT DISTINCT user_hash FROM usage_event WHERE user_hash IS NOT NULL ORDER BY 1`)) as {
      user_hash: string;
    }[];
    assert.equal(stored.length, 2);
    for (const { user_hash } of stored) assert.match(user_hash, /^[0-9a-f]{32}$/);
    const everything = JSON.stringify([
      await server.runtime.dataSource.query(`SELECT * FROM usage_event`),
      await server.runtime.dataSource.query(`SELECT * FROM usage_weekly_user`),
    ]);
    assert.ok(!everything.includes("user-json") && !everything.includes("user-proto"), "a raw user id was stored");
    // Salted: not the bare SHA-256 of the id, so a list of known ids cannot be matched against it.
    const { createHash } = await import("node:crypto");
    assert.ok(!stored.some((s) => createHash("sha256").update("user-json").digest("hex").startsWith(s.user_hash)));
  });

  test("a version's plugin_loaded in an earlier batch still gives the later invocations their version", async () => {
    const session = new ClaudeSession({ userId: "user-later", resource: { team: "data" }, at: daysAgo(2) }).pluginLoaded("csv-stats", "skillyard", "1.2.0");
    assert.equal((await postLogs(server.url, ingestToken, logsRequest([session]))).status, 200);
    const before = await invocations(csvStatsId);
    session.invoke({ skill: "csv-stats", plugin: "csv-stats", marketplace: "skillyard", success: true });
    assert.equal(
      (
        await postLogs(
          server.url,
          ingestToken,
          logsRequest([session], (e) => e.name !== "plugin_loaded"),
        )
      ).status,
      200,
    );
    assert.equal(await invocations(csvStatsId), before + 1);
    assert.equal(
      await count(`SELECT count(*) AS n FROM usage_event WHERE session_id = $1 AND version = '1.2.0' AND kind = 'skill_activated'`, [session.sessionId]),
      1,
    );
  });

  test("without a plugin_loaded (a first run installs the plugin mid-session), the version is what that catalog serves", async () => {
    const fresh = new ClaudeSession({ userId: "first-run", resource: { team: "data" }, at: daysAgo(1) })
      .invoke({ skill: "csv-stats:csv-stats", plugin: "csv-stats", marketplace: "skillyard", success: true })
      .invoke({ skill: "csv-stats", plugin: "csv-stats", marketplace: "skillyard-nightly", success: true });
    assert.equal((await postLogs(server.url, ingestToken, logsRequest([fresh]))).status, 200);
    const versions = (await server.runtime.dataSource.query(
      `SELECT marketplace, version FROM usage_event WHERE session_id = $1 AND kind = 'skill_activated' ORDER BY marketplace`,
      [fresh.sessionId],
    )) as { marketplace: string; version: string }[];
    // The base catalog serves the latest version; a channel nobody set serves nothing.
    assert.deepEqual(versions, [
      { marketplace: "skillyard", version: "1.2.0" },
      { marketplace: "skillyard-nightly", version: "" },
    ]);
  });

  test("the team comes from the resource attribute, else from the ingest token's team", async () => {
    const tagged = new ClaudeSession({ userId: "u1", resource: { team: "platform" }, at: daysAgo(1) }).invoke({ skill: "sql-helper", source: "userSettings" });
    const untagged = new ClaudeSession({ userId: "u2", at: daysAgo(1) }).invoke({ skill: "sql-helper", source: "userSettings" });
    const nowhere = new ClaudeSession({ userId: "u3", at: daysAgo(1) }).invoke({ skill: "sql-helper", source: "userSettings" });
    assert.equal((await postLogs(server.url, ingestToken, logsRequest([tagged, untagged]))).status, 200);
    assert.equal((await postLogs(server.url, teamlessIngestToken, logsRequest([nowhere]))).status, 200);
    const teams = (await server.runtime.dataSource.query(`SELECT session_id, team FROM usage_event WHERE session_id = ANY($1) AND kind = 'skill_activated'`, [
      [tagged.sessionId, untagged.sessionId, nowhere.sessionId],
    ])) as { session_id: string; team: string }[];
    const teamOf = (s: ClaudeSession) => teams.find((t) => t.session_id === s.sessionId)?.team;
    assert.deepEqual([teamOf(tagged), teamOf(untagged), teamOf(nowhere)], ["platform", "data", ""]);
  });

  test("every event lands once when the exporter retries after a 503", async () => {
    const proxy = await flakyProxy(server.url, 1);
    try {
      const session = new ClaudeSession({ userId: "retry-user", resource: { team: "data" }, at: daysAgo(1) })
        .pluginLoaded("csv-stats", "skillyard", "1.2.0")
        .invoke({ skill: "csv-stats", plugin: "csv-stats", marketplace: "skillyard", success: true })
        .invoke({ skill: "csv-stats", plugin: "csv-stats", marketplace: "skillyard", success: true });
      const [rawBefore, countedBefore] = [await rawEvents(), await invocations(csvStatsId)];
      await exportWithSdk(JsonLogExporter, proxy.url, ingestToken, [session]);
      assert.equal(proxy.requests(), 2, "the exporter retried once");
      assert.equal(await rawEvents(), rawBefore + 5);
      assert.equal(await invocations(csvStatsId), countedBefore + 2);
      // A third delivery of the same batch (another retry) changes nothing either.
      assert.equal((await postLogs(server.url, ingestToken, logsRequest([session]))).status, 200);
      assert.equal(await rawEvents(), rawBefore + 5);
      assert.equal(await invocations(csvStatsId), countedBefore + 2);
    } finally {
      await proxy.close();
    }
  });

  test("records without their identity are rejected as a partial success; the rest are stored; unknown events are dropped", async () => {
    const session = new ClaudeSession({ userId: "partial", resource: { team: "data" }, at: daysAgo(1) })
      .invoke({ skill: "sql-helper", source: "userSettings", success: true })
      .other("api_error");
    const body = logsRequest([session]) as { resourceLogs: { scopeLogs: { logRecords: { attributes: { key: string }[] }[] }[] }[] };
    const records = body.resourceLogs[0].scopeLogs[0].logRecords;
    // The Skill tool_result loses its session id: it cannot be stored idempotently.
    records[2].attributes = records[2].attributes.filter((a) => a.key !== "session.id");
    const stale = new ClaudeSession({ userId: "partial", at: daysAgo(45) }).invoke({ skill: "sql-helper", source: "userSettings" });
    body.resourceLogs.push(...(logsRequest([stale]) as typeof body).resourceLogs);
    const before = await rawEvents();
    const res = await postLogs(server.url, ingestToken, body);
    assert.equal(res.status, 200);
    const answer = (await res.json()) as { partialSuccess?: { rejectedLogRecords: string; errorMessage: string } };
    assert.equal(answer.partialSuccess?.rejectedLogRecords, "2");
    assert.match(answer.partialSuccess!.errorMessage, /session\.id/);
    assert.match(answer.partialSuccess!.errorMessage, /outside the last 30 days/);
    assert.equal(await rawEvents(), before + 1);

    const noise = new ClaudeSession({ userId: "noise", at: daysAgo(1) }).other("user_prompt").other("api_request");
    const quiet = await postLogs(server.url, ingestToken, logsRequest([noise]));
    assert.equal(quiet.status, 200);
    assert.deepEqual(await quiet.json(), {});
    assert.equal(await rawEvents(), before + 1);
  });

  test("invalid and oversized bodies get OTLP errors, and nothing already stored is lost", async () => {
    const stored = await rawEvents();
    const counted = await invocations(csvStatsId);
    const post = (body: Buffer, headers: Record<string, string>) =>
      fetch(`${server.url}/v1/logs`, { method: "POST", headers: { authorization: `Bearer ${ingestToken}`, ...headers }, body });
    const expectStatus = async (res: Response, status: number, code: string) => {
      assert.equal(res.status, status);
      const json = (await res.json()) as { code: number; message: string; details: { reason: string }[] };
      assert.ok(json.message.startsWith(`${code}: `), json.message);
      assert.equal(json.details[0].reason, code);
    };
    await expectStatus(await post(Buffer.from("{not json"), { "content-type": "application/json" }), 400, "OTLP_BAD_REQUEST");
    await expectStatus(await post(Buffer.from(`{"resourceLogs": 7}`), { "content-type": "application/json" }), 400, "OTLP_BAD_REQUEST");
    await expectStatus(await post(Buffer.from("hello"), { "content-type": "text/plain" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    await expectStatus(
      await post(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]), { "content-type": "application/json", "content-encoding": "gzip" }),
      400,
      "OTLP_BAD_REQUEST",
    );
    // Over the limit once inflated, however small the gzip stream: a decompression bomb stops at the limit.
    const bomb = gzipSync(Buffer.from(JSON.stringify({ resourceLogs: [], pad: "x".repeat(MAX_BODY * 4) })));
    assert.ok(bomb.length < MAX_BODY / 10);
    await expectStatus(await post(bomb, { "content-type": "application/json", "content-encoding": "gzip" }), 413, "PAYLOAD_TOO_LARGE");

    const badProtobuf = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), { "content-type": "application/x-protobuf" });
    assert.equal(badProtobuf.status, 400);
    assert.equal(badProtobuf.headers.get("content-type"), "application/x-protobuf");
    assert.match(Buffer.from(await badProtobuf.arrayBuffer()).toString("latin1"), /OTLP_BAD_REQUEST/);

    assert.equal(await rawEvents(), stored);
    assert.equal(await invocations(csvStatsId), counted);
  });

  test("only ingest tokens may send telemetry, and an ingest token can do nothing else", async () => {
    const body = logsRequest([new ClaudeSession({ userId: "auth", at: daysAgo(1) }).invoke({ skill: "sql-helper", source: "userSettings" })]);
    assert.equal((await postLogs(server.url, null, body)).status, 401);
    assert.equal((await postLogs(server.url, "sy_not-a-token", body)).status, 401);
    const full = await postLogs(server.url, fullToken, body);
    assert.equal(full.status, 403);
    assert.match(((await full.json()) as { message: string }).message, /^INSUFFICIENT_SCOPE: POST \/v1\/logs needs a token with the INGEST scope/);
    const catalogRead = await server.runtime.services.distributionCredentials.secretFor(TokenScope.CATALOG_READ, null, null);
    assert.equal((await postLogs(server.url, catalogRead, body)).status, 403);
    const metrics = await fetch(`${server.url}/v1/metrics`, {
      method: "POST",
      headers: { authorization: `Bearer ${ingestToken}`, "content-type": "application/json" },
      body: JSON.stringify({ resourceMetrics: [] }),
    });
    assert.equal(metrics.status, 200);

    // The ingest token on the API, on uploads and on catalog reads: refused, for the scope it lacks.
    const api = await server.gql(`{ viewer { handle } }`, {}, ingestToken);
    assert.deepEqual(api.errors?.[0].extensions, { code: "INSUFFICIENT_SCOPE", scope: "READ" });
    const rate = await server.gql(`mutation { rateSkill(input: { name: "csv-stats", rating: 5 }) { rating { rating } } }`, {}, ingestToken);
    assert.equal(rate.errors?.[0].extensions.code, "INSUFFICIENT_SCOPE");
    const upload = await server.upload(Buffer.from("PK"), ingestToken);
    assert.deepEqual([upload.status, (upload.body as { error: { code: string } }).error.code], [403, "INSUFFICIENT_SCOPE"]);

    // Revoked through the API: refused at once, although it was accepted (and remembered) a moment ago.
    assert.equal((await postLogs(server.url, teamlessIngestToken, body)).status, 200);
    const [{ id }] = (await server.runtime.dataSource.query(`SELECT id FROM api_token WHERE prefix = $1`, [teamlessIngestToken.slice(0, 10)])) as {
      id: string;
    }[];
    const admin = (await server.seed.user("ingest-admin", [GlobalRole.ADMIN])).token;
    const revoked = await server.gql(
      `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`,
      { id: Buffer.from(`ApiToken:${id}`).toString("base64url") },
      admin,
    );
    assert.equal(revoked.errors, undefined, JSON.stringify(revoked.errors));
    await waitFor(async () => (await postLogs(server.url, teamlessIngestToken, body)).status === 401, "the revoked ingest token refused", 5_000);
  });

  test("raw events live in daily partitions that are dropped whole past the retention; rollups stay", async () => {
    const store = server.runtime.services.usageEvents;
    const today = now.toISOString().slice(0, 10);
    const old = addDays(today, -40);
    await store.ensurePartitions([old]);
    await server.runtime.dataSource.query(
      `INSERT INTO usage_event (day, session_id, sequence, kind, at, team, skill_key, skill_id, version)
       VALUES ($1, 'old-session', 1, 'skill_activated', $2, 'data', $3::text, $3::uuid, '1.0.0')`,
      [old, `${old}T12:00:00Z`, csvStatsId],
    );
    await server.runtime.dataSource.query(
      `INSERT INTO usage_daily (day, skill_key, skill_id, version, team, invocations, successes, failures) VALUES ($1, $2::text, $2::uuid, '1.0.0', 'data', 1, 0, 0)`,
      [old, csvStatsId],
    );
    const counted = await invocations(csvStatsId);
    const recent = await rawEvents();
    const jobs = new UsageJobs({
      store,
      tiers: server.runtime.services.usageTiers,
      reviews: server.runtime.services.qualityReviews,
      logger: server.runtime.logger,
      retentionDays: 30,
      intervalSeconds: 3600,
      now: () => now,
    });
    const report = await jobs.runOnce();
    assert.deepEqual(report.droppedDays, [old]);
    assert.equal(await count(`SELECT count(*) AS n FROM pg_class WHERE relname = $1`, [partitionName(old)]), 0);
    assert.equal(await rawEvents(), recent - 1);
    assert.equal(await invocations(csvStatsId), counted, "rollups are kept forever");
    assert.deepEqual((await jobs.runOnce()).droppedDays, []);
  });
});
