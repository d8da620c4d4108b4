import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GlobalRole } from "../src/identity/user.entity";
import { TeamRole } from "../src/identity/membership.entity";
import { pythonSkill } from "./support/skills";
import { publishOk } from "./support/publish";
import { collectRunEvents, wsClient } from "./support/subscriptions";
import { startTestServer, type TestServer } from "./support/test-server";

const CREATE_TOKEN = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id name prefix revokedAt } } }`;

describe("identity administration", () => {
  let server: TestServer;
  let admin: string;

  before(async () => {
    server = await startTestServer();
    admin = (await server.seed.user("root-admin", [GlobalRole.ADMIN])).token;
  });
  after(() => server.close());

  test("an admin creates a user, a team and a membership; the user redeems an invitation for their first token, which works and is listed without its secret", async () => {
    const user = await server.gql<{ createUser: { handle: string; roles: string[] } }>(
      `mutation { createUser(input: { handle: "dana", email: "dana@example.test", roles: [REVIEWER] }) { handle roles } }`,
      {},
      admin,
    );
    assert.deepEqual(user.data?.createUser, { handle: "dana", roles: ["REVIEWER"] });
    assert.equal((await server.gql(`mutation { createTeam(input: { name: "data-platform" }) { name } }`, {}, admin)).errors, undefined);
    const member = await server.gql<{ addTeamMember: { role: string; team: { name: string }; user: { handle: string } } }>(
      `mutation { addTeamMember(input: { team: "data-platform", user: "dana", role: MAINTAINER }) { role team { name } user { handle } } }`,
      {},
      admin,
    );
    assert.deepEqual(member.data?.addTeamMember, { role: "MAINTAINER", team: { name: "data-platform" }, user: { handle: "dana" } });
    const invitation = await server.gql<{ createInvitation: { code: string; user: { handle: string } } }>(
      `mutation { createInvitation(input: { user: "dana" }) { code expiresAt user { handle } } }`,
      {},
      admin,
    );
    assert.equal(invitation.errors, undefined, JSON.stringify(invitation.errors));
    // Redeeming needs no token: the code is the credential, once.
    const redeemed = await server.gql<{ redeemInvitation: { token: string; apiToken: { prefix: string; origin: string }; user: { handle: string } } }>(
      `mutation($code: String!) { redeemInvitation(input: { code: $code, tokenName: "laptop" }) { token apiToken { prefix origin } user { handle } } }`,
      { code: invitation.data!.createInvitation.code },
    );
    assert.equal(redeemed.errors, undefined, JSON.stringify(redeemed.errors));
    const secret = redeemed.data!.redeemInvitation.token;
    assert.ok(secret.startsWith(redeemed.data!.redeemInvitation.apiToken.prefix));
    assert.deepEqual(
      { ...redeemed.data!.redeemInvitation, token: undefined },
      { token: undefined, apiToken: { prefix: redeemed.data!.redeemInvitation.apiToken.prefix, origin: "INVITATION" }, user: { handle: "dana" } },
    );
    const viewer = await server.gql<{
      viewer: { handle: string; email: string; teams: { edges: { node: { role: string } }[] }; apiTokens: { edges: { node: Record<string, unknown> }[] } };
    }>(`{ viewer { handle email teams { edges { node { role } } } apiTokens { edges { node { name prefix revokedAt } } } } }`, {}, secret);
    assert.equal(viewer.data?.viewer.handle, "dana");
    assert.equal(viewer.data?.viewer.email, "dana@example.test");
    assert.deepEqual(
      viewer.data?.viewer.teams.edges.map((e) => e.node.role),
      ["MAINTAINER"],
    );
    assert.deepEqual(
      viewer.data?.viewer.apiTokens.edges.map((e) => Object.keys(e.node).sort()),
      [["name", "prefix", "revokedAt"]],
    );
    assert.ok(!JSON.stringify(viewer).includes(secret), "the secret is never listed");
  });

  test("a revoked token fails at once, on HTTP and on an open subscription", async () => {
    const author = await server.seed.team("revokers").member("revoker");
    const created = await server.gql<{ createApiToken: { token: string; apiToken: { id: string } } }>(
      CREATE_TOKEN,
      { input: { user: "revoker", name: "ci" } },
      author.token,
    );
    const secret = created.data!.createApiToken.token;
    assert.equal((await server.gql<{ viewer: { handle: string } }>(`{ viewer { handle } }`, {}, secret)).data?.viewer.handle, "revoker");
    // A subscription that stays open: the run waits in the queue (no worker in this server).
    const published = await publishOk(server, author.token, pythonSkill("revocation-watch", "1.0.0"));
    const runId = (
      await server.gql<{ node: { latestTestRun: { id: string } } }>(
        `query($id: ID!) { node(id: $id) { ... on SkillVersion { latestTestRun { id } } } }`,
        { id: published.version.id },
        author.token,
      )
    ).data!.node.latestTestRun.id;
    const client = wsClient(server.url, secret);
    let firstEvent!: () => void;
    const gotFirst = new Promise<void>((r) => (firstEvent = r));
    const stream = collectRunEvents(client, runId, () => firstEvent());
    await gotFirst;
    // Expect the end before revoking: the socket may close before the mutation's answer arrives.
    const ended = assert.rejects(stream, "the open subscription ends when its token is revoked");
    const revoked = await server.gql<{ revokeApiToken: { revokedAt: string } }>(
      `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`,
      { id: created.data!.createApiToken.apiToken.id },
      author.token,
    );
    assert.ok(revoked.data?.revokeApiToken.revokedAt);
    await ended;
    await client.dispose();
    const after = await server.gql(`{ viewer { handle } }`, {}, secret);
    assert.equal(after.status, 401);
    assert.equal(after.errors?.[0].extensions.code, "UNAUTHENTICATED");
  });

  test("non-admins cannot create users or teams, nor tokens for others; maintainers manage their own team's members", async () => {
    const owned = server.seed.team("owned");
    const maintainer = await owned.member("owner", TeamRole.MAINTAINER);
    const member = await owned.member("plain");
    const outsider = await server.seed.team("elsewhere").member("outsider");
    for (const token of [maintainer.token, member.token]) {
      assert.equal(
        (await server.gql(`mutation { createUser(input: { handle: "x", email: "x@example.test" }) { handle } }`, {}, token)).errors?.[0].extensions.code,
        "FORBIDDEN",
      );
      assert.equal((await server.gql(`mutation { createTeam(input: { name: "x" }) { name } }`, {}, token)).errors?.[0].extensions.code, "FORBIDDEN");
    }
    assert.equal((await server.gql(CREATE_TOKEN, { input: { user: "owner", name: "steal" } }, member.token)).errors?.[0].extensions.code, "FORBIDDEN");
    const add = `mutation { addTeamMember(input: { team: "owned", user: "outsider", role: MEMBER }) { role } }`;
    assert.equal((await server.gql(add, {}, member.token)).errors?.[0].extensions.code, "FORBIDDEN");
    assert.equal((await server.gql(add, {}, outsider.token)).errors?.[0].extensions.code, "FORBIDDEN");
    assert.equal((await server.gql(add, {}, maintainer.token)).errors, undefined);
    assert.equal(
      (await server.gql(`mutation { createUser(input: { handle: "x", email: "x@example.test" }) { handle } }`)).errors?.[0].extensions.code,
      "UNAUTHENTICATED",
    );
  });

  test("admins edit the permission catalogue; every change above is in the append-only audit log", async () => {
    const edit = await server.gql<{ setPermission: { name: string; risk: string } }>(
      `mutation { setPermission(input: { name: "queue:publish", description: "Publish to message queues.", risk: HIGH }) { name risk } }`,
      {},
      admin,
    );
    assert.deepEqual(edit.data?.setPermission, { name: "queue:publish", risk: "HIGH" });
    const log = await server.gql<{ auditLog: { edges: { node: { action: string; actor: { handle: string } | null; after: Record<string, unknown> } }[] } }>(
      `{ auditLog(first: 100) { edges { node { action actor { handle } after } } } }`,
      {},
      admin,
    );
    const actions = new Set(log.data!.auditLog.edges.map((e) => e.node.action));
    for (const a of ["USER_CREATE", "TEAM_CREATE", "MEMBER_ADD", "TOKEN_CREATE", "TOKEN_REVOKE", "PERMISSION_EDIT", "PUBLISH"])
      assert.ok(actions.has(a), `${a} missing from ${[...actions]}`);
    const perm = log.data!.auditLog.edges.find((e) => e.node.action === "PERMISSION_EDIT")!.node;
    assert.deepEqual([perm.actor?.handle, perm.after.risk], ["root-admin", "HIGH"]);
    await server.seed.user("reader-to-be");
    await server.gql(`mutation { setUserRoles(input: { user: "reader-to-be", roles: [REVIEWER] }) { handle } }`, {}, admin);
    const roleChange = await server.gql<{ auditLog: { edges: { node: { before: Record<string, unknown>; after: Record<string, unknown> } }[] } }>(
      `{ auditLog(action: ROLE_CHANGE, first: 1) { edges { node { before after } } } }`,
      {},
      admin,
    );
    assert.deepEqual(
      roleChange.data?.auditLog.edges[0]?.node,
      { before: { handle: "reader-to-be", roles: [] }, after: { handle: "reader-to-be", roles: ["REVIEWER"] } },
      "role changes name the user",
    );
    const filtered = await server.gql<{ auditLog: { edges: { node: { action: string } }[] } }>(
      `{ auditLog(actor: "root-admin", action: TEAM_CREATE) { edges { node { action } } } }`,
      {},
      admin,
    );
    assert.ok(filtered.data!.auditLog.edges.length >= 1 && filtered.data!.auditLog.edges.every((e) => e.node.action === "TEAM_CREATE"));
    await assert.rejects(server.runtime.dataSource.query(`UPDATE audit_event SET action = 'YANK'`), /append-only/);
    await assert.rejects(server.runtime.dataSource.query(`DELETE FROM audit_event`), /append-only/);
    await assert.rejects(server.runtime.dataSource.query(`TRUNCATE audit_event`), /append-only/);
    const plain = (await server.seed.team("readers").member("reader")).token;
    assert.equal((await server.gql(`{ auditLog { edges { node { action } } } }`, {}, plain)).errors?.[0].extensions.code, "FORBIDDEN");
  });
});

describe("Query.users (admin user list)", () => {
  let server: TestServer;
  let admin: string;
  let member: string;
  let carol: string;

  const USERS = `query($first: Int, $after: String, $query: String) {
    users(first: $first, after: $after, query: $query) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor node { id handle } }
    }
  }`;
  interface UsersPage {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: { id: string; handle: string } }[];
  }
  const users = async (variables: Record<string, unknown>, token = admin) => {
    const res = await server.gql<{ users: UsersPage }>(USERS, variables, token);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.users;
  };

  before(async () => {
    server = await startTestServer();
    admin = (await server.seed.user("root-admin", [GlobalRole.ADMIN])).token;
    carol = (await server.seed.user("carol")).token;
    member = (await server.seed.user("mark")).token;
    for (const handle of ["dave", "alice", "bob-ops"]) await server.seed.user(handle);
  });
  after(() => server.close());

  test("admins page through every user ordered by handle", async () => {
    const first = await users({ first: 2 });
    assert.deepEqual(
      first.edges.map((e) => e.node.handle),
      ["alice", "bob-ops"],
    );
    assert.deepEqual([first.totalCount, first.pageInfo.hasNextPage, first.pageInfo.hasPreviousPage], [6, true, false]);
    const second = await users({ first: 2, after: first.pageInfo.endCursor });
    assert.deepEqual(
      second.edges.map((e) => e.node.handle),
      ["carol", "dave"],
    );
    assert.deepEqual([second.pageInfo.hasNextPage, second.pageInfo.hasPreviousPage], [true, true]);
    const third = await users({ first: 2, after: second.pageInfo.endCursor });
    assert.deepEqual(
      third.edges.map((e) => e.node.handle),
      ["mark", "root-admin"],
    );
    assert.equal(third.pageInfo.hasNextPage, false);
    assert.deepEqual(
      (await users({})).edges.map((e) => e.node.handle),
      ["alice", "bob-ops", "carol", "dave", "mark", "root-admin"],
    );
    const foreign = await server.gql(USERS, { after: Buffer.from(JSON.stringify(["audit", "1"])).toString("base64url") }, admin);
    assert.equal(foreign.errors?.[0].extensions.code, "BAD_USER_INPUT");
  });

  test("query filters handles by a case-insensitive substring; LIKE wildcards match literally", async () => {
    const ar = await users({ query: "AR" });
    assert.deepEqual(
      ar.edges.map((e) => e.node.handle),
      ["carol", "mark"],
    );
    assert.equal(ar.totalCount, 2);
    assert.deepEqual(
      (await users({ query: "  ad " })).edges.map((e) => e.node.handle),
      ["root-admin"],
    );
    const paged = await users({ query: "a", first: 2 });
    assert.deepEqual(
      paged.edges.map((e) => e.node.handle),
      ["alice", "carol"],
    );
    assert.deepEqual(
      (await users({ query: "a", first: 2, after: paged.pageInfo.endCursor })).edges.map((e) => e.node.handle),
      ["dave", "mark"],
    );
    assert.deepEqual((await users({ query: "%" })).edges, []);
    assert.deepEqual((await users({ query: "_" })).edges, []);
    assert.deepEqual((await users({ query: "" })).totalCount, 6);
  });

  test("non-admins are FORBIDDEN and anonymous callers UNAUTHENTICATED", async () => {
    assert.equal((await server.gql(USERS, {}, member)).errors?.[0].extensions.code, "FORBIDDEN");
    assert.equal((await server.gql(USERS, {})).errors?.[0].extensions.code, "UNAUTHENTICATED");
  });

  test("admins see and revoke other users' API tokens; other users see none of them", async () => {
    const TOKENS = `query($query: String) { users(query: $query) { edges { node { handle email apiTokens { totalCount edges { node { id name revokedAt } } } } } } }`;
    type Listed = {
      handle: string;
      email: string | null;
      apiTokens: { totalCount: number; edges: { node: { id: string; name: string; revokedAt: string | null } }[] };
    };
    const listed = async () => (await server.gql<{ users: { edges: { node: Listed }[] } }>(TOKENS, { query: "carol" }, admin)).data!.users.edges[0].node;
    const before = await listed();
    assert.equal(before.email, "carol@example.test");
    assert.deepEqual(
      before.apiTokens.edges.map((e) => [e.node.name, e.node.revokedAt]),
      [["tests", null]],
    );

    const carolId = (await users({ query: "carol" })).edges[0].node.id;
    const AS_NODE = `query($id: ID!) { node(id: $id) { ... on User { handle email apiTokens { totalCount } } } }`;
    const byOther = await server.gql<{ node: { handle: string; email: string | null; apiTokens: { totalCount: number } } }>(AS_NODE, { id: carolId }, member);
    assert.deepEqual(byOther.data?.node, { handle: "carol", email: null, apiTokens: { totalCount: 0 } }, "hidden from other users");
    const bySelf = await server.gql<{ node: { apiTokens: { totalCount: number } } }>(AS_NODE, { id: carolId }, carol);
    assert.equal(bySelf.data?.node.apiTokens.totalCount, 1);

    const revoked = await server.gql(`mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, { id: before.apiTokens.edges[0].node.id }, admin);
    assert.equal(revoked.errors, undefined, JSON.stringify(revoked.errors));
    assert.notEqual((await listed()).apiTokens.edges[0].node.revokedAt, null);
    assert.equal((await server.gql(`{ viewer { handle } }`, {}, carol)).errors?.[0].extensions.code, "UNAUTHENTICATED", "the revoked token stops working");
  });
});
