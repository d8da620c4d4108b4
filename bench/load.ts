import { randomBytes } from "node:crypto";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import Dockerode from "dockerode";
import type { Client as WsClient } from "graphql-ws";
import { LABEL_SCOPE } from "../server/src/sandbox/sandbox-runner";
import { ClaudeSession, logsRequest } from "../server/test/support/claude-telemetry";
import { makePackage, skillYaml } from "../server/test/support/seed";
import { pythonSkill } from "../server/test/support/skills";
import { type ReceivedEvent, TEST_RUN_EVENTS, wsClient } from "../server/test/support/subscriptions";
import { gqlRequest, PUBLISH, type PublishData, type ProductServer, startProductServer } from "./product";
import { fmt, log, percentiles, printTable, removeScoped, type Resources, runBench } from "./support";

/**
 * Load test: LOAD_SECONDS of a realistic mix against one product process (`--role all`: the API and
 * the sandbox worker, real Docker runs), started from the build with a fresh embedded PostgreSQL.
 *
 * Operations start at LOAD_RATE a second on a fixed schedule (open loop: a slow answer does not slow
 * the arrivals, and latency is timed from when the operation was due), drawn from the mix
 *   70% catalog reads (skill pages, lists, version lists), 15% searches, 10% installs and downloads,
 *   4% OTLP batches of Claude Code telemetry, 1% publishes of a new version of a Python skill whose
 *   one test runs in a real sandbox (the publisher follows the run to PASSED, as the CLI does),
 * while 100 graphql-ws subscriptions stay open on a long "watch" run that prints one line a second
 * for the whole test: each subscriber must receive every line, then PASSED.
 *
 * Reports count, errors, p50/p99/max per operation, and the server's RSS and heap (its /metrics) at
 * the start, every 10 s, and at the end, with a trend verdict. Exits non-zero on any error. Sandbox
 * containers and volumes carry this run's scope label and are removed by it at the end.
 *
 *   npm run load                  (LOAD_SECONDS=30 for a short run; LOAD_RATE=50 operations/s)
 */

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got ${process.env[name]})`);
  return value;
}

const LOAD_SECONDS = positive("LOAD_SECONDS", 300);
const LOAD_RATE = positive("LOAD_RATE", 50);
const SUBSCRIBERS = Math.round(positive("LOAD_SUBSCRIBERS", 100));
const SKILLS = Math.round(positive("LOAD_SKILLS", 60));
const TEAM = "load";
const PROGRESS_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** A publish's sandbox run must reach its final status within this. */
const RUN_TIMEOUT_MS = 180_000;
/** More operations in flight than this means the server cannot keep up with LOAD_RATE: the next ones are errors. */
const MAX_IN_FLIGHT = 256;
/** The watch run prints one line a second for the whole test and a little longer. */
const WATCH_LINES = Math.ceil(LOAD_SECONDS) + 15;

const MIX = [
  ["skill page", 30],
  ["skill list", 20],
  ["version list", 20],
  ["search", 15],
  ["install", 5],
  ["download", 5],
  ["OTLP batch", 4],
  ["publish", 1],
] as const;
type Operation = (typeof MIX)[number][0];
const MIX_TOTAL = MIX.reduce((sum, [, weight]) => sum + weight, 0);
/** Measured besides the mix: a publish's sandbox run, from the publish being due to PASSED received. */
const RUN_ROW = "publish → PASSED";

const VOCABULARY = `data csv pdf invoice report chart query sql schema deploy release docker kubernetes log metrics alert
search index summary translate email calendar meeting ticket review lint format test security audit secret backup`.split(/\s+/);

const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)];
/** Popular first: index 0 is drawn most often (a quarter of the draws land in the first 6%). */
const popular = <T>(list: readonly T[]) => list[Math.floor(list.length * Math.random() ** 2)];

// ---------------------------------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------------------------------

class Recorder {
  private readonly latencies = new Map<string, number[]>();
  private readonly errors = new Map<string, number>();
  private readonly messages = new Map<string, Set<string>>();

  ok(op: string, ms: number): void {
    const list = this.latencies.get(op) ?? [];
    list.push(ms);
    this.latencies.set(op, list);
  }

  fail(op: string, error: unknown): void {
    this.errors.set(op, (this.errors.get(op) ?? 0) + 1);
    const seen = this.messages.get(op) ?? new Set<string>();
    if (seen.size < 5) seen.add(error instanceof Error ? error.message : String(error));
    this.messages.set(op, seen);
  }

  count(op: string): number {
    return (this.latencies.get(op)?.length ?? 0) + (this.errors.get(op) ?? 0);
  }

  errorCount(op?: string): number {
    if (op !== undefined) return this.errors.get(op) ?? 0;
    return [...this.errors.values()].reduce((a, b) => a + b, 0);
  }

  rows(ops: readonly string[]): string[][] {
    return ops.map((op) => {
      const s = percentiles(this.latencies.get(op) ?? []);
      return [op, String(this.count(op)), String(this.errorCount(op)), fmt(s.p50), fmt(s.p99), fmt(s.max)];
    });
  }

  errorMessages(): string[] {
    return [...this.messages].flatMap(([op, seen]) => [...seen].map((m) => `${op}: ${m}`));
  }
}

// ---------------------------------------------------------------------------------------------
// The server's memory
// ---------------------------------------------------------------------------------------------

interface MemorySample {
  atS: number;
  rssMb: number;
  heapMb: number;
}

async function sampleMemory(url: string, atS: number): Promise<MemorySample> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).text();
  const gauge = (name: string) => {
    // Every series carries the process's `role` label.
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
    if (!match) throw new Error(`/metrics has no ${name}`);
    return Number(match[1]) / 2 ** 20;
  };
  return { atS, rssMb: gauge("skillyard_process_resident_memory_bytes"), heapMb: gauge("skillyard_nodejs_heap_size_used_bytes") };
}

/** Samples before this are warm-up (JIT, caches, connection pools filling) and stay out of the trend. */
const TREND_FROM_S = Math.min(60, LOAD_SECONDS / 5);

/**
 * Heap used saws with every GC and RSS keeps what the allocator grew to, so neither is a trend by
 * itself. A leak raises the floor: the lowest heap used (just after a GC) in the second half of the
 * samples after warm-up, against the first half. Less than 16 MB or 10% higher is no growth.
 */
function memoryTrend(all: MemorySample[]): string {
  const samples = all.filter((s) => s.atS >= TREND_FROM_S);
  if (samples.length < 4) return `too short for a trend (${samples.length} samples after ${TREND_FROM_S.toFixed(0)} s; 4 needed)`;
  const halves = [samples.slice(0, samples.length >> 1), samples.slice(samples.length >> 1)];
  const [first, second] = halves.map((half) => ({ floor: Math.min(...half.map((s) => s.heapMb)), from: half[0].atS, to: half.at(-1)!.atS }));
  const growing = second.floor - first.floor > Math.max(16, 0.1 * first.floor);
  const span = (h: typeof first) => `${h.from.toFixed(0)}-${h.to.toFixed(0)} s`;
  return (
    `lowest heap used ${first.floor.toFixed(1)} MB in ${span(first)}, ${second.floor.toFixed(1)} MB in ${span(second)}: ` +
    (growing ? "GROWING (the floor rose)" : "no growth trend")
  );
}

// ---------------------------------------------------------------------------------------------
// Set-up: a team, a developer, a catalog, an ingest token
// ---------------------------------------------------------------------------------------------

interface SeededVersion {
  skill: string;
  version: string;
  sha256: string;
  size: number;
}

interface Fixture {
  devToken: string;
  ingestToken: string;
  skills: string[];
  versions: SeededVersion[];
}

async function seed(server: ProductServer): Promise<Fixture> {
  await server.gql(`mutation ($input: CreateTeamInput!) { createTeam(input: $input) { id } }`, { input: { name: TEAM } });
  await server.gql(`mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }`, {
    input: { handle: "load-dev", email: "load-dev@example.test", roles: [], kind: "PERSON" },
  });
  await server.gql(`mutation ($input: AddTeamMemberInput!) { addTeamMember(input: $input) { role } }`, {
    input: { team: TEAM, user: "load-dev", role: "MAINTAINER" },
  });
  const invited = await server.gql<{ createInvitation: { code: string } }>(
    `mutation ($input: CreateInvitationInput!) { createInvitation(input: $input) { code } }`,
    {
      input: { user: "load-dev" },
    },
  );
  const redeemed = await server.gql<{ redeemInvitation: { token: string } }>(
    `mutation ($input: RedeemInvitationInput!) { redeemInvitation(input: $input) { token } }`,
    { input: { code: invited.createInvitation.code, tokenName: "load" } },
    null,
  );
  const devToken = redeemed.redeemInvitation.token;
  const settings = await server.gql<{ managedSettings: { env: Record<string, string> } }>(`query ($team: String) { managedSettings(team: $team) }`, {
    team: TEAM,
  });
  const ingestToken = /^Authorization=Bearer (\S+)$/.exec(settings.managedSettings.env.OTEL_EXPORTER_OTLP_HEADERS ?? "")?.[1];
  if (!ingestToken) throw new Error(`no ingest token in the managed settings of team ${TEAM}`);

  // Instruction-only skills (no runtime: their test gate passes at once), 1-4 versions each.
  const skills: string[] = [];
  const versions: SeededVersion[] = [];
  for (let i = 0; i < SKILLS; i++) {
    const name = `${VOCABULARY[i % VOCABULARY.length]}-${VOCABULARY[(i * 7 + 3) % VOCABULARY.length]}-${i}`;
    const description = `${Array.from({ length: 8 }, () => pick(VOCABULARY)).join(" ")}.`;
    skills.push(name);
    for (let v = 0; v <= i % 4; v++) {
      const version = `1.${v}.0`;
      const tarball = await makePackage({
        "skill.yaml": skillYaml({ name, version, description, category: pick(["data", "devops", "documents", "security"]), tags: [pick(VOCABULARY)] }),
        "README.md": `# ${name}\n\n${description}\n`,
        "instructions.md": `Use ${name} when the task calls for it.\n`,
      });
      const sha256 = await server.upload(tarball, devToken);
      const published = await server.gql<PublishData>(PUBLISH, { input: { packageSha256: sha256, team: TEAM } }, devToken);
      if (published.publishSkillVersion.version.status !== "PUBLISHED")
        throw new Error(`${name}@${version} is ${published.publishSkillVersion.version.status}`);
      versions.push({ skill: name, version, sha256, size: tarball.length });
    }
  }
  return { devToken, ingestToken, skills, versions };
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

const SKILL_PAGE = `query SkillPage($name: String!) {
  skill(name: $name) {
    id name description category tags rating reviewCount downloads usageTier owner { name }
    latestVersion { version publishedAt readme downloadUrl latestTestRun { status passRate } }
  }
}`;
const SKILL_LIST = `query SkillList($sort: SkillSort, $category: String) {
  skills(first: 20, sort: $sort, category: $category) {
    edges { node { name description tags rating downloads latestVersion { version } } } pageInfo { endCursor hasNextPage }
  }
}`;
const VERSION_LIST = `query VersionList($name: String!) {
  skill(name: $name) { versions(first: 20) { edges { node { version status publishedAt packageSha256 packageSize downloads } } } }
}`;
const SEARCH = `query Search($query: String!, $sort: SkillSort) {
  skills(query: $query, sort: $sort, first: 20) { edges { node { name description rating downloads latestVersion { version } } } }
}`;
const INSTALL = `mutation Install($input: InstallSkillInput!) { installSkill(input: $input) { root { name version sha256 downloadUrl } resolved { name } } }`;

/** A GraphQL call whose answer the load test only checks (gqlRequest throws on HTTP or GraphQL errors). */
const gql = (url: string, query: string, variables: Record<string, unknown>, token: string | null): Promise<void> =>
  gqlRequest<unknown>(url, query, variables, token).then(() => undefined);

class Load {
  private publishes = 0;
  readonly runs = new Set<Promise<void>>();
  readonly clients = new Set<WsClient>();

  constructor(
    private readonly server: ProductServer,
    private readonly fixture: Fixture,
    private readonly recorder: Recorder,
  ) {}

  /** Half the readers are signed in (console, CLI), half anonymous (catalog pages). */
  private reader(): string | null {
    return Math.random() < 0.5 ? this.fixture.devToken : null;
  }

  run(op: Operation, dueAt: number): Promise<void> {
    const { url } = this.server;
    const { skills, versions, devToken, ingestToken } = this.fixture;
    switch (op) {
      case "skill page":
        return gql(url, SKILL_PAGE, { name: popular(skills) }, this.reader());
      case "skill list":
        return gql(
          url,
          SKILL_LIST,
          { sort: pick(["DOWNLOADS", "RATING", "RECENT"]), category: Math.random() < 0.3 ? pick(["data", "devops", "documents", "security"]) : null },
          this.reader(),
        );
      case "version list":
        return gql(url, VERSION_LIST, { name: popular(skills) }, this.reader());
      case "search":
        return gql(
          url,
          SEARCH,
          { query: Math.random() < 0.8 ? pick(VOCABULARY) : `${pick(VOCABULARY)} ${pick(VOCABULARY)}`, sort: Math.random() < 0.7 ? null : "DOWNLOADS" },
          this.reader(),
        );
      case "install":
        return gql(url, INSTALL, { input: { name: popular(skills), tenant: TEAM } }, devToken);
      case "download":
        return this.download(popular(versions));
      case "OTLP batch":
        return this.otlp(ingestToken);
      case "publish":
        return this.publish(dueAt);
    }
  }

  private async download(v: SeededVersion): Promise<void> {
    const res = await fetch(`${this.server.url}/packages/${v.sha256}.tgz`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const bytes = (await res.arrayBuffer()).byteLength;
    if (res.status !== 200 || bytes !== v.size) throw new Error(`HTTP ${res.status}, ${bytes} of ${v.size} bytes`);
  }

  /** One exporter batch from 1-3 machines of the team: plugin loads and a few skill invocations each. */
  private async otlp(token: string): Promise<void> {
    const sessions = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, (_, i) => {
      const session = new ClaudeSession({ userId: `dev-${Math.floor(Math.random() * 50)}`, resource: { team: TEAM } });
      const used = Array.from({ length: 1 + Math.floor(Math.random() * 5) }, () => popular(this.fixture.versions));
      for (const v of used) session.pluginLoaded(v.skill, "skillyard", v.version);
      for (const v of used) session.invoke({ skill: `${v.skill}:${v.skill}`, plugin: v.skill, marketplace: "skillyard", success: i % 4 !== 3 });
      return session;
    });
    const res = await fetch(`${this.server.url}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip", authorization: `Bearer ${token}` },
      body: new Uint8Array(gzipSync(JSON.stringify(logsRequest(sessions)))),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await res.json()) as { partialSuccess?: { rejectedLogRecords?: string | number } };
    if (res.status !== 200 || Number(body.partialSuccess?.rejectedLogRecords ?? 0) > 0) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body)}`);
  }

  /** Upload and publishSkillVersion (the timed operation); the run is then followed to PASSED in the background. */
  private async publish(dueAt: number): Promise<void> {
    const version = `1.0.${++this.publishes}`;
    const tarball = await makePackage(pythonSkill("load-pytest", version, { total: 1 }));
    const sha256 = await this.server.upload(tarball, this.fixture.devToken);
    const data = await this.server.gql<PublishData>(PUBLISH, { input: { packageSha256: sha256, team: TEAM } }, this.fixture.devToken);
    const runId = data.publishSkillVersion.version.latestTestRun?.id;
    if (!runId) throw new Error(`load-pytest@${version} queued no test run (status ${data.publishSkillVersion.version.status})`);
    const followed = this.follow(runId, RUN_TIMEOUT_MS).then(
      (events) => {
        const final = events.filter((e) => e.kind === "STATUS").at(-1);
        if (final?.status !== "PASSED") throw new Error(`load-pytest@${version}: run ended ${final?.status ?? "without a final status"}`);
        this.recorder.ok(RUN_ROW, performance.now() - dueAt);
      },
      (error: unknown) => this.recorder.fail(RUN_ROW, error),
    );
    const tracked: Promise<void> = followed.catch((error: unknown) => this.recorder.fail(RUN_ROW, error)).finally(() => this.runs.delete(tracked));
    this.runs.add(tracked);
  }

  /** A run's events on a new graphql-ws client, from the start until the stream completes (or `timeoutMs` passes). */
  follow(runId: string, timeoutMs: number, onEvent: (event: ReceivedEvent) => void = () => undefined): Promise<ReceivedEvent[]> {
    const client = wsClient(this.server.url, this.fixture.devToken);
    this.clients.add(client);
    const events: ReceivedEvent[] = [];
    let timer: NodeJS.Timeout | undefined;
    return new Promise<ReceivedEvent[]>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`run ${runId} had not ended after ${timeoutMs} ms`)), timeoutMs);
      client.subscribe<{ testRunEvents: ReceivedEvent }>(
        { query: TEST_RUN_EVENTS, variables: { id: runId } },
        {
          next: (message) => {
            if (message.errors || !message.data) {
              reject(new Error(`subscription error: ${JSON.stringify(message.errors)}`));
              return;
            }
            events.push(message.data.testRunEvents);
            onEvent(message.data.testRunEvents);
          },
          error: (error: unknown) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
          complete: () => resolve(events),
        },
      );
    }).finally(async () => {
      clearTimeout(timer);
      this.clients.delete(client);
      await client.dispose();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The watch run and its subscribers
// ---------------------------------------------------------------------------------------------

/** A Python skill whose one test prints `watch <i>` once a second, WATCH_LINES times, then passes. */
function watchSkill(): Record<string, string> {
  const test = [
    "import time",
    "",
    "def test_watch():",
    `    for i in range(${WATCH_LINES}):`,
    '        print(f"watch {i}", flush=True)',
    "        time.sleep(1)",
    "",
  ].join("\n");
  return { ...pythonSkill("load-watch", "1.0.0", { total: 0, timeoutSeconds: WATCH_LINES + 60 }), "tests/test_skill.py": test };
}

interface Watchers {
  /** Resolves once every subscriber has received the first line (the watch run is RUNNING). */
  live: Promise<void>;
  /** Per subscriber: the lines received, and how it ended. */
  done: Promise<{ lines: number; final: string | null; error: string | null }[]>;
  open(): number;
}

async function watch(server: ProductServer, load: Load, token: string): Promise<Watchers> {
  const sha256 = await server.upload(await makePackage(watchSkill()), token);
  const data = await server.gql<PublishData>(PUBLISH, { input: { packageSha256: sha256, team: TEAM } }, token);
  const runId = data.publishSkillVersion.version.latestTestRun?.id;
  if (!runId) throw new Error("the watch publish queued no test run");
  let open = 0;
  let firstLines = 0;
  let markLive: () => void = () => undefined;
  const live = new Promise<void>((resolve) => (markLive = resolve));
  const subscribers = Array.from({ length: SUBSCRIBERS }, () => {
    const seen = new Set<number>();
    open++;
    return load
      .follow(runId, (WATCH_LINES + 120) * 1000, (event) => {
        const line = event.kind === "LOG" ? /\bwatch (\d+)\b/.exec(event.text ?? "") : null;
        if (!line) return;
        if (seen.size === 0 && ++firstLines === SUBSCRIBERS) markLive();
        seen.add(Number(line[1]));
      })
      .then(
        (events) => ({ lines: seen.size, final: events.filter((e) => e.kind === "STATUS").at(-1)?.status ?? null, error: null }),
        (error: unknown) => ({ lines: seen.size, final: null, error: error instanceof Error ? error.message : String(error) }),
      )
      .finally(() => open--);
  });
  return { live, done: Promise.all(subscribers), open: () => open };
}

// ---------------------------------------------------------------------------------------------

async function main(resources: Resources): Promise<void> {
  const scope = `load-${randomBytes(4).toString("hex")}`;
  const docker = new Dockerode();
  resources.add("remove this run's sandbox containers and volumes", async () => {
    const removed = await removeScoped(docker, scope);
    log(`removed ${removed} container(s) labelled ${LABEL_SCOPE}=${scope}`);
  });
  const server = await startProductServer(resources, {
    role: "all",
    label: "Skillyard",
    env: {
      SANDBOX_SCOPE: scope,
      // One slot is the watch run's for the whole test; the publishes share the others.
      SANDBOX_MAX_CONCURRENCY: "3",
      SANDBOX_MAX_TIMEOUT_SECONDS: String(Math.max(600, WATCH_LINES + 120)),
    },
  });
  const fixture = await seed(server);
  log(`seeded team ${TEAM}, a developer, ${fixture.skills.length} skills in ${fixture.versions.length} versions, an ingest token`);

  const recorder = new Recorder();
  const load = new Load(server, fixture, recorder);
  resources.add("close graphql-ws clients", () => Promise.all([...load.clients].map((c) => c.dispose())));
  const watchers = await watch(server, load, fixture.devToken);
  await Promise.race([
    watchers.live,
    new Promise((_, reject) => setTimeout(() => reject(new Error("the watch run printed nothing to its subscribers within 120 s")), 120_000).unref()),
  ]);
  log(`${SUBSCRIBERS} subscriptions open on the watch run, each receiving its lines`);

  const memory: MemorySample[] = [await sampleMemory(server.url, 0)];
  log(`load: ${LOAD_RATE} operations/s for ${LOAD_SECONDS} s (${MIX.map(([op, w]) => `${op} ${((100 * w) / MIX_TOTAL).toFixed(0)}%`).join(", ")})`);
  const start = performance.now();
  const total = Math.floor(LOAD_SECONDS * LOAD_RATE);
  let inFlight = 0;
  let nextProgress = PROGRESS_MS;
  for (let i = 0; i < total; i++) {
    const dueAt = start + (i * 1000) / LOAD_RATE;
    const wait = dueAt - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    let roll = Math.random() * MIX_TOTAL;
    const op = MIX.find(([, weight]) => (roll -= weight) < 0)![0];
    if (inFlight >= MAX_IN_FLIGHT) {
      recorder.fail(op, new Error(`not started: ${inFlight} operations already in flight (the server is not keeping up with ${LOAD_RATE}/s)`));
    } else {
      inFlight++;
      load
        .run(op, dueAt)
        .then(
          () => recorder.ok(op, performance.now() - dueAt),
          (error: unknown) => recorder.fail(op, error),
        )
        .finally(() => inFlight--);
    }
    const elapsed = performance.now() - start;
    if (elapsed >= nextProgress) {
      nextProgress += PROGRESS_MS;
      const sample = await sampleMemory(server.url, elapsed / 1000).catch((error: unknown) => {
        recorder.fail("memory sample", error);
        return null;
      });
      if (sample) memory.push(sample);
      const done = MIX.reduce((sum, [o]) => sum + recorder.count(o), 0);
      log(
        `${(elapsed / 1000).toFixed(0)}/${LOAD_SECONDS} s: ${done} operations (${(done / (elapsed / 1000)).toFixed(1)}/s), ${recorder.errorCount()} errors, ` +
          `${inFlight} in flight, sandbox runs: ${recorder.count(RUN_ROW)} finished, ${load.runs.size} following; ${watchers.open()} subscriptions open; ` +
          (sample ? `RSS ${sample.rssMb.toFixed(0)} MB, heap ${sample.heapMb.toFixed(0)} MB` : "no memory sample"),
      );
    }
  }
  log(`all ${total} operations started; waiting for ${inFlight} in flight and ${load.runs.size} sandbox runs`);
  const drainUntil = Date.now() + RUN_TIMEOUT_MS;
  while ((inFlight > 0 || load.runs.size > 0) && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < inFlight + load.runs.size; i++)
    recorder.fail("unfinished", new Error(`still running ${RUN_TIMEOUT_MS} ms after the last operation started`));
  const loadSeconds = (performance.now() - start) / 1000;
  memory.push(await sampleMemory(server.url, loadSeconds));

  log("waiting for the watch run to end");
  // Each subscriber ends by itself: on PASSED, on an error, or at its timeout.
  const watched = await watchers.done;
  for (const w of watched) {
    if (w.error) recorder.fail("subscriptions", new Error(w.error));
    else if (w.final !== "PASSED" || w.lines !== WATCH_LINES) recorder.fail("subscriptions", new Error(`${w.lines} of ${WATCH_LINES} lines, then ${w.final}`));
  }
  const complete = watched.filter((w) => !w.error && w.final === "PASSED" && w.lines === WATCH_LINES).length;

  // Report.
  const trend = memoryTrend(memory);
  console.log(
    `\nLoad: ${LOAD_RATE} operations/s for ${LOAD_SECONDS} s (${total} started; open loop, latency from when each was due), ` +
      `one --role all process, ${os.availableParallelism()} CPUs\n`,
  );
  printTable(["operation", "count", "errors", "p50", "p99", "max"], recorder.rows([...MIX.map(([op]) => op), RUN_ROW]));
  console.log(
    `\nSubscriptions: ${SUBSCRIBERS} graphql-ws clients on one run printing ${WATCH_LINES} lines, one a second: ` +
      `${complete} received every line and PASSED, ${recorder.errorCount("subscriptions")} errors\n`,
  );
  printTable(
    ["server memory", "at", "RSS", "heap used"],
    memory.map((s, i) => [
      i === 0 ? "start" : i === memory.length - 1 ? "end" : "",
      `${s.atS.toFixed(0)} s`,
      `${s.rssMb.toFixed(1)} MB`,
      `${s.heapMb.toFixed(1)} MB`,
    ]),
  );
  console.log(`\nMemory trend after ${TREND_FROM_S.toFixed(0)} s of warm-up: ${trend}`);
  const errors = recorder.errorCount();
  if (errors > 0) {
    console.log("\nFirst errors:");
    for (const message of recorder.errorMessages()) console.log(`  ${message}`);
    throw new Error(`${errors} errors: a load test passes with none`);
  }
  log("no errors");
}

if (require.main === module) runBench(main);
