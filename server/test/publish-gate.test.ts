import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Dockerode from "dockerode";
import { Client } from "pg";
import { sandboxScope } from "../src/composition-root";
import { uploadAndPublish, publishOk } from "./support/publish";
import { pythonSkill } from "./support/skills";
import { collectRunEvents, wsClient } from "./support/subscriptions";
import { startTestServer, type TestServer } from "./support/test-server";
import { GlobalRole } from "../src/identity/user.entity";
import { waitFor } from "./support/wait";

const VERSION_STATE = `query($id: ID!) { node(id: $id) { ... on SkillVersion { status statusReason latestTestRun { id status reason passed failed skipped passRate logTruncated tests { edges { node { name status message } } } } } } }`;

interface VersionState {
  node: {
    status: string;
    statusReason: string | null;
    latestTestRun: {
      id: string;
      status: string;
      reason: string;
      passed: number;
      failed: number;
      skipped: number;
      passRate: number | null;
      logTruncated: boolean;
      tests: { edges: { node: { name: string; status: string; message: string | null } }[] };
    };
  };
}

/** The publish gate end to end: real Docker sandbox, pg-boss job, live output over graphql-ws. */
describe("publish gate", () => {
  let server: TestServer;
  let author: string;
  let installer: string;

  const state = async (versionId: string) => (await server.gql<VersionState>(VERSION_STATE, { id: versionId }, author)).data!.node;
  const settled = (versionId: string) =>
    waitFor(
      async () => {
        const s = await state(versionId);
        return s.status !== "TESTING" && s.status !== "UPLOADED" ? s : null;
      },
      "the version to leave TESTING",
      120_000,
      200,
    );

  before(async () => {
    server = await startTestServer({ SANDBOX_MAX_CONCURRENCY: "2" }, { worker: true });
    author = (await server.seed.team("gatekeepers").member("gate-author")).token;
    installer = (await server.seed.team("consumers").member("gate-installer")).token;
  });
  after(() => server.close());

  test("a passing Python skill streams its output live, then becomes PUBLISHED and installable", async () => {
    const published = await publishOk(server, author, pythonSkill("gate-pass", "1.0.0"));
    assert.equal(published.version.status, "TESTING");
    const runId = (await state(published.version.id)).latestTestRun.id;
    const client = wsClient(server.url, author);
    try {
      const events = await collectRunEvents(client, runId);
      assert.deepEqual(
        events.map((e) => e.seq),
        events.map((_, i) => i + 1),
        "seq increases by one from 1",
      );
      const statuses = events.filter((e) => e.kind === "STATUS").map((e) => e.status);
      assert.equal(statuses[0], "QUEUED");
      assert.ok(statuses.includes("RUNNING"));
      assert.equal(statuses.at(-1), "PASSED");
      assert.ok(
        events.some((e) => e.kind === "LOG" && e.stream === "STDOUT" && /passed/.test(e.text ?? "")),
        "pytest's summary line arrives as a log event",
      );
    } finally {
      await client.dispose();
    }
    const final = await settled(published.version.id);
    assert.equal(final.status, "PUBLISHED");
    assert.deepEqual([final.latestTestRun.passed, final.latestTestRun.failed, final.latestTestRun.passRate], [3, 0, 1]);
    const install = await server.gql<{ installSkill: { root: { version: string } } }>(
      `mutation { installSkill(input: { name: "gate-pass" }) { root { version } } }`,
      {},
      installer,
    );
    assert.equal(install.data?.installSkill.root.version, "1.0.0");

    // The audit trail links the outcome to its run and version, so clients need not decode ids.
    const admin = (await server.seed.user("gate-auditor", [GlobalRole.ADMIN])).token;
    const log = await server.gql<{ auditLog: { edges: { node: { testRunId: string | null; version: { id: string } | null } }[] } }>(
      `{ auditLog(skill: "gate-pass", action: TEST_OUTCOME) { edges { node { testRunId version { id } } } } }`,
      {},
      admin,
    );
    assert.deepEqual(
      log.data?.auditLog.edges.map((e) => e.node),
      [{ testRunId: runId, version: { id: published.version.id } }],
    );
  });

  test("a pass rate of 0.5 is REJECTED with the reason and the failing tests; it is never installable", async () => {
    const published = await publishOk(server, author, pythonSkill("gate-half", "1.0.0", { passing: 2, total: 4 }));
    const final = await settled(published.version.id);
    assert.equal(final.status, "REJECTED");
    assert.equal(final.latestTestRun.status, "FAILED");
    assert.match(final.statusReason ?? "", /2 of 4/);
    assert.equal(final.latestTestRun.passRate, 0.5);
    const failing = final.latestTestRun.tests.edges
      .filter((e) => e.node.status === "failed")
      .map((e) => e.node.name)
      .sort();
    assert.deepEqual(failing, ["test_case_2", "test_case_3"]);
    // Never released, so to anyone outside its team the skill does not exist.
    const install = await server.gql(`mutation { installSkill(input: { name: "gate-half" }) { root { version } } }`, {}, installer);
    assert.equal(install.errors?.[0].extensions.code, "NOT_FOUND");
    const byAuthor = await server.gql(`mutation { installSkill(input: { name: "gate-half" }) { root { version } } }`, {}, author);
    assert.equal(byAuthor.errors?.[0].extensions.code, "NO_MATCHING_VERSION");
  });

  test("a late subscriber replays the finished run from the start and the stream completes", async () => {
    const published = await publishOk(server, author, pythonSkill("gate-late", "1.0.0"));
    const final = await settled(published.version.id);
    const client = wsClient(server.url, author);
    try {
      const events = await collectRunEvents(client, final.latestTestRun.id);
      assert.equal(events[0].seq, 1);
      assert.equal(events.at(-1)!.status, "PASSED");
      const stored = await server.gql<{ testRun: { logs: { edges: { node: { text: string } }[] } } }>(
        `query($id: ID!) { testRun(id: $id) { logs(first: 100) { edges { node { text } } } } }`,
        { id: final.latestTestRun.id },
        author,
      );
      assert.deepEqual(
        stored.data!.testRun.logs.edges.map((e) => e.node.text),
        events.filter((e) => e.kind === "LOG").map((e) => e.text),
      );
    } finally {
      await client.dispose();
    }
  });

  test("log lines reach a subscriber while the tests still run, in order, stdout and stderr apart, with batched NOTIFYs", async () => {
    const listener = new Client({ connectionString: server.databaseUrl });
    await listener.connect();
    let notifications = 0;
    listener.on("notification", () => notifications++);
    await listener.query("LISTEN skillyard_test_run");
    try {
      const body = [
        "import sys, time",
        "def test_streams():",
        "    for i in range(300):",
        "        print(f'out {i}')",
        "        print(f'err {i}', file=sys.stderr)",
        "    sys.stdout.flush(); sys.stderr.flush()",
        "    time.sleep(2)",
        "    print('after the pause')",
      ].join("\n");
      const published = await publishOk(server, author, { ...pythonSkill("gate-live", "1.0.0", { total: 0 }), "tests/test_skill.py": `${body}\n` });
      const runId = (await state(published.version.id)).latestTestRun.id;
      const client = wsClient(server.url, author);
      let firstLineAt = 0;
      let finalAt = 0;
      try {
        const events = await collectRunEvents(client, runId, (e, at) => {
          if (e.kind === "LOG" && /out 0/.test(e.text ?? "") && !firstLineAt) firstLineAt = at;
          if (e.kind === "STATUS" && e.status === "PASSED") finalAt = at;
        });
        const out = events.filter((e) => e.stream === "STDOUT").map((e) => e.text ?? "");
        const err = events.filter((e) => e.stream === "STDERR").map((e) => e.text ?? "");
        assert.ok(firstLineAt > 0, `no live line arrived: ${JSON.stringify(events.slice(0, 10))}`);
        assert.ok(finalAt - firstLineAt >= 1500, "lines arrived only at the end, not live");
        const outNumbers = out.filter((t) => /^out \d+$/.test(t)).map((t) => Number(t.slice(4)));
        const errNumbers = err.filter((t) => /^err \d+$/.test(t)).map((t) => Number(t.slice(4)));
        assert.deepEqual(
          outNumbers,
          Array.from({ length: 300 }, (_, i) => i),
        );
        assert.deepEqual(
          errNumbers,
          Array.from({ length: 300 }, (_, i) => i),
        );
        assert.ok(notifications < 100, `${notifications} NOTIFYs for over 600 lines: not batched`);
      } finally {
        await client.dispose();
      }
    } finally {
      await listener.end();
    }
  });

  test("hostile skills through the gate: each ends in its outcome, logs stay capped, the server stays healthy, no container remains", async () => {
    const rssBefore = process.memoryUsage().rss;
    const hostile = {
      flood: pythonSkill("gate-flood", "1.0.0", { total: 1, body: "import sys\nfor _ in range(2_000_000):\n    sys.stdout.write('x' * 100 + '\\n')\n" }),
      sleeper: pythonSkill("gate-sleeper", "1.0.0", { total: 1, timeoutSeconds: 3, body: "import time\ntime.sleep(3600)\n" }),
      hog: pythonSkill("gate-hog", "1.0.0", { total: 1, memoryMb: 64, body: "hog = bytearray(1024 * 1024 * 1024)\n" }),
    };
    const started = Date.now();
    const ids = await Promise.all(Object.values(hostile).map(async (files) => (await publishOk(server, author, files)).version.id));
    const [flood, sleeper, hog] = await Promise.all(ids.map(settled));
    assert.ok(Date.now() - started < 90_000, "the hostile runs took too long");
    assert.deepEqual(
      [flood.latestTestRun.status, sleeper.latestTestRun.status, hog.latestTestRun.status],
      ["PASSED", "TIMEOUT", "MEMORY_LIMIT"],
      JSON.stringify([flood.latestTestRun.reason, sleeper.latestTestRun.reason, hog.latestTestRun.reason]),
    );
    assert.deepEqual([flood.status, sleeper.status, hog.status], ["PUBLISHED", "REJECTED", "REJECTED"]);
    assert.equal(flood.latestTestRun.logTruncated, true);
    const floodRunId = Buffer.from(flood.latestTestRun.id, "base64url").toString("utf8").split(":")[1];
    const [{ bytes }] = (await server.runtime.dataSource.query(
      `SELECT coalesce(sum(octet_length(text)), 0)::int AS bytes FROM test_run_event WHERE run_id = $1`,
      [floodRunId],
    )) as { bytes: number }[];
    assert.ok(bytes <= server.runtime.config.sandbox.maxLogBytes + 4096, `${bytes} bytes of log stored`);
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024, "the server's memory grew by over 200 MiB");
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const left = await new Dockerode().listContainers({ all: true, filters: { label: [`skillyard.scope=${sandboxScope(server.databaseUrl, undefined)}`] } });
    assert.deepEqual(left, []);
  });

  test("subscriptions need a valid token in connection_init", async () => {
    const published = await publishOk(server, author, pythonSkill("gate-auth", "1.0.0"));
    const runId = (await state(published.version.id)).latestTestRun.id;
    for (const token of [null, "sky_forged"]) {
      const client = wsClient(server.url, token);
      try {
        await assert.rejects(collectRunEvents(client, runId));
      } finally {
        await client.dispose();
      }
    }
    await settled(published.version.id);
  });

  test("the queue depth is visible in GraphQL", async () => {
    const res = await server.gql<{ testQueue: { queued: number; running: number; maxConcurrency: number } }>(`{ testQueue { queued running maxConcurrency } }`);
    assert.equal(res.data?.testQueue.maxConcurrency, 2);
    assert.ok(res.data!.testQueue.queued >= 0 && res.data!.testQueue.running >= 0);
  });

  test("instruction-only skills are recorded as passed without a container; tests without a runtime are an ERROR", async () => {
    const md = await publishOk(
      server,
      author,
      { "SKILL.md": "---\nname: gate-doc\ndescription: Only instructions.\n---\nDo it well.\n" },
      { version: "1.0.0" },
    );
    assert.equal(md.version.status, "PUBLISHED");
    const withTests = await uploadAndPublish(
      server,
      author,
      { "SKILL.md": "---\nname: gate-doc-tests\ndescription: Instructions with tests.\n---\n", "tests/test_x.py": "def test_x(): pass\n" },
      { version: "1.0.0" },
    );
    assert.equal(withTests.data?.publishSkillVersion.version.status, "REJECTED");
    const final = await state(withTests.data!.publishSkillVersion.version.id);
    assert.equal(final.latestTestRun.status, "ERROR");
    assert.match(final.statusReason ?? "", /no requirements.runtime/);
  });
});

describe("readiness", () => {
  test("GET /readyz reports the database and, where a worker runs, Docker; 503 when Docker is down", async () => {
    const healthy = await startTestServer({}, { worker: true });
    const broken = await startTestServer({}, { worker: true, docker: new Dockerode({ socketPath: "/nonexistent/docker.sock" }) });
    const apiOnly = await startTestServer();
    try {
      const ok = await fetch(`${healthy.url}/readyz`);
      assert.deepEqual([ok.status, await ok.json()], [200, { status: "ready", database: "up", docker: "up" }]);
      const down = await fetch(`${broken.url}/readyz`);
      assert.deepEqual([down.status, await down.json()], [503, { status: "not ready", database: "up", docker: "down" }]);
      const api = await fetch(`${apiOnly.url}/readyz`);
      assert.deepEqual([api.status, await api.json()], [200, { status: "ready", database: "up", docker: "not used" }]);
    } finally {
      await Promise.all([healthy.close(), broken.close(), apiOnly.close()]);
    }
  });
});
