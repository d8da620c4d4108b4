import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { skillYaml } from "./support/seed";
import { GlobalRole } from "../src/identity/user.entity";
import { publishOk } from "./support/publish";
import { startTestServer, type TestServer } from "./support/test-server";

const NESTED = `query Nested($first: Int!) {
  skills(first: $first, sort: RECENT) {
    edges { node {
      name rating reviewCount downloads usageTier usageWeeklyInvocations
      usage(weeks: 4) { invocations distinctUsers byWeek { weekStart invocations teams { team } } byTeam { team distinctUsers } byVersion { version } }
      qualityReview { dueAt reason lastReview { outcome } }
      evalDrift { score previousScore }
      installsByTenant { team { name } installs lastInstalledAt versions }
      owner { name }
      latestVersion { version }
      versions(first: 5) { edges { node {
        version downloads plugin { sha256 url }
        evalSuite { caseCount }
        latestEvalRun { score cases(first: 2) { edges { node { name score } } } }
        evalRuns(first: 3) { edges { node { status purpose } } }
        dependencies(first: 5) { edges { node { range resolved { version } skill { name rating owner { name } } } } }
        permissions(first: 5) { edges { node { name risk } } }
      } } }
    } }
  }
}`;

interface NestedResult {
  skills: {
    edges: {
      node: {
        name: string;
        owner: { name: string };
        installsByTenant: { team: { name: string }; installs: number; versions: string[] }[];
        versions: { edges: { node: { dependencies: { edges: unknown[] }; latestEvalRun: { cases: { edges: unknown[] } } | null } }[] };
        evalDrift: { previousScore: number } | null;
      };
    }[];
  };
}

/**
 * Proves every list field is batched: the statement count for a nested list query is the same for
 * 5 and 50 skills (each with versions, dependencies, permissions, ratings, installs by tenant and an owner).
 */
describe("DataLoader batching", () => {
  let server: TestServer;
  let viewer: string;

  before(async () => {
    // The query below is deliberately wide (50 skills, each with every nested list): it measures statements, not limits.
    server = await startTestServer({ GRAPHQL_MAX_COST: "200000" });
    const teams = ["alpha", "beta", "gamma"];
    const tokens: string[] = [];
    for (const t of teams) tokens.push((await server.seed.team(t).member(`${t}-dev`)).token);
    const rater = (await server.seed.team("raters").member("rater")).token;
    const installers = [(await server.seed.team("tenant-a").member("installer-a")).token, (await server.seed.team("tenant-b").member("installer-b")).token];
    viewer = installers[0];
    await publishOk(server, tokens[0], { "skill.yaml": skillYaml({ name: "base-lib", version: "1.0.0" }) });
    await publishOk(server, tokens[1], { "skill.yaml": skillYaml({ name: "util-lib", version: "1.0.0", permissions: ["filesystem:tmp"] }) });
    for (let i = 0; i < 50; i++) {
      const token = tokens[i % teams.length];
      for (const version of ["1.0.0", "1.1.0"]) {
        await publishOk(server, token, {
          "skill.yaml": skillYaml({
            name: `skill-${i}`,
            version,
            dependencies: { "base-lib": "^1.0.0", "util-lib": "^1.0.0" },
            permissions: ["database:read", "filesystem:read"],
          }),
        });
      }
      if (i % 2 === 0) {
        await server.gql(`mutation { rateSkill(input: { name: "skill-${i}", rating: ${1 + (i % 5)} }) { rating { rating } } }`, {}, rater);
      }
      // Two tenants install every skill (one of them twice, at both versions).
      for (const [token, range] of [
        [installers[0], "1.0.0"],
        [installers[0], "1.1.0"],
        [installers[1], "1.1.0"],
      ]) {
        const res = await server.gql(`mutation { installSkill(input: { name: "skill-${i}", range: "${range}" }) { root { version } } }`, {}, token);
        assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      }
    }
    // Eval runs with cases for every version, and a drift on every skill's latest version (no sandbox
    // worker here: the rows stand for finished runs).
    await server.runtime.dataSource.query(
      `WITH runs AS (INSERT INTO eval_run (version_id, suite_version_id, purpose, status, min_score, case_count, score)
                     SELECT id, id, 'INFORMATIONAL', 'PASSED', 0.8, 2, 1 FROM skill_version RETURNING id)
       INSERT INTO eval_case_result (run_id, index, name, weight, input, score, passed)
       SELECT runs.id, i, 'case-' || i, 1, '{}'::jsonb, 1, true FROM runs CROSS JOIN generate_series(0, 1) AS i`,
    );
    await server.runtime.dataSource.query(
      `INSERT INTO eval_run (version_id, suite_version_id, purpose, status, min_score, case_count, score, previous_score, regressed, created_at)
       SELECT latest_version_id, latest_version_id, 'REEVALUATION', 'FAILED', 0.8, 2, 0.5, 1, true, now() + interval '1 second' FROM skill WHERE latest_version_id IS NOT NULL`,
    );
  });
  after(() => server.close());

  async function statementsFor(first: number): Promise<number> {
    server.queries.reset();
    // Signed in: usage is only for signed-in viewers.
    const res = await server.gql<NestedResult>(NESTED, { first }, viewer);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    // Make sure the query really walked `first` skills with their nested lists.
    const skills = res.data!.skills.edges.filter((e) => e.node.name.startsWith("skill-"));
    assert.ok(skills.length >= Math.min(first, 50) - 2);
    assert.equal(skills[0].node.versions.edges.length, 2);
    assert.equal(skills[0].node.versions.edges[0].node.dependencies.edges.length, 2);
    assert.equal(skills[0].node.versions.edges[1].node.latestEvalRun?.cases.edges.length, 2, "eval runs and their cases are walked");
    assert.equal(skills[0].node.evalDrift?.previousScore, 1, "drift is walked");
    for (const { node } of skills) {
      assert.deepEqual(
        node.installsByTenant.map((t) => [t.team.name, t.installs, t.versions]),
        [
          ["tenant-a", 2, ["1.1.0", "1.0.0"]],
          ["tenant-b", 1, ["1.1.0"]],
        ],
        node.name,
      );
    }
    return server.queries.count;
  }

  test("the SQL statement count does not grow with the number of skills", async () => {
    const five = await statementsFor(5);
    const fifty = await statementsFor(50);
    assert.equal(fifty, five, `5 skills: ${five} statements, 50 skills: ${fifty}\n${server.queries.statements.join("\n")}`);
    // One statement per relation level, not per item: search + load, versions, dependencies,
    // permissions, latest versions, on the community side stats, owners, installs by tenant and
    // their teams, on the distribution side the versions' plugin archives, on the usage side the
    // rollups (two) and the review statuses (three), on the evals side the versions' runs, the runs'
    // cases and the skills' drift (two), plus the token's lookup. The versions' lookups by id
    // (every subgraph's visibility check, and their downloads) cost none: the list primed them.
    assert.ok(fifty <= 24, `expected at most 24 statements, got ${fifty}:\n${server.queries.statements.join("\n")}`);
  });
});

describe("DataLoader batching in the review queue", () => {
  let server: TestServer;
  let reviewer: string;
  let author: string;

  before(async () => {
    server = await startTestServer();
    author = (await server.seed.team("queue-authors").member("queue-author")).token;
    reviewer = (await server.seed.team("queue-board").member("queue-reviewer", undefined, [GlobalRole.REVIEWER])).token;
  });
  after(() => server.close());

  const QUEUE = `{ reviewQueue(first: 50) { edges { node {
    requiredApprovals approvals viewerCannotDecide
    decisions { edges { node { decision } } }
    permissionDiff { name change risk }
    fileDiff { path change patch }
    previousVersion { id }
    version { id version }
  } } } }`;

  async function statementsFor(pending: number): Promise<number> {
    for (let i = 0; i < pending; i++) {
      const published = await publishOk(server, author, {
        "skill.yaml": skillYaml({ name: `queued-${pending}-${i}`, version: "1.0.0", permissions: ["network:outbound"] }),
      });
      assert.equal(published.version.status, "AWAITING_REVIEW");
    }
    server.queries.reset();
    const res = await server.gql<{ reviewQueue: { edges: unknown[] } }>(QUEUE, {}, reviewer);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.ok(res.data!.reviewQueue.edges.length >= pending);
    return server.queries.count;
  }

  test("the statement count does not grow with the number of pending reviews", async () => {
    const few = await statementsFor(2);
    const many = await statementsFor(4);
    assert.equal(many, few, server.queries.statements.join("\n"));
  });
});
