import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Client, createClient } from "graphql-ws";
import { Pool } from "pg";
import WebSocket from "ws";
import { type RunningApp, startApp } from "../src/app";
import { parseCidr, parseIp } from "../src/common/cidr";
import { clientAddress } from "../src/common/client-address";
import { createLogger } from "../src/common/logger";
import { ApiTokenService } from "../src/identity/api-token.service";
import { TokenLastUsed } from "../src/identity/token-last-used";
import { TeamRole } from "../src/identity/membership.entity";
import { GlobalRole } from "../src/identity/user.entity";
import { makePackage, skillYaml } from "./support/seed";
import { PUBLISH, publishOk } from "./support/publish";
import { wsClient } from "./support/subscriptions";
import { type GraphQLResponse, startTestServer, type TestServer } from "./support/test-server";

const CREATE = `mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token apiToken { id name scopes expiresAt allowedCidrs lastUsedAt publishTeams { name } user { handle } } }
}`;

interface Created {
  token: string;
  apiToken: {
    id: string;
    name: string;
    scopes: string[];
    expiresAt: string | null;
    allowedCidrs: string[] | null;
    lastUsedAt: string | null;
    publishTeams: { name: string }[] | null;
    user: { handle: string };
  };
}

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions.code ?? "ok";
const DAY_MS = 86_400_000;

/** How a graphql-ws connection with this client's token goes: "connected", or its close code and reason. */
function connectionOutcome(client: Client): Promise<string> {
  return new Promise((resolve) => {
    client.on("connected", () => resolve("connected"));
    client.on("closed", (event) => {
      const { code, reason } = event as { code: number; reason: string };
      resolve(`${code} ${reason}`);
    });
    client.subscribe({ query: `subscription { testRunEvents(testRunId: "VGVzdFJ1bjox") { seq } }` }, { next: () => {}, error: () => {}, complete: () => {} });
  });
}

/** The outcome of connecting with `token` to the API at `url`. */
async function socketWith(url: string, token: string): Promise<string> {
  const client = wsClient(url, token);
  try {
    return await connectionOutcome(client);
  } finally {
    await client.dispose();
  }
}

describe("granular API tokens", () => {
  let server: TestServer;
  let admin: string;
  let member: string;
  let maintainer: string;

  const create = async (as: string, input: Record<string, unknown>) => server.gql<{ createApiToken: Created }>(CREATE, { input }, as);
  const created = async (as: string, input: Record<string, unknown>): Promise<Created> => {
    const res = await create(as, input);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.createApiToken;
  };
  const badArgument = (res: GraphQLResponse) => [res.errors?.[0]?.extensions.code, res.errors?.[0]?.extensions.argument];

  before(async () => {
    server = await startTestServer({ TOKEN_DEFAULT_TTL_DAYS: "90", TOKEN_MAX_TTL_DAYS: "365" });
    admin = (await server.seed.team("tok-admins").member("tok-admin", TeamRole.MAINTAINER, [GlobalRole.ADMIN])).token;
    const alpha = server.seed.team("alpha");
    member = (await alpha.member("tok-member")).token;
    maintainer = (await alpha.member("tok-maintainer", TeamRole.MAINTAINER)).token;
    // The maintainer maintains "beta" too, so a token can be limited to one of their two teams.
    const beta = await server.seed.team("beta").entity();
    await server.runtime.dataSource.query(
      `INSERT INTO membership (team_id, user_id, role) SELECT $1, id, 'MAINTAINER' FROM "user" WHERE handle = 'tok-maintainer'`,
      [beta.id],
    );
    await server.seed.serviceAccount("tok-ci");
  });
  after(() => server?.close());

  test("by default a token gets what its creator holds and its user's roles allow, and expires after TOKEN_DEFAULT_TTL_DAYS", async () => {
    const own = await created(member, { name: "laptop" });
    assert.deepEqual(own.apiToken.scopes, ["READ", "PUBLISH"]);
    assert.deepEqual(
      [own.apiToken.publishTeams, own.apiToken.allowedCidrs, own.apiToken.lastUsedAt, own.apiToken.user.handle],
      [null, null, null, "tok-member"],
    );
    const days = (Date.parse(own.apiToken.expiresAt!) - Date.now()) / DAY_MS;
    assert.ok(days > 89.9 && days <= 90, `${days} days`);
    assert.deepEqual((await created(admin, { name: "admin laptop" })).apiToken.scopes, ["READ", "PUBLISH", "REVIEW", "ADMIN"]);
    // For a service account, an admin's token gives what the account's (role-less) kind allows.
    assert.deepEqual((await created(admin, { name: "ci", user: "tok-ci" })).apiToken.scopes, ["READ", "PUBLISH"]);
    // A READ-only token makes READ-only tokens.
    const reader = await created(member, { name: "reader", scopes: ["READ"], expiresInDays: 365 });
    assert.deepEqual((await created(reader.token, { name: "reader's" })).apiToken.scopes, ["READ"]);
    // Audited with what it may do.
    const [entry] = (await server.runtime.dataSource.query(
      `SELECT after FROM audit_event WHERE action = 'TOKEN_CREATE' AND target_id = (SELECT id::text FROM api_token WHERE name = 'reader')`,
    )) as { after: Record<string, unknown> }[];
    assert.deepEqual([entry.after.scopes, entry.after.publishTeams, entry.after.allowedCidrs, entry.after.user], [["READ"], null, null, "tok-member"]);
  });

  test("a token never makes a stronger one, INGEST goes alone (admins make them), CATALOG_READ is Skillyard's; bad input names its argument", async () => {
    assert.deepEqual(badArgument(await create(member, { name: "x", scopes: ["REVIEW"] })), ["BAD_USER_INPUT", "scopes"], "roles do not allow REVIEW");
    const reader = await created(member, { name: "read only", scopes: ["READ"] });
    assert.deepEqual(badArgument(await create(reader.token, { name: "x", scopes: ["READ", "PUBLISH"] })), ["BAD_USER_INPUT", "scopes"], "not held");
    assert.deepEqual(badArgument(await create(member, { name: "x", scopes: ["INGEST"] })), ["BAD_USER_INPUT", "scopes"], "only admins make INGEST");
    assert.deepEqual(badArgument(await create(admin, { name: "x", scopes: ["INGEST", "READ"] })), ["BAD_USER_INPUT", "scopes"]);
    assert.deepEqual(badArgument(await create(admin, { name: "x", scopes: ["CATALOG_READ"] })), ["BAD_USER_INPUT", "scopes"]);
    assert.deepEqual(badArgument(await create(admin, { name: "x", scopes: [] })), ["BAD_USER_INPUT", "scopes"]);
    const ingest = await created(admin, { name: "pipeline", user: "tok-ci", scopes: ["INGEST"] });
    assert.deepEqual(ingest.apiToken.scopes, ["INGEST"]);
    assert.equal(codeOf(await server.gql(`{ viewer { handle } }`, {}, ingest.token)), "INSUFFICIENT_SCOPE");
    for (const days of [0, 366, -1]) {
      assert.deepEqual(badArgument(await create(member, { name: "x", expiresInDays: days })), ["BAD_USER_INPUT", "expiresInDays"], String(days));
    }
    assert.equal((await created(member, { name: "a year", expiresInDays: 365 })).apiToken.name, "a year");
    for (const cidr of ["10.1.0.0/8", "10.0.0.0/33", "localhost", "::ffff:127.0.0.0/104"]) {
      assert.deepEqual(badArgument(await create(member, { name: "x", allowedCidrs: [cidr] })), ["BAD_USER_INPUT", "allowedCidrs"], cidr);
    }
    assert.deepEqual(badArgument(await create(member, { name: "x", publishTeams: ["tok-admins"] })), ["BAD_USER_INPUT", "publishTeams"], "not a member");
    assert.deepEqual(badArgument(await create(member, { name: "x", publishTeams: ["nowhere"] })), ["BAD_USER_INPUT", "publishTeams"]);
    assert.deepEqual(badArgument(await create(member, { name: "x", scopes: ["READ"], publishTeams: ["alpha"] })), ["BAD_USER_INPUT", "publishTeams"]);
    // A token limited to some networks or teams passes the limit on, and cannot widen it.
    const fenced = await created(maintainer, { name: "fenced", allowedCidrs: ["127.0.0.0/8"], publishTeams: ["alpha"] });
    const inherited = await created(fenced.token, { name: "inherited" });
    assert.deepEqual([inherited.apiToken.allowedCidrs, inherited.apiToken.publishTeams], [["127.0.0.0/8"], [{ name: "alpha" }]]);
    assert.deepEqual((await created(fenced.token, { name: "narrower", allowedCidrs: ["127.0.0.1"] })).apiToken.allowedCidrs, ["127.0.0.1/32"]);
    assert.deepEqual(badArgument(await create(fenced.token, { name: "x", allowedCidrs: ["10.0.0.0/8"] })), ["BAD_USER_INPUT", "allowedCidrs"]);
    assert.deepEqual(badArgument(await create(fenced.token, { name: "x", publishTeams: ["beta"] })), ["BAD_USER_INPUT", "publishTeams"]);
  });

  test("an expired token is refused with TOKEN_EXPIRED everywhere; until then it works (the positive control)", async () => {
    const { token, apiToken } = await created(member, { name: "short-lived", expiresInDays: 1 });
    const id = Buffer.from(apiToken.id, "base64url").toString().split(":")[1];
    assert.equal(codeOf(await server.gql(`{ viewer { handle } }`, {}, token)), "ok");
    assert.equal(await socketWith(server.url, token), "connected");
    assert.equal((await server.upload(await makePackage({ "skill.yaml": skillYaml({ name: "expiry-probe", version: "1.0.0" }) }), token)).status, 201);
    await server.runtime.dataSource.query(`UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    const refused = await server.gql(`{ viewer { handle } }`, {}, token);
    assert.deepEqual([refused.status, codeOf(refused)], [401, "TOKEN_EXPIRED"]);
    const upload = await server.upload(Buffer.from("x"), token);
    assert.deepEqual([upload.status, (upload.body as { error: { code: string } }).error.code], [401, "TOKEN_EXPIRED"]);
    assert.equal(await socketWith(server.url, token), "4401 TOKEN_EXPIRED");
    // An open socket closes when its token expires.
    const { token: brief, apiToken: briefToken } = await created(member, { name: "brief", expiresInDays: 1 });
    const briefId = Buffer.from(briefToken.id, "base64url").toString().split(":")[1];
    await server.runtime.dataSource.query(`UPDATE api_token SET expires_at = now() + interval '2 seconds' WHERE id = $1`, [briefId]);
    // Not lazy: the connection stays open with no subscription, as a long one would keep it.
    const live = createClient({
      url: `${server.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${brief}` },
      retryAttempts: 0,
      lazy: false,
    });
    try {
      const connected = new Promise<void>((resolve) => live.on("connected", () => resolve()));
      const closed = new Promise<string>((resolve) =>
        live.on("closed", (event) => resolve(`${(event as { code: number }).code} ${(event as { reason: string }).reason}`)),
      );
      await connected;
      assert.equal(await closed, "4401 TOKEN_EXPIRED");
    } finally {
      await live.dispose();
    }
    // Revoked and unknown tokens stay UNAUTHENTICATED.
    assert.equal(codeOf(await server.gql(`{ viewer { handle } }`, {}, "sky_no-such-token")), "UNAUTHENTICATED");
  });

  describe("allowed networks, with loopback addresses only", () => {
    let ipv6: RunningApp;
    let mapped: RunningApp;
    let proxied: TestServer;
    const viewerAt = async (url: string, token: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
        body: JSON.stringify({ query: `{ viewer { handle } }` }),
      });
      const body = (await res.json()) as GraphQLResponse;
      return `${res.status} ${codeOf(body)}`;
    };
    const limitedTo = async (cidr: string) => (await created(member, { name: `from ${cidr}`, allowedCidrs: [cidr] })).token;

    before(async () => {
      // The same API on [::1], and on an IPv6 socket bound to 127.0.0.1 through its IPv4-mapped form (its peers are ::ffff:127.0.0.1).
      ipv6 = await startApp(server.runtime, { host: "::1", port: 0 });
      mapped = await startApp(server.runtime, { host: "::ffff:127.0.0.1", port: 0 });
      proxied = await startTestServer({ TRUSTED_PROXIES: "loopback" });
    });
    after(async () => {
      await ipv6?.close();
      await mapped?.close();
      await proxied?.close();
    });

    test("127.0.0.1/32 is allowed from 127.0.0.1, 127.0.0.2/32 is not: 403 IP_NOT_ALLOWED (HTTP, REST and WebSocket)", async () => {
      const allowed = await limitedTo("127.0.0.1/32");
      const elsewhere = await limitedTo("127.0.0.2/32");
      assert.equal(await viewerAt(server.url, allowed, {}), "200 ok");
      assert.equal(await viewerAt(server.url, elsewhere), "403 IP_NOT_ALLOWED");
      const upload = await server.upload(Buffer.from("x"), elsewhere);
      assert.deepEqual([upload.status, (upload.body as { error: { code: string } }).error.code], [403, "IP_NOT_ALLOWED"]);
      // Without trusted proxies, X-Forwarded-For is nobody's word: it cannot move a request into the range.
      assert.equal(await viewerAt(server.url, elsewhere, { "x-forwarded-for": "127.0.0.2" }), "403 IP_NOT_ALLOWED");
      // WebSocket: the upgrade request's address decides.
      assert.equal(await socketWith(server.url, elsewhere), "4403 IP_NOT_ALLOWED");
      assert.equal(await socketWith(server.url, allowed), "connected");
      assert.equal(await socketWith(ipv6.url, allowed), "4403 IP_NOT_ALLOWED");
    });

    test("::1/128 is allowed from [::1] and not from 127.0.0.1; an IPv4-mapped peer is its IPv4 address", async () => {
      const v6 = await limitedTo("::1/128");
      assert.equal(await viewerAt(ipv6.url, v6), "200 ok");
      assert.equal(await viewerAt(server.url, v6), "403 IP_NOT_ALLOWED");
      const v4 = await limitedTo("127.0.0.1/32");
      assert.equal(await viewerAt(ipv6.url, v4), "403 IP_NOT_ALLOWED");
      const mappedUrl = mapped.url.replace("[::ffff:127.0.0.1]", "127.0.0.1");
      assert.equal(await viewerAt(mappedUrl, v4), "200 ok", "::ffff:127.0.0.1 is 127.0.0.1");
      assert.equal(await viewerAt(mappedUrl, await limitedTo("127.0.0.2/32")), "403 IP_NOT_ALLOWED");
    });

    test("behind a trusted proxy (TRUSTED_PROXIES) the forwarded address counts, IPv4-mapped forms included", async () => {
      const proxiedMember = (await proxied.seed.team("proxied").member("proxied-member")).token;
      const viaProxy = async (cidr: string, forwardedFor: string) => {
        const res = await proxied.gql<{ createApiToken: Created }>(CREATE, { input: { name: cidr, allowedCidrs: [cidr] } }, proxiedMember);
        return viewerAt(proxied.url, res.data!.createApiToken.token, { "x-forwarded-for": forwardedFor });
      };
      assert.equal(await viaProxy("127.0.0.2/32", "127.0.0.2"), "200 ok");
      assert.equal(await viaProxy("127.0.0.1/32", "::ffff:127.0.0.1"), "200 ok");
      assert.equal(await viaProxy("127.0.0.1/32", "127.0.0.2"), "403 IP_NOT_ALLOWED");
      // Hops are walked from the right while they are trusted proxies: here 127.0.0.2 is one (loopback), 192.0.2.1 the client.
      assert.equal(await viaProxy("127.0.0.2/32", "192.0.2.1, 127.0.0.2"), "403 IP_NOT_ALLOWED");
      const clientOf = (peer: string, forwardedFor: string, trusted: string) =>
        clientAddress({ socket: { remoteAddress: peer }, headers: { "x-forwarded-for": forwardedFor } } as never, [parseCidr(trusted, { strict: false })!]);
      assert.deepEqual(clientOf("10.0.0.9", "192.0.2.1, 10.0.0.5", "10.0.0.0/8"), parseIp("192.0.2.1"));
      assert.deepEqual(clientOf("10.0.0.9", "192.0.2.1, 10.0.0.5", "127.0.0.1"), parseIp("10.0.0.9"), "an untrusted peer's header is ignored");
      assert.deepEqual(
        clientOf("10.0.0.9", "not an address, 10.0.0.5", "10.0.0.0/8"),
        parseIp("10.0.0.5"),
        "nothing past a hop that is no address is believed",
      );
    });
  });

  test("PUBLISH limited to named teams: publishing, yank, channels, required skills, re-runs and membership only for those", async () => {
    const alphaOnly = (await created(maintainer, { name: "alpha CI", publishTeams: ["alpha"] })).token;
    const everywhere = maintainer;
    const publishFor = async (token: string, name: string, team: string) => {
      const upload = await server.upload(await makePackage({ "skill.yaml": skillYaml({ name, version: "1.0.0" }) }), everywhere);
      return server.gql<{ publishSkillVersion: { version: { id: string } } }>(PUBLISH, { input: { packageSha256: upload.body.sha256, team } }, token);
    };
    assert.equal(codeOf(await publishFor(alphaOnly, "alpha-tool", "alpha")), "ok");
    assert.equal(codeOf(await publishFor(alphaOnly, "beta-tool", "beta")), "INSUFFICIENT_SCOPE");
    const betaVersion = (await publishFor(everywhere, "beta-tool", "beta")).data!.publishSkillVersion.version.id;
    // A new version of beta's skill, through the same limited token: refused too.
    const again = await server.upload(await makePackage({ "skill.yaml": skillYaml({ name: "beta-tool", version: "1.1.0" }) }), everywhere);
    assert.equal(codeOf(await server.gql(PUBLISH, { input: { packageSha256: again.body.sha256 } }, alphaOnly)), "INSUFFICIENT_SCOPE");
    const alphaVersion = (await publishOk(server, everywhere, { "skill.yaml": skillYaml({ name: "alpha-tool", version: "1.1.0" }) })).version.id;

    const both = async (query: string, variables: (team: "alpha" | "beta") => Record<string, unknown>) => [
      codeOf(await server.gql(query, variables("alpha"), alphaOnly)),
      codeOf(await server.gql(query, variables("beta"), alphaOnly)),
    ];
    const skillOf = (team: "alpha" | "beta") => (team === "alpha" ? "alpha-tool" : "beta-tool");
    const versionOf = (team: "alpha" | "beta") => (team === "alpha" ? alphaVersion : betaVersion);
    assert.deepEqual(
      await both(`mutation($s: String!) { setChannel(input: { skill: $s, channel: "stable", version: "1.0.0" }) { channel { name } } }`, (t) => ({
        s: skillOf(t),
      })),
      ["ok", "INSUFFICIENT_SCOPE"],
    );
    assert.deepEqual(
      await both(`mutation($s: String!, $t: String!) { setRequiredSkill(input: { skill: $s, team: $t, required: true }) { required } }`, (t) => ({
        s: skillOf(t),
        t,
      })),
      ["ok", "INSUFFICIENT_SCOPE"],
    );
    assert.equal(
      codeOf(await server.gql(`mutation { setRequiredSkill(input: { skill: "alpha-tool", required: true }) { required } }`, {}, admin)),
      "ok",
      "positive control: an unlimited admin token decides for the organisation",
    );
    // Re-running: members get past the scope to "not waiting for tests" (BAD_USER_INPUT), or are stopped by it.
    assert.deepEqual(await both(`mutation($id: ID!) { rerunTests(versionId: $id) { status } }`, (t) => ({ id: versionOf(t) })), [
      "BAD_USER_INPUT",
      "INSUFFICIENT_SCOPE",
    ]);
    assert.deepEqual(await both(`mutation($t: String!) { addTeamMember(input: { team: $t, user: "tok-ci", role: MEMBER }) { role } }`, (t) => ({ t })), [
      "ok",
      "INSUFFICIENT_SCOPE",
    ]);
    assert.deepEqual(await both(`mutation($id: ID!) { yankVersion(input: { versionId: $id, reason: "limited" }) { status } }`, (t) => ({ id: versionOf(t) })), [
      "ok",
      "INSUFFICIENT_SCOPE",
    ]);
    // Positive control: the same maintainer's unlimited token does it for beta.
    assert.equal(
      codeOf(
        await server.gql(`mutation($id: ID!) { yankVersion(input: { versionId: $id, reason: "unlimited" }) { status } }`, { id: betaVersion }, everywhere),
      ),
      "ok",
    );
  });

  test("lastUsedAt is written off the request path, at most once a minute per token", async () => {
    const { token, apiToken } = await created(member, { name: "used" });
    const id = Buffer.from(apiToken.id, "base64url").toString().split(":")[1];
    const stored = async () =>
      ((await server.runtime.dataSource.query(`SELECT last_used_at FROM api_token WHERE id = $1`, [id])) as { last_used_at: Date | null }[])[0].last_used_at;
    // The service with a writer whose timer never runs, so only the flushes below write.
    const writer = new TokenLastUsed(new Pool({ connectionString: server.databaseUrl, max: 1 }), createLogger("silent"));
    const tokens = new ApiTokenService(server.runtime.dataSource, writer);
    try {
      server.queries.reset();
      assert.ok(await tokens.authenticate(`Bearer ${token}`, parseIp("127.0.0.1")));
      assert.equal(server.queries.count, 1, `one statement authenticates:\n${server.queries.statements.join("\n")}`);
      assert.equal(await stored(), null, "nothing is written while the request runs");
      assert.equal(await writer.flush(), 1);
      const first = await stored();
      assert.ok(first && Date.now() - first.getTime() < 60_000, String(first));
      for (let i = 0; i < 3; i++) await tokens.authenticate(`Bearer ${token}`, parseIp("127.0.0.1"));
      assert.equal(await writer.flush(), 0, "used again within the minute: nothing to write");
      assert.deepEqual(await stored(), first);
    } finally {
      await writer.stop();
    }
    // Through the API: the running server's writer records uses of its requests too.
    await server.gql(`{ viewer { handle } }`, {}, admin);
    await server.runtime.services.tokenLastUsed.flush();
    const listed = await server.gql<{ viewer: { apiTokens: { edges: { node: { name: string; lastUsedAt: string | null } }[] } } }>(
      `{ viewer { apiTokens(first: 100) { edges { node { name lastUsedAt } } } } }`,
      {},
      admin,
    );
    assert.ok(listed.data!.viewer.apiTokens.edges.some((e) => e.node.name === "tests" && e.node.lastUsedAt !== null));
  });

  test("expiringApiTokens: admins see every user's, others their own; soonest first, within the days asked", async () => {
    const soon = await created(member, { name: "soon", expiresInDays: 3 });
    await created(maintainer, { name: "maintainer soon", expiresInDays: 5 });
    await created(member, { name: "later", expiresInDays: 30 });
    const list = async (as: string, days: number) =>
      (
        await server.gql<{ expiringApiTokens: { edges: { node: { name: string; user: { handle: string } } }[] } }>(
          `query($d: Int!) { expiringApiTokens(withinDays: $d, first: 100) { edges { node { name user { handle } } } } }`,
          { d: days },
          as,
        )
      ).data!.expiringApiTokens.edges.map((e) => `${e.node.user.handle}/${e.node.name}`);
    assert.deepEqual((await list(admin, 14)).slice(0, 2), ["tok-member/soon", "tok-maintainer/maintainer soon"]);
    assert.ok(!(await list(member, 14)).some((t) => t.startsWith("tok-maintainer/")), "a member sees only their own");
    assert.ok((await list(member, 14)).includes("tok-member/soon"));
    assert.ok(!(await list(member, 14)).includes("tok-member/later"));
    assert.ok((await list(member, 31)).includes("tok-member/later"));
    assert.equal(codeOf(await server.gql(`{ expiringApiTokens(withinDays: 0) { totalCount } }`, {}, member)), "BAD_USER_INPUT");
    // A revoked token is not expiring: it is gone.
    await server.gql(`mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, { id: soon.apiToken.id }, member);
    assert.ok(!(await list(member, 14)).includes("tok-member/soon"));
  });
});
