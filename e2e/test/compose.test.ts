import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { packDirectory } from "@skillyard/core";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expectGlobalId } from "../../server/src/common/global-id";
import { LABEL_RUN, LABEL_SCOPE } from "../../server/src/sandbox/sandbox-runner";
import { ComposeProject, followRun, isFinal, type RunEvent } from "../support/compose";
import { waitFor } from "../support/wait";

const docker = promisify(execFile);

/**
 * A skill whose one test prints `lines` numbered lines, `interval` seconds apart: long enough to
 * kill a worker or restart an API replica while it runs, and a gap in its log shows as a missing number.
 */
async function slowSkill(version: string, lines: number, interval: number): Promise<Buffer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "skillyard-compose-skill-"));
  try {
    writeFileSync(
      path.join(dir, "skill.yaml"),
      [
        "name: slow-logger",
        `version: ${version}`,
        "description: Prints numbered lines slowly; the compose test's live-log probe.",
        "author: e2e",
        "category: testing",
        "requirements:",
        "  runtime: python3.11",
        "  timeout_seconds: 300",
        "",
      ].join("\n"),
    );
    mkdirSync(path.join(dir, "tests"));
    writeFileSync(
      path.join(dir, "tests", "test_slow.py"),
      `import time\n\ndef test_slow():\n    for i in range(1, ${lines + 1}):\n        print(f"line {i} of ${lines}", flush=True)\n        time.sleep(${interval})\n`,
    );
    return await packDirectory(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The numbers of the `line N of M` log lines, in the order received. */
const lineNumbers = (events: RunEvent[]) =>
  events.filter((e) => e.kind === "LOG" && /^line \d+ of/.test(e.text ?? "")).map((e) => Number(/^line (\d+)/.exec(e.text!)![1]));
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("docker compose: the team deployment on this machine", { timeout: 20 * 60_000 }, () => {
  const project = new ComposeProject();
  const limits: Record<string, string> = {};

  async function gql<T>(base: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${project.adminToken}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: unknown[] };
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data!;
  }

  /** Uploads through `base` and publishes; answers the version and its test run. */
  async function publish(base: string, tarball: Buffer): Promise<{ versionId: string; runId: string; sha256: string }> {
    const upload = await fetch(`${base}/packages`, {
      method: "POST",
      headers: { "content-type": "application/gzip", authorization: `Bearer ${project.adminToken}` },
      body: new Uint8Array(tarball),
    });
    assert.equal(upload.status, 201, await upload.clone().text());
    const { sha256 } = (await upload.json()) as { sha256: string };
    const published = await gql<{ publishSkillVersion: { version: { id: string; latestTestRun: { id: string } | null } } }>(
      base,
      `mutation ($input: PublishSkillVersionInput!) { publishSkillVersion(input: $input) { version { id latestTestRun { id } } } }`,
      { input: { packageSha256: sha256 } },
    );
    const { version } = published.publishSkillVersion;
    assert.ok(version.latestTestRun, "a skill with a runtime gets a test run");
    return { versionId: version.id, runId: version.latestTestRun.id, sha256 };
  }

  async function runStatus(runId: string): Promise<{ status: string; attempts: number }> {
    const data = await gql<{ testRun: { status: string; attempts: number } }>(
      project.endpoints.proxy,
      `query ($id: ID!) { testRun(id: $id) { status attempts } }`,
      { id: runId },
    );
    return data.testRun;
  }

  before(async () => {
    // The images are built from this checkout by deploy/build-images.sh (.ci/run does it before npm test).
    const images = ["skillyard/server:local", "skillyard/postgres:15", "skillyard/s3rver:3.7.1", "skillyard/proxy:local"];
    const missing = await docker("docker", ["image", "inspect", "--format", "{{.Id}}", ...images]).then(
      () => null,
      (error: { stderr?: string }) => error.stderr ?? String(error),
    );
    if (missing) throw new Error(`The compose images are not built: run \`npm run build && sudo deploy/build-images.sh\` first.\n${missing}`);
    await project.init();
    const started = Date.now();
    try {
      await project.up();
      await project.waitReady();
    } catch (error) {
      throw new Error(`${String(error)}\n${await project.diagnostics()}`, { cause: error });
    }
    limits["up -d to ready (fresh volumes, migrations included)"] = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  });

  after(async () => {
    // On stderr with the test report: the figures docs/scaling.md quotes.
    for (const [what, figure] of Object.entries(limits)) console.warn(`[compose-limits] ${what}: ${figure}`);
    await project.destroy();
  });

  test("up: every service is healthy, migrations ran once, the proxy serves the API, the console and WebSocket upgrades; only the worker holds the Docker socket", async () => {
    for (const service of ["postgres", "s3", "api-1", "api-2", "worker", "proxy"]) {
      const id = await project.containerOf(service);
      assert.ok(id, `${service} has a container`);
      await waitFor(async () => (await project.inspect<string>(id, ".State.Health.Status")) === "healthy", `${service} to report healthy`, 120_000, 1000);
    }
    const migrate = await project.containerOf("migrate");
    assert.equal(await project.inspect<number>(migrate, ".State.ExitCode"), 0, "the one-shot migration succeeded");
    const { proxy } = project.endpoints;
    assert.equal((await fetch(`${proxy}/healthz`)).status, 200);
    assert.equal((await fetch(`${proxy}/admin/`)).status, 200);
    assert.deepEqual(await gql(proxy, `{ __typename }`), { __typename: "Query" });
    for (const service of ["api-1", "api-2", "worker"]) {
      const mounts = await project.inspect<{ Destination: string; RW: boolean }[]>(await project.containerOf(service), ".Mounts");
      const socket = mounts.find((m) => m.Destination === "/var/run/docker.sock");
      if (service === "worker") assert.equal(socket?.RW, false, "the worker has the socket, read-only");
      else assert.equal(socket, undefined, `${service} never gets the Docker socket`);
    }
    const user = await project.inspect<string>(await project.containerOf("api-1"), ".Config.User");
    assert.ok(user && user !== "root" && user !== "0", `the API runs as a non-root user (${user})`);
  });

  test("publish through the proxy: the tests run in a sandbox the worker container starts, and the live log reaches subscribers on both replicas", async () => {
    const started = Date.now();
    const { runId } = await publish(project.endpoints.proxy, await slowSkill("1.0.0", 20, 0.2));
    const followers = [project.endpoints.api1, project.endpoints.api2, project.endpoints.proxy].map((base) => followRun(base, project.adminToken, runId));
    // The sandbox is a sibling container on the host engine, labelled with this project's scope and the run.
    const sandbox = await waitFor(
      async () =>
        (
          await docker("docker", [
            "ps",
            "-q",
            "--filter",
            `label=${LABEL_SCOPE}=${project.name}`,
            "--filter",
            `label=${LABEL_RUN}=${expectGlobalId(runId, "TestRun")}`,
          ])
        ).stdout.trim() || null,
      "the worker to start the run's sandbox container",
      120_000,
      200,
    );
    assert.ok(sandbox);
    const [viaApi1, viaApi2, viaProxy] = await Promise.all(followers.map((f) => f.done));
    limits["publish to PASSED, 20-line test through the proxy"] = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    for (const events of [viaApi1, viaApi2, viaProxy]) {
      assert.deepEqual(lineNumbers(events), range(20), "every line, in order, no gaps");
      assert.equal(events.filter(isFinal).length, 1);
      assert.equal(events.filter(isFinal)[0].status, "PASSED");
      const firstLine = events.find((e) => e.kind === "LOG")!;
      assert.ok(events.at(-1)!.receivedAt - firstLine.receivedAt > 2000, "lines arrived while the test ran, not all at the end");
    }
    assert.deepEqual(
      viaApi1.map((e) => e.seq),
      viaApi2.map((e) => e.seq),
      "both replicas deliver the same stored stream",
    );
  });

  test("docker kill the worker mid-run, start it again: the run completes, with exactly one final status", async () => {
    const { runId } = await publish(project.endpoints.proxy, await slowSkill("1.0.1", 40, 0.25));
    const follower = followRun(project.endpoints.api2, project.adminToken, runId);
    await waitFor(async () => lineNumbers(follower.events).length >= 3, "the run to be logging", 120_000, 100);
    const worker = await project.containerOf("worker");
    await docker("docker", ["kill", worker]);
    await new Promise((r) => setTimeout(r, 2000));
    await project.compose("start", "worker");
    const killedAt = Date.now();
    const events = await follower.done;
    limits["worker killed mid-run to the run's final status"] = `${((Date.now() - killedAt) / 1000).toFixed(1)} s`;
    assert.equal(events.filter(isFinal).length, 1, JSON.stringify(events.filter((e) => e.kind === "STATUS")));
    assert.equal(events.filter(isFinal)[0].status, "PASSED");
    const statuses = events.filter((e) => e.kind === "STATUS").map((e) => e.status);
    assert.ok(statuses.includes("QUEUED") && statuses.lastIndexOf("RUNNING") > statuses.indexOf("QUEUED"), `re-queued and run again: ${statuses.join(" → ")}`);
    assert.deepEqual(await runStatus(runId), { status: "PASSED", attempts: 2 });
    const leftovers = (await docker("docker", ["ps", "-aq", "--filter", `label=${LABEL_RUN}=${expectGlobalId(runId, "TestRun")}`])).stdout.trim();
    assert.equal(leftovers, "", "the killed worker's sandbox was removed by the sweep");
  });

  test("restart an API replica while a client is subscribed to it: the client reconnects and receives the rest of the log without gaps", async () => {
    const { runId } = await publish(project.endpoints.proxy, await slowSkill("1.0.2", 60, 0.25));
    const follower = followRun(project.endpoints.api1, project.adminToken, runId, { reconnectForMs: 120_000 });
    await waitFor(async () => lineNumbers(follower.events).length >= 3, "the run to be logging", 120_000, 100);
    const restartedAt = Date.now();
    await project.compose("restart", "api-1");
    const events = await follower.done;
    limits["API replica restart, subscriber back on the same replica"] = `${((Date.now() - restartedAt) / 1000).toFixed(1)} s to the end of the run`;
    assert.ok(follower.reconnects >= 1, "the restart dropped the socket and the client reconnected");
    assert.deepEqual(lineNumbers(events), range(60));
    assert.deepEqual(
      events.map((e) => e.seq),
      range(events.length),
      "the stored stream's sequence numbers, each once",
    );
    assert.equal(events.filter(isFinal).length, 1);
  });

  test("catalog reads through the proxy, spread over both replicas (a figure for docs/scaling.md)", async () => {
    const query = JSON.stringify({ query: `{ skills(first: 5) { edges { node { name latestVersion { version } } } } }` });
    const latencies: number[] = [];
    const until = Date.now() + 5000;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (Date.now() < until) {
          const t0 = performance.now();
          const res = await fetch(`${project.endpoints.proxy}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: query });
          assert.equal(res.status, 200);
          await res.arrayBuffer();
          latencies.push(performance.now() - t0);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    limits["catalog query through the proxy, 10 connections"] =
      `${Math.round(latencies.length / 5)} req/s, p50 ${latencies[Math.floor(latencies.length / 2)].toFixed(1)} ms, p99 ${latencies[Math.floor(latencies.length * 0.99)].toFixed(1)} ms`;
    assert.ok(latencies.length > 50);
  });

  test("down, then up: the catalog and the package bytes (in the S3 volume) are still there", async () => {
    const VERSIONS = `{ skill(name: "slow-logger") { versions { edges { node { version packageSha256 } } } } }`;
    type Versions = { skill: { versions: { edges: { node: { version: string; packageSha256: string } }[] } } };
    const before = await gql<Versions>(project.endpoints.proxy, VERSIONS);
    await project.compose("down");
    await project.compose("up", "-d");
    await project.waitReady();
    const afterRestart = await gql<Versions>(project.endpoints.proxy, VERSIONS);
    assert.deepEqual(afterRestart, before);
    assert.equal(afterRestart.skill.versions.edges.length, 3);
    for (const {
      node: { packageSha256 },
    } of afterRestart.skill.versions.edges) {
      const res = await fetch(`${project.endpoints.proxy}/packages/${packageSha256}.tgz`);
      assert.equal(res.status, 200);
      assert.equal(
        createHash("sha256")
          .update(Buffer.from(await res.arrayBuffer()))
          .digest("hex"),
        packageSha256,
      );
    }
  });
});
