import { stat } from "node:fs/promises";
import path from "node:path";
import { packDirectory, parseManifest, type SkillManifest } from "@skillyard/core";
import type { Command } from "commander";
import type { Client } from "graphql-ws";
import { CliError, usageError } from "../errors";
import { caseMark, formatDuration, formatScore, plural, unscoredReason } from "../eval-output";
import {
  EvalEventsDocument,
  EvalOutcomeDocument,
  EventsDocument,
  OutcomeDocument,
  PublishDocument,
  type EvalCaseLineFragment,
  type EvalOutcomeQuery,
  type EvalRunStatus,
  type OutcomeQuery,
  type PublishSkillVersionInput,
  type TestRunStatus,
} from "../gql/graphql";
import { formatBytes, type Colors } from "../output";
import { examples, readOptional, requireToken, run, withCommonOptions, type CommonOptions, type Context } from "./common";

interface PublishOptions extends CommonOptions {
  version?: string;
  team?: string;
}

/** A version with its latest test run: the SkillVersion answer of the Outcome query. */
type Outcome = Extract<NonNullable<OutcomeQuery["node"]>, { __typename: "SkillVersion" }>;

/** An eval run with all its cases: the EvalRun answer of the EvalOutcome query, its pages joined. */
type EvalResult = Omit<NonNullable<EvalOutcomeQuery["evalRun"]>, "cases"> & { cases: EvalCaseLineFragment[] };

const FINAL_RUN_STATUSES = new Set<TestRunStatus>(["PASSED", "FAILED", "TIMEOUT", "MEMORY_LIMIT", "ERROR", "INFRA_ERROR"]);
const FINAL_EVAL_STATUSES = new Set<EvalRunStatus>(["PASSED", "FAILED", "ERROR", "INFRA_ERROR"]);
/** How long publish looks for a version's eval run to appear once its tests are over (normally it is there at once). */
const EVAL_RUN_APPEAR_MS = 5000;

export function registerPublish(program: Command): void {
  const cmd = program
    .command("publish")
    .description("validate, pack and upload a skill folder, publish it, and stream its sandboxed tests (and evals) live")
    .argument("<dir>", "the skill folder (skill.yaml and/or SKILL.md at its root)")
    .option("--version <version>", "the version, for a folder with only SKILL.md (must match skill.yaml otherwise)")
    .option("--team <team>", "owning team for a new skill, when you belong to several");
  withCommonOptions(cmd).action((dir: string, options: PublishOptions) => run(options, (ctx) => publish(ctx, dir, options)));
  examples(cmd, [
    "skillyard publish ./pdf-extract",
    "skillyard publish ./notes-skill --version 0.2.0 --team docs",
    "skillyard publish ./pdf-extract --json | jq .status",
  ]);
  cmd.addHelpText(
    "after",
    `
When the package ships an eval suite (evals/suite.yaml; check it first with skillyard eval), publish
also waits for its eval run after the tests and streams it: one line per scored case, then the score.
For a skill whose tier is gated the score decides whether the version goes on; otherwise the run is
informational and is shown although the version is already published.
Exit code 0 when the version is PUBLISHED or AWAITING_REVIEW, 1 when it is rejected or its tests or
evals could not run.
`,
  );
}

async function publish(ctx: Context, dir: string, options: PublishOptions): Promise<number> {
  const { out } = ctx;
  requireToken(ctx, "Publishing");
  const root = path.resolve(dir);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw usageError(`${dir} is not a folder.`);

  // The same validation the server runs (unknown permissions are only known to the server).
  const manifest = parseManifest(
    { skillYaml: await readOptional(path.join(root, "skill.yaml")), skillMd: await readOptional(path.join(root, "SKILL.md")) },
    { version: options.version },
  ).manifest;
  const label = `${manifest.name}@${manifest.version}`;
  out.note(
    `${out.err.green("✓")} ${label} is valid (${manifest.source}${manifest.permissions.length ? `; permissions: ${manifest.permissions.join(", ")}` : ""})`,
  );

  const tgz = await packDirectory(root);
  const uploaded = await ctx.client.upload(tgz, (sent, total) => out.status.progress(`uploading ${label}`, sent, total));
  out.status.clear();
  out.note(`${out.err.green("✓")} uploaded ${formatBytes(uploaded.size)} ${out.err.dim(`sha256 ${uploaded.sha256}`)}`);

  const input: PublishSkillVersionInput = { packageSha256: uploaded.sha256 };
  if (options.version) input.version = options.version;
  if (options.team) input.team = options.team;
  const { publishSkillVersion: published } = await ctx.client.gql(PublishDocument, { input });
  for (const warning of published.warnings) out.warn(warning);
  if (!published.created) out.note(out.err.dim(`${label} was already published with these exact bytes; showing its current state.`));

  const run = published.version.latestTestRun;
  if (published.version.status === "TESTING" && run) {
    out.note(`testing ${label} in the sandbox${runtimeLabel(manifest)}`);
    await streamRun(ctx, run.id, label, published.version.id);
  }
  let outcome = await settle(ctx, published.version.id);
  let evalRun: EvalResult | null = null;
  if (outcome.evalSuite && outcome.status !== "TESTING" && outcome.status !== "REJECTED") {
    const found = outcome.latestEvalRun ?? (await waitForEvalRunToAppear(ctx, outcome.id));
    if (found) {
      const suite = outcome.evalSuite;
      const rubric = suite.rubricCases > 0 ? ` (${suite.rubricCases} with a rubric)` : "";
      const purpose = found.purpose === "INFORMATIONAL" ? "; informational, it does not hold the version" : "";
      out.note(`evaluating ${label}: ${plural(suite.caseCount, "case")}${rubric}${purpose}`);
      await streamEvals(ctx, found.id, label);
      evalRun = await fetchEvalRun(ctx, found.id);
      outcome = await settleEvals(ctx, outcome.id, evalRun);
      printEvalSummary(ctx, evalRun, outcome.statusReason);
    } else {
      out.warn(`${label} ships ${outcome.evalSuite.caseCount === 1 ? "an eval case" : "eval cases"} but the registry started no eval run for it`);
    }
  }
  return report(ctx, manifest, uploaded, published.created, published.warnings, outcome, evalRun);
}

function runtimeLabel(manifest: SkillManifest): string {
  const runtime = manifest.requirements.runtime;
  return runtime ? ` (${runtime.language} ${runtime.version})` : "";
}

/**
 * Follows a run live: a spinner with the run's state while `stream` prints its events (it calls
 * `setState` on each status change); when the live output is lost, `poll` waits for the outcome.
 * Ctrl-C stops following, not the run.
 */
async function follow(
  ctx: Context,
  label: string,
  what: "tests" | "evals",
  stream: (client: Client, setState: (state: string) => void) => Promise<void>,
  poll: () => Promise<void>,
): Promise<void> {
  const { out } = ctx;
  const started = Date.now();
  let state = "QUEUED";
  const tick = () => out.status.spin(`${label}: ${what} ${state} ${Math.round((Date.now() - started) / 1000)}s`);
  const ticker = setInterval(tick, 1000);
  ticker.unref();
  tick();
  const client = ctx.client.subscriptions();
  // Ctrl-C stops following, not the run: say so instead of dying silently.
  const onInterrupt = () => {
    out.status.clear();
    process.stderr.write(`\nstopped following; the ${what} of ${label} keep running on the server (skillyard info ${label.split("@")[0]} shows the outcome)\n`);
    process.exit(130);
  };
  process.once("SIGINT", onInterrupt);
  try {
    await stream(client, (next) => {
      state = next;
      tick();
    });
  } catch (err) {
    if (err instanceof CliError && err.code === "UNAUTHENTICATED") throw err;
    out.warn(`lost the live output (${err instanceof Error ? err.message : String(err)}); waiting for the result of ${label}`);
    await poll();
  } finally {
    process.removeListener("SIGINT", onInterrupt);
    clearInterval(ticker);
    out.status.clear();
    await client.dispose();
  }
}

/** Prints the test run's events as they arrive: log lines on stdout (stderr lines marked "! "), status changes, a spinner. */
async function streamRun(ctx: Context, runId: string, label: string, versionId: string): Promise<void> {
  const { out } = ctx;
  const c = out.out;
  let lastSeq = 0;
  await follow(
    ctx,
    label,
    "tests",
    (client, setState) =>
      ctx.client.subscribe(client, EventsDocument, { id: runId }, ({ testRunEvents: event }) => {
        if (event.seq <= lastSeq) return;
        lastSeq = event.seq;
        if (event.kind === "LOG") {
          const text = event.text ?? "";
          out.line(event.stream === "STDERR" ? c.yellow(`! ${text}`) : `  ${text}`);
        } else if (event.status) {
          setState(event.status);
          const color = event.status === "PASSED" ? c.green : FINAL_RUN_STATUSES.has(event.status) ? c.red : c.cyan;
          out.line(`${color(`● ${event.status}`)}${event.text ? c.dim(` ${event.text}`) : ""}`);
        }
      }),
    () => waitForRun(ctx, versionId),
  );
}

/**
 * Prints the eval run's events as they arrive: a line per scored case, the entry point's stderr
 * (dimmed, marked "! "), status changes but the final one (printEvalSummary says how it ended).
 */
async function streamEvals(ctx: Context, runId: string, label: string): Promise<void> {
  const { out } = ctx;
  const c = out.out;
  let lastSeq = 0;
  await follow(
    ctx,
    label,
    "evals",
    (client, setState) =>
      ctx.client.subscribe(client, EvalEventsDocument, { id: runId }, ({ evalRunEvents: event }) => {
        if (event.seq <= lastSeq) return;
        lastSeq = event.seq;
        if (event.kind === "LOG") {
          // The entry point's stdout is each case's output, shown with its case; stderr is its log.
          if (event.stream === "STDERR") out.line(c.dim(`! ${event.text ?? ""}`));
        } else if (event.kind === "CASE") {
          out.line(
            event.case
              ? evalCaseLine(c, event.case)
              : `${caseMark(c, "missing")} ${event.text ?? "?"} ${c.dim("(its result is no longer there: the run was retried)")}`,
          );
        } else if (event.status) {
          setState(event.status);
          if (!FINAL_EVAL_STATUSES.has(event.status)) out.line(`${c.cyan(`● evals ${event.status}`)}${event.text ? c.dim(` ${event.text}`) : ""}`);
        }
      }),
    () => waitForEvalRun(ctx, runId),
  );
}

/** `✔ name 1.00 212 ms`, `✖ name 0.00 198 ms — why`, `○ name not scored 230 ms — why`. */
function evalCaseLine(c: Colors, evalCase: EvalCaseLineFragment): string {
  const verdict = !evalCase.scored ? "unscored" : evalCase.passed ? "passed" : "failed";
  const score = evalCase.scored ? formatScore(evalCase.score) : c.yellow("not scored");
  const duration = evalCase.durationMs === null ? "" : c.dim(` ${formatDuration(evalCase.durationMs)}`);
  const reason = evalCase.scored ? evalCase.reason : unscoredReason(evalCase.reason);
  return `${caseMark(c, verdict)} ${evalCase.name} ${score}${duration}${reason ? c.dim(` — ${firstLine(reason)}`) : ""}`;
}

/**
 * `evals: PASSED 0.92 (minimum 0.80), 6 cases, 1 not scored`, with the run's reason when it did not
 * simply pass, unless it is the version's status reason (a rejection's line shows that one).
 */
function printEvalSummary(ctx: Context, run: EvalResult, statusReason: string | null): void {
  const c = ctx.out.out;
  const color = run.status === "PASSED" ? c.green : FINAL_EVAL_STATUSES.has(run.status) ? c.red : c.cyan;
  const score = run.score === null ? "" : ` ${formatScore(run.score)}`;
  const unscored = run.unscoredCases > 0 ? `, ${run.unscoredCases} not scored` : "";
  const reason = (run.status !== "PASSED" || run.regressed) && run.reason && run.reason !== statusReason ? c.dim(` — ${run.reason}`) : "";
  ctx.out.line(`${color(`evals: ${run.status}`)}${score} (minimum ${formatScore(run.minScore)}), ${plural(run.caseCount, "case")}${unscored}${reason}`);
}

/** Polls until the version's run is over (used when the live output is lost). */
async function waitForRun(ctx: Context, versionId: string): Promise<void> {
  for (;;) {
    const outcome = await fetchOutcome(ctx, versionId);
    if (outcome.status !== "TESTING" || (outcome.latestTestRun && FINAL_RUN_STATUSES.has(outcome.latestTestRun.status))) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function fetchOutcome(ctx: Context, versionId: string): Promise<Outcome> {
  const { node } = await ctx.client.gql(OutcomeDocument, { id: versionId });
  if (node?.__typename !== "SkillVersion") throw new CliError("NOT_FOUND", `The published version ${versionId} is not visible.`);
  return node;
}

/**
 * The version's state once the run is over. The worker commits the version's new status before it
 * emits the final event, so one read is normally enough; a few short retries cover a lagging replica.
 */
async function settle(ctx: Context, versionId: string): Promise<Outcome> {
  let outcome = await fetchOutcome(ctx, versionId);
  for (let i = 0; i < 10 && outcome.status === "TESTING" && !(outcome.latestTestRun && FINAL_RUN_STATUSES.has(outcome.latestTestRun.status)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    outcome = await fetchOutcome(ctx, versionId);
  }
  return outcome;
}

/** The version's eval run when the latest read had none yet: a few short reads (it is created with the version's move past TESTING). */
async function waitForEvalRunToAppear(ctx: Context, versionId: string): Promise<Outcome["latestEvalRun"]> {
  for (const deadline = Date.now() + EVAL_RUN_APPEAR_MS; Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const outcome = await fetchOutcome(ctx, versionId);
    if (outcome.latestEvalRun) return outcome.latestEvalRun;
  }
  return null;
}

/** An eval run with every case (the registry pages them, 100 at a time). */
async function fetchEvalRun(ctx: Context, runId: string): Promise<EvalResult> {
  const cases: EvalCaseLineFragment[] = [];
  let after: string | null = null;
  for (;;) {
    const page: EvalOutcomeQuery = await ctx.client.gql(EvalOutcomeDocument, { id: runId, after });
    const run = page.evalRun;
    if (!run) throw new CliError("NOT_FOUND", `The eval run ${runId} is not visible.`);
    cases.push(...run.cases.edges.map((e) => e.node));
    const next: string | null = run.cases.pageInfo.hasNextPage ? run.cases.pageInfo.endCursor : null;
    if (next === null) return { ...run, cases };
    after = next;
  }
}

/** Polls until the eval run is over (used when the live output is lost). */
async function waitForEvalRun(ctx: Context, runId: string): Promise<void> {
  for (;;) {
    const { evalRun } = await ctx.client.gql(EvalOutcomeDocument, { id: runId, after: null });
    if (!evalRun || FINAL_EVAL_STATUSES.has(evalRun.status)) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/**
 * The version's state once its eval run is over. The worker moves the version on before it emits
 * the run's final status, so one read is normally enough; a version whose evals could not run
 * (INFRA_ERROR) stays in EVALUATING.
 */
async function settleEvals(ctx: Context, versionId: string, run: EvalResult): Promise<Outcome> {
  let outcome = await fetchOutcome(ctx, versionId);
  for (let i = 0; i < 10 && outcome.status === "EVALUATING" && run.status !== "INFRA_ERROR"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    outcome = await fetchOutcome(ctx, versionId);
  }
  return outcome;
}

function report(
  ctx: Context,
  manifest: SkillManifest,
  uploaded: { sha256: string; size: number },
  created: boolean,
  warnings: string[],
  outcome: Outcome,
  evalRun: EvalResult | null,
): number {
  const { out } = ctx;
  const c = out.out;
  const label = `${manifest.name}@${outcome.version}`;
  const run = outcome.latestTestRun;
  const tests = run ? run.tests.edges.map((e) => e.node) : [];
  const failing = tests.filter((t) => t.status === "failed");
  const reviewUrl = outcome.status === "AWAITING_REVIEW" ? `${ctx.registry}/admin/reviews/${encodeURIComponent(outcome.id)}` : null;
  const ok = outcome.status === "PUBLISHED" || outcome.status === "AWAITING_REVIEW";
  if (ctx.json) {
    ctx.out.printJson({
      name: manifest.name,
      version: outcome.version,
      versionId: outcome.id,
      status: outcome.status,
      statusReason: outcome.statusReason,
      created,
      warnings,
      package: uploaded,
      reviewUrl,
      testRun: run
        ? {
            id: run.id,
            status: run.status,
            reason: run.reason,
            passed: run.passed,
            failed: run.failed,
            skipped: run.skipped,
            passRate: run.passRate,
            failingTests: failing.map((t) => ({ name: t.name, classname: t.classname, message: t.message })),
          }
        : null,
      evalRun: evalRun
        ? {
            id: evalRun.id,
            status: evalRun.status,
            purpose: evalRun.purpose,
            reason: evalRun.reason,
            score: evalRun.score,
            minScore: evalRun.minScore,
            caseCount: evalRun.caseCount,
            unscoredCases: evalRun.unscoredCases,
            baselineScore: evalRun.baselineScore,
            regressed: evalRun.regressed,
            cases: evalRun.cases.map((k) => ({
              name: k.name,
              weight: k.weight,
              score: k.score,
              scored: k.scored,
              passed: k.passed,
              reason: k.reason,
              durationMs: k.durationMs,
              timedOut: k.timedOut,
            })),
          }
        : null,
    });
    return ok ? 0 : 1;
  }
  const summary =
    run && FINAL_RUN_STATUSES.has(run.status) && run.passed + run.failed + run.skipped > 0
      ? c.dim(` (${run.passed} passed, ${run.failed} failed${run.skipped ? `, ${run.skipped} skipped` : ""})`)
      : "";
  switch (outcome.status) {
    case "PUBLISHED":
      out.line(`${c.green("✓ published")} ${c.bold(label)}${summary}`);
      return 0;
    case "AWAITING_REVIEW":
      out.line(`${c.yellow("⧗ awaiting review")} ${c.bold(label)}${summary}`);
      if (outcome.statusReason) out.line(`  ${outcome.statusReason}`);
      out.line(`  review it at ${c.cyan(reviewUrl ?? "")}`);
      return 0;
    case "REJECTED":
      out.line(`${c.red("✗ rejected")} ${c.bold(label)}: ${outcome.statusReason ?? "no reason given"}`);
      if (failing.length > 0) {
        out.line("  failing tests:");
        for (const t of failing) out.line(`    ${c.red("✗")} ${t.name}${t.message ? c.dim(` — ${firstLine(t.message)}`) : ""}`);
      }
      return 1;
    case "TESTING":
    case "EVALUATING":
      throw notRun(label, outcome, run?.reason ?? null, evalRun);
    default:
      out.line(`${c.red("✗")} ${c.bold(label)} is ${outcome.status}${outcome.statusReason ? `: ${outcome.statusReason}` : ""}`);
      return 1;
  }
}

/** A version stuck before its gates decided: its tests (TESTING) or its evals (EVALUATING) could not run. */
function notRun(label: string, outcome: Outcome, testReason: string | null, evalRun: EvalResult | null): CliError {
  if (outcome.status === "EVALUATING") {
    return new CliError("EVALS_NOT_RUN", `${label} stays in EVALUATING: ${outcome.statusReason ?? evalRun?.reason ?? "its evals have not finished"}.`);
  }
  return new CliError("TESTS_NOT_RUN", `${label} stays in TESTING: ${outcome.statusReason ?? testReason ?? "its tests have not finished"}.`);
}

/** The first non-empty line of a JUnit message (or an eval case's reason). */
function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "";
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}
