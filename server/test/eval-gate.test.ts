import "reflect-metadata";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Client } from "graphql-ws";
import { GlobalRole } from "../src/identity/user.entity";
import { startMessagesApiStandIn, taggedSection, type MessagesApiStandIn } from "./support/messages-api-stand-in";
import { publishOk } from "./support/publish";
import { skillYaml } from "./support/seed";
import { collectEvents, wsClient } from "./support/subscriptions";
import { startTestServer, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";

/**
 * A Python skill whose entry point answers `{"mean": …, "summary": …}` for `{"values": [...]}`,
 * with `bias` added to the mean (a worse version) and a summary the judge stand-in grades.
 */
function evalSkill(name: string, version: string, suite: string | null, options: { bias?: number; summary?: string } = {}): Record<string, string> {
  const files: Record<string, string> = {
    "skill.yaml": skillYaml({
      name,
      version,
      requirements: { runtime: "python3.11", memory_mb: 128, timeout_seconds: 60 },
      entrypoint: "python3 -m src.main",
      outputs: { type: "object", required: ["mean"], properties: { mean: { type: "number" }, summary: { type: "string" } } },
    }),
    "src/__init__.py": "",
    "src/main.py": [
      "import json, sys",
      "request = json.load(sys.stdin)",
      "values = request['values']",
      "if request.get('garbage'):",
      "    print('this is not json')",
      "    sys.exit(0)",
      `mean = sum(values) / len(values) + ${options.bias ?? 0}`,
      `print(json.dumps({'mean': mean, 'summary': ${JSON.stringify(options.summary ?? "The mean of the values")} + ' is ' + str(mean)}))`,
    ].join("\n"),
    "tests/test_main.py": "def test_ok():\n    assert True\n",
  };
  if (suite !== null) files["evals/suite.yaml"] = suite;
  return files;
}

const SUITE = `
min_score: 0.7
cases:
  - name: two-values
    input: {values: [1, 2]}
    expect: {number: {path: mean, value: 1.5}}
  - name: three-values
    input: {values: [1, 2, 3]}
    expect: {json_subset: {mean: 2}}
  - name: four-values
    input: {values: [2, 2, 2, 2]}
    expect: {contains: '"mean": 2'}
  - name: wording
    input: {values: [4]}
    rubric: "Names the mean."
    weight: 2
`;

const VERSION = `query($id: ID!) { node(id: $id) { ... on SkillVersion { status statusReason
  latestEvalRun { id status purpose score minScore reason unscoredCases baselineScore regressed judgeCalls
    baseline { id status score version { version } }
    cases { edges { node { name score scored passed reason output graders { grader passed message } judgeScore judgeReason durationMs } } } } } } }`;

interface EvalCaseView {
  name: string;
  score: number | null;
  scored: boolean;
  passed: boolean;
  reason: string | null;
  output: string | null;
  graders: { grader: string; passed: boolean; message: string | null }[];
  judgeScore: number | null;
  judgeReason: string | null;
  durationMs: number | null;
}
interface EvalRunView {
  id: string;
  status: string;
  purpose: string;
  score: number | null;
  minScore: number;
  reason: string | null;
  unscoredCases: number;
  baselineScore: number | null;
  regressed: boolean;
  judgeCalls: number;
  baseline: { id: string; status: string; score: number | null; version: { version: string } } | null;
  cases: { edges: { node: EvalCaseView }[] };
}
interface VersionView {
  status: string;
  statusReason: string | null;
  latestEvalRun: EvalRunView | null;
}

const FINAL = ["PASSED", "FAILED", "ERROR", "INFRA_ERROR"];

/** The files of examples/csv-stats, as the README shows them, with skill.yaml's version replaced. */
function exampleSkill(version: string): Record<string, string> {
  const root = path.join(__dirname, "..", "..", "examples", "csv-stats");
  const files: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files[path.relative(root, full)] = readFileSync(full, "utf8");
  }
  files["skill.yaml"] = files["skill.yaml"].replace(/^version: .*$/m, `version: ${version}`);
  return files;
}

/** The eval gate end to end: real Docker sandbox, the judge stand-in, live CASE events over graphql-ws. */
describe("eval gate", () => {
  let server: TestServer;
  let judge: MessagesApiStandIn;
  let author: string;
  let reviewer: string;
  let admin: string;
  /** The first test's run (of eval-pass), for a review that names another version's run. */
  let foreignRunId: string;

  const state = async (versionId: string): Promise<VersionView> => {
    const response = await server.gql<{ node: VersionView }>(VERSION, { id: versionId }, author);
    assert.equal(response.errors, undefined, JSON.stringify(response.errors));
    return response.data!.node;
  };
  /** Waits until the version has left TESTING/EVALUATING and its latest eval run is final. */
  const settled = (versionId: string) =>
    waitFor(
      async () => {
        const s = await state(versionId);
        const waiting = ["UPLOADED", "TESTING", "EVALUATING"].includes(s.status);
        return !waiting && s.latestEvalRun && FINAL.includes(s.latestEvalRun.status) ? s : null;
      },
      "the version to leave the gates with a final eval run",
      180_000,
      250,
    );
  const setTier = (skill: string, tier: "HIGH" | "LOW") => server.runtime.dataSource.query(`UPDATE skill SET usage_tier = $1 WHERE name = $2`, [tier, skill]);
  const reasons = async (versionId: string) => {
    const queue = await server.gql<{ reviewQueue: { edges: { node: { reasons: Record<string, unknown>[]; version: { id: string } } }[] } }>(
      `{ reviewQueue { edges { node { reasons version { id } } } } }`,
      {},
      reviewer,
    );
    return queue.data!.reviewQueue.edges.find((e) => e.node.version.id === versionId)?.node.reasons ?? null;
  };

  before(async () => {
    judge = await startMessagesApiStandIn();
    // The judge likes a summary that names the mean, and not one that does not.
    judge.respondWith((request) =>
      /"summary":\s*"[^"]*\bmean\b/i.test(taggedSection(request.prompt, "skill_output") ?? "")
        ? { score: 0.9, reason: "names the mean" }
        : { score: 0.1, reason: "no mean in it" },
    );
    server = await startTestServer({ SANDBOX_MAX_CONCURRENCY: "2", EVAL_JUDGE_URL: judge.url, EVAL_CASE_TIMEOUT_SECONDS: "10" }, { worker: true });
    author = (await server.seed.team("evaluators").member("eval-author")).token;
    reviewer = (await server.seed.user("eval-reviewer", [GlobalRole.REVIEWER])).token;
    admin = (await server.seed.user("eval-admin", [GlobalRole.ADMIN])).token;
  });
  after(async () => {
    await server.close();
    await judge.close();
  });

  test("a suite runs after the tests and streams each case live; a Low-tier skill is published and the run is informational", async () => {
    const published = await publishOk(server, author, evalSkill("eval-pass", "1.0.0", SUITE));
    const runId = await waitFor(async () => (await state(published.version.id)).latestEvalRun?.id ?? null, "the eval run to be queued", 60_000, 100);
    const client = wsClient(server.url, author);
    let events: EvalEvent[];
    try {
      events = await collectEvalEvents(client, runId);
    } finally {
      await client.dispose();
    }
    const s = await settled(published.version.id);
    foreignRunId = runId;
    assert.equal(s.status, "PUBLISHED", "evals never block a Low-tier skill");
    const run = s.latestEvalRun!;
    assert.equal(run.purpose, "INFORMATIONAL");
    assert.equal(run.status, "PASSED", run.reason ?? "");
    // (1 + 1 + 1 + 2 × 0.9) / 5
    assert.ok(Math.abs(run.score! - 0.96) < 1e-9, `score ${run.score}`);
    assert.equal(run.minScore, 0.7);
    assert.equal(run.judgeCalls, 1);
    const cases = run.cases.edges.map((e) => e.node);
    assert.deepEqual(
      cases.map((c) => [c.name, c.score, c.passed]),
      [
        ["two-values", 1, true],
        ["three-values", 1, true],
        ["four-values", 1, true],
        ["wording", 0.9, true],
      ],
    );
    assert.equal(cases[3].judgeReason, "names the mean");
    assert.ok(cases.every((c) => (c.durationMs ?? -1) >= 0));
    assert.deepEqual(JSON.parse(cases[0].output!), { mean: 1.5, summary: "The mean of the values is 1.5" });
    // Live: a CASE event per case, with the case attached, then the final status last.
    assert.deepEqual(
      events.filter((e) => e.kind === "CASE").map((e) => [e.text, e.case?.score]),
      [
        ["two-values", 1],
        ["three-values", 1],
        ["four-values", 1],
        ["wording", 0.9],
      ],
    );
    assert.equal(events.at(-1)?.status, "PASSED");
    const request = judge.requests.find((r) => r.prompt.includes("Names the mean."));
    assert.ok(request, "the rubric reached the judge");
    assert.match(taggedSection(request.prompt, "skill_output") ?? "", /The mean of the values is 4/);
  });

  test("the README's example skill publishes and passes its own gate, as a Low-tier and as a High-tier skill", async () => {
    const first = await settled((await publishOk(server, author, exampleSkill("1.0.0"))).version.id);
    assert.equal(first.status, "PUBLISHED");
    assert.equal(first.latestEvalRun?.status, "PASSED", first.latestEvalRun?.reason ?? "");
    assert.equal(first.latestEvalRun?.unscoredCases, 0);
    await setTier("csv-stats", "HIGH");
    const next = await publishOk(server, author, exampleSkill("1.0.1"));
    const gated = await settled(next.version.id);
    assert.equal(gated.latestEvalRun?.purpose, "GATE");
    assert.equal(gated.latestEvalRun?.status, "PASSED", gated.latestEvalRun?.reason ?? "");
    assert.equal(gated.latestEvalRun?.regressed, false);
    assert.equal(gated.latestEvalRun?.baseline?.version.version, "1.0.0");
    assert.equal(gated.status, "AWAITING_REVIEW", "a High-tier skill's versions always meet a reviewer");
    assert.deepEqual(
      (await reasons(next.version.id))?.map((r) => r["kind"]),
      ["USAGE_TIER"],
      "and the evals add no reason of their own",
    );
  });

  test("a High-tier skill's version below min_score is rejected with its failing cases", async () => {
    await publishOk(server, author, evalSkill("eval-low", "1.0.0", null));
    await setTier("eval-low", "HIGH");
    const suite = SUITE.replace("input: {values: [1, 2, 3]}", "input: {values: [1, 2, 3], garbage: true}");
    const published = await publishOk(server, author, evalSkill("eval-low", "1.1.0", suite, { bias: 1, summary: "Nothing to see" }));
    const s = await settled(published.version.id);
    assert.equal(s.status, "REJECTED");
    const run = s.latestEvalRun!;
    assert.equal(run.purpose, "GATE");
    assert.equal(run.status, "FAILED");
    assert.ok(run.score! < 0.7, `score ${run.score}`);
    const byName = new Map(run.cases.edges.map((e) => [e.node.name, e.node]));
    assert.match(byName.get("three-values")!.reason ?? "", /json: output is not valid JSON/, "invalid JSON scores 0 with the reason");
    assert.equal(byName.get("three-values")!.score, 0);
    assert.match(byName.get("two-values")!.reason ?? "", /number/);
    assert.match(s.statusReason ?? "", /Scored 0\.\d\d \(minimum 0\.70\)\. Failing: two-values/);
  });

  test("a regression against the version latest points to is held for review, and a reviewer accepts it with a reason", async () => {
    const v1 = await publishOk(server, author, evalSkill("eval-regress", "1.0.0", SUITE));
    assert.equal((await settled(v1.version.id)).status, "PUBLISHED");
    await setTier("eval-regress", "HIGH");
    // Still above min_score (0.7), but the summary no longer names the mean: 0.96 → 0.64 + …
    const suite = SUITE.replace("min_score: 0.7", "min_score: 0.5");
    const v2 = await publishOk(server, author, evalSkill("eval-regress", "1.1.0", suite, { summary: "The answer" }));
    const s = await settled(v2.version.id);
    assert.equal(s.status, "AWAITING_REVIEW", s.statusReason ?? "");
    const run = s.latestEvalRun!;
    assert.equal(run.purpose, "GATE");
    assert.equal(run.status, "PASSED");
    assert.equal(run.regressed, true);
    assert.equal(run.baseline?.version.version, "1.0.0");
    assert.equal(run.baseline?.status, "PASSED");
    assert.ok(Math.abs(run.baselineScore! - 0.96) < 1e-9);
    const held = await reasons(v2.version.id);
    const regression = held?.find((r) => r["kind"] === "EVAL_REGRESSION");
    assert.ok(regression, JSON.stringify(held));
    assert.deepEqual(regression["worse"], [{ name: "wording", before: 0.9, after: 0.1 }]);
    assert.equal(regression["baselineVersion"], "1.0.0");

    const APPROVE = `mutation($id: ID!, $c: String!) { approveVersion(input: { versionId: $id, comment: $c }) { published } }`;
    const bare = await server.gql(APPROVE, { id: v2.version.id, c: "  " }, reviewer);
    assert.equal(bare.errors?.[0]?.extensions?.["code"], "BAD_USER_INPUT");
    assert.match(bare.errors?.[0]?.message ?? "", /accepts its eval regression/);
    const accepted = await server.gql<{ approveVersion: { published: boolean } }>(
      APPROVE,
      { id: v2.version.id, c: "The shorter summary is intended." },
      reviewer,
    );
    assert.equal(accepted.data?.approveVersion.published, true, JSON.stringify(accepted.errors));
  });

  test("a High-tier skill's version with no suite is held for review with EVALS_MISSING; rubric cases the judge cannot score hold it too", async () => {
    await publishOk(server, author, evalSkill("eval-missing", "1.0.0", null));
    await setTier("eval-missing", "HIGH");
    const missing = await publishOk(server, author, evalSkill("eval-missing", "1.1.0", null));
    const heldMissing = await waitFor(() => reasons(missing.version.id), "the review request", 120_000, 250);
    assert.deepEqual(
      heldMissing.map((r) => r["kind"]),
      ["USAGE_TIER", "EVALS_MISSING"],
    );

    // The judge answers garbage until its attempts are spent: the rubric case is "not scored", and the gate says so.
    judge.script(...Array.from({ length: 4 }, () => ({ text: "I think it is fine." })));
    const unscored = await publishOk(server, author, evalSkill("eval-missing", "1.2.0", SUITE));
    const s = await settled(unscored.version.id);
    assert.equal(s.status, "AWAITING_REVIEW");
    assert.equal(s.latestEvalRun?.unscoredCases, 1);
    const wording = s.latestEvalRun!.cases.edges.map((e) => e.node).find((c) => c.name === "wording")!;
    assert.equal(wording.scored, false);
    assert.equal(wording.score, null);
    assert.match(wording.reason ?? "", /not scored: the judge gave no valid answer after 4 attempts/);
    const held = await reasons(unscored.version.id);
    const notScored = held?.find((r) => r["kind"] === "EVALS_NOT_SCORED");
    assert.deepEqual(notScored?.["cases"], ["wording"]);
  });

  test("a platform update re-runs the latest version's suite; a lower score is flagged as drift on the skill and in the quality reviews due", async () => {
    const v1 = await publishOk(server, author, evalSkill("eval-drift", "1.0.0", SUITE));
    const first = await settled(v1.version.id);
    assert.equal(first.latestEvalRun?.score, 0.96);
    // The platform changes under the skill: the judge now scores its summary lower.
    judge.respondWith(() => ({ score: 0.2, reason: "the new model finds it vague" }));
    const marked = await server.gql(`mutation { markPlatformUpdate(input: { kind: CLAUDE_CODE, description: "Claude Code 3" }) { kind } }`, {}, admin);
    assert.equal(marked.errors, undefined, JSON.stringify(marked.errors));
    const drift = await waitFor(
      async () =>
        (
          await server.gql<{ skill: { evalDrift: { id: string; purpose: string; score: number; previousScore: number; regressed: boolean } | null } }>(
            `{ skill(name: "eval-drift") { evalDrift { id purpose score previousScore regressed } } }`,
            {},
            reviewer,
          )
        ).data?.skill.evalDrift ?? null,
      "the re-evaluation to find the drift",
      180_000,
      250,
    );
    assert.equal(drift.purpose, "REEVALUATION");
    assert.equal(drift.previousScore, 0.96);
    assert.ok(Math.abs(drift.score - 0.68) < 1e-9, `score ${drift.score}`);
    const due = await server.gql<{ qualityReviewsDue: { skill: { name: string; evalDrift: { score: number } | null } }[] }>(
      `{ qualityReviewsDue { skill { name evalDrift { score } } } }`,
      {},
      reviewer,
    );
    const item = due.data!.qualityReviewsDue.find((d) => d.skill.name === "eval-drift");
    assert.ok(item, "the Low-tier skill is due after the platform update");
    assert.ok(item.skill.evalDrift, "and the queue shows its drift");

    // The reviewer's quality review names the run it relied on; a run of another skill is refused.
    const RECORD = `mutation($r: ID!) { recordQualityReview(input: { skill: "eval-drift", version: "1.0.0", outcome: NEEDS_WORK, notes: "Vague summary since Claude Code 3.", evalRun: $r }) { evalRun { id score } } }`;
    const foreign = await server.gql(RECORD, { r: foreignRunId }, reviewer);
    assert.equal(foreign.errors?.[0]?.extensions?.["code"], "QUALITY_REVIEW_INVALID");
    const recorded = await server.gql<{ recordQualityReview: { evalRun: { id: string; score: number } } }>(RECORD, { r: drift.id }, reviewer);
    assert.deepEqual(recorded.data?.recordQualityReview.evalRun, { id: drift.id, score: drift.score }, JSON.stringify(recorded.errors));
  });
});

const EVAL_RUN_EVENTS = `subscription($id: ID!) { evalRunEvents(evalRunId: $id) { seq kind text status case { name score } } }`;

interface EvalEvent {
  kind: string;
  text: string | null;
  status: string | null;
  case: { name: string; score: number | null } | null;
}

const collectEvalEvents = (client: Client, evalRunId: string) => collectEvents<EvalEvent>(client, EVAL_RUN_EVENTS, { id: evalRunId });
