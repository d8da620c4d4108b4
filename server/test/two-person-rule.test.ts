import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GlobalRole } from "../src/identity/user.entity";
import { TeamRole } from "../src/identity/membership.entity";
import { publishOk } from "./support/publish";
import { skillYaml } from "./support/seed";
import { startTestServer, type GraphQLResponse, type TestServer } from "./support/test-server";

const CREATE_TOKEN = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id origin } } }`;
const INVITE = `mutation($user: String!) { createInvitation(input: { user: $user }) { code expiresAt user { handle } } }`;
const REDEEM = `mutation($code: String!, $name: String!) { redeemInvitation(input: { code: $code, tokenName: $name }) { token apiToken { name origin } user { handle } } }`;
const APPROVE = `mutation($id: ID!) { approveVersion(input: { versionId: $id, comment: "looks right" }) { published } }`;

const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions.code;

interface Decision {
  reviewer: { handle: string };
  credential: { origin: string; tokenName: string; createdBy: { handle: string } | null; invitedBy: { handle: string } | null; invitedAt: string | null };
}

const DECISIONS = `query($id: ID!) { node(id: $id) { ... on SkillVersion { reviewRequest { decisions { edges { node {
  reviewer { handle } credential { origin tokenName createdBy { handle } invitedBy { handle } invitedAt }
} } } } } } }`;

/**
 * The two-person rule holds only if nobody can act as another person: tokens are for yourself or
 * (admins) for service accounts, which never review; a person's first token comes from a one-time
 * invitation they redeem; every redemption is audited and each decision shows its credential.
 */
describe("the two-person rule and the credentials behind it", () => {
  let server: TestServer;
  let admin: string;
  let firstReviewer: string;
  let author: string;
  /** The second reviewer's token, from the invitation they redeemed. */
  let invitedReviewer = "";

  before(async () => {
    server = await startTestServer();
    admin = (await server.seed.team("admins").member("tp-admin", TeamRole.MEMBER, [GlobalRole.ADMIN])).token;
    firstReviewer = (await server.seed.team("board").member("tp-reviewer-1", TeamRole.MEMBER, [GlobalRole.REVIEWER])).token;
    author = (await server.seed.team("authors").member("tp-author", TeamRole.MAINTAINER)).token;
  });
  after(() => server?.close());

  test("nobody, an admin included, creates a token for another person", async () => {
    const forReviewer = await server.gql(CREATE_TOKEN, { input: { user: "tp-reviewer-1", name: "borrowed" } }, admin);
    assert.equal(codeOf(forReviewer), "FORBIDDEN", JSON.stringify(forReviewer));
    assert.match(forReviewer.errors![0].message, /invite/);
    const forAuthor = await server.gql(CREATE_TOKEN, { input: { user: "tp-author", name: "borrowed" } }, firstReviewer);
    assert.equal(codeOf(forAuthor), "FORBIDDEN");
    // Positive control: anyone creates more tokens for themselves (user omitted or their own handle).
    const own = await server.gql<{ createApiToken: { token: string; apiToken: { origin: string } } }>(
      CREATE_TOKEN,
      { input: { name: "second laptop" } },
      firstReviewer,
    );
    assert.equal(own.data?.createApiToken.apiToken.origin, "SELF");
    const viewer = await server.gql<{ viewer: { handle: string } }>(`{ viewer { handle } }`, {}, own.data!.createApiToken.token);
    assert.equal(viewer.data?.viewer.handle, "tp-reviewer-1");
  });

  test("a person's first token comes from a one-time invitation they redeem without a token; the second approval then counts", async () => {
    const created = await server.gql(
      `mutation { createUser(input: { handle: "tp-reviewer-2", email: "r2@example.test", roles: [REVIEWER] }) { kind } }`,
      {},
      admin,
    );
    assert.deepEqual(created.data, { createUser: { kind: "PERSON" } });
    const invitation = await server.gql<{ createInvitation: { code: string; expiresAt: string; user: { handle: string } } }>(
      INVITE,
      { user: "tp-reviewer-2" },
      admin,
    );
    assert.equal(invitation.errors, undefined, JSON.stringify(invitation.errors));
    const { code, expiresAt } = invitation.data!.createInvitation;
    assert.ok(Date.parse(expiresAt) > Date.now() + 71 * 3600_000, "valid for 72 hours by default");
    // Only its sha256 is stored.
    const stored = JSON.stringify(await server.runtime.dataSource.query(`SELECT * FROM invitation`));
    assert.ok(!stored.includes(code));

    const redeemed = await server.gql<{ redeemInvitation: { token: string; apiToken: { name: string; origin: string }; user: { handle: string } } }>(REDEEM, {
      code,
      name: "laptop",
    });
    assert.equal(redeemed.errors, undefined, JSON.stringify(redeemed.errors));
    assert.deepEqual(redeemed.data!.redeemInvitation.apiToken, { name: "laptop", origin: "INVITATION" });
    const secondReviewer = (invitedReviewer = redeemed.data!.redeemInvitation.token);
    // Single use.
    assert.equal(codeOf(await server.gql(REDEEM, { code, name: "again" })), "INVITATION_INVALID");

    // The two-person rule with a real second person: CRITICAL needs both approvals.
    const critical = await publishOk(server, author, { "skill.yaml": skillYaml({ name: "tp-shell", version: "1.0.0", permissions: ["shell:exec"] }) });
    assert.equal(critical.version.status, "AWAITING_REVIEW");
    assert.equal(
      (await server.gql<{ approveVersion: { published: boolean } }>(APPROVE, { id: critical.version.id }, firstReviewer)).data?.approveVersion.published,
      false,
    );
    assert.equal(
      (await server.gql<{ approveVersion: { published: boolean } }>(APPROVE, { id: critical.version.id }, secondReviewer)).data?.approveVersion.published,
      true,
    );

    // The review shows how each approver's credential came to be.
    const decisions = await server.gql<{ node: { reviewRequest: { decisions: { edges: { node: Decision }[] } } } }>(
      DECISIONS,
      { id: critical.version.id },
      firstReviewer,
    );
    assert.equal(decisions.errors, undefined, JSON.stringify(decisions.errors));
    const byReviewer = Object.fromEntries(decisions.data!.node.reviewRequest.decisions.edges.map((e) => [e.node.reviewer.handle, e.node.credential]));
    assert.deepEqual(
      { ...byReviewer["tp-reviewer-2"], invitedAt: typeof byReviewer["tp-reviewer-2"].invitedAt },
      { origin: "INVITATION", tokenName: "laptop", createdBy: { handle: "tp-admin" }, invitedBy: { handle: "tp-admin" }, invitedAt: "string" },
    );
    assert.equal(byReviewer["tp-reviewer-1"].origin, "INVITATION");

    // Creating and redeeming are audited, naming who did each.
    const audit = await server.gql<{ auditLog: { edges: { node: { action: string; actor: { handle: string } | null; after: Record<string, unknown> } }[] } }>(
      `{ auditLog(first: 100) { edges { node { action actor { handle } after } } } }`,
      {},
      admin,
    );
    const events = audit.data!.auditLog.edges.map((e) => e.node).filter((e) => e.after.user === "tp-reviewer-2");
    assert.deepEqual(
      events.map((e) => [e.action, e.actor?.handle]).filter(([a]) => a === "INVITATION_CREATE" || a === "INVITATION_REDEEM"),
      [
        ["INVITATION_REDEEM", "tp-reviewer-2"],
        ["INVITATION_CREATE", "tp-admin"],
      ],
    );
  });

  test("a token a person makes with their invited one still names who invited them, so a chain of tokens cannot hide it", async () => {
    assert.ok(invitedReviewer, "runs after the invitation test");
    const own = await server.gql<{ createApiToken: { token: string } }>(CREATE_TOKEN, { input: { name: "desktop" } }, invitedReviewer);
    const pending = await publishOk(server, author, { "skill.yaml": skillYaml({ name: "tp-fetch", version: "1.0.0", permissions: ["network:outbound"] }) });
    assert.equal(
      (await server.gql<{ approveVersion: { published: boolean } }>(APPROVE, { id: pending.version.id }, own.data!.createApiToken.token)).data?.approveVersion
        .published,
      true,
    );
    const decisions = await server.gql<{ node: { reviewRequest: { decisions: { edges: { node: Decision }[] } } } }>(
      DECISIONS,
      { id: pending.version.id },
      firstReviewer,
    );
    const { credential } = decisions.data!.node.reviewRequest.decisions.edges[0].node;
    assert.deepEqual(
      { ...credential, invitedAt: typeof credential.invitedAt },
      { origin: "SELF", tokenName: "desktop", createdBy: { handle: "tp-reviewer-2" }, invitedBy: { handle: "tp-admin" }, invitedAt: "string" },
    );
  });

  test("invitations are for people with no working token, expire, and a newer one supersedes an unredeemed one", async () => {
    await server.gql(`mutation { createUser(input: { handle: "tp-newcomer", email: "newcomer@example.test" }) { handle } }`, {}, admin);
    const first = (await server.gql<{ createInvitation: { code: string } }>(INVITE, { user: "tp-newcomer" }, admin)).data!.createInvitation.code;
    const second = (await server.gql<{ createInvitation: { code: string } }>(INVITE, { user: "tp-newcomer" }, admin)).data!.createInvitation.code;
    // Admins see that an invitation is waiting (never its code); others see nothing.
    const PENDING = `{ users(query: "tp-newcomer") { edges { node { pendingInvitation { expiresAt createdBy { handle } } } } } }`;
    const NODE_PENDING = `query($id: ID!) { node(id: $id) { ... on User { pendingInvitation { expiresAt } } } }`;
    const pending = await server.gql<{ users: { edges: { node: { pendingInvitation: { expiresAt: string; createdBy: { handle: string } } | null } }[] } }>(
      PENDING,
      {},
      admin,
    );
    assert.equal(pending.data?.users.edges[0].node.pendingInvitation?.createdBy.handle, "tp-admin");
    const newcomerId = ((await server.runtime.dataSource.query(`SELECT id FROM "user" WHERE handle = 'tp-newcomer'`)) as { id: string }[])[0].id;
    const asReviewer = await server.gql<{ node: { pendingInvitation: unknown } }>(
      NODE_PENDING,
      { id: Buffer.from(`User:${newcomerId}`).toString("base64url") },
      firstReviewer,
    );
    assert.equal(asReviewer.data?.node.pendingInvitation, null);
    const superseded = await server.gql(REDEEM, { code: first, name: "x" });
    assert.equal(codeOf(superseded), "INVITATION_INVALID");
    assert.match(superseded.errors![0].message, /replaced by a newer one/);
    await server.runtime.dataSource.query(`UPDATE invitation SET expires_at = now() - interval '1 minute' WHERE superseded_at IS NULL AND redeemed_at IS NULL`);
    const afterExpiry = await server.gql<{ users: { edges: { node: { pendingInvitation: unknown } }[] } }>(PENDING, {}, admin);
    assert.equal(afterExpiry.data?.users.edges[0].node.pendingInvitation, null, "an expired invitation is no longer pending");
    const expired = await server.gql(REDEEM, { code: second, name: "x" });
    assert.equal(codeOf(expired), "INVITATION_INVALID");
    assert.match(expired.errors![0].message, /expired/);
    assert.equal(codeOf(await server.gql(REDEEM, { code: "syi_made-up", name: "x" })), "INVITATION_INVALID");
    // Someone holding a working token creates their own; an invitation for them is refused.
    const holder = await server.gql(INVITE, { user: "tp-author" }, admin);
    assert.equal(codeOf(holder), "BAD_USER_INPUT");
    assert.match(holder.errors![0].message, /already holds a working API token/);
    // Only admins invite.
    assert.equal(codeOf(await server.gql(INVITE, { user: "tp-newcomer" }, firstReviewer)), "FORBIDDEN");
  });

  test("service accounts get tokens from admins, hold no role, and never review", async () => {
    assert.equal(
      codeOf(
        await server.gql(
          `mutation { createUser(input: { handle: "tp-ci", email: "ci@example.test", kind: SERVICE, roles: [REVIEWER] }) { handle } }`,
          {},
          admin,
        ),
      ),
      "BAD_USER_INPUT",
    );
    const ci = await server.gql(`mutation { createUser(input: { handle: "tp-ci", email: "ci@example.test", kind: SERVICE }) { kind roles } }`, {}, admin);
    assert.deepEqual(ci.data, { createUser: { kind: "SERVICE", roles: [] } });
    assert.equal(codeOf(await server.gql(`mutation { setUserRoles(input: { user: "tp-ci", roles: [REVIEWER] }) { roles } }`, {}, admin)), "BAD_USER_INPUT");
    assert.equal(codeOf(await server.gql(INVITE, { user: "tp-ci" }, admin)), "BAD_USER_INPUT");
    assert.equal(
      codeOf(await server.gql(CREATE_TOKEN, { input: { user: "tp-ci", name: "pipeline" } }, author)),
      "FORBIDDEN",
      "only admins create a service account's tokens",
    );
    const token = await server.gql<{ createApiToken: { token: string; apiToken: { origin: string } } }>(
      CREATE_TOKEN,
      { input: { user: "tp-ci", name: "pipeline" } },
      admin,
    );
    assert.equal(token.data?.createApiToken.apiToken.origin, "SERVICE_ACCOUNT");
    const ciToken = token.data!.createApiToken.token;
    // It publishes for its team like any member, but cannot approve anything.
    await server.gql(`mutation { addTeamMember(input: { team: "authors", user: "tp-ci" }) { role } }`, {}, admin);
    const pending = await publishOk(server, author, { "skill.yaml": skillYaml({ name: "tp-net", version: "1.0.0", permissions: ["network:outbound"] }) });
    assert.equal(codeOf(await server.gql(APPROVE, { id: pending.version.id }, ciToken)), "FORBIDDEN");
    const viaCi = await publishOk(server, ciToken, { "skill.yaml": skillYaml({ name: "tp-ci-built", version: "1.0.0" }) });
    assert.equal(viaCi.version.status, "PUBLISHED");
  });
});
