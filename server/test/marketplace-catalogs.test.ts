import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TeamRole } from "../src/identity/membership.entity";
import { GlobalRole } from "../src/identity/user.entity";
import type { MarketplaceCatalog } from "../src/distribution/catalog-format";
import { skillYaml } from "./support/seed";
import { publishOk, uploadAndPublish } from "./support/publish";
import { startTestServer, type GraphQLResponse, type TestServer } from "./support/test-server";

const SET_CHANNEL = `mutation S($input: SetChannelInput!) { setChannel(input: $input) { channel { name } previousVersion { version } } }`;
const YANK = `mutation Y($input: YankVersionInput!) { yankVersion(input: $input) { status } }`;
const DEPRECATE = `mutation D($input: DeprecateVersionInput!) { deprecateVersion(input: $input) { status } }`;
const AUDIT = `query A($skill: String, $action: AuditAction) { auditLog(skill: $skill, action: $action) { edges { node { after actor { id } } } } }`;
const MARKETPLACES = `{ marketplaces { channel name url addCommand } }`;

function ok<T>(res: GraphQLResponse<T>): T {
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

describe("marketplace catalogs", () => {
  let server: TestServer;
  let maintainer: string;
  let admin: string;
  const versionIds = new Map<string, string>();

  const publish = async (name: string, version: string, fields: Record<string, unknown> = {}) => {
    const published = await publishOk(server, maintainer, { "skill.yaml": skillYaml({ name, version, ...fields }) });
    assert.equal(published.version.status, "PUBLISHED");
    versionIds.set(`${name}@${version}`, published.version.id);
  };
  const catalog = async (query = "", headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}/marketplace.json${query}`, { headers });
    return { res, body: res.status === 200 ? ((await res.json()) as MarketplaceCatalog) : null };
  };
  const entries = async (query = "") => {
    const { body } = await catalog(query);
    return Object.fromEntries(body!.plugins.filter((p) => p.name !== "skillyard-policy").map((p) => [p.name, p]));
  };
  const setChannel = (skill: string, channel: string, version: string, reason?: string) =>
    server.gql(SET_CHANNEL, { input: { skill, channel, version, reason } }, maintainer);

  before(async () => {
    server = await startTestServer({ PUBLIC_URL: "https://skills.corp.test" });
    maintainer = (await server.seed.team("catalog-team").member("cat-maintainer", TeamRole.MAINTAINER)).token;
    admin = (await server.seed.user("cat-admin", [GlobalRole.ADMIN])).token;
    await publish("lib-a", "1.0.0");
    await publish("lib-a", "2.0.0");
    await publish("app-x", "1.0.0", { dependencies: { "lib-a": "^1.0.0" }, tags: ["data", "etl"], category: "data" });
    await publish("app-x", "1.1.0", { dependencies: { "lib-a": "^1.0.0" } });
  });
  after(() => server.close());

  test("the base catalog lists each skill's latest installable version, pinned by digest, with its dependencies", async () => {
    const { res, body } = await catalog();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "public, no-cache");
    assert.ok(res.headers.get("etag"));
    assert.equal(body!.name, "skillyard");
    assert.deepEqual(body!.owner, { name: "Skillyard" });
    const policy = body!.plugins[0];
    assert.equal(policy.name, "skillyard-policy");
    assert.equal(policy.version, "1.0.0");
    const plugins = await entries();
    // app-x@1.1.0 needs lib-a ^1 but lib-a's latest is 2.0.0: one version per plugin name, so app-x cannot be listed.
    assert.deepEqual(Object.keys(plugins), ["lib-a"]);
    assert.equal(plugins["lib-a"].version, "2.0.0");
    assert.equal(plugins["lib-a"].source.source, "archive");
    assert.match(plugins["lib-a"].source.url, /^https:\/\/skills\.corp\.test\/plugins\/[0-9a-f]{64}\.zip$/);
    assert.equal(plugins["lib-a"].source.url, `https://skills.corp.test/plugins/${plugins["lib-a"].source.sha256}.zip`);
  });

  test("a channel's catalog is its own marketplace, closes over dependencies, and a rollback moves its digest back with who and why audited", async () => {
    ok(await setChannel("app-x", "stable", "1.0.0"));
    const first = await entries("?channel=stable");
    const { body } = await catalog("?channel=stable");
    assert.equal(body!.name, "skillyard-stable");
    assert.deepEqual(Object.keys(first), ["app-x", "lib-a"]);
    assert.deepEqual(first["app-x"].dependencies, ["lib-a"]);
    // lib-a is not on stable itself: it is listed at the highest version app-x's range accepts.
    assert.equal(first["lib-a"].version, "1.0.0");
    assert.deepEqual(first["app-x"].tags, ["data", "etl"]);
    assert.equal(first["app-x"].category, "data");
    assert.deepEqual(first["app-x"].author, { name: "tests" });

    ok(await setChannel("app-x", "stable", "1.1.0", "promote after soak"));
    const moved = await entries("?channel=stable");
    assert.equal(moved["app-x"].version, "1.1.0");
    assert.notEqual(moved["app-x"].source.sha256, first["app-x"].source.sha256);

    ok(await setChannel("app-x", "stable", "1.0.0", "INC-42: 1.1.0 corrupts output"));
    const back = await entries("?channel=stable");
    assert.deepEqual(back["app-x"], first["app-x"], "a rollback lists exactly the old entry, digest included");

    const moves = ok(
      await server.gql<{ auditLog: { edges: { node: { after: Record<string, unknown>; actor: { id: string } | null } }[] } }>(
        AUDIT,
        { skill: "app-x", action: "CHANNEL_MOVE" },
        admin,
      ),
    ).auditLog.edges.map((e) => e.node);
    assert.equal(moves[0].after.reason, "INC-42: 1.1.0 corrupts output");
    assert.equal(moves[0].after.rollback, true);
    assert.ok(moves[0].actor);
    assert.equal(moves[1].after.reason, "promote after soak");
    assert.equal(moves[1].after.rollback, false);
  });

  test("ETag and If-None-Match answer 304 until the catalog changes", async () => {
    const first = await catalog("?channel=stable");
    const etag = first.res.headers.get("etag")!;
    const again = await fetch(`${server.url}/marketplace.json?channel=stable`, { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), "");
    await publish("lib-a", "1.5.0");
    const changed = await fetch(`${server.url}/marketplace.json?channel=stable`, { headers: { "if-none-match": etag } });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get("etag"), etag);
    assert.equal(((await changed.json()) as MarketplaceCatalog).plugins.find((p) => p.name === "lib-a")?.version, "1.5.0");
  });

  test("pending versions are never listed, deprecated ones say so, and a yank drops a version from every catalog at once", async () => {
    const pending = await uploadAndPublish(server, maintainer, { "skill.yaml": skillYaml({ name: "risky", version: "1.0.0", permissions: ["shell:exec"] }) });
    assert.equal(pending.data?.publishSkillVersion.version.status, "AWAITING_REVIEW");
    assert.equal((await entries()).risky, undefined);

    await publish("old-tool", "1.0.0");
    ok(await server.gql(DEPRECATE, { input: { versionId: versionIds.get("old-tool@1.0.0"), message: "Superseded.", replacement: "lib-a" } }, maintainer));
    assert.equal((await entries())["old-tool"].description, "DEPRECATED: Superseded. Use lib-a instead. | The old-tool skill.");

    ok(await setChannel("lib-a", "stable", "1.5.0"));
    assert.equal((await entries("?channel=stable"))["lib-a"].version, "1.5.0");
    ok(await server.gql(YANK, { input: { versionId: versionIds.get("lib-a@1.5.0"), reason: "broken" } }, maintainer));
    const base = await entries();
    const stable = await entries("?channel=stable");
    // latest falls back to 2.0.0; on stable, lib-a's pin is yanked, so app-x's dependency resolves to 1.0.0.
    assert.equal(base["lib-a"].version, "2.0.0");
    assert.equal(stable["lib-a"].version, "1.0.0");
    for (const plugins of [base, stable]) assert.ok(Object.values(plugins).every((p) => p.version !== "1.5.0" || p.name !== "lib-a"));
  });

  test("a catalog fetched while a version is yanked is one snapshot: a dependant is listed only with its dependency", async () => {
    await publish("dep-only", "1.0.0");
    await publish("needs-dep", "1.0.0", { dependencies: { "dep-only": "1.0.0" } });
    ok(await setChannel("needs-dep", "race", "1.0.0"));
    const fetches = Array.from({ length: 30 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 3));
      return entries("?channel=race");
    });
    const yank = server.gql(YANK, { input: { versionId: versionIds.get("dep-only@1.0.0"), reason: "race" } }, maintainer);
    const seen = await Promise.all(fetches);
    ok(await yank);
    for (const plugins of seen) {
      assert.equal(Boolean(plugins["needs-dep"]), Boolean(plugins["dep-only"]), JSON.stringify(Object.keys(plugins)));
    }
    assert.deepEqual(await entries("?channel=race"), {}, "after the yank neither is listed");
  });

  test("channel names are checked, an unused channel is an empty marketplace, and the console lists every marketplace", async () => {
    const bad = await catalog("?channel=Not%20A%20Channel");
    assert.equal(bad.res.status, 400);
    assert.equal(((await bad.res.json()) as { error: { code: string } }).error.code, "BAD_USER_INPUT");
    assert.equal((await catalog("?channel=a&channel=b")).res.status, 400);
    const empty = await catalog("?channel=nightly");
    assert.equal(empty.body!.name, "skillyard-nightly");
    assert.deepEqual(
      empty.body!.plugins.map((p) => p.name),
      ["skillyard-policy"],
    );
    assert.equal((await catalog("?channel=latest")).body!.name, "skillyard");

    const { marketplaces } = ok(await server.gql<{ marketplaces: { channel: string | null; name: string; url: string; addCommand: string }[] }>(MARKETPLACES));
    assert.deepEqual(marketplaces[0], {
      channel: null,
      name: "skillyard",
      url: "https://skills.corp.test/marketplace.json",
      addCommand: "claude plugin marketplace add 'https://skills.corp.test/marketplace.json'",
    });
    assert.deepEqual(
      marketplaces.map((m) => m.name),
      ["skillyard", "skillyard-race", "skillyard-stable"],
      "channels that point at an installable version; nightly points at none",
    );
  });
});

describe("catalogs on a deployment that requires a token for every read", () => {
  let server: TestServer;
  let admin: string;
  let readToken: string;
  let ingestToken: string;

  before(async () => {
    server = await startTestServer({ PUBLIC_URL: "https://skills.corp.test", REQUIRE_AUTH_FOR_READ: "true" });
    const maintainer = (await server.seed.team("locked").member("locked-maintainer", TeamRole.MAINTAINER)).token;
    admin = (await server.seed.user("locked-admin", [GlobalRole.ADMIN])).token;
    await publishOk(server, maintainer, { "skill.yaml": skillYaml({ name: "private-skill", version: "1.0.0" }) });
    const settings = ok(
      await server.gql<{
        managedSettings: { extraKnownMarketplaces: Record<string, { source: { headers?: Record<string, string> } }>; env: Record<string, string> };
      }>(`{ managedSettings(team: "locked") }`, {}, admin),
    ).managedSettings;
    readToken = settings.extraKnownMarketplaces.skillyard.source.headers!.Authorization.replace(/^Bearer /, "");
    ingestToken = settings.env.OTEL_EXPORTER_OTLP_HEADERS.replace(/^Authorization=Bearer /, "");
  });
  after(() => server.close());

  const get = (p: string, token?: string) => fetch(`${server.url}${p}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  test("anonymous reads are refused everywhere: catalogs, plugins, packages and GraphQL", async () => {
    const catalog = await get("/marketplace.json");
    assert.equal(catalog.status, 401);
    assert.equal(((await catalog.json()) as { error: { code: string } }).error.code, "UNAUTHENTICATED");
    const withRead = (await (await get("/marketplace.json", readToken)).json()) as MarketplaceCatalog;
    const plugin = withRead.plugins.find((p) => p.name === "private-skill")!;
    assert.equal((await get(new URL(plugin.source.url).pathname)).status, 401);
    const search = await server.gql(`{ skills(query: "private") { totalCount } }`);
    assert.equal(search.errors?.[0]?.extensions.code, "UNAUTHENTICATED");
    const pkg = await server.gql<{ skill: { latestVersion: { packageSha256: string } } }>(
      `{ skill(name: "private-skill") { latestVersion { packageSha256 } } }`,
      {},
      admin,
    );
    const sha = ok(pkg).skill.latestVersion.packageSha256;
    assert.equal((await get(`/packages/${sha}.tgz`)).status, 401);
    assert.equal((await get(`/packages/${sha}.tgz`, admin)).status, 200, "positive control: a FULL token downloads");
  });

  test("the catalog-read token reads catalogs and plugin archives and nothing else; the ingest token reads nothing", async () => {
    const catalog = await get("/marketplace.json", readToken);
    assert.equal(catalog.status, 200);
    assert.equal(catalog.headers.get("cache-control"), "private, no-cache");
    const body = (await catalog.json()) as MarketplaceCatalog;
    const plugin = body.plugins.find((p) => p.name === "private-skill")!;
    assert.equal((await get(new URL(plugin.source.url).pathname, readToken)).status, 200);

    const gql = await server.gql(`{ viewer { handle } }`, {}, readToken);
    assert.equal(gql.errors?.[0]?.extensions.code, "INSUFFICIENT_SCOPE");
    const settings = await get(`/managed-settings.json?team=locked`, readToken);
    assert.deepEqual([settings.status, ((await settings.json()) as { error: { code: string } }).error.code], [403, "INSUFFICIENT_SCOPE"]);
    for (const p of ["/marketplace.json", new URL(plugin.source.url).pathname]) assert.equal((await get(p, ingestToken)).status, 403, p);
    const ingestGql = await server.gql(`{ viewer { handle } }`, {}, ingestToken);
    assert.equal(ingestGql.errors?.[0]?.extensions.code, "INSUFFICIENT_SCOPE");
  });
});
