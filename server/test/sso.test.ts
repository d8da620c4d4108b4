import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Client } from "graphql-ws";
import * as oidc from "openid-client";
import { freePort } from "../src/db/free-port";
import { TeamRole } from "../src/identity/membership.entity";
import { GlobalRole } from "../src/identity/user.entity";
import { Browser } from "./support/browser";
import { TestOidcProvider } from "./support/oidc-provider";
import { publishOk, testRunIdOf } from "./support/publish";
import { skillYaml } from "./support/seed";
import { pythonSkill } from "./support/skills";
import { cookieGql, type SessionInfo, sessionWsClient, signIn, startSignIn } from "./support/sso";
import { startTestServer, type GraphQLResponse, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions.code;
const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`, "utf8").toString("base64url");

const VIEWER = `{ viewer { handle name roles ssoLinked teams(first: 50) { edges { node { role team { name } } } } } }`;
interface ViewerData {
  viewer: { handle: string; name: string | null; roles: string[]; ssoLinked: boolean; teams: { edges: { node: { role: string; team: { name: string } } }[] } };
}
const teamsOf = (res: GraphQLResponse<ViewerData>) =>
  Object.fromEntries(res.data!.viewer.teams.edges.map((e) => [e.node.team.name, e.node.role])) as Record<string, string>;

const SET_MAPPING = `mutation($input: SetGroupMappingInput!) { setGroupMapping(input: $input) { id group teamRole role team { name } } }`;

/**
 * Single sign-on against a real OpenID provider (oidc-provider 9) on 127.0.0.1, driven through its
 * own sign-in and consent pages with fetch and a cookie jar: provisioning, sessions, CSRF, sign-out,
 * the callback's checks, group mappings, the CLI's device and loopback flows.
 */
describe("single sign-on", () => {
  let server: TestServer;
  let provider: TestOidcProvider;
  let url: string;
  let admin: string;
  const clients: Client[] = [];
  const teams = () => ({ authors: server.seed.team("authors") });
  let team: ReturnType<typeof teams>;

  const person = (sub: string, groups: string[] = [], extra: { email?: string; email_verified?: boolean; name?: string } = {}) =>
    provider.setAccount({
      sub,
      email: extra.email ?? `${sub}@corp.test`,
      name: extra.name ?? `${sub[0].toUpperCase()}${sub.slice(1)} Tester`,
      groups,
      ...extra,
    });
  const sessionRows = async (handle: string) =>
    (await server.runtime.dataSource.query(`SELECT s.* FROM session s JOIN "user" u ON u.id = s.user_id WHERE u.handle = $1 ORDER BY s.created_at`, [
      handle,
    ])) as {
      id: string;
      secret_sha256: string;
      revoked_at: Date | null;
    }[];

  before(
    async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      provider = await TestOidcProvider.start({ relyingParty: url });
      server = await startTestServer(
        { ...provider.env(), SESSION_IDLE_MINUTES: "30", SESSION_MAX_HOURS: "8", CLI_TOKEN_TTL_DAYS: "30" },
        { port, sessionSweepMs: 200 },
      );
      admin = (await server.seed.team("admins").member("sso-admin", TeamRole.MEMBER, [GlobalRole.ADMIN])).token;
      team = teams();
      for (const name of ["data", "platform"]) await server.seed.team(name).entity();
      for (const input of [
        { group: "eng-data", team: "data", teamRole: "MEMBER" },
        { group: "data-leads", team: "data", teamRole: "MAINTAINER" },
        { group: "skill-reviewers", role: "REVIEWER" },
      ]) {
        const res = await server.gql(SET_MAPPING, { input }, admin);
        assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      }
    },
    { timeout: 60_000 },
  );
  after(async () => {
    for (const c of clients) await c.dispose();
    await server?.close();
    await provider?.close();
  });

  test("GET /auth/config names the provider", async () => {
    const res = await fetch(`${url}/auth/config`);
    assert.deepEqual(await res.json(), { oidc: { enabled: true, issuer: provider.issuer } });
  });

  test("the code flow with PKCE creates the user from the claims and a session; the cookie is HttpOnly, SameSite=Lax, not Secure on loopback", async () => {
    person("alice", ["eng-data"], { name: "Alice Archer" });
    const browser = new Browser();
    const start = await startSignIn(browser, url, "/admin/skills?sort=recent#top");
    const authorize = new URL(start.location!);
    assert.equal(authorize.origin, provider.issuer);
    assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
    assert.match(authorize.searchParams.get("code_challenge") ?? "", /^[A-Za-z0-9_-]{43}$/);
    assert.ok(authorize.searchParams.get("state") && authorize.searchParams.get("nonce"));
    assert.equal(authorize.searchParams.get("redirect_uri"), `${url}/auth/oidc/callback`);
    assert.match(start.headers.get("set-cookie") ?? "", /skillyard_sign_in=[^;]+; Path=\/auth; Max-Age=600; HttpOnly; SameSite=Lax$/);

    const signedIn = await signIn(url, provider, "alice", { browser, returnTo: "/admin/skills?sort=recent#top" });
    assert.equal(signedIn.callback.location, `${url}/admin/skills?sort=recent#top`);
    assert.match(signedIn.callback.headers.get("set-cookie") ?? "", /^skillyard_session=[^;]+; Path=\/; Max-Age=28[78]\d\d; HttpOnly; SameSite=Lax$/);
    const { session } = signedIn;
    assert.deepEqual(session.user, { id: session.user.id, handle: "alice", name: "Alice Archer", email: "alice@corp.test", roles: [] });
    assert.ok(Math.abs(Date.parse(session.expiresAt) - Date.now() - 8 * 3600_000) < 60_000, "absolute expiry: SESSION_MAX_HOURS");
    assert.ok(Math.abs(Date.parse(session.idleExpiresAt) - Date.now() - 30 * 60_000) < 60_000, "idle expiry: SESSION_IDLE_MINUTES");

    const viewer = await cookieGql<ViewerData>(url, signedIn.cookie, signedIn.csrfToken, VIEWER);
    assert.equal(viewer.errors, undefined, JSON.stringify(viewer.errors));
    assert.deepEqual(
      { ...viewer.data!.viewer, teams: teamsOf(viewer) },
      { handle: "alice", name: "Alice Archer", roles: [], ssoLinked: true, teams: { data: "MEMBER" } },
    );
    // Only the secret's sha256 is stored.
    const rows = await sessionRows("alice");
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(signedIn.cookie));
    const audit = await server.gql<{ auditLog: { edges: { node: { action: string; actor: { handle: string } | null; after: Record<string, unknown> } }[] } }>(
      `{ auditLog(first: 100) { edges { node { action actor { handle } after } } } }`,
      {},
      admin,
    );
    const aboutAlice = audit.data!.auditLog.edges.map((e) => e.node).filter((e) => e.after?.handle === "alice" || e.after?.user === "alice");
    assert.deepEqual(aboutAlice.map((e) => [e.action, e.actor]).reverse(), [
      ["USER_PROVISION", null],
      ["MEMBER_ADD", null],
    ]);
  });

  test("a local user with the same verified email is linked, so one person stays one user; an unverified email is refused", async () => {
    const local = await team.authors.member("bob", TeamRole.MAINTAINER);
    person("bob-sub", [], { email: "bob@example.test", name: "Bob Builder" });
    const signedIn = await signIn(url, provider, "bob-sub");
    assert.equal(signedIn.session.user.handle, "bob");
    assert.equal(signedIn.session.user.id, globalId("User", local.user.id));
    const byToken = await server.gql<ViewerData>(VIEWER, {}, local.token);
    assert.deepEqual(byToken.data!.viewer.ssoLinked, true);
    assert.equal(teamsOf(byToken).authors, "MAINTAINER", "the manual membership stays");

    await server.seed.user("carol");
    person("carol-sub", [], { email: "carol@example.test", email_verified: false });
    const browser = new Browser();
    const start = await startSignIn(browser, url);
    const back = await provider.authorize(browser, start.location!, "carol-sub");
    const refused = await browser.request(back.location!);
    assert.equal(refused.location, `${url}/admin/?signInError=SSO_ACCOUNT_CONFLICT`);
    assert.equal(browser.cookie(url, "skillyard_session"), undefined);
    assert.equal((await sessionRows("carol")).length, 0);
  });

  test("handles come from preferred_username or the email's local part, made valid and unique", async () => {
    provider.setAccount({ sub: "h1", email: "first@corp.test", name: "Álvaro Núñez", preferred_username: "Álvaro.Núñez@corp.test", groups: [] });
    provider.setAccount({ sub: "h2", email: "second@corp.test", name: "Álvaro Núñez", preferred_username: "alvaro_nunez", groups: [] });
    provider.setAccount({ sub: "h3", email: "Zoë.Q+skills@corp.test", name: "Zoë", groups: [] });
    const handles = [];
    for (const sub of ["h1", "h2", "h3"]) handles.push((await signIn(url, provider, sub)).session.user.handle);
    assert.deepEqual(handles, ["alvaro-nunez", "alvaro-nunez-2", "zoe-q-skills"]);
    assert.equal((await signIn(url, provider, "h2")).session.user.handle, "alvaro-nunez-2", "the same person keeps their user");
  });

  test("the two-person rule counts people: a version published with a person's token cannot be approved by them signed in through SSO", async () => {
    const author = await team.authors.member("dana", TeamRole.MAINTAINER);
    const pending = await publishOk(server, author.token, {
      "skill.yaml": skillYaml({ name: "sso-fetch", version: "1.0.0", permissions: ["network:outbound"] }),
    });
    assert.equal(pending.version.status, "AWAITING_REVIEW");
    person("dana-sub", ["skill-reviewers"], { email: "dana@example.test" });
    const dana = await signIn(url, provider, "dana-sub");
    assert.deepEqual([dana.session.user.handle, dana.session.user.roles], ["dana", ["REVIEWER"]]);
    const APPROVE = `mutation($id: ID!) { approveVersion(input: { versionId: $id, comment: "fine" }) { published } }`;
    const own = await cookieGql(url, dana.cookie, dana.csrfToken, APPROVE, { id: pending.version.id });
    assert.equal(codeOf(own), "FORBIDDEN", JSON.stringify(own));
    assert.match(own.errors![0].message, /your own/);
    // Positive control: another person, a reviewer through the directory, approves.
    person("rita", ["skill-reviewers"]);
    const rita = await signIn(url, provider, "rita");
    const approved = await cookieGql<{ approveVersion: { published: boolean } }>(url, rita.cookie, rita.csrfToken, APPROVE, { id: pending.version.id });
    assert.equal(approved.data?.approveVersion.published, true, JSON.stringify(approved));
    // The decision says how its credential came to be: a console session after signing in at the provider.
    const decisions = await server.gql<{
      node: { reviewRequest: { decisions: { edges: { node: { reviewer: { handle: string }; credential: unknown } }[] } } };
    }>(
      `query($id: ID!) { node(id: $id) { ... on SkillVersion { reviewRequest { decisions { edges { node {
        reviewer { handle } credential { origin tokenName createdBy { handle } invitedBy { handle } } } } } } } } }`,
      { id: pending.version.id },
      admin,
    );
    assert.deepEqual(decisions.data?.node.reviewRequest.decisions.edges[0].node, {
      reviewer: { handle: "rita" },
      credential: { origin: "SSO", tokenName: "console session (single sign-on)", createdBy: null, invitedBy: null },
    });
  });

  test("memberships and roles follow the groups at each sign-in, both ways; manual grants stay; a demoted reviewer's open subscription ends", async () => {
    person("dave", ["eng-data"]);
    const first = await signIn(url, provider, "dave");
    assert.deepEqual(first.session.user.roles, []);
    const added = await server.gql(`mutation { addTeamMember(input: { team: "platform", user: "dave", role: MEMBER }) { role } }`, {}, admin);
    assert.equal(added.errors, undefined);

    person("dave", ["data-leads", "skill-reviewers"]);
    const promoted = await signIn(url, provider, "dave");
    let viewer = await cookieGql<ViewerData>(url, promoted.cookie, promoted.csrfToken, VIEWER);
    assert.deepEqual(viewer.data!.viewer.roles, ["REVIEWER"]);
    assert.deepEqual(teamsOf(viewer), { data: "MAINTAINER", platform: "MEMBER" });

    // As a reviewer, dave streams another team's unreleased run (no worker here: it stays QUEUED and open).
    const authorToken = (await server.seed.team("hidden").member("hidden-author", TeamRole.MAINTAINER)).token;
    const published = await publishOk(server, authorToken, pythonSkill("sso-hidden", "1.0.0"));
    const runId = globalId("TestRun", await testRunIdOf(server, published.version.packageSha256));
    const ws = sessionWsClient(url, promoted.cookie, promoted.csrfToken);
    clients.push(ws);
    const received: unknown[] = [];
    let ended: string | null = null;
    ws.subscribe(
      { query: `subscription($id: ID!) { testRunEvents(testRunId: $id) { seq status } }`, variables: { id: runId } },
      {
        next: (message) => (message.errors ? (ended = String(message.errors[0].extensions?.code)) : received.push(message.data)),
        error: (error) => (ended = Array.isArray(error) ? String((error as { extensions?: { code?: string } }[])[0]?.extensions?.code) : "closed"),
        complete: () => (ended ??= "complete"),
      },
    );
    await waitFor(async () => received.length > 0, "the reviewer's subscription to replay the stored events", 10_000);
    assert.equal(ended, null);

    // The directory drops skill-reviewers and data-leads: at the next sign-in both go, the manual grants stay.
    person("dave", ["eng-data"]);
    const demoted = await signIn(url, provider, "dave");
    viewer = await cookieGql<ViewerData>(url, demoted.cookie, demoted.csrfToken, VIEWER);
    assert.deepEqual(viewer.data!.viewer.roles, []);
    assert.deepEqual(teamsOf(viewer), { data: "MEMBER", platform: "MEMBER" });
    await waitFor(async () => ended !== null, "the demoted reviewer's subscription to end", 10_000);
    assert.notEqual(ended, "complete");

    person("dave", []);
    const removed = await signIn(url, provider, "dave");
    viewer = await cookieGql<ViewerData>(url, removed.cookie, removed.csrfToken, VIEWER);
    assert.deepEqual(teamsOf(viewer), { platform: "MEMBER" }, "the directory's membership is gone, the manual one stays");
    const audit = await server.gql<{ auditLog: { edges: { node: { action: string; actor: unknown; before: Record<string, unknown> | null } }[] } }>(
      `{ auditLog(first: 100, action: MEMBER_REMOVE) { edges { node { action actor { handle } before } } } }`,
      {},
      admin,
    );
    assert.ok(
      audit.data!.auditLog.edges.some((e) => e.node.actor === null && e.node.before?.user === "dave" && e.node.before.source === "DIRECTORY"),
      JSON.stringify(audit),
    );
  });

  test("a global role an admin gave by hand stays whatever the groups say; the directory's own grant comes and goes", async () => {
    await server.seed.user("mona");
    person("mona-sub", ["skill-reviewers"], { email: "mona@example.test" });
    assert.deepEqual((await signIn(url, provider, "mona-sub")).session.user.roles, ["REVIEWER"]);
    person("mona-sub", []);
    assert.deepEqual((await signIn(url, provider, "mona-sub")).session.user.roles, [], "removed in the directory, removed at the next sign-in");
    await server.gql(`mutation { setUserRoles(input: { user: "mona", roles: [REVIEWER] }) { roles } }`, {}, admin);
    person("mona-sub", ["skill-reviewers"]);
    assert.deepEqual((await signIn(url, provider, "mona-sub")).session.user.roles, ["REVIEWER"]);
    person("mona-sub", []);
    assert.deepEqual((await signIn(url, provider, "mona-sub")).session.user.roles, ["REVIEWER"], "the manual grant stays");
  });

  test("group mappings: admins only, audited, checked input; a change applies at once to people known to be in the group", async () => {
    person("gus", ["ops"]);
    const gus = await signIn(url, provider, "gus");
    const asGus = await cookieGql(url, gus.cookie, gus.csrfToken, `{ groupMappings { edges { node { group } } } }`);
    assert.equal(codeOf(asGus), "FORBIDDEN");
    assert.equal(codeOf(await cookieGql(url, gus.cookie, gus.csrfToken, SET_MAPPING, { input: { group: "ops", role: "ADMIN" } })), "FORBIDDEN");
    assert.equal(codeOf(await server.gql(`{ groupMappings { edges { node { group } } } }`)), "UNAUTHENTICATED");

    const bad: [Record<string, unknown>, string, string][] = [
      [{ group: "ops", team: "platform", teamRole: "MEMBER", role: "REVIEWER" }, "BAD_USER_INPUT", "team"],
      [{ group: "ops" }, "BAD_USER_INPUT", "role"],
      [{ group: "ops", role: "REVIEWER", teamRole: "MEMBER" }, "BAD_USER_INPUT", "teamRole"],
      [{ group: "  ", role: "REVIEWER" }, "BAD_USER_INPUT", "group"],
      [{ group: "ops", team: "nope", teamRole: "MEMBER" }, "NOT_FOUND", "team"],
    ];
    for (const [input, code, argument] of bad) {
      const res = await server.gql(SET_MAPPING, { input }, admin);
      assert.equal(codeOf(res), code, JSON.stringify(input));
      assert.equal(res.errors![0].extensions.argument, argument, JSON.stringify(res.errors));
    }
    assert.equal(codeOf(await server.gql(`mutation { deleteGroupMapping(input: { id: "bm9wZQ" }) { id } }`, {}, admin)), "BAD_USER_INPUT");
    assert.equal(
      codeOf(
        await server.gql(
          `mutation($id: ID!) { deleteGroupMapping(input: { id: $id }) { id } }`,
          { id: globalId("GroupMapping", "00000000-0000-4000-8000-000000000000") },
          admin,
        ),
      ),
      "NOT_FOUND",
    );

    const set = await server.gql<{ setGroupMapping: { id: string; team: { name: string }; teamRole: string } }>(
      SET_MAPPING,
      { input: { group: "ops", team: "platform", teamRole: "MAINTAINER" } },
      admin,
    );
    assert.deepEqual(set.data?.setGroupMapping.team, { name: "platform" });
    let viewer = await cookieGql<ViewerData>(url, gus.cookie, gus.csrfToken, VIEWER);
    assert.deepEqual(teamsOf(viewer), { platform: "MAINTAINER" }, "gus's last sign-in listed ops: the mapping applies without a new sign-in");
    const list = await server.gql<{
      groupMappings: { totalCount: number; edges: { node: { group: string; team: { name: string } | null; role: string | null } }[] };
    }>(`{ groupMappings(first: 2) { totalCount edges { node { group role team { name } } } } }`, {}, admin);
    assert.equal(list.data!.groupMappings.totalCount, 4);
    assert.deepEqual(
      list.data!.groupMappings.edges.map((e) => e.node.group),
      ["data-leads", "eng-data"],
    );

    const deleted = await server.gql(`mutation($id: ID!) { deleteGroupMapping(input: { id: $id }) { group } }`, { id: set.data!.setGroupMapping.id }, admin);
    assert.deepEqual(deleted.data, { deleteGroupMapping: { group: "ops" } });
    viewer = await cookieGql<ViewerData>(url, gus.cookie, gus.csrfToken, VIEWER);
    assert.deepEqual(teamsOf(viewer), {});
    const audit = await server.gql<{ auditLog: { edges: { node: { action: string; actor: { handle: string }; after: unknown; before: unknown } }[] } }>(
      `{ auditLog(first: 20) { edges { node { action actor { handle } before after } } } }`,
      {},
      admin,
    );
    const mappingEvents = audit.data!.auditLog.edges.map((e) => e.node).filter((e) => e.action.startsWith("GROUP_MAPPING"));
    assert.deepEqual(mappingEvents.slice(0, 2), [
      { action: "GROUP_MAPPING_DELETE", actor: { handle: "sso-admin" }, before: { group: "ops", team: "platform", teamRole: "MAINTAINER" }, after: null },
      { action: "GROUP_MAPPING_SET", actor: { handle: "sso-admin" }, before: null, after: { group: "ops", team: "platform", teamRole: "MAINTAINER" } },
    ]);
  });

  test("CSRF: a cookie request without the X-CSRF-Token, or with a wrong one, is refused (403 CSRF_INVALID); a bearer token wins over the cookie", async () => {
    person("erin");
    const erin = await signIn(url, provider, "erin");
    const CREATE = `mutation { createApiToken(input: { name: "from the console" }) { apiToken { name } } }`;
    for (const csrf of [null, "wrong", `${erin.csrfToken.slice(0, -1)}x`]) {
      const refused = await cookieGql(url, erin.cookie, csrf, CREATE);
      assert.equal(refused.status, 403);
      assert.equal(codeOf(refused), "CSRF_INVALID", JSON.stringify(refused));
    }
    const [{ count }] = (await server.runtime.dataSource.query(
      `SELECT count(*)::int AS count FROM api_token t JOIN "user" u ON u.id = t.user_id WHERE u.handle = 'erin'`,
    )) as { count: number }[];
    assert.equal(count, 0, "nothing was created");
    const created = await cookieGql(url, erin.cookie, erin.csrfToken, CREATE);
    assert.deepEqual(created.data, { createApiToken: { apiToken: { name: "from the console" } } });
    // An Authorization header always wins: the token's user, and no CSRF token is needed.
    const asAdmin = await cookieGql<ViewerData>(url, erin.cookie, null, VIEWER, {}, { authorization: `Bearer ${admin}` });
    assert.equal(asAdmin.data?.viewer.handle, "sso-admin");
    // The WebSocket: the cookie alone is refused (4403); with the session's CSRF token it works.
    for (const csrf of [null, "wrong"]) {
      let closedWith = 0;
      const refused = sessionWsClient(url, erin.cookie, csrf, (code) => (closedWith = code));
      clients.push(refused);
      await assert.rejects(
        new Promise((resolve, reject) =>
          refused.subscribe(
            { query: `subscription { testRunEvents(testRunId: "x") { seq } }` },
            { next: resolve, error: reject, complete: () => resolve(null) },
          ),
        ),
      );
      assert.equal(closedWith, 4403);
    }
  });

  test("sign-out revokes the session (on every request and open socket) and answers the provider's end-session URL", async () => {
    person("frank");
    const frank = await signIn(url, provider, "frank");
    let closedWith = 0;
    const ws = sessionWsClient(url, frank.cookie, frank.csrfToken, (code) => (closedWith = code));
    clients.push(ws);
    const authorToken = (await server.seed.team("frankly").member("frank-author", TeamRole.MAINTAINER)).token;
    await server.gql(`mutation { addTeamMember(input: { team: "frankly", user: "frank", role: MEMBER }) { role } }`, {}, authorToken);
    const published = await publishOk(server, authorToken, pythonSkill("sso-open", "1.0.0"));
    const received: unknown[] = [];
    ws.subscribe(
      {
        query: `subscription($id: ID!) { testRunEvents(testRunId: $id) { seq } }`,
        variables: { id: globalId("TestRun", await testRunIdOf(server, published.version.packageSha256)) },
      },
      { next: (m) => void received.push(m), error: () => undefined, complete: () => undefined },
    );
    await waitFor(async () => received.length > 0, "the socket to stream", 10_000);

    const logout = (csrf: string | null) =>
      frank.browser.request(`${url}/auth/logout`, { method: "POST", headers: csrf === null ? {} : { "x-csrf-token": csrf } });
    const refused = await logout(null);
    assert.equal(refused.status, 403);
    assert.equal(JSON.parse(refused.body).error.code, "CSRF_INVALID");
    assert.equal((await frank.browser.request(`${url}/auth/session`)).status, 200, "a refused sign-out changes nothing");

    const done = await logout(frank.csrfToken);
    assert.equal(done.status, 200, done.body);
    assert.match(done.headers.get("set-cookie") ?? "", /^skillyard_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax$/);
    const endSession = new URL((JSON.parse(done.body) as { endSessionUrl: string }).endSessionUrl);
    assert.equal(`${endSession.origin}${endSession.pathname}`, `${provider.issuer}/session/end`);
    assert.equal(endSession.searchParams.get("post_logout_redirect_uri"), `${url}/admin/`);
    assert.match(endSession.searchParams.get("id_token_hint") ?? "", /^eyJ/);
    assert.equal((await fetch(endSession)).status, 200, "the provider accepts the end-session request");

    await waitFor(async () => closedWith === 4401, "the signed-out session's socket to close with 4401", 10_000);
    const stale = await fetch(`${url}/auth/session`, { headers: { cookie: `skillyard_session=${frank.cookie}` } });
    assert.equal(stale.status, 401);
    const graphql = await cookieGql(url, frank.cookie, frank.csrfToken, VIEWER);
    assert.deepEqual([graphql.status, codeOf(graphql)], [401, "UNAUTHENTICATED"]);
    assert.equal((await sessionRows("frank"))[0].revoked_at instanceof Date, true);
  });

  test("idle and absolute expiry end a session, on HTTP and on open sockets; activity is written at most once a minute", async () => {
    person("gina");
    const idle = await signIn(url, provider, "gina");
    const db = server.runtime.dataSource;
    const [row] = await sessionRows("gina");
    const seenAt = async () => ((await db.query(`SELECT last_seen_at FROM session WHERE id = $1`, [row.id])) as { last_seen_at: Date }[])[0].last_seen_at;
    const before = await seenAt();
    assert.equal((await cookieGql(url, idle.cookie, idle.csrfToken, VIEWER)).status, 200);
    assert.equal((await seenAt()).getTime(), before.getTime(), "a request within a minute of the last write does not write");
    await db.query(`UPDATE session SET last_seen_at = now() - interval '2 minutes' WHERE id = $1`, [row.id]);
    assert.equal((await cookieGql(url, idle.cookie, idle.csrfToken, VIEWER)).status, 200);
    assert.ok(Date.now() - (await seenAt()).getTime() < 10_000, "a request after a minute counts as activity");

    await db.query(`UPDATE session SET last_seen_at = now() - interval '31 minutes' WHERE id = $1`, [row.id]);
    assert.equal((await cookieGql(url, idle.cookie, idle.csrfToken, VIEWER)).status, 401, "idle for more than SESSION_IDLE_MINUTES");
    assert.equal((await idle.browser.request(`${url}/auth/session`)).status, 401);

    const absolute = await signIn(url, provider, "gina");
    let closedWith = 0;
    const ws = sessionWsClient(url, absolute.cookie, absolute.csrfToken, (code) => (closedWith = code));
    clients.push(ws);
    const authorToken = (await server.seed.team("gina-team").member("gina-author", TeamRole.MAINTAINER)).token;
    await server.gql(`mutation { addTeamMember(input: { team: "gina-team", user: "gina", role: MEMBER }) { role } }`, {}, authorToken);
    const published = await publishOk(server, authorToken, pythonSkill("sso-expiring", "1.0.0"));
    const received: unknown[] = [];
    ws.subscribe(
      {
        query: `subscription($id: ID!) { testRunEvents(testRunId: $id) { seq } }`,
        variables: { id: globalId("TestRun", await testRunIdOf(server, published.version.packageSha256)) },
      },
      { next: (m) => void received.push(m), error: () => undefined, complete: () => undefined },
    );
    await waitFor(async () => received.length > 0, "the socket to stream", 10_000);
    assert.equal(closedWith, 0);
    const [, second] = await sessionRows("gina");
    await db.query(`UPDATE session SET expires_at = now() - interval '1 second' WHERE id = $1`, [second.id]);
    assert.equal((await cookieGql(url, absolute.cookie, absolute.csrfToken, VIEWER)).status, 401, "past SESSION_MAX_HOURS, activity or not");
    await waitFor(async () => closedWith === 4401, "the expired session's socket to close", 10_000);
  });

  describe("the callback is refused, and nothing is created, when", () => {
    /** A sign-in up to the provider's redirect back (not followed): the browser, the callback URL and its parameters. */
    async function toCallback(login: string, browser = new Browser()) {
      const start = await startSignIn(browser, url);
      const back = await provider.authorize(browser, start.location!, login);
      const callback = new URL(back.location!);
      return { browser, callback, state: callback.searchParams.get("state")!, code: callback.searchParams.get("code")! };
    }
    const refusedWith = async (browser: Browser, callbackUrl: string, code: string) => {
      const hop = await browser.request(callbackUrl);
      assert.equal(hop.location, `${url}/admin/?signInError=${code}`);
      assert.equal(browser.cookie(url, "skillyard_session"), undefined);
      assert.equal(hop.headers.get("set-cookie"), null);
    };

    before(() => person("henry"));

    test("the state was tampered with, or the callback comes from another browser, or comes again (replay), or too late", async () => {
      const tampered = await toCallback("henry");
      const changed = new URL(tampered.callback);
      changed.searchParams.set("state", `${tampered.state}x`);
      await refusedWith(tampered.browser, changed.toString(), "SSO_STATE_INVALID");
      // The real state from another browser (no binding cookie, or another one):
      const stolen = await toCallback("henry");
      await refusedWith(new Browser(), stolen.callback.toString(), "SSO_STATE_INVALID");
      const other = new Browser();
      other.setCookie(url, "skillyard_sign_in", "A".repeat(43));
      const again = await toCallback("henry");
      await refusedWith(other, again.callback.toString(), "SSO_STATE_INVALID");
      // Positive control, then the same callback replayed.
      const real = await toCallback("henry");
      const ok = await real.browser.request(real.callback.toString());
      assert.equal(ok.location, `${url}/admin/`);
      real.browser.deleteCookie(url, "skillyard_session");
      await refusedWith(real.browser, real.callback.toString(), "SSO_STATE_INVALID");
      const late = await toCallback("henry");
      await server.runtime.dataSource.query(`UPDATE sign_in_request SET expires_at = now() - interval '1 second'`);
      await refusedWith(late.browser, late.callback.toString(), "SSO_STATE_INVALID");
    });

    test("the nonce does not match the ID token's", async () => {
      const flow = await toCallback("henry");
      await server.runtime.dataSource.query(`UPDATE sign_in_request SET nonce = 'not-the-nonce-sent'`);
      await refusedWith(flow.browser, flow.callback.toString(), "SSO_SIGN_IN_FAILED");
    });

    test("the PKCE verifier is not the one the challenge was made from", async () => {
      const flow = await toCallback("henry");
      await server.runtime.dataSource.query(`UPDATE sign_in_request SET code_verifier = $1`, [oidc.randomPKCECodeVerifier()]);
      await refusedWith(flow.browser, flow.callback.toString(), "SSO_SIGN_IN_FAILED");
    });

    test("the authorization code was already used (replayed into another sign-in)", async () => {
      const first = await toCallback("henry");
      assert.equal((await first.browser.request(first.callback.toString())).location, `${url}/admin/`);
      first.browser.deleteCookie(url, "skillyard_session");
      const second = await toCallback("henry", first.browser);
      const replayed = new URL(second.callback);
      replayed.searchParams.set("code", first.code);
      await refusedWith(second.browser, replayed.toString(), "SSO_SIGN_IN_FAILED");
    });

    test("the provider answers an error (the person declined)", async () => {
      const browser = new Browser();
      const start = await startSignIn(browser, url);
      const state = new URL(start.location!).searchParams.get("state")!;
      const declined = `${url}/auth/oidc/callback?error=access_denied&state=${state}&iss=${encodeURIComponent(provider.issuer)}`;
      await refusedWith(browser, declined, "ACCESS_DENIED");
    });

    test("returnTo leads anywhere but a path under /admin on this Skillyard (never to the provider)", async () => {
      for (const returnTo of ["https://evil.example/admin/", "//evil.example/admin/", "/\\evil.example/admin", "/graphql", "/admin/../packages/x", "admin/"]) {
        const hop = await startSignIn(new Browser(), url, returnTo);
        assert.equal(hop.location, `${url}/admin/?signInError=RETURN_TO_INVALID`, returnTo);
      }
      const ok = await startSignIn(new Browser(), url, "/admin");
      assert.ok(ok.location?.startsWith(provider.issuer));
    });
  });

  test("the CLI's device flow: pending, slow down, approved at the provider, a token that expires; the code works once", async () => {
    person("ivan", ["skill-reviewers"]);
    const post = async (path: string, body: Record<string, unknown> = {}) => {
      const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string } } };
    };
    const started = await post("/auth/device");
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const device = started.body as unknown as {
      deviceCode: string;
      userCode: string;
      verificationUri: string;
      verificationUriComplete: string;
      expiresIn: number;
      interval: number;
    };
    assert.equal(device.verificationUri, `${provider.issuer}/device`);
    assert.match(device.userCode, /^[A-Z]{4}-[A-Z]{4}$/);
    assert.equal(device.interval, 5);
    const poll = () => post("/auth/device/token", { deviceCode: device.deviceCode, tokenName: "ivan's laptop" });
    assert.deepEqual([(await poll()).body.error?.code], ["AUTHORIZATION_PENDING"]);
    const tooSoon = await poll();
    assert.deepEqual([tooSoon.status, tooSoon.body.error?.code], [400, "SLOW_DOWN"]);
    const approved = await provider.approveDevice(new Browser(), device.verificationUri, device.userCode, "ivan");
    assert.match(approved.body, /Sign-in Success/);
    await new Promise((resolve) => setTimeout(resolve, device.interval * 1000));
    const issued = await poll();
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const { token, expiresAt, user } = issued.body as { token: string; expiresAt: string; user: { handle: string } };
    assert.deepEqual(user, { handle: "ivan" });
    assert.ok(Math.abs(Date.parse(expiresAt) - Date.now() - 30 * 86400_000) < 60_000, "CLI_TOKEN_TTL_DAYS");
    const viewer = await server.gql<{ viewer: { handle: string; roles: string[]; apiTokens: { edges: { node: { name: string; origin: string } }[] } } }>(
      `{ viewer { handle roles apiTokens { edges { node { name origin } } } } }`,
      {},
      token,
    );
    assert.deepEqual(viewer.data?.viewer, { handle: "ivan", roles: ["REVIEWER"], apiTokens: { edges: [{ node: { name: "ivan's laptop", origin: "SSO" } }] } });
    assert.equal((await poll()).body.error?.code, "DEVICE_CODE_EXPIRED", "a device code works once");
    assert.equal((await post("/auth/device/token", { deviceCode: "syd_made-up" })).body.error?.code, "DEVICE_CODE_EXPIRED");
    // The token stops working when it expires.
    await server.runtime.dataSource.query(`UPDATE api_token SET expires_at = now() - interval '1 second' WHERE name = 'ivan''s laptop'`);
    assert.equal(codeOf(await server.gql(VIEWER, {}, token)), "TOKEN_EXPIRED");
  });

  test("the CLI's loopback flow: back to 127.0.0.1 with a one-time code, exchanged once with the PKCE verifier", async () => {
    person("jane");
    const cliPort = await freePort();
    const loopback = async () => {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const browser = new Browser();
      const start = await browser.request(
        `${url}/auth/cli/login?port=${cliPort}&state=${state}&codeChallenge=${await oidc.calculatePKCECodeChallenge(verifier)}`,
      );
      assert.equal(start.status, 302, start.body);
      const back = await provider.authorize(browser, start.location!, "jane");
      const toCli = await browser.request(back.location!);
      const redirect = new URL(toCli.location!);
      assert.equal(`${redirect.origin}${redirect.pathname}`, `http://127.0.0.1:${cliPort}/callback`);
      assert.equal(redirect.searchParams.get("state"), state);
      assert.equal(browser.cookie(url, "skillyard_session"), undefined, "the loopback flow makes no console session");
      return { verifier, code: redirect.searchParams.get("code")! };
    };
    const exchange = async (body: Record<string, unknown>) => {
      const res = await fetch(`${url}/auth/cli/exchange`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { token?: string; user?: { handle: string }; error?: { code: string } } };
    };
    const first = await loopback();
    const wrong = await exchange({ code: first.code, codeVerifier: oidc.randomPKCECodeVerifier(), tokenName: "cli" });
    assert.deepEqual([wrong.status, wrong.body.error?.code], [400, "CLI_CODE_INVALID"]);
    assert.equal(
      (await exchange({ code: first.code, codeVerifier: first.verifier, tokenName: "cli" })).body.error?.code,
      "CLI_CODE_INVALID",
      "a wrong verifier uses the code up",
    );
    const second = await loopback();
    const ok = await exchange({ code: second.code, codeVerifier: second.verifier, tokenName: "jane's cli" });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.user, { handle: "jane" });
    assert.equal((await server.gql<{ viewer: { handle: string } }>(`{ viewer { handle } }`, {}, ok.body.token)).data?.viewer.handle, "jane");
    assert.equal((await exchange({ code: second.code, codeVerifier: second.verifier })).body.error?.code, "CLI_CODE_INVALID", "once");
    const badPort = await fetch(`${url}/auth/cli/login?port=80&state=${"s".repeat(20)}&codeChallenge=${"c".repeat(43)}`, { redirect: "manual" });
    assert.deepEqual([badPort.status, ((await badPort.json()) as { error: { code: string } }).error.code], [400, "BAD_USER_INPUT"]);
  });

  test("GET /auth/session without a working session is 401 UNAUTHENTICATED", async () => {
    const res = await fetch(`${url}/auth/session`);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "UNAUTHENTICATED");
    assert.equal(res.headers.get("cache-control"), "no-store");
  });

  test("the session's answer has its user's current roles", async () => {
    person("kim", ["skill-reviewers"]);
    const kim = await signIn(url, provider, "kim");
    const again = JSON.parse((await kim.browser.request(`${url}/auth/session`)).body) as SessionInfo;
    assert.deepEqual(again.user.roles, ["REVIEWER"]);
    assert.equal(again.csrfToken, kim.csrfToken);
  });
});
