import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Client } from "graphql-ws";
import { freePort } from "../src/db/free-port";
import { TeamRole } from "../src/identity/membership.entity";
import { GlobalRole } from "../src/identity/user.entity";
import { Browser } from "./support/browser";
import { TestOidcProvider } from "./support/oidc-provider";
import { publishOk, testRunIdOf } from "./support/publish";
import { pythonSkill } from "./support/skills";
import { cookieGql, sessionWsClient, signIn, startSignIn } from "./support/sso";
import { startTestServer, type GraphQLResponse, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";

const SCIM_TOKEN = "scim-test-token-0123456789abcdefghij";
const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions.code;
const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`, "utf8").toString("base64url");

interface ScimAnswer {
  status: number;
  contentType: string | null;
  body: Record<string, unknown> & { id?: string; active?: boolean; totalResults?: number; Resources?: Record<string, unknown>[] };
}

/** SCIM 2.0 against a real server, with a real OpenID provider for the sessions that deactivation must end. */
describe("SCIM 2.0 provisioning", () => {
  let server: TestServer;
  let provider: TestOidcProvider;
  let url: string;
  let admin: string;
  const clients: Client[] = [];

  const scim = async (method: string, path: string, body?: unknown, token: string | null = SCIM_TOKEN): Promise<ScimAnswer> => {
    const res = await fetch(`${url}/scim/v2${path}`, {
      method,
      headers: { "content-type": "application/scim+json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get("content-type"), body: text ? (JSON.parse(text) as ScimAnswer["body"]) : {} };
  };
  const userResource = (userName: string, extra: Record<string, unknown> = {}) => ({
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName,
    name: { givenName: userName.split("@")[0], familyName: "Pushed" },
    emails: [{ value: userName, type: "work", primary: true }],
    active: true,
    ...extra,
  });
  const patch = (...Operations: unknown[]) => ({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations });
  const teamsOf = async (handle: string) =>
    (await server.runtime.dataSource.query(
      `SELECT t.name, m.role, m.source FROM membership m JOIN team t ON t.id = m.team_id JOIN "user" u ON u.id = m.user_id WHERE u.handle = $1 ORDER BY t.name`,
      [handle],
    )) as { name: string; role: string; source: string }[];

  before(
    async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      provider = await TestOidcProvider.start({ relyingParty: url });
      server = await startTestServer({ ...provider.env(), SCIM_TOKEN }, { port, sessionSweepMs: 200 });
      admin = (await server.seed.team("admins").member("scim-admin", TeamRole.MEMBER, [GlobalRole.ADMIN])).token;
      await server.seed.team("data").entity();
      for (const input of [
        { group: "scim-data", team: "data", teamRole: "MEMBER" },
        { group: "scim-reviewers", role: "REVIEWER" },
      ]) {
        assert.equal(
          (await server.gql(`mutation($input: SetGroupMappingInput!) { setGroupMapping(input: $input) { id } }`, { input }, admin)).errors,
          undefined,
        );
      }
    },
    { timeout: 60_000 },
  );
  after(async () => {
    for (const c of clients) await c.dispose();
    await server?.close();
    await provider?.close();
  });

  test("every request needs Bearer SCIM_TOKEN; errors are RFC 7644 bodies in application/scim+json", async () => {
    for (const token of [null, "wrong-token", `${SCIM_TOKEN}x`]) {
      const refused = await scim("GET", "/Users", undefined, token);
      assert.equal(refused.status, 401);
      assert.match(refused.contentType ?? "", /^application\/scim\+json/);
      assert.deepEqual(refused.body, {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
        status: "401",
        detail: "SCIM requests need Authorization: Bearer <SCIM_TOKEN>.",
      });
    }
    const config = await scim("GET", "/ServiceProviderConfig");
    assert.equal(config.status, 200);
    assert.match(config.contentType ?? "", /^application\/scim\+json/);
    assert.deepEqual(config.body.patch, { supported: true });
    const missing = await scim("GET", "/Users/00000000-0000-4000-8000-000000000000");
    assert.deepEqual([missing.status, missing.body.status, missing.body.schemas], [404, "404", ["urn:ietf:params:scim:api:messages:2.0:Error"]]);
  });

  test("Users: create, uniqueness, filter by userName (existing people found by email), paging, replace and patch", async () => {
    const created = await scim("POST", "/Users", userResource("nina@corp.test", { externalId: "okta-nina" }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(
      { userName: created.body.userName, active: created.body.active, displayName: created.body.displayName, externalId: created.body.externalId },
      { userName: "nina@corp.test", active: true, displayName: "nina Pushed", externalId: "okta-nina" },
    );
    const duplicate = await scim("POST", "/Users", userResource("NINA@corp.test"));
    assert.deepEqual([duplicate.status, duplicate.body.scimType], [409, "uniqueness"]);

    const found = await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "Nina@Corp.test"')}`);
    assert.deepEqual([found.body.totalResults, found.body.Resources?.[0]?.id], [1, created.body.id]);
    assert.deepEqual(found.body.schemas, ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]);
    assert.equal((await scim("GET", `/Users?filter=${encodeURIComponent('externalId eq "okta-nina"')}`)).body.totalResults, 1);
    assert.equal((await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "nobody@corp.test"')}`)).body.totalResults, 0);
    const badFilter = await scim("GET", `/Users?filter=${encodeURIComponent('userName co "nina"')}`);
    assert.deepEqual([badFilter.status, badFilter.body.scimType], [400, "invalidFilter"]);
    // A person Skillyard already has (no SCIM userName yet) is found by email, so the client links instead of duplicating.
    const local = await server.seed.user("olga");
    const byEmail = await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "olga@example.test"')}`);
    assert.equal(byEmail.body.Resources?.[0]?.id, local.user.id);
    // Service accounts are not the directory's.
    const bot = await server.seed.serviceAccount("scim-bot");
    assert.equal((await scim("GET", `/Users/${bot.id}`)).status, 404);

    const page = await scim("GET", "/Users?startIndex=2&count=1");
    assert.deepEqual([page.body.startIndex, page.body.itemsPerPage, (page.body.Resources ?? []).length], [2, 1, 1]);
    assert.ok((page.body.totalResults ?? 0) >= 3);

    const replaced = await scim("PUT", `/Users/${created.body.id}`, userResource("nina@corp.test", { name: { formatted: "Nina Nakamura" } }));
    assert.equal(replaced.body.displayName, "Nina Nakamura");
    const patched = await scim(
      "PATCH",
      `/Users/${created.body.id}`,
      patch({ op: "replace", path: "name.familyName", value: "Novak" }, { op: "add", path: "title", value: "ignored" }),
    );
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.displayName, "Nina Novak");
    const badOp = await scim("PATCH", `/Users/${created.body.id}`, patch({ op: "move", path: "active" }));
    assert.equal(badOp.status, 400);
  });

  test("deactivation (PATCH active false) revokes the person's sessions and tokens at once and closes their sockets; sign-in is then refused", async () => {
    const created = await scim("POST", "/Users", userResource("pete@corp.test"));
    provider.setAccount({ sub: "pete-sub", email: "pete@corp.test", name: "Pete", groups: [] });
    const pete = await signIn(url, provider, "pete-sub");
    assert.equal(pete.session.user.id, globalId("User", created.body.id!), "the SCIM user is linked at their first sign-in");
    const token = await cookieGql<{ createApiToken: { token: string } }>(
      url,
      pete.cookie,
      pete.csrfToken,
      `mutation { createApiToken(input: { name: "pete's ci" }) { token } }`,
    );
    const secret = token.data!.createApiToken.token;
    assert.equal((await server.gql<{ viewer: { handle: string } }>(`{ viewer { handle } }`, {}, secret)).data?.viewer.handle, "pete");
    const teamToken = (await server.seed.team("pete-team").member("pete-author", TeamRole.MAINTAINER)).token;
    await server.gql(`mutation { addTeamMember(input: { team: "pete-team", user: "pete", role: MEMBER }) { role } }`, {}, teamToken);
    const published = await publishOk(server, teamToken, pythonSkill("scim-open", "1.0.0"));
    let closedWith = 0;
    const ws = sessionWsClient(url, pete.cookie, pete.csrfToken, (code) => (closedWith = code));
    clients.push(ws);
    const received: unknown[] = [];
    ws.subscribe(
      {
        query: `subscription($id: ID!) { testRunEvents(testRunId: $id) { seq } }`,
        variables: { id: globalId("TestRun", await testRunIdOf(server, published.version.packageSha256)) },
      },
      { next: (m) => void received.push(m), error: () => undefined, complete: () => undefined },
    );
    await waitFor(async () => received.length > 0, "pete's socket to stream", 10_000);

    const deactivated = await scim("PATCH", `/Users/${created.body.id}`, patch({ op: "replace", value: { active: false } }));
    assert.equal(deactivated.body.active, false, JSON.stringify(deactivated.body));
    assert.equal((await pete.browser.request(`${url}/auth/session`)).status, 401);
    assert.equal(codeOf(await server.gql(`{ viewer { handle } }`, {}, secret)), "UNAUTHENTICATED");
    await waitFor(async () => closedWith === 4401, "pete's socket to close", 5_000);
    const again = new Browser();
    const start = await startSignIn(again, url);
    const back = await provider.authorize(again, start.location!, "pete-sub");
    assert.equal((await again.request(back.location!)).location, `${url}/admin/?signInError=ACCOUNT_DISABLED`);
    const audit = await server.gql<{ auditLog: { edges: { node: { action: string; after: Record<string, unknown> } }[] } }>(
      `{ auditLog(first: 5, action: USER_DEACTIVATE) { edges { node { action after } } } }`,
      {},
      admin,
    );
    assert.deepEqual(
      { ...audit.data!.auditLog.edges[0].node.after, deactivatedAt: "…" },
      { handle: "pete", deactivatedAt: "…", sessionsRevoked: 1, tokensRevoked: 1 },
    );

    // Reactivated, the person signs in again; the tokens revoked stay revoked.
    const reactivated = await scim("PATCH", `/Users/${created.body.id}`, patch({ op: "Replace", path: "active", value: "True" }));
    assert.equal(reactivated.body.active, true);
    assert.equal((await signIn(url, provider, "pete-sub")).session.user.handle, "pete");
    assert.equal(codeOf(await server.gql(`{ viewer { handle } }`, {}, secret)), "UNAUTHENTICATED");
  });

  test('the path form (Entra ID\'s `"path": "active", "value": "False"`) and DELETE deactivate too', async () => {
    const quinn = (await server.seed.user("quinn")).token;
    const listed = await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "quinn@example.test"')}`);
    const id = listed.body.Resources![0].id as string;
    const off = await scim("PATCH", `/Users/${id}`, patch({ op: "Replace", path: "active", value: "False" }));
    assert.equal(off.body.active, false);
    assert.equal(codeOf(await server.gql(`{ viewer { handle } }`, {}, quinn)), "UNAUTHENTICATED");

    const ruth = (await server.seed.user("ruth")).token;
    const ruthId = (await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "ruth@example.test"')}`)).body.Resources![0].id as string;
    assert.equal((await scim("DELETE", `/Users/${ruthId}`)).status, 204);
    assert.equal((await scim("GET", `/Users/${ruthId}`)).body.active, false);
    assert.equal(codeOf(await server.gql(`{ viewer { handle } }`, {}, ruth)), "UNAUTHENTICATED");
  });

  test("Groups: memberships and roles follow the group mappings as the client adds and removes members, at once", async () => {
    const sam = await scim("POST", "/Users", userResource("sam@corp.test"));
    const tess = await scim("POST", "/Users", userResource("tess@corp.test"));
    const group = await scim("POST", "/Groups", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: "scim-data",
      members: [{ value: sam.body.id }],
    });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    assert.deepEqual(await teamsOf("sam"), [{ name: "data", role: "MEMBER", source: "DIRECTORY" }]);
    assert.equal((await scim("POST", "/Groups", { displayName: "scim-data" })).body.scimType, "uniqueness");
    const unknownMember = await scim("POST", "/Groups", { displayName: "other", members: [{ value: "00000000-0000-4000-8000-000000000000" }] });
    assert.deepEqual([unknownMember.status, unknownMember.body.scimType], [400, "invalidValue"]);

    await scim("PATCH", `/Groups/${group.body.id}`, patch({ op: "add", path: "members", value: [{ value: tess.body.id }] }));
    assert.deepEqual(await teamsOf("tess"), [{ name: "data", role: "MEMBER", source: "DIRECTORY" }]);
    const filtered = await scim("GET", `/Groups?filter=${encodeURIComponent('displayName eq "scim-data"')}&excludedAttributes=members`);
    assert.deepEqual([filtered.body.totalResults, filtered.body.Resources?.[0]?.members], [1, undefined]);
    const full = await scim("GET", `/Groups/${group.body.id}`);
    assert.deepEqual(((full.body.members as { value: string }[]) ?? []).map((m) => m.value).sort(), [sam.body.id, tess.body.id].sort());

    await scim("PATCH", `/Groups/${group.body.id}`, patch({ op: "remove", path: `members[value eq "${sam.body.id}"]` }));
    assert.deepEqual(await teamsOf("sam"), []);
    assert.equal((await teamsOf("tess")).length, 1);

    // A group mapped to a role; renamed into one that maps to a team; deleted: every member follows.
    const reviewers = await scim("POST", "/Groups", { displayName: "scim-reviewers", members: [{ value: sam.body.id }] });
    const roles = async (handle: string) =>
      ((await server.runtime.dataSource.query(`SELECT roles FROM "user" WHERE handle = $1`, [handle])) as { roles: string }[])[0].roles;
    assert.equal(await roles("sam"), "{REVIEWER}");
    await scim("PATCH", `/Groups/${reviewers.body.id}`, patch({ op: "replace", value: { id: reviewers.body.id, displayName: "scim-former-reviewers" } }));
    assert.equal(await roles("sam"), "{}");
    assert.equal((await scim("DELETE", `/Groups/${group.body.id}`)).status, 204);
    assert.deepEqual(await teamsOf("tess"), []);
    const audit = await server.gql<{ auditLog: { edges: { node: { after: { displayName: string } | null } }[] } }>(
      `{ auditLog(first: 20, action: DIRECTORY_GROUP_CHANGE) { edges { node { after } } } }`,
      {},
      admin,
    );
    assert.deepEqual(
      audit.data!.auditLog.edges.map((e) => e.node.after?.displayName ?? "deleted"),
      ["deleted", "scim-former-reviewers", "scim-reviewers", "scim-data", "scim-data", "scim-data"],
    );
  });
});

describe("without SCIM_TOKEN and OIDC_*", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  test("no /scim/v2; /auth/config says single sign-on is off; sign-in and the device flow say SSO_NOT_CONFIGURED", async () => {
    assert.equal((await fetch(`${server.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${SCIM_TOKEN}` } })).status, 404);
    assert.deepEqual(await (await fetch(`${server.url}/auth/config`)).json(), { oidc: { enabled: false, issuer: null } });
    const login = await fetch(`${server.url}/auth/oidc/login`, { redirect: "manual" });
    assert.equal(login.headers.get("location"), "/admin/?signInError=SSO_NOT_CONFIGURED");
    const device = await fetch(`${server.url}/auth/device`, { method: "POST" });
    assert.deepEqual([device.status, ((await device.json()) as { error: { code: string } }).error.code], [400, "SSO_NOT_CONFIGURED"]);
  });
});
