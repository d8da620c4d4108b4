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

  test("an admin creates a user, a team and a membership; a token created for the user works and is listed without its secret", async () => {
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
    const created = await server.gql<{ createApiToken: { token: string; apiToken: { prefix: string } } }>(CREATE_TOKEN, { input: { user: "dana", name: "laptop" } }, admin);
    const secret = created.data!.createApiToken.token;
    assert.ok(secret.startsWith(created.data!.createApiToken.apiToken.prefix));
    const viewer = await server.gql<{ viewer: { handle: string; email: string; teams: { edges: { node: { role: string } }[] }; apiTokens: { edges: { node: Record<string, unknown> }[] } } }>(
      `{ viewer { handle email teams { edges { node { role } } } apiTokens { edges { node { name prefix revokedAt } } } } }`,
      {},
      secret,
    );
    assert.equal(viewer.data?.viewer.handle, "dana");
    assert.equal(viewer.data?.viewer.email, "dana@example.test");
    assert.deepEqual(viewer.data?.viewer.teams.edges.map((e) => e.node.role), ["MAINTAINER"]);
    assert.deepEqual(viewer.data?.viewer.apiTokens.edges.map((e) => Object.keys(e.node).sort()), [["name", "prefix", "revokedAt"]]);
    assert.ok(!JSON.stringify(viewer).includes(secret), "the secret is never listed");
  });

  test("a revoked token fails at once, on HTTP and on an open subscription", async () => {
    const author = await server.seed.team("revokers").member("revoker");
    const created = await server.gql<{ createApiToken: { token: string; apiToken: { id: string } } }>(CREATE_TOKEN, { input: { user: "revoker", name: "ci" } }, author.token);
    const secret = created.data!.createApiToken.token;
    assert.equal((await server.gql<{ viewer: { handle: string } }>(`{ viewer { handle } }`, {}, secret)).data?.viewer.handle, "revoker");
    // A subscription that stays open: the run waits in the queue (no worker in this server).
    const published = await publishOk(server, author.token, pythonSkill("revocation-watch", "1.0.0"));
    const runId = (await server.gql<{ node: { latestTestRun: { id: string } } }>(`query($id: ID!) { node(id: $id) { ... on SkillVersion { latestTestRun { id } } } }`, { id: published.version.id }, author.token)).data!.node.latestTestRun.id;
    const client = wsClient(server.url, secret);
    let firstEvent!: () => void;
    const gotFirst = new Promise<void>((r) => (firstEvent = r));
    const stream = collectRunEvents(client, runId, () => firstEvent());
    await gotFirst;
    // Expect the end before revoking: the socket may close before the mutation's answer arrives.
    const ended = assert.rejects(stream, "the open subscription ends when its token is revoked");
    const revoked = await server.gql<{ revokeApiToken: { revokedAt: string } }>(`mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, { id: created.data!.createApiToken.apiToken.id }, author.token);
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
      assert.equal((await server.gql(`mutation { createUser(input: { handle: "x", email: "x@example.test" }) { handle } }`, {}, token)).errors?.[0].extensions.code, "FORBIDDEN");
      assert.equal((await server.gql(`mutation { createTeam(input: { name: "x" }) { name } }`, {}, token)).errors?.[0].extensions.code, "FORBIDDEN");
    }
    assert.equal((await server.gql(CREATE_TOKEN, { input: { user: "owner", name: "steal" } }, member.token)).errors?.[0].extensions.code, "FORBIDDEN");
    const add = `mutation { addTeamMember(input: { team: "owned", user: "outsider", role: MEMBER }) { role } }`;
    assert.equal((await server.gql(add, {}, member.token)).errors?.[0].extensions.code, "FORBIDDEN");
    assert.equal((await server.gql(add, {}, outsider.token)).errors?.[0].extensions.code, "FORBIDDEN");
    assert.equal((await server.gql(add, {}, maintainer.token)).errors, undefined);
    assert.equal((await server.gql(`mutation { createUser(input: { handle: "x", email: "x@example.test" }) { handle } }`)).errors?.[0].extensions.code, "UNAUTHENTICATED");
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
    for (const a of ["USER_CREATE", "TEAM_CREATE", "MEMBER_ADD", "TOKEN_CREATE", "TOKEN_REVOKE", "PERMISSION_EDIT", "PUBLISH"]) assert.ok(actions.has(a), `${a} missing from ${[...actions]}`);
    const perm = log.data!.auditLog.edges.find((e) => e.node.action === "PERMISSION_EDIT")!.node;
    assert.deepEqual([perm.actor?.handle, perm.after.risk], ["root-admin", "HIGH"]);
    const filtered = await server.gql<{ auditLog: { edges: { node: { action: string } }[] } }>(`{ auditLog(actor: "root-admin", action: TEAM_CREATE) { edges { node { action } } } }`, {}, admin);
    assert.ok(filtered.data!.auditLog.edges.length >= 1 && filtered.data!.auditLog.edges.every((e) => e.node.action === "TEAM_CREATE"));
    await assert.rejects(server.runtime.dataSource.query(`UPDATE audit_event SET action = 'YANK'`), /append-only/);
    await assert.rejects(server.runtime.dataSource.query(`DELETE FROM audit_event`), /append-only/);
    await assert.rejects(server.runtime.dataSource.query(`TRUNCATE audit_event`), /append-only/);
    const plain = (await server.seed.team("readers").member("reader")).token;
    assert.equal((await server.gql(`{ auditLog { edges { node { action } } } }`, {}, plain)).errors?.[0].extensions.code, "FORBIDDEN");
  });
});
