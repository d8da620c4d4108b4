import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { packDirectory, parseManifest, type SkillManifest } from "@skillyard/core";
import type { Command } from "commander";
import { CliError, usageError } from "../errors";
import { EventsDocument, OutcomeDocument, PublishDocument, type OutcomeQuery, type PublishSkillVersionInput, type TestRunStatus } from "../gql/graphql";
import { formatBytes } from "../output";
import { examples, requireToken, run, withCommonOptions, type CommonOptions, type Context } from "./common";

interface PublishOptions extends CommonOptions {
  version?: string;
  team?: string;
}

/** A version with its latest test run: the SkillVersion answer of the Outcome query. */
type Outcome = Extract<NonNullable<OutcomeQuery["node"]>, { __typename: "SkillVersion" }>;

const FINAL_RUN_STATUSES = new Set<TestRunStatus>(["PASSED", "FAILED", "TIMEOUT", "MEMORY_LIMIT", "ERROR", "INFRA_ERROR"]);

export function registerPublish(program: Command): void {
  const cmd = program
    .command("publish")
    .description("validate, pack and upload a skill folder, publish it, and stream its sandboxed tests live")
    .argument("<dir>", "the skill folder (skill.yaml and/or SKILL.md at its root)")
    .option("--version <version>", "the version, for a folder with only SKILL.md (must match skill.yaml otherwise)")
    .option("--team <team>", "owning team for a new skill, when you belong to several");
  withCommonOptions(cmd).action((dir: string, options: PublishOptions) => run(options, (ctx) => publish(ctx, dir, options)));
  examples(cmd, [
    "skillyard publish ./pdf-extract",
    "skillyard publish ./notes-skill --version 0.2.0 --team docs",
    "skillyard publish ./pdf-extract --json | jq .status",
  ]);
  cmd.addHelpText("after", "\nExit code 0 when the version is PUBLISHED or AWAITING_REVIEW, 1 when it is rejected or its tests could not run.\n");
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
  const outcome = await settle(ctx, published.version.id);
  return report(ctx, manifest, uploaded, published.created, published.warnings, outcome);
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function runtimeLabel(manifest: SkillManifest): string {
  const runtime = manifest.requirements.runtime;
  return runtime ? ` (${runtime.language} ${runtime.version})` : "";
}

/** Prints the run's events as they arrive: log lines on stdout (stderr lines marked "! "), status changes, a spinner. */
async function streamRun(ctx: Context, runId: string, label: string, versionId: string): Promise<void> {
  const { out } = ctx;
  const c = out.out;
  const started = Date.now();
  let state = "QUEUED";
  let lastSeq = 0;
  const tick = () => out.status.spin(`${label}: tests ${state} ${Math.round((Date.now() - started) / 1000)}s`);
  const ticker = setInterval(tick, 1000);
  ticker.unref();
  tick();
  const client = ctx.client.subscriptions();
  // Ctrl-C stops following, not the run: say so instead of dying silently.
  const onInterrupt = () => {
    out.status.clear();
    process.stderr.write(`\nstopped following; the tests of ${label} keep running on the server (skillyard info ${label.split("@")[0]} shows the outcome)\n`);
    process.exit(130);
  };
  process.once("SIGINT", onInterrupt);
  try {
    await ctx.client.subscribe(client, EventsDocument, { id: runId }, ({ testRunEvents: event }) => {
      if (event.seq <= lastSeq) return;
      lastSeq = event.seq;
      if (event.kind === "LOG") {
        const text = event.text ?? "";
        out.line(event.stream === "STDERR" ? c.yellow(`! ${text}`) : `  ${text}`);
      } else if (event.status) {
        state = event.status;
        const color = event.status === "PASSED" ? c.green : FINAL_RUN_STATUSES.has(event.status) ? c.red : c.cyan;
        out.line(`${color(`● ${event.status}`)}${event.text ? c.dim(` ${event.text}`) : ""}`);
        tick();
      }
    });
  } catch (err) {
    if (err instanceof CliError && err.code === "UNAUTHENTICATED") throw err;
    out.warn(`lost the live output (${err instanceof Error ? err.message : String(err)}); waiting for the result of ${label}`);
    await waitForRun(ctx, versionId);
  } finally {
    process.removeListener("SIGINT", onInterrupt);
    clearInterval(ticker);
    out.status.clear();
    await client.dispose();
  }
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

function report(
  ctx: Context,
  manifest: SkillManifest,
  uploaded: { sha256: string; size: number },
  created: boolean,
  warnings: string[],
  outcome: Outcome,
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
      throw new CliError("TESTS_NOT_RUN", `${label} stays in TESTING: ${outcome.statusReason ?? run?.reason ?? "its tests have not finished"}.`);
    default:
      out.line(`${c.red("✗")} ${c.bold(label)} is ${outcome.status}${outcome.statusReason ? `: ${outcome.statusReason}` : ""}`);
      return 1;
  }
}

/** The first non-empty line of a JUnit message. */
function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "";
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}
