import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Route } from "playwright-core";
import { AuditLogPage } from "../pages/admin";
import { driftInQualityReviews, EvalReviewPage, EvalRunPage, SkillEvalsTab } from "../pages/evals";
import { UsagePage } from "../pages/usage";
import { closePagesAfterEachTest, DESKTOP, launchBrowser, MOBILE, saveScreenshot, signedInPage } from "../support/browser";
import {
  csvStatsPackage,
  evalRunsOf,
  type MessagesApiStandIn,
  type RecordedRequest,
  type StandInStep,
  startMessagesApiStandIn,
  taggedSection,
  waitForDrift,
  waitForEvalRun,
} from "../support/evals";
import { createTeam, createUser, publish, type SeededUser, waitForVersionStatus } from "../support/seed";
import { startStack, type Stack } from "../support/stack";
import { ClaudeSession, logsRequest, postLogs } from "../support/telemetry";
import { waitFor } from "../support/wait";

// Eval suites in the console, end to end, with the real sandbox and a scripted judge (the server
// suite's Messages API stand-in, at EVAL_JUDGE_URL). csv-stats (examples/csv-stats: five checked
// cases and one rubric case of weight 2) publishes 1.0.0 while it is little used, so its evals only
// inform; Claude Code telemetry then makes it a High-tier skill, whose versions must pass their
// evals. 1.1.0 adds a sentence to its summaries that the judge marks down: it still meets the
// minimum (0.86 against 0.80) but scores lower than 1.0.0 on the same suite, so it waits for a
// reviewer, who sees the case that got worse side by side, is told before clicking that approving
// needs a reason, is refused without one and approves with one. The skill page charts each
// version's score; an eval run's page shows its cases, on a phone too. A platform update scores
// every latest version again: the re-evaluation's cases fill in live, it scores lower (drift), and
// the skill page and the quality reviews queue say so.

const DAY_MS = 86_400_000;
const MIN_SCORE = 0.8;
/** Five checked cases of weight 1 at full marks, and the rubric case (weight 2) at the judge's score. */
const suiteScore = (judged: number) => (5 + 2 * judged) / 7;
const REGRESSION_REFUSAL = "Approving this version accepts its eval regression: say why in the comment.";
const INVENTED = " Column total is invented.";

let judge: MessagesApiStandIn;
let stack: Stack;
let browser: Browser;
let dana: SeededUser; // maintains csv-stats (team data)
let rita: SeededUser; // a reviewer
let regressedId: string; // csv-stats@1.1.0

/** After the platform update the judge marks every summary down to 0 (what drift looks like). */
let driftingJudge = false;
/** While set, the judge holds its answers until released: the rubric case is scored last, on cue. */
let judgeHold: { held: Promise<void>; release: () => void } | null = null;

function holdJudge(): void {
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  judgeHold = { held, release };
}

function releaseJudge(): void {
  judgeHold?.release();
  judgeHold = null;
}

/** The rubric asks for the mean and the row count and no invented columns: a summary that invents one loses half. */
function judgeSummary(request: RecordedRequest): StandInStep {
  const output = taggedSection(request.prompt, "skill_output") ?? "";
  if (driftingJudge) return { score: 0, reason: "Does not state the mean in words a reader can use." };
  return output.includes("invented")
    ? { score: 0.5, reason: "Names a column the table does not have." }
    : { score: 1, reason: "States the mean and the row count." };
}

/** The team's ingest token, from its managed settings (what Claude Code sends as OTEL_EXPORTER_OTLP_HEADERS). */
async function ingestToken(team: string): Promise<string> {
  const data = await stack.gql<{ managedSettings: { env: Record<string, string> } }>(`query ($team: String) { managedSettings(team: $team) }`, { team });
  const match = /^Authorization=Bearer (\S+)$/.exec(data.managedSettings.env["OTEL_EXPORTER_OTLP_HEADERS"] ?? "");
  assert.ok(match?.[1], "an ingest token in the managed settings");
  return match[1];
}

/**
 * Reports the skill invoked twice every other day over the last four full weeks (about five a week,
 * above this stack's High threshold of two), then waits for the tier job to move it to HIGH.
 */
async function useHeavily(skill: string, team: string): Promise<void> {
  const now = Date.now();
  const sessions: ClaudeSession[] = [];
  for (let daysAgo = 8; daysAgo <= 26; daysAgo += 2) {
    const at = new Date(now - daysAgo * DAY_MS);
    const session = new ClaudeSession({ userId: `dana@corp.example`, resource: { team } });
    session.pluginLoaded(skill, "skillyard", "1.0.0", new Date(at.getTime() - 1000));
    session.invoke({ skill, plugin: skill, marketplace: "skillyard", success: true, at });
    session.invoke({ skill, plugin: skill, marketplace: "skillyard", success: true, at: new Date(at.getTime() + 60_000) });
    sessions.push(session);
  }
  const response = await postLogs(stack.url, await ingestToken(team), logsRequest(sessions));
  assert.equal(response.status, 200, await response.text());
  await waitFor(
    async () => {
      const data = await stack.gql<{ skill: { usageTier: string } | null }>(`query ($name: String!) { skill(name: $name) { usageTier } }`, { name: skill });
      return data.skill?.usageTier === "HIGH";
    },
    `${skill} to reach the HIGH tier`,
    60_000,
    500,
  );
}

/** Answers ReviewDetail as the server does, minus any EVAL_REGRESSION reason; everything else untouched. */
async function withoutRegressionReason(route: Route): Promise<void> {
  const body: unknown = route.request().postDataJSON();
  if (typeof body !== "object" || body === null || (body as { operationName?: unknown }).operationName !== "ReviewDetail") return route.continue();
  const response = await route.fetch();
  const json = (await response.json()) as { data?: { node?: { reviewRequest?: { reasons: { kind?: unknown }[] } | null } | null } };
  const request = json.data?.node?.reviewRequest;
  if (request) request.reasons = request.reasons.filter((reason) => reason.kind !== "EVAL_REGRESSION");
  await route.fulfill({ response, json });
}

before(async () => {
  judge = await startMessagesApiStandIn();
  judge.respondWith(async (request) => {
    if (judgeHold) await judgeHold.held;
    return judgeSummary(request);
  });
  stack = await startStack({
    EVAL_JUDGE_URL: judge.url,
    // Tiers are recomputed every 10 s, and two invocations a week already make a skill High.
    USAGE_JOBS_INTERVAL_SECONDS: "10",
    USAGE_TIER_HIGH_PER_WEEK: "2",
    USAGE_TIER_MEDIUM_PER_WEEK: "1",
    // The two re-evaluations of the last test run side by side, with room for a third job.
    SANDBOX_MAX_CONCURRENCY: "3",
  });
  browser = await launchBrowser();
  dana = await createUser(stack, "dana");
  rita = await createUser(stack, "rita", ["REVIEWER"]);
  await createTeam(stack, "data", { dana: "MAINTAINER" });

  // Little used, so their evals only inform: both publish once their tests pass.
  const first = await publish(stack, dana.token, csvStatsPackage({ version: "1.0.0" }), "data");
  const summary = await publish(stack, dana.token, csvStatsPackage({ name: "csv-summary", version: "1.0.0" }), "data");
  await Promise.all([first, summary].map((version) => waitForVersionStatus(stack, version.id, ["PUBLISHED"], 240_000)));
  for (const version of [first, summary]) {
    const run = await waitForEvalRun(stack, version.id, "INFORMATIONAL");
    assert.equal(run.status, "PASSED", `${version.version}'s informational evals pass`);
    assert.equal(run.score, 1, "every case at full marks");
  }

  await useHeavily("csv-stats", "data");

  // Now gated: 1.1.0's summaries say something the judge marks down.
  const regressed = await publish(stack, dana.token, csvStatsPackage({ version: "1.1.0", summarySuffix: INVENTED }), "data");
  regressedId = regressed.id;
  await waitForVersionStatus(stack, regressedId, ["AWAITING_REVIEW"], 300_000);
});

after(async () => {
  releaseJudge();
  await browser?.close();
  await stack?.stop();
  await judge?.close();
});

closePagesAfterEachTest();

test("a reviewer sees the case that got worse side by side, is told approving needs a reason, is refused without one and approves with one", async () => {
  const page = await signedInPage(browser, stack, rita.token, DESKTOP, `/reviews/${regressedId}`);
  const review = new EvalReviewPage(page);
  await review.waitUntilLoaded();
  assert.equal(await review.title().textContent(), "csv-stats@1.1.0");

  // Why it waits, in words: the evals got worse (and the skill is popular).
  const kinds = await review.reasonKinds();
  assert.ok(kinds.includes("EVAL_REGRESSION"), `an eval regression among ${kinds.join(", ")}`);
  assert.ok(kinds.includes("USAGE_TIER"), "and the usage tier");
  const regression = await review.reasonText("EVAL_REGRESSION");
  assert.match(regression, /Evals got worse: this version scores 0\.86 where 1\.0\.0 \(on latest today\) scores 1\.00 on the same cases/);
  assert.match(regression, /summary-wording 1\.00 → 0\.50 \(−0\.50\)/);
  assert.match(regression, /needs a written reason/);

  // The score against the minimum: it meets it.
  const score = await review.evalScore();
  assert.ok(Math.abs((score.score ?? 0) - suiteScore(0.5)) < 1e-9, `scored ${score.score}`);
  assert.equal(score.minScore, MIN_SCORE);
  assert.equal(score.meets, true);
  assert.equal(score.text, "0.86 · min 0.80");

  // The case that got worse, old output next to new.
  const worse = await review.worseCases();
  assert.deepEqual(
    worse.map(({ name, before, after }) => ({ name, before, after })),
    [{ name: "summary-wording", before: 1, after: 0.5 }],
  );
  assert.doesNotMatch(worse[0]?.outputBefore ?? "", /invented/, "1.0.0's summary");
  assert.match(worse[0]?.outputAfter ?? "", /2 rows; a has mean 1\.5\. Column total is invented\./, "1.1.0's summary");
  assert.equal(await review.comparisonIsSideBySide("summary-wording"), true, "before and after side by side on a wide screen");

  // Every case, the marked-down one first with the judge's reason; its output on request.
  const cases = await review.evalCases().list();
  assert.equal(cases.length, 6);
  assert.deepEqual(
    cases.map((c) => [c.name, c.passed]),
    [
      ["summary-wording", false],
      ["mean-of-two-rows", true],
      ["skips-text-columns", true],
      ["min-and-max", true],
      ["mean-with-tolerance", true],
      ["summary-names-the-rows", true],
    ],
  );
  assert.match(cases[0]?.problems ?? "", /Judge: Names a column the table does not have\./);
  assert.match(await review.evalCases().outputOf("summary-wording"), /Column total is invented/);

  // Before any click: the comment is required, and the page says why.
  const requirement = await review.commentRequirement();
  assert.equal(requirement.required, true);
  assert.match(requirement.explanation, /approving accepts its eval regression \(0\.86 against 1\.00 for 1\.0\.0\), so say why/i);
  await saveScreenshot(page, "eval-review-regression");

  // Refused without a reason, in the server's words, with focus back on the field; nothing recorded.
  assert.equal(await review.approveWithoutReason(), REGRESSION_REFUSAL);
  assert.equal(await review.commentHasFocus(), true);
  assert.equal(await review.decisionRows().count(), 0);
  const refused = await stack.request(
    `mutation ($input: ApproveVersionInput!) { approveVersion(input: $input) { published } }`,
    { input: { versionId: regressedId, comment: " " } },
    rita.token,
  );
  assert.equal(refused.errors?.[0]?.message, REGRESSION_REFUSAL, "the server refuses the same");
  assert.equal(refused.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
  await saveScreenshot(page, "eval-review-regression-refused");

  // A console whose copy of the review lacks the regression (as if loaded before the evals had
  // finished) lets the click through: the server's refusal is shown on the comment field all the same.
  const stale = await signedInPage(browser, stack, rita.token, DESKTOP);
  await stale.route("**/graphql", withoutRegressionReason);
  const staleReview = await new EvalReviewPage(stale).open(regressedId);
  assert.equal((await staleReview.commentRequirement()).required, false, "this console does not know");
  assert.equal(await staleReview.approveWithoutReason(), REGRESSION_REFUSAL);
  assert.equal(await staleReview.commentHasFocus(), true);
  assert.equal(await staleReview.decisionRows().count(), 0);
  await stale.context().close();

  await review.approve("The closing sentence is new on purpose; the team confirmed the column wording with its users.");
  assert.equal(await review.outcome().getAttribute("data-outcome"), "PUBLISHED");
  await waitForVersionStatus(stack, regressedId, ["PUBLISHED"]);
});

test("the eval run page shows the score, the baseline it was compared with and every case", async () => {
  const gate = await waitForEvalRun(stack, regressedId, "GATE");
  const page = await signedInPage(browser, stack, rita.token, DESKTOP, `/reviews/${regressedId}`);
  const review = new EvalReviewPage(page);
  await review.waitUntilLoaded();
  const run = await review.openEvalRun();
  assert.equal(new URL(page.url()).pathname, `/admin/evals/${gate.id}`);
  assert.match((await run.title().textContent()) ?? "", /^Eval run of csv-stats@1\.1\.0$/);
  assert.equal(await run.status(), "PASSED");
  const score = await run.score();
  assert.equal(score.text, "0.86 · min 0.80");
  assert.equal(await run.comparison(), "1.0.0 scored 1.00");
  const outcome = await run.outcome();
  assert.equal(outcome.regressed, true);
  assert.match(outcome.text, /Passed its minimum, but scores lower than before/);
  assert.match(outcome.text, /Score 0\.86 against a minimum of 0\.80; 1\.00 for 1\.0\.0 on the same cases/);
  assert.deepEqual(await run.caseProgress(), { shown: 6, total: 6 });
  const cases = await run.cases().list();
  assert.deepEqual(cases.map((c) => c.name).sort(), [
    "mean-of-two-rows",
    "mean-with-tolerance",
    "min-and-max",
    "skips-text-columns",
    "summary-names-the-rows",
    "summary-wording",
  ]);
  assert.deepEqual(
    cases.filter((c) => !c.passed).map((c) => [c.name, c.score]),
    [["summary-wording", 0.5]],
  );
  assert.match(await run.cases().outputOf("mean-of-two-rows"), /"rows": 2/);
  await saveScreenshot(page, "eval-run");
});

test("on a phone the eval run page stacks its cases as cards, the review page stacks the comparison, and neither scrolls sideways", async () => {
  const gate = await waitForEvalRun(stack, regressedId, "GATE");
  const page = await signedInPage(browser, stack, dana.token, MOBILE, `/evals/${gate.id}`);
  const run = new EvalRunPage(page);
  await run.waitUntilLoaded();
  await run.waitForCases(6);
  assert.equal(await page.locator('table[data-testid="eval-cases"]').count(), 0, "cards, not a table");
  assert.equal((await run.cases().list()).length, 6);
  assert.match(await run.cases().outputOf("summary-wording"), /Column total is invented/);
  assert.equal(await run.overflowsSideways(), false);
  await saveScreenshot(page, "eval-run-mobile");

  // The review page's regression stacks the old output above the new one.
  const review = await new EvalReviewPage(page).open(regressedId);
  assert.deepEqual(
    (await review.worseCases()).map((c) => c.name),
    ["summary-wording"],
  );
  assert.equal(await review.comparisonIsSideBySide("summary-wording"), false, "stacked on a phone");
  assert.equal(await review.overflowsSideways(), false);
  await saveScreenshot(page, "eval-review-mobile");
});

test("the skill page charts each version's eval score in publish order against the minimum", async () => {
  const page = await signedInPage(browser, stack, dana.token, DESKTOP, "/skills/csv-stats");
  const tab = await new SkillEvalsTab(page).open("csv-stats");
  const charted = await tab.chartedScores();
  assert.deepEqual(
    charted.map((point) => point.version),
    ["1.0.0", "1.1.0", ...(charted.length > 2 ? ["1.2.0"] : [])],
  );
  assert.equal(charted[0]?.score, 1);
  assert.equal(charted[1]?.score, 0.86);
  assert.equal(await tab.minimumLine(), MIN_SCORE);
  const drawn = await tab.drawnLines();
  assert.ok(drawn.lines >= 1, "the score line is drawn");
  assert.equal(drawn.referenceLines, 1, "the minimum is a reference line");
  await saveScreenshot(page, "skill-eval-scores");

  const run = await tab.openRunOf("1.0.0");
  assert.equal(await run.status(), "PASSED");
  assert.equal(await page.getByTestId("eval-purpose").first().getAttribute("data-purpose"), "INFORMATIONAL");
});

test("after a platform update the latest version is scored again: its cases fill in live, it drifts, and the skill page and quality reviews say so", async () => {
  const latest = await stack.gql<{ skill: { latestVersion: { id: string; version: string } } }>(
    `{ skill(name: "csv-stats") { latestVersion { id version } } }`,
  );
  const latestId = latest.skill.latestVersion.id;
  const before = (await evalRunsOf(stack, latestId)).find((run) => run.purpose !== "BASELINE" && run.score !== null);
  assert.ok(before?.score, "the latest version has a score to drift from");

  // The judge now marks every summary down, and answers only when told: the checked cases arrive first.
  driftingJudge = true;
  holdJudge();
  await stack.gql(`mutation ($input: MarkPlatformUpdateInput!) { markPlatformUpdate(input: $input) { id } }`, {
    input: { kind: "RUNTIME_IMAGE", description: "python 3.11.9 runtime image" },
  });
  const reevaluation = await waitForEvalRun(stack, latestId, "REEVALUATION", () => true, 60_000);

  const page = await signedInPage(browser, stack, rita.token, DESKTOP, `/evals/${reevaluation.id}`);
  const run = new EvalRunPage(page);
  await run.waitUntilLoaded();
  await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
  assert.match((await run.title().textContent()) ?? "", /^Re-evaluation of csv-stats@/);
  await run.waitForCases(5, 120_000);
  assert.deepEqual(await run.caseProgress(), { shown: 5, total: 6 }, "the five checked cases, while the judge is held");
  assert.equal(await run.status(), "RUNNING");
  assert.equal(await run.showsProgress(), true);
  await saveScreenshot(page, "eval-run-live");

  releaseJudge();
  assert.equal(await run.waitUntilFinished(), "FAILED", `${suiteScore(0).toFixed(2)} is below the minimum`);
  await run.waitForCases(6);
  assert.equal(await page.evaluate(() => "__sameDocument" in window), true, "filled in without a reload");
  assert.equal(await run.comparison(), `${before.score.toFixed(2)} before`);
  assert.match((await run.outcome()).text, new RegExp(`Score ${suiteScore(0).toFixed(2)} against a minimum of 0\\.80; ${before.score.toFixed(2)} before`));

  const drift = await waitForDrift(stack, "csv-stats");
  assert.equal(drift.id, reevaluation.id);
  const summaryDrift = await waitForDrift(stack, "csv-summary");

  const skill = await new SkillEvalsTab(page).open("csv-stats");
  const shown = await skill.drift();
  assert.ok(shown, "the skill page warns of the drift");
  assert.ok(Math.abs((shown.score ?? 0) - suiteScore(0)) < 1e-9);
  assert.equal(shown.previousScore, before.score);
  assert.match(shown.text, new RegExp(`now scores ${suiteScore(0).toFixed(2)}, down from ${before.score.toFixed(2)}`));
  await saveScreenshot(page, "skill-eval-drift");
  assert.equal(new URL((await skill.openDriftRun()).page.url()).pathname, `/admin/evals/${reevaluation.id}`);

  // csv-summary is little used: the platform update makes its quality review due, and the queue shows its drift.
  const usage = await new UsagePage(page).open("?tab=reviews");
  await usage.showQualityReviews();
  await usage.waitForDue((skills) => skills.includes("csv-summary"), "csv-summary's quality review to be due");
  const marked = await driftInQualityReviews(page, "csv-summary");
  assert.ok(marked, "the queue marks csv-summary's drift");
  assert.equal(marked.score, summaryDrift.score);
  assert.equal(marked.previousScore, 1);
  await saveScreenshot(page, "usage-quality-reviews-drift");

  // The audit log records the drift, in words, with a link to the run.
  const audit = await new AuditLogPage(page).open("?action=EVAL_DRIFT&skill=csv-stats");
  await audit.waitForActions((actions) => actions.length === 1 && actions[0] === "EVAL_DRIFT", "csv-stats's drift in the audit log");
  const row = audit.rows.first();
  assert.equal(
    await row.getByTestId("audit-note").textContent(),
    `failed: ${suiteScore(0).toFixed(2)} (min 0.80), down from ${before.score.toFixed(2)}, re-evaluation`,
  );
  await row.getByTestId("audit-eval-run-link").click();
  await new EvalRunPage(page).waitUntilLoaded();
  assert.equal(new URL(page.url()).pathname, `/admin/evals/${reevaluation.id}`);
});
