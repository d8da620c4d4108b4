import "reflect-metadata";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { buildASTSchema, parse } from "graphql";
import { fromGlobalId, toGlobalId } from "../src/common/global-id";
import { SUPERGRAPH_FILE } from "../src/graphql/compose";
import { SUBGRAPHS } from "../src/graphql/subgraphs";
import { declaredOperations } from "../src/identity/access";
import { ApiTokenOrigin, TokenScope } from "../src/identity/api-token.entity";
import { TeamRole } from "../src/identity/membership.entity";
import { GlobalRole, User } from "../src/identity/user.entity";
import { sessionScopes } from "../src/identity/viewer";
import { makePackage, skillYaml } from "./support/seed";
import { PUBLISH, publishOk } from "./support/publish";
import type { Client } from "graphql-ws";
import { collectEvents, collectRunEvents, wsClient } from "./support/subscriptions";
import { startTestServer, type GraphQLResponse, type TestServer } from "./support/test-server";

const ACTORS = ["anonymous", "otherTeam", "member", "maintainer", "reviewer", "admin"] as const;
type Actor = (typeof ACTORS)[number];

/** "ok": answered without errors; "hidden": answered null/empty; otherwise the expected error code. */
type Outcome = "ok" | "hidden" | string;

interface Row {
  operation: string;
  /** The token scope the operation declares; a token without it is refused, whoever holds it. */
  scope: TokenScope;
  /** Runs the operation as `actor` (index i for per-actor targets) and returns the response. */
  run(actor: Actor, i: number): Promise<GraphQLResponse>;
  /** For queries that answer null/empty when the viewer may not see the thing. */
  hidden?: (res: GraphQLResponse) => boolean;
  expect: Record<Actor, Outcome>;
}

/** Re-running a version's tests or evals: its team and admins get past the check (and are told it is not waiting). */
const RERUN: Record<Actor, Outcome> = {
  anonymous: "UNAUTHENTICATED",
  otherTeam: "FORBIDDEN",
  member: "BAD_USER_INPUT",
  maintainer: "BAD_USER_INPUT",
  reviewer: "FORBIDDEN",
  admin: "BAD_USER_INPUT",
};

const everyone = (outcome: Outcome): Record<Actor, Outcome> => ({
  anonymous: outcome,
  otherTeam: outcome,
  member: outcome,
  maintainer: outcome,
  reviewer: outcome,
  admin: outcome,
});
const authenticated = (outcome: Outcome): Record<Actor, Outcome> => ({ ...everyone(outcome), anonymous: "UNAUTHENTICATED" });
const only = (allowed: Actor[], denied = "FORBIDDEN"): Record<Actor, Outcome> =>
  Object.fromEntries(ACTORS.map((a) => [a, a === "anonymous" ? "UNAUTHENTICATED" : allowed.includes(a) ? "ok" : denied])) as Record<Actor, Outcome>;

/**
 * The authorization matrix as a table: every query, mutation and the subscription × every kind of
 * caller, and × token scope: each operation's scope, refused to a token that has every other scope
 * its holder's roles allow. A test below fails when the schema gains an operation this table does
 * not cover, or when a row's scope is not the one the operation declares.
 */
describe("authorization matrix", () => {
  let server: TestServer;
  const tokens = {} as Record<Exclude<Actor, "anonymous">, string>;
  /** When set, every actor's request carries this token instead (the scope tests below). */
  let tokenInstead: string | null = null;
  const token = (actor: Actor) => tokenInstead ?? (actor === "anonymous" ? undefined : tokens[actor]);
  let pendingVersionId: string;
  let pendingRunId: string;
  let pendingEvalRunId: string;
  const perActor: Record<string, string[]> = {
    yank: [],
    deprecate: [],
    approve: [],
    reject: [],
    ownToken: [],
    webhook: [],
    invitationCode: [],
    invitee: [],
    removable: [],
    groupMapping: [],
  };
  let foreignTokenId: string;
  let publishedVersionId: string;
  let roleTargetId: string;

  before(async () => {
    server = await startTestServer();
    const owners = server.seed.team("owners");
    tokens.member = (await owners.member("m-member")).token;
    tokens.maintainer = (await owners.member("m-maintainer", TeamRole.MAINTAINER)).token;
    tokens.otherTeam = (await server.seed.team("others").member("m-other")).token;
    tokens.reviewer = (await server.seed.team("board").member("m-reviewer", TeamRole.MEMBER, [GlobalRole.REVIEWER])).token;
    tokens.admin = (await server.seed.team("admins").member("m-admin", TeamRole.MEMBER, [GlobalRole.ADMIN])).token;
    await server.seed.user("role-target");
    const publish = (version: string, permissions: string[], as = tokens.maintainer) =>
      publishOk(server, as, { "skill.yaml": skillYaml({ name: "owned-skill", version, permissions }) });
    publishedVersionId = (await publish("1.0.0", ["database:read"])).version.id;
    const pending = await publish("1.1.0", ["database:read", "network:outbound"], tokens.member);
    assert.equal(pending.version.status, "AWAITING_REVIEW");
    pendingVersionId = pending.version.id;
    pendingRunId = (
      await server.gql<{ node: { latestTestRun: { id: string } } }>(
        `query($id: ID!) { node(id: $id) { ... on SkillVersion { latestTestRun { id } } } }`,
        { id: pendingVersionId },
        tokens.admin,
      )
    ).data!.node.latestTestRun.id;
    // A finished eval run of the pending version (this server runs no sandbox worker).
    const [evalRun] = (await server.runtime.dataSource.query(
      `INSERT INTO eval_run (version_id, suite_version_id, purpose, status, min_score, case_count, score) VALUES ($1, $1, 'GATE', 'PASSED', 0.8, 0, 1) RETURNING id`,
      [fromGlobalId(pendingVersionId).id],
    )) as { id: string }[];
    await server.runtime.dataSource.query(`INSERT INTO test_run_event (run_id, seq, kind, status) VALUES ($1, 1, 'STATUS', 'PASSED')`, [evalRun.id]);
    pendingEvalRunId = toGlobalId("EvalRun", evalRun.id);
    for (let i = 0; i < ACTORS.length; i++) {
      perActor.yank.push((await publish(`3.0.${i}`, ["database:read"])).version.id);
      perActor.deprecate.push((await publish(`4.0.${i}`, ["database:read"])).version.id);
      perActor.approve.push((await publish(`5.0.${i}`, ["database:read", "network:outbound"], tokens.member)).version.id);
      perActor.reject.push((await publish(`6.0.${i}`, ["database:read", "network:outbound"], tokens.member)).version.id);
    }
    for (const actor of ACTORS) {
      const t = token(actor);
      const own = t
        ? await server.gql<{ createApiToken: { apiToken: { id: string } } }>(
            `mutation($u: String!) { createApiToken(input: { user: $u, name: "spare" }) { apiToken { id } } }`,
            { u: handleOf(actor) },
            t,
          )
        : null;
      perActor.ownToken.push(own?.data?.createApiToken.apiToken.id ?? "");
      const hook = await server.gql<{ createWebhook: { webhook: { id: string } } }>(
        `mutation { createWebhook(input: { url: "https://hooks.example.test/hook", events: [VERSION_PUBLISHED] }) { webhook { id } } }`,
        {},
        tokens.admin,
      );
      perActor.webhook.push(hook.data!.createWebhook.webhook.id);
    }
    const roleTarget = (
      await server.gql<{ users: { edges: { node: { id: string; apiTokens: { edges: { node: { id: string } }[] } } }[] } }>(
        `{ users(query: "role-target") { edges { node { id apiTokens { edges { node { id } } } } } } }`,
        {},
        tokens.admin,
      )
    ).data!.users.edges[0].node;
    roleTargetId = roleTarget.id;
    foreignTokenId = roleTarget.apiTokens.edges[0].node.id;
    await server.seed.serviceAccount("ci-bot");
    for (const actor of ACTORS) {
      // A person with no token yet for each actor to invite, and a redeemable code for each actor.
      const invitee = (await server.seed.user(`invitee-${actor.toLowerCase()}`)).user;
      await server.runtime.dataSource.query(`UPDATE api_token SET revoked_at = now() WHERE user_id = $1`, [invitee.id]);
      perActor.invitee.push(invitee.handle);
      const holder = (await server.seed.user(`holder-${actor.toLowerCase()}`)).user;
      await server.runtime.dataSource.query(`UPDATE api_token SET revoked_at = now() WHERE user_id = $1`, [holder.id]);
      const code = await server.gql<{ createInvitation: { code: string } }>(
        `mutation($u: String!) { createInvitation(input: { user: $u }) { code } }`,
        { u: holder.handle },
        tokens.admin,
      );
      perActor.invitationCode.push(code.data!.createInvitation.code);
      const removable = (await owners.member(`removable-${actor.toLowerCase()}`)).user;
      perActor.removable.push(removable.handle);
      const mapping = await server.gql<{ setGroupMapping: { id: string } }>(
        `mutation($g: String!) { setGroupMapping(input: { group: $g, role: REVIEWER }) { id } }`,
        { g: `matrix-${actor}` },
        tokens.admin,
      );
      perActor.groupMapping.push(mapping.data!.setGroupMapping.id);
    }
  });
  after(() => server.close());

  const handleOf = (actor: Actor) =>
    ({ anonymous: "", otherTeam: "m-other", member: "m-member", maintainer: "m-maintainer", reviewer: "m-reviewer", admin: "m-admin" })[actor];
  const teamOf = (actor: Actor) =>
    ({ anonymous: "others", otherTeam: "others", member: "owners", maintainer: "owners", reviewer: "board", admin: "admins" })[actor];
  const gql = (actor: Actor, query: string, variables: Record<string, unknown> = {}) => server.gql(query, variables, token(actor));

  const ROWS: Row[] = [
    { operation: "Query.skills", scope: TokenScope.READ, run: (a) => gql(a, `{ skills { edges { node { name } } } }`), expect: everyone("ok") },
    { operation: "Query.skill", scope: TokenScope.READ, run: (a) => gql(a, `{ skill(name: "owned-skill") { name } }`), expect: everyone("ok") },
    {
      operation: "Query.node",
      scope: TokenScope.READ,
      run: (a) => gql(a, `query($id: ID!) { node(id: $id) { id } }`, { id: pendingVersionId }),
      hidden: (res) => (res.data as { node: unknown }).node === null,
      expect: { anonymous: "hidden", otherTeam: "hidden", member: "ok", maintainer: "ok", reviewer: "ok", admin: "ok" },
    },
    {
      operation: "Skill.versions (nested edge)",
      scope: TokenScope.READ,
      run: (a) => gql(a, `{ skill(name: "owned-skill") { versions(first: 100) { edges { node { version status } } } } }`),
      hidden: (res) => !JSON.stringify(res.data).includes("AWAITING_REVIEW"),
      expect: { anonymous: "hidden", otherTeam: "hidden", member: "ok", maintainer: "ok", reviewer: "ok", admin: "ok" },
    },
    { operation: "Query.permissions", scope: TokenScope.READ, run: (a) => gql(a, `{ permissions { edges { node { name } } } }`), expect: everyone("ok") },
    {
      operation: "Query.viewer",
      scope: TokenScope.READ,
      run: (a) => gql(a, `{ viewer { handle } }`),
      hidden: (res) => (res.data as { viewer: unknown }).viewer === null,
      expect: { ...everyone("ok"), anonymous: "hidden" },
    },
    {
      operation: "Query.auditLog",
      scope: TokenScope.READ,
      run: (a) => gql(a, `{ auditLog { edges { node { action } } } }`),
      expect: only(["reviewer", "admin"]),
    },
    { operation: "Query.reviewPolicy", scope: TokenScope.READ, run: (a) => gql(a, `{ reviewPolicy { riskThreshold } }`), expect: authenticated("ok") },
    {
      operation: "Query.reviewQueue",
      scope: TokenScope.READ,
      run: (a) => gql(a, `{ reviewQueue { edges { node { requiredApprovals } } } }`),
      expect: only(["reviewer", "admin"]),
    },
    { operation: "Query.marketplaces", scope: TokenScope.READ, run: (a) => gql(a, `{ marketplaces { name url } }`), expect: everyone("ok") },
    {
      operation: "Query.requiredSkills",
      scope: TokenScope.READ,
      run: (a) => gql(a, `{ requiredSkills(team: "owners") { skill { id } } }`),
      expect: authenticated("ok"),
    },
    { operation: "Query.runtimePolicy", scope: TokenScope.READ, run: (a) => gql(a, `{ runtimePolicy { version } }`), expect: authenticated("ok") },
    {
      operation: "Query.managedSettings",
      scope: TokenScope.READ,
      // It carries the team's distribution tokens: the team's maintainers and admins only.
      run: (a) => gql(a, `{ managedSettings(team: "owners", channel: "stable") }`),
      expect: only(["maintainer", "admin"]),
    },
    {
      operation: "Mutation.setRequiredSkill",
      scope: TokenScope.PUBLISH,
      run: (a) => gql(a, `mutation { setRequiredSkill(input: { skill: "owned-skill", team: "owners", required: true }) { required } }`),
      expect: only(["maintainer", "admin"]),
    },
    {
      operation: "Mutation.setRuntimePolicy",
      scope: TokenScope.ADMIN,
      run: (a) => gql(a, `mutation { setRuntimePolicy(input: { rules: [{ tools: "^Bash$", pattern: "matrix", reason: "matrix" }] }) { version } }`),
      expect: only(["admin"]),
    },
    {
      operation: "Query.usageOverview",
      scope: TokenScope.READ,
      run: (a) => gql(a, `{ usageOverview(weeks: 4) { weeks topSkills { invocations } } }`),
      expect: only(["reviewer", "admin"]),
    },
    {
      operation: "Query.qualityReviewsDue",
      scope: TokenScope.READ,
      run: (a) => gql(a, `{ qualityReviewsDue { reason } }`),
      expect: only(["reviewer", "admin"]),
    },
    {
      operation: "Query.platformUpdates",
      scope: TokenScope.READ,
      run: (a) => gql(a, `{ platformUpdates { description } }`),
      expect: only(["reviewer", "admin"]),
    },
    {
      operation: "Skill.usage (a field: null for anonymous viewers, who see names but not which teams use what)",
      scope: TokenScope.READ,
      run: (a) => gql(a, `{ skill(name: "owned-skill") { usageTier usage(weeks: 4) { invocations } } }`),
      hidden: (res) => (res.data as { skill: { usage: unknown } }).skill.usage === null,
      expect: { ...everyone("ok"), anonymous: "hidden" },
    },
    {
      operation: "Mutation.recordQualityReview",
      scope: TokenScope.REVIEW,
      run: (a) =>
        gql(a, `mutation { recordQualityReview(input: { skill: "owned-skill", version: "1.0.0", outcome: NEEDS_WORK, notes: "matrix" }) { outcome } }`),
      expect: only(["reviewer", "admin"]),
    },
    {
      operation: "Mutation.markPlatformUpdate",
      scope: TokenScope.ADMIN,
      run: (a) => gql(a, `mutation { markPlatformUpdate(input: { kind: OTHER, description: "matrix" }) { kind } }`),
      expect: only(["admin"]),
    },
    { operation: "Query.webhooks", scope: TokenScope.READ, run: (a) => gql(a, `{ webhooks { edges { node { url } } } }`), expect: only(["admin"]) },
    {
      operation: "Query.expiringApiTokens",
      scope: TokenScope.READ,
      run: (a) => gql(a, `{ expiringApiTokens(withinDays: 365) { totalCount } }`),
      expect: authenticated("ok"),
    },
    {
      operation: "Query.users",
      scope: TokenScope.READ,
      run: (a) => gql(a, `{ users(query: "role-target") { edges { node { handle } } } }`),
      expect: only(["admin"]),
    },
    {
      operation: "User.apiTokens (someone else's, via node)",
      scope: TokenScope.READ,
      run: (a) => gql(a, `query($id: ID!) { node(id: $id) { ... on User { apiTokens { totalCount edges { node { name } } } } } }`, { id: roleTargetId }),
      hidden: (res) => (res.data as { node: { apiTokens: { totalCount: number } } }).node.apiTokens.totalCount === 0,
      expect: { ...everyone("hidden"), admin: "ok" },
    },
    {
      operation: "Query.testRun",
      scope: TokenScope.READ,
      run: (a) => gql(a, `query($id: ID!) { testRun(id: $id) { status } }`, { id: pendingRunId }),
      hidden: (res) => (res.data as { testRun: unknown }).testRun === null,
      expect: { anonymous: "hidden", otherTeam: "hidden", member: "ok", maintainer: "ok", reviewer: "ok", admin: "ok" },
    },
    {
      operation: "Query.evalRun",
      scope: TokenScope.READ,
      run: (a) => gql(a, `query($id: ID!) { evalRun(id: $id) { status } }`, { id: pendingEvalRunId }),
      hidden: (res) => (res.data as { evalRun: unknown }).evalRun === null,
      expect: { anonymous: "hidden", otherTeam: "hidden", member: "ok", maintainer: "ok", reviewer: "ok", admin: "ok" },
    },
    { operation: "Query.testQueue", scope: TokenScope.READ, run: (a) => gql(a, `{ testQueue { queued } }`), expect: everyone("ok") },
    {
      operation: "Mutation.setChannel",
      scope: TokenScope.PUBLISH,
      run: (a) =>
        gql(a, `mutation($c: String!) { setChannel(input: { skill: "owned-skill", channel: $c, version: "1.0.0" }) { channel { name } } }`, {
          c: `ch-${a.toLowerCase()}`,
        }),
      expect: only(["maintainer", "admin"]),
    },
    {
      operation: "Mutation.yankVersion",
      scope: TokenScope.PUBLISH,
      run: (a, i) => gql(a, `mutation($id: ID!) { yankVersion(input: { versionId: $id, reason: "matrix" }) { status } }`, { id: perActor.yank[i] }),
      expect: only(["maintainer", "admin"]),
    },
    {
      operation: "Mutation.deprecateVersion",
      scope: TokenScope.PUBLISH,
      run: (a, i) => gql(a, `mutation($id: ID!) { deprecateVersion(input: { versionId: $id, message: "matrix" }) { status } }`, { id: perActor.deprecate[i] }),
      expect: only(["maintainer", "admin"]),
    },
    {
      operation: "Mutation.publishSkillVersion",
      scope: TokenScope.PUBLISH,
      run: async (a, i) => {
        const upload = await server.upload(
          await makePackage({ "skill.yaml": skillYaml({ name: "owned-skill", version: `7.0.${i}`, permissions: ["database:read"] }) }),
          tokens.maintainer,
        );
        return gql(a, PUBLISH, { input: { packageSha256: upload.body.sha256 } });
      },
      expect: only(["member", "maintainer"]),
    },
    {
      operation: "Mutation.setPermission",
      scope: TokenScope.ADMIN,
      run: (a) => gql(a, `mutation { setPermission(input: { name: "matrix:edit", description: "Matrix test.", risk: LOW }) { name } }`),
      expect: only(["admin"]),
    },
    {
      operation: "Mutation.rateSkill",
      scope: TokenScope.READ,
      run: (a) => gql(a, `mutation { rateSkill(input: { name: "owned-skill", rating: 4 }) { rating { rating } } }`),
      expect: only(["otherTeam", "reviewer", "admin"]),
    },
    {
      operation: "Mutation.installSkill (own tenant)",
      scope: TokenScope.READ,
      run: (a) =>
        gql(a, `mutation($t: String!) { installSkill(input: { name: "owned-skill", range: "1.0.0", tenant: $t }) { root { version } } }`, { t: teamOf(a) }),
      expect: authenticated("ok"),
    },
    {
      operation: "Mutation.installSkill (another tenant)",
      scope: TokenScope.READ,
      run: (a) => gql(a, `mutation { installSkill(input: { name: "owned-skill", range: "1.0.0", tenant: "owners" }) { root { version } } }`),
      expect: only(["member", "maintainer", "admin"]),
    },
    {
      operation: "Mutation.createUser",
      scope: TokenScope.ADMIN,
      run: (a) =>
        gql(a, `mutation($h: String!, $e: String!) { createUser(input: { handle: $h, email: $e }) { handle } }`, {
          h: `new-${a.toLowerCase()}`,
          e: `new-${a.toLowerCase()}@x.test`,
        }),
      expect: only(["admin"]),
    },
    {
      operation: "Mutation.setUserRoles",
      scope: TokenScope.ADMIN,
      run: (a) => gql(a, `mutation { setUserRoles(input: { user: "role-target", roles: [REVIEWER] }) { roles } }`),
      expect: only(["admin"]),
    },
    {
      operation: "Mutation.createApiToken (self)",
      scope: TokenScope.READ,
      run: (a) => gql(a, `mutation($u: String!) { createApiToken(input: { user: $u, name: "self" }) { token } }`, { u: handleOf(a) || "role-target" }),
      expect: authenticated("ok"),
    },
    {
      operation: "Mutation.createApiToken (another person: nobody, admins included)",
      scope: TokenScope.READ,
      run: (a) => gql(a, `mutation { createApiToken(input: { user: "role-target", name: "other" }) { token } }`),
      expect: only([]),
    },
    {
      operation: "Mutation.createApiToken (a service account)",
      scope: TokenScope.READ,
      run: (a) => gql(a, `mutation { createApiToken(input: { user: "ci-bot", name: "ci" }) { token } }`),
      expect: only(["admin"]),
    },
    {
      operation: "Mutation.createInvitation",
      scope: TokenScope.ADMIN,
      run: (a, i) => gql(a, `mutation($u: String!) { createInvitation(input: { user: $u }) { code } }`, { u: perActor.invitee[i] }),
      expect: only(["admin"]),
    },
    {
      operation: "Mutation.redeemInvitation (no token needed)",
      scope: TokenScope.READ,
      run: (a, i) =>
        gql(a, `mutation($c: String!) { redeemInvitation(input: { code: $c, tokenName: "matrix" }) { token } }`, { c: perActor.invitationCode[i] }),
      expect: everyone("ok"),
    },
    {
      operation: "Mutation.removeTeamMember",
      scope: TokenScope.PUBLISH,
      run: (a, i) => gql(a, `mutation($u: String!) { removeTeamMember(input: { team: "owners", user: $u }) { role } }`, { u: perActor.removable[i] }),
      expect: only(["maintainer", "admin"]),
    },
    {
      operation: "Mutation.revokeApiToken (own)",
      scope: TokenScope.READ,
      run: (a, i) => gql(a, `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, { id: perActor.ownToken[i] || foreignTokenId }),
      expect: authenticated("ok"),
    },
    {
      operation: "Mutation.revokeApiToken (someone else's)",
      scope: TokenScope.READ,
      run: (a) => gql(a, `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, { id: foreignTokenId }),
      expect: only(["admin"], "NOT_FOUND"),
    },
    {
      operation: "Mutation.createTeam",
      scope: TokenScope.ADMIN,
      run: (a) => gql(a, `mutation($n: String!) { createTeam(input: { name: $n }) { name } }`, { n: `team-${a.toLowerCase()}` }),
      expect: only(["admin"]),
    },
    {
      operation: "Mutation.addTeamMember",
      scope: TokenScope.PUBLISH,
      run: (a) => gql(a, `mutation { addTeamMember(input: { team: "owners", user: "role-target", role: MEMBER }) { role } }`),
      expect: only(["maintainer", "admin"]),
    },
    {
      operation: "Mutation.approveVersion",
      scope: TokenScope.REVIEW,
      run: (a, i) => gql(a, `mutation($id: ID!) { approveVersion(input: { versionId: $id, comment: "ok" }) { published } }`, { id: perActor.approve[i] }),
      expect: only(["reviewer", "admin"]),
    },
    {
      operation: "Mutation.rejectVersion",
      scope: TokenScope.REVIEW,
      run: (a, i) => gql(a, `mutation($id: ID!) { rejectVersion(input: { versionId: $id, reason: "no" }) { published } }`, { id: perActor.reject[i] }),
      expect: only(["reviewer", "admin"]),
    },
    { operation: "Query.groupMappings", scope: TokenScope.READ, run: (a) => gql(a, `{ groupMappings { edges { node { group } } } }`), expect: only(["admin"]) },
    {
      operation: "Mutation.setGroupMapping",
      scope: TokenScope.ADMIN,
      run: (a) => gql(a, `mutation { setGroupMapping(input: { group: "eng-owners", team: "owners", teamRole: MEMBER }) { group } }`),
      expect: only(["admin"]),
    },
    {
      operation: "Mutation.deleteGroupMapping",
      scope: TokenScope.ADMIN,
      run: (a, i) => gql(a, `mutation($id: ID!) { deleteGroupMapping(input: { id: $id }) { group } }`, { id: perActor.groupMapping[i] }),
      expect: only(["admin"]),
    },
    {
      operation: "Mutation.createWebhook",
      scope: TokenScope.ADMIN,
      run: (a) => gql(a, `mutation { createWebhook(input: { url: "https://hooks.example.test/x", events: [REVIEW_REQUESTED] }) { secret } }`),
      expect: only(["admin"]),
    },
    {
      operation: "Mutation.deleteWebhook",
      scope: TokenScope.ADMIN,
      run: (a, i) => gql(a, `mutation($id: ID!) { deleteWebhook(id: $id) { webhook { active } } }`, { id: perActor.webhook[i] }),
      expect: only(["admin"]),
    },
    {
      operation: "Mutation.rerunTests",
      scope: TokenScope.PUBLISH,
      // Authorized callers get past the permission check and are told the version is not in TESTING.
      run: (a) => gql(a, `mutation($id: ID!) { rerunTests(versionId: $id) { status } }`, { id: publishedVersionId }),
      expect: RERUN,
    },
    {
      operation: "Mutation.rerunEvals",
      scope: TokenScope.PUBLISH,
      // Authorized callers get past the permission check and are told the version is not in EVALUATING.
      run: (a) => gql(a, `mutation($id: ID!) { rerunEvals(versionId: $id) { status } }`, { id: publishedVersionId }),
      expect: RERUN,
    },
  ];

  for (const row of ROWS) {
    test(row.operation, async () => {
      for (const [i, actor] of ACTORS.entries()) {
        const res = await row.run(actor, i);
        const expected = row.expect[actor];
        const got = res.errors?.length ? res.errors[0].extensions.code : row.hidden?.(res) ? "hidden" : "ok";
        assert.equal(got, expected, `${row.operation} as ${actor}: ${JSON.stringify(res.errors ?? res.data)}`);
      }
    });
  }

  /** A token of `actor` with every scope its roles allow except `without`. */
  const tokenWithout = async (actor: Exclude<Actor, "anonymous">, without: TokenScope): Promise<string> => {
    const { dataSource, services } = server.runtime;
    const user = await dataSource.getRepository(User).findOneByOrFail({ handle: handleOf(actor) });
    const scopes = [...sessionScopes(user)].filter((s) => s !== without);
    return dataSource.transaction(
      async (em) =>
        (
          await services.apiTokens.issue(em, {
            userId: user.id,
            name: `without ${without}`,
            origin: ApiTokenOrigin.SELF,
            createdById: user.id,
            scopes,
            expiresAt: new Date(Date.now() + 86_400_000),
          })
        ).secret,
    );
  };
  /** The caller the scope test uses: one the row lets through (the right role), else an admin, who passes every declared rule. */
  const rightRole = (row: Row): Exclude<Actor, "anonymous"> =>
    (ACTORS.find((a) => a !== "anonymous" && !["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"].includes(row.expect[a])) as
      Exclude<Actor, "anonymous"> | undefined) ?? "admin";

  for (const row of ROWS) {
    test(`${row.operation}: refused without the ${row.scope} scope, to a holder of the right role`, async () => {
      const actor = rightRole(row);
      tokenInstead = await tokenWithout(actor, row.scope);
      try {
        const res = await row.run(actor, ACTORS.indexOf(actor));
        assert.deepEqual(
          res.errors?.[0]?.extensions,
          { code: "INSUFFICIENT_SCOPE", scope: row.scope },
          `${row.operation} as ${actor}: ${JSON.stringify(res.errors ?? res.data)}`,
        );
      } finally {
        tokenInstead = null;
      }
    });
  }

  test("each row's scope is the one its operation declares (@Access), so the table cannot drift from the code", () => {
    const declared = new Map(SUBGRAPHS.flatMap((d) => declaredOperations(d.resolvers)).map((o) => [o.operation, o.access?.scope]));
    for (const row of ROWS) {
      const operation = row.operation.split(" ")[0];
      if (!declared.has(operation)) continue; // a field reached through an operation (Skill.versions through Query.skill)
      assert.equal(row.scope, declared.get(operation), `${row.operation}: the table says ${row.scope}, @Access says ${declared.get(operation)}`);
    }
  });

  const SUBSCRIPTIONS = {
    testRunEvents: (client: Client) => collectRunEvents(client, pendingRunId),
    evalRunEvents: (client: Client) =>
      collectEvents(client, `subscription($id: ID!) { evalRunEvents(evalRunId: $id) { seq status } }`, { id: pendingEvalRunId }),
  };
  for (const [field, subscribe] of Object.entries(SUBSCRIPTIONS)) {
    test(`Subscription.${field}`, async () => {
      const expected: Record<Actor, "ok" | "refused"> = {
        anonymous: "refused",
        otherTeam: "refused",
        member: "ok",
        maintainer: "ok",
        reviewer: "ok",
        admin: "ok",
      };
      for (const actor of ACTORS) {
        const client = wsClient(server.url, token(actor) ?? null);
        try {
          const outcome = await subscribe(client).then(
            () => "ok" as const,
            () => "refused" as const,
          );
          assert.equal(outcome, expected[actor], `${field} as ${actor}`);
        } finally {
          await client.dispose();
        }
      }
    });
  }

  for (const [field, subscribe] of Object.entries(SUBSCRIPTIONS)) {
    test(`Subscription.${field}: refused without the READ scope, to a member of the owning team`, async () => {
      const client = wsClient(server.url, await tokenWithout("member", TokenScope.READ));
      try {
        await assert.rejects(subscribe(client), /"code":"INSUFFICIENT_SCOPE","scope":"READ"|"scope":"READ","code":"INSUFFICIENT_SCOPE"/);
      } finally {
        await client.dispose();
      }
    });
  }

  test("the table covers every query, mutation and subscription of the supergraph", () => {
    const schema = buildASTSchema(parse(readFileSync(SUPERGRAPH_FILE, "utf8")), { assumeValidSDL: true });
    const covered = new Set([...ROWS.map((r) => r.operation.split(" ")[0]), ...Object.keys(SUBSCRIPTIONS).map((f) => `Subscription.${f}`)]);
    for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      for (const field of Object.keys(type?.getFields() ?? {}))
        assert.ok(covered.has(`${type!.name}.${field}`), `${type!.name}.${field} has no row in the authorization matrix`);
    }
  });
});
