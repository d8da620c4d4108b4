import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client } from "pg";
import type { DataSource } from "typeorm";
import { DownloadCounters } from "../src/community/download-counters";
import { createDataSource } from "../src/db/data-source";
import { rollUpAll } from "./support/downloads";
import { publishOk } from "./support/publish";
import { skillYaml } from "./support/seed";
import { startTestServer, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";

const INSTALL = `mutation($input: InstallSkillInput!) { installSkill(input: $input) { resolved { name } } }`;

interface Counts {
  /** skill name → [download_count, installs in the log] */
  skills: Map<string, [number, number]>;
  /** "name@version" → [download_count, installs in the log] */
  versions: Map<string, [number, number]>;
}

describe("download counters: installs are appended, a roll-up counts them", () => {
  let server: TestServer;
  let installer: string;
  let tenantId: string;
  let installerId: string;
  /** Two more connection pools to the same database: two worker processes rolling up. */
  let workers: DataSource[];

  const install = async (name: string, range?: string) => {
    const res = await server.gql<{ installSkill: { resolved: { name: string }[] } }>(INSTALL, { input: { name, range } }, installer);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.installSkill.resolved.map((r) => r.name);
  };
  const rollUp = () => rollUpAll(server.runtime.dataSource, server.runtime.services.downloadCounters);

  /** Every counter next to what the install log says it should be once everything is rolled up. */
  async function counts(): Promise<Counts> {
    const skills: { name: string; counter: number; logged: number }[] = await server.runtime.dataSource.query(
      `SELECT s.name, s.download_count AS counter, (SELECT count(*)::int FROM install i WHERE i.skill_id = s.id) AS logged FROM skill s`,
    );
    const versions: { label: string; counter: number; logged: number }[] = await server.runtime.dataSource.query(
      `SELECT s.name || '@' || v.version AS label, v.download_count AS counter, (SELECT count(*)::int FROM install i WHERE i.version_id = v.id) AS logged
         FROM skill_version v JOIN skill s ON s.id = v.skill_id`,
    );
    return {
      skills: new Map(skills.map((s) => [s.name, [s.counter, s.logged]])),
      versions: new Map(versions.map((v) => [v.label, [v.counter, v.logged]])),
    };
  }

  /** Counters never run ahead of the log; with `exact`, they equal it. */
  function assertCounted(c: Counts, exact: boolean): void {
    for (const [key, [counter, logged]] of [...c.skills, ...c.versions]) {
      if (exact) assert.equal(counter, logged, `${key}: counter ${counter}, log ${logged}`);
      else assert.ok(counter <= logged, `${key} counted ${counter} of ${logged} installs: some twice`);
    }
  }

  before(async () => {
    server = await startTestServer();
    const author = (await server.seed.team("makers").member("maker")).token;
    const seeded = await server.seed.team("consumers").member("consumer");
    installer = seeded.token;
    installerId = seeded.user.id;
    [{ id: tenantId }] = (await server.runtime.dataSource.query(`SELECT id FROM team WHERE name = 'consumers'`)) as { id: string }[];
    const publish = (name: string, version: string, dependencies: Record<string, string> = {}) =>
      publishOk(server, author, { "skill.yaml": skillYaml({ name, version, dependencies }) });
    await publish("base", "1.0.0");
    await publish("base", "1.1.0");
    await publish("helper", "1.0.0", { base: "^1.0.0" });
    await publish("app", "1.0.0", { helper: "^1.0.0", base: "~1.0.0" });
    await publish("solo", "1.0.0");
    workers = [0, 1].map(() => createDataSource({ url: server.databaseUrl, poolSize: 2 }));
    await Promise.all(workers.map((w) => w.initialize()));
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.destroy()));
    await server.close();
  });

  test("an install is one INSERT after its reads: no transaction, nothing written to skill", async () => {
    await install("solo");
    server.queries.reset();
    await install("solo");
    const leaf = [...server.queries.statements];
    // The token's lookup, the viewer's memberships with their teams, the skill by name, its versions
    // (shared by the visibility check and resolution), and the INSERT: a leaf has no dependencies to read.
    assert.equal(leaf.length, 5, leaf.join("\n"));
    assert.deepEqual(
      leaf.filter((s) => !/^\s*SELECT\b/i.test(s)).map((s) => s.trim().split(/\s+/).slice(0, 3).join(" ")),
      ["INSERT INTO install"],
      leaf.join("\n"),
    );

    server.queries.reset();
    assert.deepEqual(await install("app"), ["app", "base", "helper"]);
    const tree = [...server.queries.statements];
    // Per skill below the root: its versions; per version with dependencies: them (app, helper).
    assert.equal(tree.length, 5 + 2 + 2, tree.join("\n"));
    const writes = tree.filter((s) => !/^\s*SELECT\b/i.test(s));
    assert.equal(writes.length, 1, "three nodes, one INSERT");
    assert.ok(
      tree.every((s) => !/\b(UPDATE|START TRANSACTION|BEGIN)\b/i.test(s)),
      tree.join("\n"),
    );
  });

  test("downloads and version downloads show installs once rolled up, and DOWNLOADS sorts by the rolled-up counts", async () => {
    await rollUp();
    const view = async () =>
      (
        await server.gql<{
          skills: { edges: { node: { name: string; downloads: number; versions: { edges: { node: { version: string; downloads: number } }[] } } }[] };
        }>(`{ skills(sort: DOWNLOADS, first: 10) { edges { node { name downloads versions { edges { node { version downloads } } } } } } }`)
      ).data!.skills.edges.map((e) => e.node);
    const before = await view();
    const downloadsOf = (nodes: typeof before, name: string) => nodes.find((n) => n.name === name)!.downloads;

    // solo: 6 more installs, helper: 4 more (each also installs base), base@1.0.0 directly: 1 more.
    for (let i = 0; i < 6; i++) await install("solo");
    for (let i = 0; i < 4; i++) await install("helper");
    await install("base", "1.0.0");
    assert.deepEqual(await view(), before, "nothing moves before the roll-up");

    assert.equal(await rollUp(), 6 + 4 * 2 + 1);
    const now = await view();
    assert.equal(downloadsOf(now, "solo"), downloadsOf(before, "solo") + 6);
    assert.equal(downloadsOf(now, "helper"), downloadsOf(before, "helper") + 4);
    assert.equal(downloadsOf(now, "base"), downloadsOf(before, "base") + 5);
    assert.equal(downloadsOf(now, "app"), downloadsOf(before, "app"));
    assert.deepEqual(
      now.map((n) => n.downloads),
      [...now.map((n) => n.downloads)].sort((a, b) => b - a),
      "most downloads first",
    );
    const versionDownloads = (nodes: typeof now) =>
      nodes.find((n) => n.name === "base")!.versions.edges.map((e): [string, number] => [e.node.version, e.node.downloads]);
    const [[, newer], [, older]] = versionDownloads(before);
    // helper takes base ^1.0.0 (1.1.0); the direct install pinned 1.0.0.
    assert.deepEqual(versionDownloads(now), [
      ["1.1.0", newer + 4],
      ["1.0.0", older + 1],
    ]);
    assertCounted(await counts(), true);
    assert.equal(await server.runtime.services.downloadCounters.rollUp(), 0, "a second roll-up finds nothing new");
  });

  test("installs racing roll-ups from two workers are each counted exactly once", async () => {
    await rollUp();
    const counters = workers.map((w) => new DownloadCounters(w));
    let installing = true;
    const reports: number[] = [];
    const rollingUp = counters.map(async (c) => {
      while (installing) {
        reports.push(await c.rollUp());
        // The counters never run ahead of the log, at any moment.
        assertCounted(await counts(), false);
      }
    });
    const names = ["solo", "helper", "app", "base"];
    let installed: string[][];
    try {
      installed = await Promise.all(Array.from({ length: 80 }, (_, i) => install(names[i % names.length])));
    } finally {
      installing = false;
      await Promise.all(rollingUp);
    }
    reports.push(await rollUpAll(workers[0], counters[0]));
    assertCounted(await counts(), true);
    const rows = installed.reduce((sum, nodes) => sum + nodes.length, 0);
    assert.equal(
      reports.reduce((sum, n) => sum + n, 0),
      rows,
      "the roll-ups together counted every install row once",
    );
    assert.ok(reports.filter((n) => n > 0).length > 1, "more than one roll-up did some of the counting");
  });

  test("an install still in flight when a roll-up runs is counted by a later one, once", async () => {
    await rollUp();
    const [{ id: versionId, skill_id: skillId }] = (await server.runtime.dataSource.query(
      `SELECT v.id, v.skill_id FROM skill_version v JOIN skill s ON s.id = v.skill_id WHERE s.name = 'solo'`,
    )) as { id: string; skill_id: string }[];
    const slow = new Client({ connectionString: server.databaseUrl });
    await slow.connect();
    try {
      await slow.query("BEGIN");
      await slow.query(`INSERT INTO install (tenant_id, skill_id, version_id, installed_by_id) VALUES ($1, $2, $3, $4)`, [
        tenantId,
        skillId,
        versionId,
        installerId,
      ]);
      // Installs that start and commit after it are counted first; the watermark stays below it.
      await install("solo");
      await install("solo");
      assert.equal(await server.runtime.services.downloadCounters.rollUp(), 0, "nothing past the oldest running transaction is counted");
      await slow.query("COMMIT");
    } finally {
      await slow.end();
    }
    assert.equal(await rollUp(), 3);
    assertCounted(await counts(), true);
  });

  test("a transaction open in another database of the server does not hold the counters back", async () => {
    await rollUp();
    const adminUrl = process.env.SKILLYARD_TEST_PG_URL;
    assert.ok(adminUrl, "run with scripts/run-tests.ts");
    const elsewhere = new Client({ connectionString: adminUrl });
    await elsewhere.connect();
    try {
      await elsewhere.query("BEGIN");
      await elsewhere.query("SELECT txid_current()");
      await install("solo");
      assert.equal(await rollUp(), 1, "the install is counted while the other transaction stays open");
      await elsewhere.query("ROLLBACK");
    } finally {
      await elsewhere.end();
    }
  });

  test("a roll-up that dies mid-way counts nothing; the next one counts everything once", async () => {
    await rollUp();
    for (let i = 0; i < 3; i++) await install("solo");
    const before = await counts();
    // Another transaction holds solo's row, so the roll-up stops at its UPDATE; then its connection dies.
    const holder = new Client({ connectionString: server.databaseUrl });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query(`SELECT id FROM skill WHERE name = 'solo' FOR UPDATE`);
      // The expectation is attached at once: the rejection may come before the next await returns,
      // and a rejection nobody handles yet fails the test run (an unhandled rejection).
      const dying = assert.rejects(new DownloadCounters(workers[0]).rollUp());
      const pid = await waitFor(async () => {
        const rows: { pid: number }[] = await server.runtime.dataSource.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%download_rollup%'`,
        );
        return rows[0]?.pid;
      }, "the roll-up to wait for the row lock");
      await server.runtime.dataSource.query(`SELECT pg_terminate_backend($1)`, [pid]);
      await dying;
      await holder.query("ROLLBACK");
    } finally {
      await holder.end();
    }
    const afterCrash = await counts();
    assert.deepEqual(afterCrash, before, "the dead roll-up moved neither the counters nor the watermark");
    assert.equal(await rollUpAll(workers[1]), 3);
    assertCounted(await counts(), true);
  });
});
