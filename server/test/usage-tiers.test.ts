import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TokenScope } from "../src/identity/api-token.entity";
import { TeamRole } from "../src/identity/membership.entity";
import { GlobalRole } from "../src/identity/user.entity";
import { lastFullWeeks, weekStart } from "../src/usage/usage-weeks";
import { ClaudeSession, logsRequest, postLogs } from "./support/claude-telemetry";
import { publishOk } from "./support/publish";
import { Receiver } from "./support/receiver";
import { skillYaml } from "./support/seed";
import { startTestServer, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";

const DAY_MS = 86_400_000;
// Small thresholds so a test sends dozens of events, not hundreds: High above 20 a week, Medium from 5, over 2 full weeks.
const ENV = { USAGE_TIER_HIGH_PER_WEEK: "20", USAGE_TIER_MEDIUM_PER_WEEK: "5", USAGE_TIER_WEEKS: "2", WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" };

interface SkillUsageView {
  invocations: number;
  distinctUsers: number;
  successRate: number | null;
  byWeek: { weekStart: string; invocations: number; teams: { team: string; invocations: number }[] }[];
  byTeam: { team: string; invocations: number; distinctUsers: number }[];
  byVersion: { version: string; invocations: number; successRate: number | null }[];
}

describe("usage: reports, tiers and quality reviews", () => {
  let server: TestServer;
  let receiver: Receiver;
  let ingest: string;
  let maintainer: string;
  let reviewer: string;
  let admin: string;
  const now = new Date();
  // A day in the middle of each of the last two full weeks: what the tier counts.
  const full = lastFullWeeks(now, 2);
  const inFullWeek = (i: 0 | 1) => new Date(Date.parse(`${full.from}T12:00:00Z`) + (i * 7 + 3) * DAY_MS);

  /** `n` invocations of a Skillyard plugin skill by `users` people of `team`, at `at`. */
  async function invoke(
    skill: string,
    n: number,
    options: { team: string; at: Date; users?: number; version?: string; failures?: number; marketplace?: string },
  ) {
    const sessions: ClaudeSession[] = [];
    const users = options.users ?? 1;
    const marketplace = options.marketplace ?? "skillyard";
    for (let u = 0; u < users; u++) {
      const session = new ClaudeSession({ userId: `${options.team}-user-${u}`, resource: { team: options.team }, at: options.at });
      session.pluginLoaded(skill, marketplace, options.version ?? "1.0.0");
      sessions.push(session);
    }
    for (let i = 0; i < n; i++) {
      sessions[i % users].invoke({ skill, plugin: skill, marketplace, success: i >= (options.failures ?? 0) });
    }
    const res = await postLogs(server.url, ingest, logsRequest(sessions));
    assert.equal(res.status, 200, await res.text());
  }

  const gql = <T>(query: string, variables: Record<string, unknown> = {}, token?: string) => server.gql<T>(query, variables, token);
  const recompute = (at = now) => server.runtime.services.usageTiers.recompute(at);

  before(async () => {
    receiver = new Receiver();
    await receiver.start();
    server = await startTestServer(ENV, { worker: true });
    const team = server.seed.team("usage-owners");
    maintainer = (await team.member("usage-maint", TeamRole.MAINTAINER)).token;
    reviewer = (await server.seed.user("usage-reviewer", [GlobalRole.REVIEWER])).token;
    admin = (await server.seed.user("usage-admin", [GlobalRole.ADMIN])).token;
    for (const name of ["popular", "steady", "quiet", "shelfware"]) {
      await publishOk(server, maintainer, { "skill.yaml": skillYaml({ name, version: "1.0.0", permissions: ["database:read"] }) });
    }
    ingest = await server.runtime.services.distributionCredentials.secretFor(TokenScope.INGEST, await team.entity(), null);
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  test("Skill.usage reports invocations by week and team, distinct users, success rate and versions", async () => {
    await invoke("popular", 30, { team: "data", at: inFullWeek(0), users: 3, failures: 3 });
    await invoke("popular", 20, { team: "web", at: inFullWeek(1), users: 2 });
    await invoke("popular", 12, { team: "data", at: inFullWeek(1), users: 1, version: "0.9.0" });
    const query = `query($w: Int!) { skill(name: "popular") { usage(weeks: $w) {
      weeks from invocations distinctUsers successRate
      byWeek { weekStart invocations teams { team invocations } }
      byTeam { team invocations distinctUsers }
      byVersion { version invocations successRate } } } }`;
    const res = await gql<{ skill: { usage: SkillUsageView } }>(query, { w: 3 }, maintainer);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const usage = res.data!.skill.usage;
    assert.equal(usage.invocations, 62);
    assert.equal(usage.distinctUsers, 5, "data-user-0..2 and web-user-0..1");
    assert.equal(usage.successRate, 59 / 62);
    assert.deepEqual(
      usage.byWeek.map((w) => [w.weekStart, w.invocations, w.teams]),
      [
        [full.from, 30, [{ team: "data", invocations: 30 }]],
        [
          weekStart(inFullWeek(1)),
          32,
          [
            { team: "web", invocations: 20 },
            { team: "data", invocations: 12 },
          ],
        ],
        [weekStart(now), 0, []],
      ],
    );
    assert.deepEqual(usage.byTeam, [
      { team: "data", invocations: 42, distinctUsers: 3 },
      { team: "web", invocations: 20, distinctUsers: 2 },
    ]);
    assert.deepEqual(usage.byVersion, [
      { version: "1.0.0", invocations: 50, successRate: 47 / 50 },
      { version: "0.9.0", invocations: 12, successRate: 1 },
    ]);

    const anonymous = await gql<{ skill: { usage: unknown } }>(`{ skill(name: "popular") { usage { invocations } } }`);
    assert.equal(anonymous.data?.skill.usage, null);
    const bad = await gql(`{ skill(name: "popular") { usage(weeks: 0) { invocations } } }`, {}, maintainer);
    assert.equal(bad.errors?.[0].extensions.code, "BAD_USER_INPUT");
  });

  test("tiers follow the thresholds over the last full weeks, every change audited, and skills sort by usage", async () => {
    // popular: 62 over 2 weeks = 31 a week > 20: High. steady: 10 + 10 = 10 a week: Medium. quiet: 9 over 2 weeks: Low.
    await invoke("steady", 10, { team: "data", at: inFullWeek(0) });
    await invoke("steady", 10, { team: "data", at: inFullWeek(1) });
    await invoke("quiet", 9, { team: "web", at: inFullWeek(1) });
    // This week's invocations do not count until the week is over.
    await invoke("quiet", 40, { team: "web", at: now });
    const changes = await recompute();
    assert.deepEqual(changes.map((c) => [c.name, c.from, c.to]).sort(), [
      ["popular", "LOW", "HIGH"],
      ["steady", "LOW", "MEDIUM"],
    ]);
    assert.deepEqual(await recompute(), [], "nothing changes twice");
    const sorted = await gql<{ skills: { edges: { node: { name: string; usageTier: string; usageWeeklyInvocations: number } }[] } }>(
      `{ skills(sort: USAGE, first: 4) { edges { node { name usageTier usageWeeklyInvocations } } } }`,
    );
    assert.deepEqual(
      sorted.data!.skills.edges.map((e) => [e.node.name, e.node.usageTier, e.node.usageWeeklyInvocations]),
      [
        ["popular", "HIGH", 31],
        ["steady", "MEDIUM", 10],
        ["quiet", "LOW", 4.5],
        ["shelfware", "LOW", 0],
      ],
    );
    const audit = await gql<{ auditLog: { edges: { node: { action: string; after: { name: string; tier: string } } }[] } }>(
      `{ auditLog(action: USAGE_TIER_CHANGE) { edges { node { action after } } } }`,
      {},
      admin,
    );
    assert.deepEqual(audit.data!.auditLog.edges.map((e) => `${e.node.after.name}:${e.node.after.tier}`).sort(), ["popular:HIGH", "steady:MEDIUM"]);

    // A week later the counted weeks are last week (32 + 10 + 9) and this one (40 for quiet).
    const later = await recompute(new Date(now.getTime() + 7 * DAY_MS));
    assert.deepEqual(later.map((c) => [c.name, c.from, c.to]).sort(), [
      ["popular", "HIGH", "MEDIUM"],
      ["quiet", "LOW", "HIGH"],
    ]);
    // steady: 10 over two weeks is exactly the Medium threshold, which is Medium.
    const steady = await gql<{ skill: { usageTier: string; usageWeeklyInvocations: number } }>(
      `{ skill(name: "steady") { usageTier usageWeeklyInvocations } }`,
    );
    assert.deepEqual(steady.data!.skill, { usageTier: "MEDIUM", usageWeeklyInvocations: 5 });
    // Back to today for the tests that follow.
    assert.equal((await recompute()).length, 2);
  });

  test("a version published to a High-tier skill waits for a reviewer with reason USAGE_TIER; a Low-tier one does not", async () => {
    const high = await publishOk(server, maintainer, { "skill.yaml": skillYaml({ name: "popular", version: "1.1.0", permissions: ["database:read"] }) });
    assert.equal(high.version.status, "AWAITING_REVIEW");
    const queue = await gql<{
      reviewQueue: { edges: { node: { reasons: { kind: string; tier?: string; weeklyInvocations?: number }[]; version: { id: string } } }[] };
    }>(`{ reviewQueue { edges { node { reasons version { id } } } } }`, {}, reviewer);
    const request = queue.data!.reviewQueue.edges.find((e) => e.node.version.id === high.version.id)!.node;
    // High is also an eval-gated tier by default (EVAL_GATED_TIERS), and this version ships no suite.
    assert.deepEqual(request.reasons, [
      { kind: "USAGE_TIER", tier: "HIGH", weeklyInvocations: 31 },
      { kind: "EVALS_MISSING", tier: "HIGH" },
    ]);
    const approved = await gql<{ approveVersion: { published: boolean } }>(
      `mutation($id: ID!) { approveVersion(input: { versionId: $id, comment: "popular: checked the diff" }) { published } }`,
      { id: high.version.id },
      reviewer,
    );
    assert.equal(approved.data?.approveVersion.published, true, JSON.stringify(approved.errors));
    // The positive control: the same kind of update to a Low-tier skill is published at once.
    const low = await publishOk(server, maintainer, { "skill.yaml": skillYaml({ name: "quiet", version: "1.1.0", permissions: ["database:read"] }) });
    assert.equal(low.version.status, "PUBLISHED");
  });

  test("a platform update makes Low-tier skills due, announced once through the QUALITY_REVIEW_DUE webhook", async () => {
    const hookUrl = receiver.on("/due", (_n, res) => void res.writeHead(204).end());
    const created = await gql(`mutation($u: String!) { createWebhook(input: { url: $u, events: [QUALITY_REVIEW_DUE] }) { secret } }`, { u: hookUrl }, admin);
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const due = async () =>
      (
        await gql<{ qualityReviewsDue: { skill: { name: string }; tier: string; reason: string; lastReview: unknown }[] }>(
          `{ qualityReviewsDue { skill { name } tier reason lastReview { outcome } } }`,
          {},
          reviewer,
        )
      ).data!.qualityReviewsDue;
    assert.deepEqual(await due(), [], "nothing is due yet: High and Medium skills were published today, Low waits for a platform update");

    const marked = await gql<{ markPlatformUpdate: { kind: string; description: string } }>(
      `mutation { markPlatformUpdate(input: { kind: CLAUDE_CODE, description: "Claude Code 2.2" }) { kind description } }`,
      {},
      admin,
    );
    assert.deepEqual(marked.data?.markPlatformUpdate, { kind: "CLAUDE_CODE", description: "Claude Code 2.2" });
    const list = await due();
    // Most-used first: quiet (4.5 a week) before shelfware (0).
    assert.deepEqual(
      list.map((d) => [d.skill.name, d.tier, d.reason]),
      [
        ["quiet", "LOW", "platform update: Claude Code 2.2"],
        ["shelfware", "LOW", "platform update: Claude Code 2.2"],
      ],
    );
    await waitFor(async () => receiver.requestsTo("/due").length >= 2, "two QUALITY_REVIEW_DUE deliveries", 20_000);
    const payloads = receiver.requestsTo("/due").map((r) => JSON.parse(r.body) as { event: string; after: { name: string; reason: string } });
    assert.deepEqual(payloads.map((p) => [p.event, p.after.name]).sort(), [
      ["QUALITY_REVIEW_DUE", "quiet"],
      ["QUALITY_REVIEW_DUE", "shelfware"],
    ]);
    assert.equal(await server.runtime.services.qualityReviews.announceDue(new Date()), 0, "each due review is announced once");
  });

  test("recording a review takes the skill off the queue; the cadence then sets the next due date", async () => {
    const record = (input: Record<string, unknown>, token = reviewer) =>
      gql<{ recordQualityReview: { outcome: string; notes: string; version: { id: string } } }>(
        `mutation($input: RecordQualityReviewInput!) { recordQualityReview(input: $input) { outcome notes version { id } } }`,
        { input },
        token,
      );
    const empty = await record({ skill: "quiet", version: "1.1.0", outcome: "PASS", notes: "  " });
    assert.equal(empty.errors?.[0].extensions.code, "BAD_USER_INPUT");
    const missing = await record({ skill: "quiet", version: "9.9.9", outcome: "PASS", notes: "checked" });
    assert.equal(missing.errors?.[0].extensions.code, "QUALITY_REVIEW_INVALID");
    const ok = await record({ skill: "quiet", version: "1.1.0", outcome: "PASS", notes: "Ran the three examples; output still right." });
    assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
    const left = (await gql<{ qualityReviewsDue: { skill: { name: string } }[] }>(`{ qualityReviewsDue { skill { name } } }`, {}, reviewer)).data!;
    assert.deepEqual(
      left.qualityReviewsDue.map((d) => d.skill.name),
      ["shelfware"],
    );

    const status = await gql<{ skill: { qualityReview: { dueAt: string | null; reason: string | null; lastReview: { outcome: string } | null } } }>(
      `{ skill(name: "quiet") { qualityReview { dueAt reason lastReview { outcome } } } }`,
      {},
      reviewer,
    );
    assert.deepEqual(status.data!.skill.qualityReview, { dueAt: null, reason: null, lastReview: { outcome: "PASS" } });

    // High monthly, Medium quarterly, from the first publication when never reviewed.
    const reviews = server.runtime.services.qualityReviews;
    const dueAt = async (days: number) => (await reviews.due(new Date(now.getTime() + days * DAY_MS))).map((d) => d.skill.name).sort();
    assert.deepEqual(await dueAt(29), ["shelfware"]);
    assert.deepEqual(await dueAt(31), ["popular", "shelfware"]);
    assert.deepEqual(await dueAt(92), ["popular", "shelfware", "steady"]);

    const audit = await gql<{ auditLog: { edges: { node: { after: { name: string; outcome: string } } }[] } }>(
      `{ auditLog(action: QUALITY_REVIEW) { edges { node { after } } } }`,
      {},
      admin,
    );
    assert.deepEqual(
      audit.data!.auditLog.edges.map((e) => [e.node.after.name, e.node.after.outcome]),
      [["quiet", "PASS"]],
    );
  });

  test("a PULL outcome deprecates the version reviewed, with the notes as the message", async () => {
    const pulled = await gql(
      `mutation { recordQualityReview(input: { skill: "steady", version: "1.0.0", outcome: PULL, notes: "Answers drifted; use sql-helper." }) { outcome } }`,
      {},
      reviewer,
    );
    assert.equal(pulled.errors, undefined, JSON.stringify(pulled.errors));
    const version = await gql<{ skill: { versions: { edges: { node: { version: string; status: string; deprecation: { message: string } | null } }[] } } }>(
      `{ skill(name: "steady") { versions { edges { node { version status deprecation { message } } } } } }`,
      {},
      maintainer,
    );
    const v = version.data!.skill.versions.edges[0].node;
    assert.equal(v.status, "DEPRECATED");
    assert.match(v.deprecation!.message, /Answers drifted; use sql-helper\./);
  });

  test("usageOverview: top skills, unmanaged skills in use, and installs never invoked", async () => {
    const data = server.seed.team("data");
    const member = (await data.member("usage-data-member")).token;
    const installed = await gql(`mutation { installSkill(input: { name: "shelfware", range: "^1.0.0", tenant: "data" }) { root { version } } }`, {}, member);
    assert.equal(installed.errors, undefined, JSON.stringify(installed.errors));
    await gql(`mutation { installSkill(input: { name: "popular", range: "^1.0.0", tenant: "data" }) { root { version } } }`, {}, member);
    const unknown = new ClaudeSession({ userId: "shadow-it", resource: { team: "data" }, at: now })
      .invoke({ skill: "scrape-anything", plugin: "scrape-anything", marketplace: "random-market", success: true })
      .invoke({ skill: "scrape-anything", plugin: "scrape-anything", marketplace: "random-market", success: true })
      .invoke({ skill: "my-notes", source: "userSettings" });
    assert.equal((await postLogs(server.url, ingest, logsRequest([unknown]))).status, 200);

    const res = await gql<{
      usageOverview: {
        topSkills: { skill: { name: string }; invocations: number; distinctUsers: number }[];
        unmanagedSkills: { name: string; source: string; plugin: string | null; marketplace: string | null; invocations: number; teams: string[] }[];
        reclaimableInstalls: { team: { name: string }; skill: { name: string }; installs: number }[];
      };
    }>(
      `{ usageOverview(weeks: 4) {
        topSkills { skill { name } invocations distinctUsers }
        unmanagedSkills { name source plugin marketplace invocations teams }
        reclaimableInstalls { team { name } skill { name } installs } } }`,
      {},
      reviewer,
    );
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const overview = res.data!.usageOverview;
    assert.deepEqual(
      overview.topSkills.map((t) => [t.skill.name, t.invocations]),
      [
        ["popular", 62],
        ["quiet", 49],
        ["steady", 20],
      ],
    );
    assert.deepEqual(overview.unmanagedSkills, [
      { name: "scrape-anything", source: "plugin", plugin: "scrape-anything", marketplace: "random-market", invocations: 2, teams: ["data"] },
      { name: "my-notes", source: "userSettings", plugin: null, marketplace: null, invocations: 1, teams: ["data"] },
    ]);
    // data installed popular and shelfware; it invoked popular only.
    assert.deepEqual(
      overview.reclaimableInstalls.map((r) => [r.team.name, r.skill.name, r.installs]),
      [["data", "shelfware", 1]],
    );
  });
});
