import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Dockerode from "dockerode";
import { sandboxScope } from "../src/composition-root";
import { publishOk } from "./support/publish";
import { type ProductProcess, startProductProcess, workerReady } from "./support/product-process";
import { pythonSkill } from "./support/skills";
import { collectRunEvents, wsClient } from "./support/subscriptions";
import { startTestServer, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";

const docker = new Dockerode();

const RUN = `query($id: ID!) { node(id: $id) { ... on SkillVersion { status statusReason latestTestRun { id status reason attempts } } } }`;
interface RunState {
  node: { status: string; statusReason: string | null; latestTestRun: { id: string; status: string; reason: string | null; attempts: number } };
}

/**
 * The gate across processes: workers and API replicas are separate OS processes sharing one
 * database (what `--role worker` / `--role api` give an operator).
 */
describe("publish gate across processes", () => {
  let server: TestServer;
  let author: string;
  const processes: ProductProcess[] = [];

  const sharedEnv = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: server.databaseUrl,
    DATA_DIR: server.runtime.config.dataDir,
    SANDBOX_INFRA_RETRY_DELAY_SECONDS: "1",
    SANDBOX_MAX_CONCURRENCY: "1",
    ...extra,
  });
  const startWorker = async (extra: Record<string, string> = {}) => {
    // PORT 0: each worker's /healthz and /metrics listener takes a free port of its own.
    const worker = await startProductProcess(["--role", "worker"], { PORT: "0", ...sharedEnv(extra) }, workerReady);
    processes.push(worker);
    return worker;
  };
  /** This file's sandboxes only: other test files may run theirs on the same Docker host meanwhile. */
  const managedContainers = async (runId?: string) =>
    docker.listContainers({
      all: true,
      filters: { label: [`skillyard.scope=${sandboxScope(server.databaseUrl, undefined)}`, runId ? `skillyard.run=${runId}` : "skillyard.managed=true"] },
    });
  const runState = async (versionId: string) => (await server.gql<RunState>(RUN, { id: versionId }, author)).data!.node;

  before(async () => {
    // The API in this process runs no worker: every run happens in a spawned worker process.
    // Retry policy is fixed when a job is enqueued, here by this API process.
    server = await startTestServer({ SANDBOX_MAX_CONCURRENCY: "1", SANDBOX_INFRA_RETRIES: "1", SANDBOX_INFRA_RETRY_DELAY_SECONDS: "1" });
    author = (await server.seed.team("recovery").member("recovery-author")).token;
  });
  after(async () => {
    for (const p of processes) await p.stop("SIGKILL");
    await server.close();
  });

  test("a subscriber on one process receives every line of a run executed by another process's worker", async () => {
    const worker = await startWorker();
    try {
      const body = "import sys\ndef test_lines():\n    for i in range(200):\n        print(f'line {i}')\n";
      const published = await publishOk(server, author, { ...pythonSkill("fanout", "1.0.0", { total: 0 }), "tests/test_skill.py": body });
      const runId = (await runState(published.version.id)).latestTestRun.id;
      const client = wsClient(server.url, author);
      try {
        const events = await collectRunEvents(client, runId);
        const lines = events.filter((e) => e.kind === "LOG" && /^line \d+$/.test(e.text ?? "")).map((e) => Number(e.text!.slice(5)));
        assert.deepEqual(
          lines,
          Array.from({ length: 200 }, (_, i) => i),
        );
        assert.equal(events.at(-1)!.status, "PASSED");
      } finally {
        await client.dispose();
      }
    } finally {
      await worker.stop();
    }
  });

  test("runs published on the API process start on a worker process at once, long before the worker's own poll", async () => {
    const pollSeconds = 120;
    const spawnedAt = Date.now();
    // The worker's one test-run poller (SANDBOX_MAX_CONCURRENCY=1) fetches by itself when it
    // starts and then only every 120 s. Two runs, the second published after the first ended, both
    // finishing before that second poll could happen: at least one was started by the API process's NOTIFY.
    const worker = await startWorker({ SANDBOX_JOB_POLL_SECONDS: String(pollSeconds) });
    try {
      for (const version of ["1.0.0", "1.0.1"]) {
        const published = await publishOk(server, author, pythonSkill("woken", version));
        const final = await waitFor(
          async () => {
            const s = await runState(published.version.id);
            return s.status === "PUBLISHED" || s.status === "REJECTED" ? s : null;
          },
          `${version} to finish before the worker's second poll`,
          // Ten seconds short of it: a margin no slow start comes near.
          spawnedAt + pollSeconds * 1000 - Date.now() - 10_000,
          50,
        );
        assert.deepEqual([final.status, final.latestTestRun.status, final.latestTestRun.attempts], ["PUBLISHED", "PASSED", 1]);
      }
    } finally {
      await worker.stop();
    }
  });

  test("a worker killed mid-run: the orphan container is removed, the job runs again, one final state", async () => {
    const first = await startWorker();
    const published = await publishOk(server, author, pythonSkill("crashy", "1.0.0", { total: 1, body: "import time\ntime.sleep(6)\n" }));
    const runId = (await runState(published.version.id)).latestTestRun.id;
    const dbRunId = Buffer.from(runId, "base64url").toString("utf8").split(":")[1];
    const [orphan] = await waitFor(async () => {
      const found = await managedContainers(dbRunId);
      return found.length > 0 ? found : null;
    }, "the run's container to start");
    assert.equal(await first.stop("SIGKILL"), null);
    const second = await startWorker();
    try {
      const final = await waitFor(
        async () => {
          const s = await runState(published.version.id);
          return s.status === "PUBLISHED" || s.status === "REJECTED" ? s : null;
        },
        "the re-run to finish",
        120_000,
        250,
      );
      assert.equal(final.status, "PUBLISHED");
      assert.equal(final.latestTestRun.status, "PASSED");
      assert.equal(final.latestTestRun.attempts, 2);
      await assert.rejects(docker.getContainer(orphan.Id).inspect(), "the orphaned container is gone");
      assert.deepEqual(await managedContainers(dbRunId), []);
      const finals: { count: number }[] = await server.runtime.dataSource.query(
        `SELECT count(*)::int AS count FROM test_run_event WHERE run_id = $1 AND kind = 'STATUS' AND status NOT IN ('QUEUED', 'RUNNING')`,
        [dbRunId],
      );
      assert.equal(finals[0].count, 1, "exactly one final status event");
    } finally {
      await second.stop();
    }
  });

  test("a worker stopped (SIGTERM) mid-run leaves no sandbox behind; the next worker runs it to one final state", async () => {
    const first = await startWorker();
    const published = await publishOk(server, author, pythonSkill("graceful", "1.0.0", { total: 1, body: "import time\ntime.sleep(6)\n" }));
    const runId = (await runState(published.version.id)).latestTestRun.id;
    const dbRunId = Buffer.from(runId, "base64url").toString("utf8").split(":")[1];
    await waitFor(async () => (await managedContainers(dbRunId)).length > 0, "the run's container to start");
    assert.equal(await first.stop("SIGTERM"), 0, first.output());
    assert.deepEqual(await managedContainers(dbRunId), [], "stopping removed the sandbox");
    const volumes = await docker.listVolumes({ filters: { label: [`skillyard.run=${dbRunId}`] } });
    assert.deepEqual(volumes.Volumes ?? [], [], "and its volume");
    const second = await startWorker();
    try {
      const final = await waitFor(
        async () => {
          const s = await runState(published.version.id);
          return s.status === "PUBLISHED" || s.status === "REJECTED" ? s : null;
        },
        "the run to finish on the next worker",
        120_000,
        250,
      );
      assert.deepEqual([final.status, final.latestTestRun.status, final.latestTestRun.attempts], ["PUBLISHED", "PASSED", 2]);
    } finally {
      await second.stop();
    }
  });

  test("Docker down: INFRA_ERROR after retries, never blamed on the author; the publish is kept and re-runs once Docker is back", async () => {
    const broken = await startWorker({ DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    const published = await publishOk(server, author, pythonSkill("infra", "1.0.0"));
    const failed = await waitFor(
      async () => {
        const s = await runState(published.version.id);
        return s.latestTestRun.status === "INFRA_ERROR" ? s : null;
      },
      "INFRA_ERROR",
      60_000,
      250,
    );
    await broken.stop();
    // The version and its run come from two subgraphs: read the version again now the run has settled.
    const settledState = await runState(published.version.id);
    assert.equal(settledState.status, "TESTING", "the version is not rejected");
    assert.match(settledState.statusReason ?? "", /could not run/);
    assert.equal(failed.latestTestRun.attempts, 2, "one try plus one retry");
    const rerun = await server.gql<{ rerunTests: { id: string; status: string } }>(
      `mutation($v: ID!) { rerunTests(versionId: $v) { id status } }`,
      { v: published.version.id },
      author,
    );
    assert.equal(rerun.data?.rerunTests.status, "QUEUED", JSON.stringify(rerun.errors));
    const healthy = await startWorker();
    try {
      const final = await waitFor(
        async () => {
          const s = await runState(published.version.id);
          return s.status === "PUBLISHED" ? s : null;
        },
        "the re-run to publish",
        120_000,
        250,
      );
      assert.equal(final.latestTestRun.status, "PASSED");
    } finally {
      await healthy.stop();
    }
  });

  test("never more than SANDBOX_MAX_CONCURRENCY containers at once, across workers; the queue depth shows the rest waiting", async () => {
    const workers = [await startWorker(), await startWorker()];
    try {
      const versions: string[] = [];
      for (let i = 0; i < 3; i++) {
        versions.push((await publishOk(server, author, pythonSkill(`capped-${i}`, "1.0.0", { total: 1, body: "import time\ntime.sleep(2)\n" }))).version.id);
      }
      let most = 0;
      let sawQueued = false;
      await waitFor(
        async () => {
          most = Math.max(most, (await managedContainers()).filter((c) => c.State === "running").length);
          const depth = await server.gql<{ testQueue: { queued: number; running: number } }>(`{ testQueue { queued running } }`);
          if (depth.data!.testQueue.queued + depth.data!.testQueue.running >= 2) sawQueued = true;
          const states = await Promise.all(versions.map(runState));
          return states.every((s) => s.status === "PUBLISHED");
        },
        "all three to publish",
        120_000,
        100,
      );
      assert.equal(most, 1, `saw ${most} sandboxes running at once`);
      assert.ok(sawQueued, "the queue depth never showed waiting runs");
    } finally {
      for (const w of workers) await w.stop();
    }
  });
});
