import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import {
  caseScore,
  EVAL_SUITE_PATH,
  evalEntrypoint,
  evalSuiteForManifest,
  gradeOutput,
  parseEvalSuite,
  parseManifest,
  SkillyardError,
  suiteScore,
  type EvalCase,
  type EvalExpectations,
  type EvalSuite,
  type GraderResult,
  type SkillManifest,
} from "@skillyard/core";
import type { Command } from "commander";
import { CliError, toCliError, usageError } from "../errors";
import { caseMark, formatScore, plural, shellJoin, type CaseVerdict } from "../eval-output";
import { padEnd, type Output } from "../output";
import { examples, readOptional, reportError, runLocal, withCommonOptions, type CommonOptions } from "./common";

interface EvalOptions extends CommonOptions {
  outputs?: string;
}

/** The suite's graders as evals/suite.yaml spells them, in the order gradeOutput runs them. */
const GRADERS: readonly (readonly [keyof EvalExpectations, string])[] = [
  ["equals", "equals"],
  ["jsonSubset", "json_subset"],
  ["contains", "contains"],
  ["regex", "regex"],
  ["jsonSchema", "json_schema"],
  ["number", "number"],
];

/** A folder's manifest and its suite, checked against each other as the registry checks them on publish. */
interface LoadedSuite {
  manifest: SkillManifest;
  /** `name@version`, or just the name for a SKILL.md-only folder (which has no version of its own). */
  label: string;
  suite: EvalSuite;
  entrypoint: string[];
  entrypointFrom: "evals/suite.yaml" | "skill.yaml";
}

/** How one case's recorded output graded: `needs_judge` is a rubric case whose graders passed (no score without the judge). */
type GradedResult = "passed" | "failed" | "needs_judge" | "no_output";

interface GradedCase {
  name: string;
  weight: number;
  result: GradedResult;
  /** caseScore with no judge score: 0 or 1, or null for needs_judge and no_output. */
  score: number | null;
  /** The first failing grader as `<grader>: <message>`; null unless failed. */
  reason: string | null;
  graders: GraderResult[];
}

export function registerEval(program: Command): void {
  const cmd = program
    .command("eval")
    .description("check a skill's eval suite (evals/suite.yaml) locally and grade recorded outputs, as the registry will; no registry needed")
    .argument("<dir>", "the skill folder (skill.yaml at its root, the suite in evals/suite.yaml)")
    .option(
      "--outputs <file>",
      "grade recorded outputs: a JSON object mapping case name to the entry point's stdout for that case (a string as is, any other JSON value as its JSON)",
    );
  withCommonOptions(cmd).action((dir: string, options: EvalOptions) => runLocal(options, (out) => evaluate(out, dir, options)));
  examples(cmd, [
    "skillyard eval ./csv-stats",
    "skillyard eval ./csv-stats --outputs recorded.json",
    "skillyard eval ./csv-stats --outputs recorded.json --json | jq .outputs.score",
  ]);
  cmd.addHelpText(
    "after",
    `
Checks evals/suite.yaml with the registry's own rules (@skillyard/core): the format, every case, and
that it can run (skill.yaml declares a runtime; the suite or skill.yaml names an entry point). Nothing
is run and nothing is sent: --registry and --token are ignored. With --outputs, each recorded output is
graded by the deterministic graders (it must be JSON and match skill.yaml's outputs schema, then each
expectation); rubric cases need the registry's judge and are not scored here.
Exit code 0 when the suite is valid (and, with --outputs, no graded case failed), 1 otherwise.
`,
  );
}

async function evaluate(out: Output, dir: string, options: EvalOptions): Promise<number> {
  let loaded: LoadedSuite;
  try {
    loaded = await loadSuite(dir);
  } catch (err) {
    return reportFieldErrors(out, err);
  }
  const outputs = options.outputs === undefined ? null : await readOutputs(options.outputs, loaded.suite);
  const graded = outputs === null ? null : gradeCases(loaded, outputs);
  const score = graded === null ? null : suiteScore(graded);
  const failed = graded?.filter((g) => g.result === "failed").length ?? 0;
  const ok = failed === 0;
  if (out.json) {
    out.printJson(jsonResult(loaded, options.outputs ?? null, graded, score, ok));
  } else {
    printSummary(out, loaded);
    if (graded !== null) printGraded(out, loaded, graded, score);
  }
  return ok ? 0 : 1;
}

async function loadSuite(dir: string): Promise<LoadedSuite> {
  const root = path.resolve(dir);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw usageError(`${dir} is not a folder.`);
  const skillYaml = await readOptional(path.join(root, "skill.yaml"));
  // A SKILL.md-only folder has no version of its own; any will do to read it (its suite cannot run anyway: no runtime).
  const { manifest } = parseManifest(
    { skillYaml, skillMd: await readOptional(path.join(root, "SKILL.md")) },
    skillYaml === undefined ? { version: "0.0.0" } : {},
  );
  const label = skillYaml === undefined ? manifest.name : `${manifest.name}@${manifest.version}`;
  const text = await readOptional(path.join(root, EVAL_SUITE_PATH));
  if (text === undefined) throw new CliError("NOT_FOUND", `${label} has no ${EVAL_SUITE_PATH} (looked in ${path.join(root, EVAL_SUITE_PATH)}).`);
  const suite = evalSuiteForManifest(parseEvalSuite(text), manifest);
  const entrypoint = evalEntrypoint(suite, manifest);
  // evalSuiteForManifest refuses a suite with no entry point anywhere.
  if (entrypoint === null) throw new Error("evalSuiteForManifest accepted a suite without an entry point");
  return { manifest, label, suite, entrypoint, entrypointFrom: suite.entrypoint !== null ? "evals/suite.yaml" : "skill.yaml" };
}

interface FieldError {
  path: string;
  message: string;
}

function isFieldError(value: unknown): value is FieldError {
  const e = value as Partial<FieldError> | null;
  return typeof e === "object" && e !== null && typeof e.path === "string" && typeof e.message === "string";
}

/** The `details.errors` of a manifest or suite error: one `{path, message}` per problem. */
function fieldErrors(error: unknown): FieldError[] {
  if (!(error instanceof SkillyardError)) return [];
  const errors = error.details.errors;
  return Array.isArray(errors) ? errors.filter(isFieldError) : [];
}

/**
 * An invalid manifest or suite: every problem on its own line (path, then message), then the one
 * `error CODE: …` line; with --json, `{"error": {code, message, errors}}`. Other errors go on up.
 */
function reportFieldErrors(out: Output, error: unknown): number {
  const errors = fieldErrors(error);
  if (errors.length === 0) throw error;
  const err = toCliError(error);
  if (out.json) {
    out.printJson({ error: { code: err.code, message: err.message, errors } });
  } else {
    for (const e of errors) {
      const [first, ...more] = e.message.split("\n");
      out.note(`  ${out.err.bold(e.path || "/")} ${first}`);
      for (const line of more) out.note(`      ${line}`);
    }
    reportError(err, false);
  }
  return err.exitCode;
}

/** The --outputs file: case name → recorded stdout. Unknown case names are refused. */
async function readOutputs(file: string, suite: EvalSuite): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CliError("NOT_FOUND", `--outputs: there is no file ${file}.`);
    if (code === "EISDIR") throw new CliError("BAD_USER_INPUT", `--outputs: ${file} is a folder, not a JSON file.`);
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError("BAD_USER_INPUT", `--outputs: ${file} is not valid JSON (${err instanceof Error ? err.message : String(err)}).`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CliError("BAD_USER_INPUT", `--outputs: ${file} must hold a JSON object mapping case names to recorded outputs.`);
  }
  const names = new Set(suite.cases.map((c) => c.name));
  const entries = Object.entries(parsed as Record<string, unknown>);
  const unknown = entries.map(([name]) => name).filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new CliError(
      "BAD_USER_INPUT",
      `--outputs: ${file} names ${unknown.length === 1 ? "a case" : "cases"} that ${EVAL_SUITE_PATH} does not have: ${unknown.map((n) => JSON.stringify(n)).join(", ")}.`,
    );
  }
  return new Map(entries.map(([name, value]) => [name, typeof value === "string" ? value : JSON.stringify(value)]));
}

/** Grades each case's recorded output as the registry would, without the judge. */
function gradeCases(loaded: LoadedSuite, outputs: ReadonlyMap<string, string>): GradedCase[] {
  return loaded.suite.cases.map((evalCase) => {
    const stdout = outputs.get(evalCase.name);
    if (stdout === undefined) return { name: evalCase.name, weight: evalCase.weight, result: "no_output", score: null, reason: null, graders: [] };
    const grade = gradeOutput(evalCase, stdout, loaded.manifest.outputs);
    const score = caseScore(grade, evalCase, null);
    const result: GradedResult = !grade.passed ? "failed" : score === null ? "needs_judge" : "passed";
    return { name: evalCase.name, weight: evalCase.weight, result, score, reason: grade.reason, graders: grade.results };
  });
}

/** The graders a case names, as evals/suite.yaml spells them. */
function gradersOf(evalCase: EvalCase): string[] {
  const expect = evalCase.expect;
  return expect === null ? [] : GRADERS.filter(([key]) => expect[key] !== undefined).map(([, name]) => name);
}

/** How many cases use each grader, in grading order; graders nobody uses are left out. */
function graderCounts(suite: EvalSuite): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [, name] of GRADERS) {
    const n = suite.cases.filter((c) => gradersOf(c).includes(name)).length;
    if (n > 0) counts[name] = n;
  }
  return counts;
}

function runtimeText(manifest: SkillManifest): string | null {
  const runtime = manifest.requirements.runtime;
  return runtime ? `${runtime.language} ${runtime.version}` : null;
}

function printSummary(out: Output, loaded: LoadedSuite): void {
  const c = out.out;
  const { suite, manifest } = loaded;
  const row = (label: string, value: string) => out.line(`  ${c.dim(padEnd(label, 13))}${value}`);
  const rubric = suite.cases.filter((x) => x.rubric !== null).length;
  const counts = Object.entries(graderCounts(suite));
  out.line(`${c.green("✓")} ${EVAL_SUITE_PATH} of ${c.bold(loaded.label)} is valid`);
  row("cases", `${suite.cases.length}${rubric > 0 ? ` (${rubric} with a rubric, scored by the registry's judge)` : ""}`);
  row("graders", counts.length === 0 ? "none (every case is judged by its rubric)" : counts.map(([name, n]) => (n === 1 ? name : `${name} ×${n}`)).join(", "));
  row("outputs", manifest.outputs ? "must be JSON matching skill.yaml's outputs schema" : "must be JSON (skill.yaml has no outputs schema)");
  row("min_score", suite.minScore === null ? "the registry's default" : formatScore(suite.minScore));
  row("entry point", `${shellJoin(loaded.entrypoint)} ${c.dim(`(from ${loaded.entrypointFrom})`)}`);
  row("runtime", runtimeText(manifest) ?? "–");
}

const VERDICTS: Record<GradedResult, CaseVerdict> = { passed: "passed", failed: "failed", needs_judge: "unscored", no_output: "missing" };

function printGraded(out: Output, loaded: LoadedSuite, graded: readonly GradedCase[], score: number | null): void {
  const c = out.out;
  const widest = Math.max(...graded.map((g) => [...g.name].length));
  out.line();
  for (const g of graded) {
    const what =
      g.result === "needs_judge"
        ? c.yellow("needs the judge")
        : g.result === "no_output"
          ? c.dim("no recorded output")
          : `${formatScore(g.score)}${g.reason ? c.dim(`  ${g.reason}`) : ""}`;
    out.line(`${caseMark(c, VERDICTS[g.result])} ${padEnd(g.name, widest)}  ${what}`);
  }
  const count = (result: GradedResult) => graded.filter((g) => g.result === result).length;
  const failed = count("failed");
  const scored = graded.filter((g) => g.score !== null).length;
  const headline =
    failed > 0 ? `${failed} of ${plural(scored, "graded case")} failed` : scored === 0 ? "no case graded" : `${plural(scored, "graded case")} passed`;
  const minimum = loaded.suite.minScore === null ? "" : ` (minimum ${formatScore(loaded.suite.minScore)})`;
  const parts = [
    score === null ? "" : `deterministic score ${formatScore(score)}${minimum}`,
    count("needs_judge") > 0 ? `${count("needs_judge")} need${count("needs_judge") === 1 ? "s" : ""} the judge` : "",
    count("no_output") > 0 ? `${count("no_output")} without a recorded output` : "",
  ].filter(Boolean);
  out.line(`${failed > 0 ? c.red("✗") : c.green("✓")} ${[headline, ...parts].join("; ")}`);
}

function jsonResult(loaded: LoadedSuite, file: string | null, graded: readonly GradedCase[] | null, score: number | null, ok: boolean): unknown {
  const { suite, manifest } = loaded;
  return {
    ok,
    name: manifest.name,
    version: manifest.source === "SKILL.md" ? null : manifest.version,
    suite: {
      path: EVAL_SUITE_PATH,
      caseCount: suite.cases.length,
      rubricCases: suite.cases.filter((c) => c.rubric !== null).length,
      minScore: suite.minScore,
      entrypoint: loaded.entrypoint,
      entrypointFrom: loaded.entrypointFrom,
      runtime: runtimeText(manifest),
      outputsSchema: manifest.outputs !== null,
      graders: graderCounts(suite),
      cases: suite.cases.map((c) => ({ name: c.name, weight: c.weight, graders: gradersOf(c), rubric: c.rubric !== null })),
    },
    outputs:
      graded === null
        ? null
        : {
            file,
            score,
            passed: graded.filter((g) => g.result === "passed").length,
            failed: graded.filter((g) => g.result === "failed").length,
            needsJudge: graded.filter((g) => g.result === "needs_judge").length,
            noOutput: graded.filter((g) => g.result === "no_output").length,
            cases: graded,
          },
  };
}
