import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseIp } from "../src/common/cidr";
import { TeamRole } from "../src/identity/membership.entity";
import { GlobalRole } from "../src/identity/user.entity";
import type { ManagedSettings } from "../src/distribution/managed-settings.service";
import { skillYaml } from "./support/seed";
import { publishOk } from "./support/publish";
import { startTestServer, type GraphQLResponse, type TestServer } from "./support/test-server";

const SET_REQUIRED = `mutation R($input: SetRequiredSkillInput!) {
  setRequiredSkill(input: $input) { skill { name } team { name } required changed }
}`;
const REQUIRED = `query Q($team: String) { requiredSkills(team: $team) { skill { name } team { name } createdBy { handle } } }`;
const SETTINGS = `query M($channel: String, $team: String) { managedSettings(channel: $channel, team: $team) }`;
const AUDIT = `query A($action: AuditAction) { auditLog(action: $action) { edges { node { action after before actor { handle } } } } }`;

interface Requirement {
  skill: { name: string };
  team: { name: string } | null;
  createdBy?: { handle: string } | null;
}

function ok<T>(res: GraphQLResponse<T>): T {
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}
const codeOf = (res: GraphQLResponse<unknown>) => res.errors?.[0]?.extensions.code;

describe("required skills and managed settings", () => {
  let server: TestServer;
  let admin: string;
  let dataMaintainer: string;
  let dataMember: string;
  let webMaintainer: string;

  const setRequired = (token: string, skill: string, team: string | null, required = true) =>
    server.gql<{ setRequiredSkill: { skill: { name: string }; team: { name: string } | null; required: boolean; changed: boolean } }>(
      SET_REQUIRED,
      { input: { skill, team, required } },
      token,
    );
  const settings = async (token: string, args: { channel?: string; team?: string }) =>
    ok(await server.gql<{ managedSettings: ManagedSettings }>(SETTINGS, args, token)).managedSettings;

  before(async () => {
    server = await startTestServer({ PUBLIC_URL: "https://skills.corp.test:8443" });
    admin = (await server.seed.user("ms-admin", [GlobalRole.ADMIN])).token;
    const data = server.seed.team("data");
    dataMaintainer = (await data.member("data-lead", TeamRole.MAINTAINER)).token;
    dataMember = (await data.member("data-dev", TeamRole.MEMBER)).token;
    webMaintainer = (await server.seed.team("web").member("web-lead", TeamRole.MAINTAINER)).token;
    for (const [name, version] of [
      ["csv-stats", "1.0.0"],
      ["csv-stats", "1.1.0"],
      ["sql-helper", "2.0.0"],
      ["org-guide", "1.0.0"],
    ]) {
      await publishOk(server, dataMaintainer, { "skill.yaml": skillYaml({ name, version }) });
    }
    ok(
      await server.gql(`mutation { setChannel(input: { skill: "csv-stats", channel: "stable", version: "1.0.0" }) { channel { name } } }`, {}, dataMaintainer),
    );
  });
  after(() => server.close());

  test("admins require skills for everyone and any team; maintainers only for their own team; every change is audited once", async () => {
    assert.deepEqual(ok(await setRequired(admin, "org-guide", null)).setRequiredSkill, {
      skill: { name: "org-guide" },
      team: null,
      required: true,
      changed: true,
    });
    assert.equal(ok(await setRequired(admin, "org-guide", null)).setRequiredSkill.changed, false, "again: nothing changes");
    assert.equal(ok(await setRequired(dataMaintainer, "csv-stats", "data")).setRequiredSkill.changed, true);
    assert.equal(ok(await setRequired(dataMaintainer, "sql-helper", "data")).setRequiredSkill.changed, true);

    assert.equal(codeOf(await setRequired(dataMaintainer, "csv-stats", null)), "FORBIDDEN", "a maintainer cannot decide for everyone");
    assert.equal(codeOf(await setRequired(webMaintainer, "csv-stats", "data")), "FORBIDDEN", "nor for another team");
    assert.equal(codeOf(await setRequired(dataMember, "csv-stats", "data")), "FORBIDDEN", "a plain member cannot");
    assert.equal(codeOf(await server.gql(SET_REQUIRED, { input: { skill: "csv-stats", team: "data", required: true } })), "UNAUTHENTICATED");
    assert.equal(codeOf(await setRequired(admin, "no-such-skill", "data")), "NOT_FOUND");
    assert.equal(codeOf(await setRequired(admin, "csv-stats", "no-such-team")), "NOT_FOUND");

    const forData = ok(await server.gql<{ requiredSkills: Requirement[] }>(REQUIRED, { team: "data" }, dataMember)).requiredSkills;
    assert.deepEqual(
      forData.map((r) => [r.skill.name, r.team?.name ?? null, r.createdBy?.handle]),
      [
        ["org-guide", null, "ms-admin"],
        ["csv-stats", "data", "data-lead"],
        ["sql-helper", "data", "data-lead"],
      ],
    );
    const forWeb = ok(await server.gql<{ requiredSkills: Requirement[] }>(REQUIRED, { team: "web" }, dataMember)).requiredSkills;
    assert.deepEqual(
      forWeb.map((r) => r.skill.name),
      ["org-guide"],
    );

    assert.equal(ok(await setRequired(dataMaintainer, "sql-helper", "data", false)).setRequiredSkill.changed, true);
    assert.equal(ok(await setRequired(dataMaintainer, "sql-helper", "data", false)).setRequiredSkill.changed, false);
    const audit = ok(
      await server.gql<{ auditLog: { edges: { node: { action: string; after: unknown; before: unknown; actor: { handle: string } } }[] } }>(AUDIT, {}, admin),
    )
      .auditLog.edges.map((e) => e.node)
      .filter((n) => n.action.startsWith("REQUIRED_SKILL"));
    assert.deepEqual(
      audit.map((n) => [n.action, n.actor.handle, n.after ?? n.before]),
      [
        ["REQUIRED_SKILL_REMOVE", "data-lead", { skill: "sql-helper", team: "data" }],
        ["REQUIRED_SKILL_ADD", "data-lead", { skill: "sql-helper", team: "data" }],
        ["REQUIRED_SKILL_ADD", "data-lead", { skill: "csv-stats", team: "data" }],
        ["REQUIRED_SKILL_ADD", "ms-admin", { skill: "org-guide", team: null }],
      ],
    );
  });

  test("a team's settings allow only this Skillyard, declare the channel's catalog, and enable each required skill from exactly one marketplace", async () => {
    const s = await settings(dataMaintainer, { channel: "stable", team: "data" });
    assert.deepEqual(s.strictKnownMarketplaces, [{ source: "hostPattern", hostPattern: "^skills\\.corp\\.test$" }]);
    assert.deepEqual(s.extraKnownMarketplaces, {
      "skillyard-stable": { source: { source: "url", url: "https://skills.corp.test:8443/marketplace.json?channel=stable" }, autoUpdate: true },
      // org-guide has no stable version: it comes from the base catalog, declared for it.
      skillyard: { source: { source: "url", url: "https://skills.corp.test:8443/marketplace.json" }, autoUpdate: true },
    });
    assert.deepEqual(s.enabledPlugins, {
      "skillyard-policy@skillyard-stable": true,
      "csv-stats@skillyard-stable": true,
      "org-guide@skillyard": true,
    });
    const names = Object.keys(s.enabledPlugins).map((k) => k.split("@")[0]);
    assert.equal(new Set(names).size, names.length, "no plugin is enabled from two marketplaces");

    assert.equal(s.env.CLAUDE_CODE_SYNC_PLUGIN_INSTALL, "1");
    assert.equal(s.env.CLAUDE_CODE_ENABLE_TELEMETRY, "1");
    assert.equal(s.env.OTEL_LOGS_EXPORTER, "otlp");
    assert.equal(s.env.OTEL_EXPORTER_OTLP_ENDPOINT, "https://skills.corp.test:8443");
    assert.equal(s.env.OTEL_LOG_TOOL_DETAILS, "1");
    assert.equal(s.env.OTEL_RESOURCE_ATTRIBUTES, "team=data");
    assert.match(s.env.OTEL_EXPORTER_OTLP_HEADERS, /^Authorization=Bearer \S+$/);
    assert.equal(s.hooks.PreToolUse[0].matcher, "*");
    assert.match(s.hooks.PreToolUse[0].hooks[0].command, /cache\/skillyard-stable\/skillyard-policy\/\*\/hooks\/policy\.sh/);

    // The latest catalog: every required skill from the one base marketplace.
    const latest = await settings(admin, { team: "data" });
    assert.deepEqual(Object.keys(latest.extraKnownMarketplaces), ["skillyard"]);
    assert.deepEqual(latest.enabledPlugins, { "skillyard-policy@skillyard": true, "csv-stats@skillyard": true, "org-guide@skillyard": true });
  });

  test("the ingest token is one per team, reused, and can do nothing but ingest", async () => {
    const first = (await settings(admin, { team: "data" })).env.OTEL_EXPORTER_OTLP_HEADERS;
    const again = (await settings(dataMaintainer, { channel: "stable", team: "data" })).env.OTEL_EXPORTER_OTLP_HEADERS;
    const org = await settings(admin, {});
    assert.equal(first, again);
    assert.notEqual(org.env.OTEL_EXPORTER_OTLP_HEADERS, first);
    assert.equal(org.env.OTEL_RESOURCE_ATTRIBUTES, undefined);
    assert.deepEqual(org.enabledPlugins, { "skillyard-policy@skillyard": true, "org-guide@skillyard": true });
    const token = first.replace(/^Authorization=Bearer /, "");
    const asIngest = await server.gql(`{ viewer { handle } }`, {}, token);
    assert.equal(asIngest.errors![0].extensions.code, "INSUFFICIENT_SCOPE");
    assert.match(asIngest.errors![0].message, /needs a token with the READ scope; this one has INGEST/);
    assert.equal((await fetch(`${server.url}/managed-settings.json`, { headers: { authorization: `Bearer ${token}` } })).status, 403);
    const upload = await server.upload(Buffer.from("x"), token);
    assert.equal(upload.status, 403);
    // Without REQUIRE_AUTH_FOR_READ no read token is made or sent.
    assert.equal(org.extraKnownMarketplaces.skillyard.source.headers, undefined);
  });

  test("GET /managed-settings.json is the same JSON as the query, for the same people", async () => {
    const viaQuery = await settings(dataMaintainer, { channel: "stable", team: "data" });
    const res = await fetch(`${server.url}/managed-settings.json?channel=stable&team=data`, { headers: { authorization: `Bearer ${dataMaintainer}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.deepEqual(await res.json(), viaQuery);

    const forbidden = await fetch(`${server.url}/managed-settings.json?team=data`, { headers: { authorization: `Bearer ${webMaintainer}` } });
    assert.equal(forbidden.status, 403);
    assert.equal(((await forbidden.json()) as { error: { code: string } }).error.code, "FORBIDDEN");
    assert.equal((await fetch(`${server.url}/managed-settings.json?team=data`, { headers: { authorization: `Bearer ${dataMember}` } })).status, 403);
    assert.equal((await fetch(`${server.url}/managed-settings.json?team=data`)).status, 401);
    assert.equal((await fetch(`${server.url}/managed-settings.json?team=nope`, { headers: { authorization: `Bearer ${admin}` } })).status, 404);
    assert.equal((await fetch(`${server.url}/managed-settings.json?channel=BAD!`, { headers: { authorization: `Bearer ${admin}` } })).status, 400);
    assert.equal(codeOf(await server.gql(SETTINGS, { team: "data" }, webMaintainer)), "FORBIDDEN");
    assert.equal(codeOf(await server.gql(SETTINGS, {}, dataMaintainer)), "FORBIDDEN", "only admins generate the organisation's settings");
  });

  test("a required skill's dependencies are enabled with it, from the same marketplace (settings do not install dependencies by themselves)", async () => {
    await publishOk(server, dataMaintainer, { "skill.yaml": skillYaml({ name: "report-kit", version: "1.0.0", dependencies: { "sql-helper": "^2.0.0" } }) });
    ok(await setRequired(admin, "report-kit", "web"));
    const s = await settings(admin, { channel: "stable", team: "web" });
    assert.deepEqual(s.enabledPlugins, {
      "skillyard-policy@skillyard-stable": true,
      "org-guide@skillyard": true,
      "report-kit@skillyard": true,
      "sql-helper@skillyard": true,
    });
  });

  test("a revoked distribution token is replaced the next time settings are generated", async () => {
    const before = (await settings(admin, { team: "web" })).env.OTEL_EXPORTER_OTLP_HEADERS;
    const secret = before.replace(/^Authorization=Bearer /, "");
    const { apiTokens, distributionCredentials } = server.runtime.services;
    const ingest = (await apiTokens.authenticate(`Bearer ${secret}`, parseIp("127.0.0.1")))!.viewer;
    assert.deepEqual([...ingest.scopes], ["INGEST"]);
    assert.equal(await distributionCredentials.ingestTeam(ingest.tokenId!), "web");
    await server.runtime.dataSource.query(`UPDATE api_token SET revoked_at = now() WHERE prefix = $1`, [secret.slice(0, 10)]);
    const after = (await settings(admin, { team: "web" })).env.OTEL_EXPORTER_OTLP_HEADERS;
    assert.notEqual(after, before);
    // Distribution tokens are rotated this way, never by an expiry: every machine holds them.
    assert.deepEqual(
      await server.runtime.dataSource.query(`SELECT origin, expires_at FROM api_token WHERE prefix = $1`, [
        after.replace(/^Authorization=Bearer /, "").slice(0, 10),
      ]),
      [{ origin: "DISTRIBUTION", expires_at: null }],
    );
  });
});
