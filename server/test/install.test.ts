import "reflect-metadata";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { rollUpAll } from "./support/downloads";
import { skillYaml } from "./support/seed";
import { publishOk } from "./support/publish";
import { startTestServer, type TestServer } from "./support/test-server";

const INSTALL = `mutation Install($input: InstallSkillInput!) {
  installSkill(input: $input) {
    tenant { name }
    root { name version }
    resolved { name version range sha256 size downloadUrl requiredBy skillVersion { id downloads } }
  }
}`;

interface Resolved {
  name: string;
  version: string;
  range: string;
  sha256: string;
  size: number;
  downloadUrl: string;
  requiredBy: string[];
  skillVersion: { id: string; downloads: number };
}

describe("installSkill", () => {
  let server: TestServer;
  let author: string;
  let installer: string;

  const publish = (name: string, version: string, dependencies: Record<string, string> = {}) =>
    publishOk(server, author, { "skill.yaml": skillYaml({ name, version, dependencies }) });
  const install = (input: Record<string, unknown>, token = installer) =>
    server.gql<{ installSkill: { tenant: { name: string }; root: { name: string; version: string }; resolved: Resolved[] } }>(INSTALL, { input }, token);

  before(async () => {
    server = await startTestServer();
    author = (await server.seed.team("platform").member("author")).token;
    installer = (await server.seed.team("analytics").member("installer")).token;
    // leaf@1.0.0, 1.2.0, 2.0.0; mid depends on leaf ^1; app depends on mid ^1 and leaf ~1.2
    await publish("leaf", "1.0.0");
    await publish("leaf", "1.2.0");
    await publish("leaf", "2.0.0");
    await publish("mid", "1.0.0", { leaf: "^1.0.0" });
    await publish("app", "1.0.0", { mid: "^1.0.0", leaf: "~1.2.0" });
  });
  after(() => server.close());

  test("resolves the whole tree with the highest version satisfying each range, with digests and download URLs", async () => {
    const res = await install({ name: "app" });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const tree = res.data!.installSkill;
    assert.equal(tree.tenant.name, "analytics");
    assert.deepEqual(
      tree.resolved.map((r) => [r.name, r.version, r.requiredBy.join(" > ")]),
      [
        ["app", "1.0.0", ""],
        ["leaf", "1.2.0", "app@1.0.0"],
        ["mid", "1.0.0", "app@1.0.0"],
      ],
    );
    for (const node of tree.resolved) {
      const download = await fetch(node.downloadUrl);
      assert.equal(download.status, 200);
      const bytes = Buffer.from(await download.arrayBuffer());
      assert.equal(createHash("sha256").update(bytes).digest("hex"), node.sha256);
      assert.equal(bytes.length, node.size);
    }
  });

  test("records one install per node for the tenant; downloads count installs once rolled up", async () => {
    const downloads = async () => (await server.gql<{ skill: { downloads: number } }>(`{ skill(name: "mid") { downloads } }`)).data!.skill.downloads;
    await rollUpAll(server.runtime.dataSource);
    const before = await downloads();
    await install({ name: "mid", range: "^1" });
    assert.equal(await downloads(), before, "downloads lag the install until a roll-up");
    await rollUpAll(server.runtime.dataSource);
    assert.equal(await downloads(), before + 1);
    const rows: { count: number }[] = await server.runtime.dataSource.query(
      `SELECT count(*)::int AS count FROM install i JOIN team t ON t.id = i.tenant_id WHERE t.name = 'analytics'`,
    );
    assert.ok(rows[0].count >= 2);
  });

  test("an explicit range picks the highest satisfying version", async () => {
    const res = await install({ name: "leaf", range: "<2" });
    assert.equal(res.data!.installSkill.root.version, "1.2.0");
    const latest = await install({ name: "leaf" });
    assert.equal(latest.data!.installSkill.root.version, "2.0.0");
  });

  test("incompatible ranges on one skill are a DEPENDENCY_CONFLICT naming both paths", async () => {
    await publish("strict-leaf-user", "1.0.0", { leaf: "^2.0.0" });
    await publish("conflicted", "1.0.0", { mid: "^1.0.0", "strict-leaf-user": "^1.0.0" });
    const res = await install({ name: "conflicted" });
    const error = res.errors?.[0];
    assert.equal(error?.extensions.code, "DEPENDENCY_CONFLICT");
    assert.match(error!.message, /conflicted@1\.0\.0 → mid@1\.0\.0/);
    assert.match(error!.message, /strict-leaf-user@1\.0\.0/);
  });

  test("a dependency cycle is refused with the cycle's path", async () => {
    await publish("ping", "1.0.0");
    await publish("pong", "1.0.0", { ping: "^1.0.0" });
    await publish("ping", "1.1.0", { pong: "^1.0.0" });
    const res = await install({ name: "ping" });
    assert.equal(res.errors?.[0].extensions.code, "DEPENDENCY_CYCLE");
    assert.deepEqual(res.errors?.[0].extensions.path, ["ping@1.1.0", "pong@1.0.0", "ping"]);
  });

  test("no satisfying version is NO_MATCHING_VERSION; an unknown skill is NOT_FOUND; a bad range is BAD_USER_INPUT", async () => {
    assert.equal((await install({ name: "leaf", range: "^9" })).errors?.[0].extensions.code, "NO_MATCHING_VERSION");
    assert.equal((await install({ name: "no-such-skill" })).errors?.[0].extensions.code, "NOT_FOUND");
    assert.equal((await install({ name: "leaf", range: "not a range!" })).errors?.[0].extensions.code, "BAD_USER_INPUT");
  });

  test("Dependency.resolved names the version each range picks now, by the same rule as installSkill", async () => {
    const DEPS = `{ skill(name: "app") { latestVersion { dependencies { edges { node { range skill { name } resolved { version } } } } } } }`;
    const deps = async () =>
      (
        await server.gql<{
          skill: { latestVersion: { dependencies: { edges: { node: { range: string; skill: { name: string }; resolved: { version: string } | null } }[] } } };
        }>(DEPS)
      ).data!.skill.latestVersion.dependencies.edges.map((e) => [e.node.skill.name, e.node.range, e.node.resolved?.version ?? null]);
    assert.deepEqual(await deps(), [
      ["leaf", "~1.2.0", "1.2.0"],
      ["mid", "^1.0.0", "1.0.0"],
    ]);
    const installed = await install({ name: "app" });
    const fromInstall = installed.data!.installSkill.resolved.filter((r) => r.name !== "app").map((r) => [r.name, r.version]);
    assert.deepEqual(
      fromInstall,
      (await deps()).map(([name, , version]) => [name, version]),
      "the page shows what an install gets",
    );

    await publish("pinner", "1.0.0", { leaf: "9.9.9" });
    const none = await server.gql<{ skill: { latestVersion: { dependencies: { edges: { node: { resolved: null } }[] } } } }>(
      `{ skill(name: "pinner") { latestVersion { dependencies { edges { node { resolved { version } } } } } } }`,
    );
    assert.equal(none.data?.skill.latestVersion.dependencies.edges[0]?.node.resolved, null, "no matching version is null");
  });

  test("versions that are not installable are skipped by resolution", async () => {
    await publish("gated", "1.0.0");
    const v2 = await publish("gated", "1.1.0");
    await server.runtime.dataSource.query(`UPDATE skill_version SET status = 'AWAITING_REVIEW' WHERE package_sha256 = $1`, [v2.version.packageSha256]);
    const res = await install({ name: "gated", range: "^1" });
    assert.equal(res.data!.installSkill.root.version, "1.0.0");
  });

  test("installing for a team you are not in is FORBIDDEN; anonymous is UNAUTHENTICATED", async () => {
    assert.equal((await install({ name: "leaf", tenant: "platform" })).errors?.[0].extensions.code, "FORBIDDEN");
    const anonymous = await server.gql(INSTALL, { input: { name: "leaf" } });
    assert.equal(anonymous.errors?.[0].extensions.code, "UNAUTHENTICATED");
  });
});

describe("Skill.installsByTenant", () => {
  let server: TestServer;
  let author: string;
  const tenants: Record<string, string> = {};

  const INSTALLS = `query($name: String!) { skill(name: $name) { installsByTenant { team { name } installs lastInstalledAt versions } } }`;
  interface TenantInstalls {
    team: { name: string };
    installs: number;
    lastInstalledAt: string;
    versions: string[];
  }
  const installsOf = async (name: string) => {
    const res = await server.gql<{ skill: { installsByTenant: TenantInstalls[] } }>(INSTALLS, { name });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.skill.installsByTenant;
  };
  const install = async (tenant: string, name: string, range: string) => {
    const res = await server.gql(INSTALL, { input: { name, range } }, tenants[tenant]);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  };

  before(async () => {
    server = await startTestServer();
    author = (await server.seed.team("publishers").member("tally-author")).token;
    for (const team of ["zeta", "alpha", "beta", "idle"]) tenants[team] = (await server.seed.team(team).member(`${team}-dev`)).token;
    // 1.10.0 sorts above 1.2.0 by semver but below it as text.
    for (const version of ["1.2.0", "1.10.0", "2.0.0"]) await publishOk(server, author, { "skill.yaml": skillYaml({ name: "tally", version }) });
    await publishOk(server, author, { "skill.yaml": skillYaml({ name: "tally-app", version: "1.0.0", dependencies: { tally: "~1.2.0" } }) });
    await publishOk(server, author, { "skill.yaml": skillYaml({ name: "untouched", version: "1.0.0" }) });
  });
  after(() => server.close());

  test("one entry per tenant: install count, last install time and distinct versions (semver-descending), most installs first then by team name", async () => {
    await install("beta", "tally", "2.0.0");
    await install("zeta", "tally", "1.2.0");
    await install("alpha", "tally", "1.10.0");
    await install("zeta", "tally", "1.10.0");
    // A dependency install counts for the tenant too (tally-app pulls tally ~1.2.0).
    await install("zeta", "tally-app", "1.0.0");

    const entries = await installsOf("tally");
    assert.deepEqual(
      entries.map((e) => [e.team.name, e.installs, e.versions]),
      [
        ["zeta", 3, ["1.10.0", "1.2.0"]],
        ["alpha", 1, ["1.10.0"]],
        ["beta", 1, ["2.0.0"]],
      ],
    );
    // lastInstalledAt is each tenant's newest install record of the skill.
    const rows: { name: string; last: Date }[] = await server.runtime.dataSource.query(
      `SELECT t.name, max(i.created_at) AS last FROM install i JOIN team t ON t.id = i.tenant_id JOIN skill s ON s.id = i.skill_id WHERE s.name = 'tally' GROUP BY t.name`,
    );
    for (const entry of entries) {
      const row = rows.find((r) => r.name === entry.team.name)!;
      assert.equal(new Date(entry.lastInstalledAt).getTime(), row.last.getTime(), entry.team.name);
    }
    assert.ok(new Date(entries[0].lastInstalledAt).getTime() > new Date(entries[2].lastInstalledAt).getTime(), "zeta installed last");

    assert.deepEqual(
      (await installsOf("tally-app")).map((e) => [e.team.name, e.installs, e.versions]),
      [["zeta", 1, ["1.0.0"]]],
    );
    assert.deepEqual(await installsOf("untouched"), []);
  });

  test("a tie on installs is broken by team name, and a new install moves its tenant up", async () => {
    await install("idle", "untouched", "1.0.0");
    await install("beta", "untouched", "1.0.0");
    assert.deepEqual(
      (await installsOf("untouched")).map((e) => [e.team.name, e.installs]),
      [
        ["beta", 1],
        ["idle", 1],
      ],
    );
    await install("idle", "untouched", "1.0.0");
    assert.deepEqual(
      (await installsOf("untouched")).map((e) => [e.team.name, e.installs]),
      [
        ["idle", 2],
        ["beta", 1],
      ],
    );
  });
});
