import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { cliRunner, finalError, oneLineError, writeSkillDir } from "./support/cli";

/** The example skill with an eval suite: 5 deterministic cases and 1 rubric case (weight 2), min_score 0.8. */
const CSV_STATS = path.join(__dirname, "..", "..", "examples", "csv-stats");

/** What csv-stats's entry point writes for each case of its suite (as `python3 -m src.stats` does). */
const RECORDED = {
  "mean-of-two-rows": '{"rows": 2, "columns": {"a": {"mean": 1.5, "min": 1.0, "max": 2.0}}, "summary": "2 rows; a has mean 1.5."}\n',
  "skips-text-columns": { rows: 2, columns: { temp: { mean: 11.5, min: 4, max: 19 } }, summary: "2 rows; temp has mean 11.5." },
  "min-and-max": { rows: 3, columns: { x: { mean: 1.1666666666666667, min: -2, max: 5 } }, summary: "3 rows; x has mean 1.16667." },
  "mean-with-tolerance": { rows: 3, columns: { v: { mean: 1.6666666666666667, min: 1, max: 2 } }, summary: "3 rows; v has mean 1.66667." },
  "summary-names-the-rows": { rows: 3, columns: { a: { mean: 2, min: 1, max: 3 } }, summary: "3 rows; a has mean 2." },
  "summary-wording": { rows: 2, columns: { a: { mean: 1.5, min: 1, max: 2 } }, summary: "2 rows; a has mean 1.5." },
};

const SKILL_YAML = (extra = "") => `name: eval-local
version: 0.3.0
description: A skill for checking eval suites locally.
requirements:
  runtime: python3.11
${extra}`;

/**
 * `skillyard eval <dir>`: the registry's suite rules run locally through @skillyard/core, with no
 * registry at all (the URL below refuses connections, and is never tried).
 */
describe("skillyard eval", () => {
  let scratch: string;
  const cli = cliRunner(
    () => "http://127.0.0.1:9",
    () => scratch,
  );
  const outputsFile = (name: string, content: unknown) => {
    const file = path.join(scratch, name);
    writeFileSync(file, JSON.stringify(content));
    return file;
  };

  before(() => {
    assert.ok(existsSync(path.join(__dirname, "..", "dist", "src", "main.js")), "build the CLI first: npm run build -w cli");
    scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-cli-eval-"));
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("a valid suite: a summary of cases, graders, rubric cases, min_score and entry point; exit 0 and --registry ignored", async () => {
    const run = await cli(["eval", CSV_STATS, "--registry", "not a url"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "");
    const lines = run.stdout.trimEnd().split("\n");
    assert.deepEqual(lines, [
      "✓ evals/suite.yaml of csv-stats@1.0.0 is valid",
      "  cases        6 (1 with a rubric, scored by the registry's judge)",
      "  graders      json_subset, contains, regex, json_schema, number ×2",
      "  outputs      must be JSON matching skill.yaml's outputs schema",
      "  min_score    0.80",
      "  entry point  python3 -m src.stats (from skill.yaml)",
      "  runtime      python 3.11",
    ]);
  });

  test("--json describes the suite", async () => {
    const run = await cli(["eval", CSV_STATS, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.ok, true);
    assert.equal(result.name, "csv-stats");
    assert.equal(result.version, "1.0.0");
    assert.equal(result.outputs, null);
    assert.deepEqual(
      { ...result.suite, cases: undefined },
      {
        path: "evals/suite.yaml",
        caseCount: 6,
        rubricCases: 1,
        minScore: 0.8,
        entrypoint: ["python3", "-m", "src.stats"],
        entrypointFrom: "skill.yaml",
        runtime: "python 3.11",
        outputsSchema: true,
        graders: { json_subset: 1, contains: 1, regex: 1, json_schema: 1, number: 2 },
        cases: undefined,
      },
    );
    assert.deepEqual(result.suite.cases[4], { name: "summary-names-the-rows", weight: 1, graders: ["contains", "regex"], rubric: false });
    assert.deepEqual(result.suite.cases[5], { name: "summary-wording", weight: 2, graders: [], rubric: true });
  });

  test("--outputs with passing recorded outputs: every deterministic case scores 1, the rubric case needs the judge; exit 0", async () => {
    const run = await cli(["eval", CSV_STATS, "--outputs", outputsFile("passing.json", RECORDED)]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const graded = run.stdout.trimEnd().split("\n").slice(8);
    assert.deepEqual(graded, [
      "✔ mean-of-two-rows        1.00",
      "✔ skips-text-columns      1.00",
      "✔ min-and-max             1.00",
      "✔ mean-with-tolerance     1.00",
      "✔ summary-names-the-rows  1.00",
      "○ summary-wording         needs the judge",
      "✓ 5 graded cases passed; deterministic score 1.00 (minimum 0.80); 1 needs the judge",
    ]);

    const json = await cli(["eval", CSV_STATS, "--outputs", path.join(scratch, "passing.json"), "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const outputs = JSON.parse(json.stdout).outputs;
    assert.deepEqual(
      { ...outputs, cases: undefined },
      { file: path.join(scratch, "passing.json"), score: 1, passed: 5, failed: 0, needsJudge: 1, noOutput: 0, cases: undefined },
    );
    assert.deepEqual(outputs.cases[5], {
      name: "summary-wording",
      weight: 2,
      result: "needs_judge",
      score: null,
      reason: null,
      graders: [
        { grader: "json", passed: true, message: null },
        { grader: "outputs_schema", passed: true, message: null },
      ],
    });
    assert.deepEqual(
      outputs.cases[2].graders.map((g: { grader: string }) => g.grader),
      ["json", "outputs_schema", "number"],
    );
  });

  test("--outputs with failing recorded outputs: each failure's reason, the deterministic score, missing cases listed; exit 1", async () => {
    const file = outputsFile("failing.json", {
      "mean-of-two-rows": RECORDED["mean-of-two-rows"],
      "skips-text-columns": RECORDED["skips-text-columns"],
      "min-and-max": { ...RECORDED["min-and-max"], columns: { x: { mean: 1, min: -2, max: 4 } } },
      "mean-with-tolerance": "Traceback (most recent call last):",
      // The rubric case's output breaks skill.yaml's outputs schema: 0, and the judge is never asked.
      "summary-wording": { rows: 2 },
    });
    const run = await cli(["eval", CSV_STATS, "--outputs", file]);
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.equal(run.stderr, "", "failing cases are a result, not an error");
    const graded = run.stdout.trimEnd().split("\n").slice(8);
    assert.equal(graded.length, 7, run.stdout);
    assert.equal(graded[0], "✔ mean-of-two-rows        1.00");
    assert.equal(graded[2], "✖ min-and-max             0.00  number: expected columns.x.max 5 ± 0, got 4");
    assert.match(graded[3], /^✖ mean-with-tolerance {5}0\.00 {2}json: output is not valid JSON: /);
    assert.equal(graded[4], "· summary-names-the-rows  no recorded output");
    assert.match(graded[5], /^✖ summary-wording {9}0\.00 {2}outputs_schema: .*columns.*required/);
    // Weights 1, 1, 1, 1 and 2 over the five graded cases: 2 of 6.
    assert.equal(graded[6], "✗ 3 of 5 graded cases failed; deterministic score 0.33 (minimum 0.80); 1 without a recorded output");

    const json = await cli(["eval", CSV_STATS, "--outputs", file, "--json"]);
    assert.equal(json.code, 1);
    const result = JSON.parse(json.stdout);
    assert.equal(result.ok, false);
    assert.equal(result.outputs.score, 2 / 6);
    assert.deepEqual(
      result.outputs.cases.map((c: { result: string; score: number | null }) => [c.result, c.score]),
      [
        ["passed", 1],
        ["passed", 1],
        ["failed", 0],
        ["failed", 0],
        ["no_output", null],
        ["failed", 0],
      ],
    );
    assert.equal(result.outputs.cases[2].reason, "number: expected columns.x.max 5 ± 0, got 4");
  });

  test("--outputs naming a case the suite does not have is an error; so is a file that is not a JSON object", async () => {
    const unknown = await cli(["eval", CSV_STATS, "--outputs", outputsFile("unknown.json", { ...RECORDED, "mean-of-three-rows": "{}" })]);
    assert.equal(unknown.code, 1);
    assert.match(oneLineError(unknown, "BAD_USER_INPUT"), /does not have: "mean-of-three-rows"\.$/);
    assert.equal(unknown.stdout, "");
    const unknownJson = await cli(["eval", CSV_STATS, "--outputs", path.join(scratch, "unknown.json"), "--json"]);
    assert.equal(unknownJson.code, 1);
    assert.equal(JSON.parse(unknownJson.stdout).error.code, "BAD_USER_INPUT");

    const list = await cli(["eval", CSV_STATS, "--outputs", outputsFile("list.json", ["{}"])]);
    assert.equal(list.code, 1);
    assert.match(oneLineError(list, "BAD_USER_INPUT"), /must hold a JSON object/);
    writeFileSync(path.join(scratch, "broken.json"), "{ not json");
    const broken = await cli(["eval", CSV_STATS, "--outputs", path.join(scratch, "broken.json")]);
    assert.equal(broken.code, 1);
    assert.match(oneLineError(broken, "BAD_USER_INPUT"), /is not valid JSON/);
    const missing = await cli(["eval", CSV_STATS, "--outputs", path.join(scratch, "nowhere.json")]);
    assert.equal(missing.code, 1);
    oneLineError(missing, "NOT_FOUND");
  });

  test("an invalid suite: every problem's path and message, then one error line; --json lists them; exit 1", async () => {
    const dir = writeSkillDir(scratch, "eval-invalid", {
      "skill.yaml": SKILL_YAML("entrypoint: python3 main.py\n"),
      "evals/suite.yaml": [
        "min_score: 2",
        "cases:",
        "  - name: first",
        "    input: {}",
        '    expect: {regex: "(unclosed"}',
        "  - name: first",
        "    input: {}",
        "    rubric: Says hello.",
        "  - name: nothing-to-check",
        "    input: {}",
        "",
      ].join("\n"),
    });
    const run = await cli(["eval", dir]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    const line = finalError(run, "EVAL_SUITE_INVALID");
    assert.match(line, /evals\/suite\.yaml has 4 problems; the first: /);
    const details = run.stderr.trimEnd().split("\n").slice(0, -1);
    assert.equal(details.length, 4, run.stderr);
    assert.match(details[0], /^ {2}\/cases\/0\/expect\/regex is not a valid regular expression: /);
    assert.equal(details[1], "  /cases/1/name repeats the name of case 0");
    assert.equal(details[2], "  /cases/2 needs expect, rubric or both");
    assert.match(details[3], /^ {2}\/min_score must be <= 1$/);

    const json = await cli(["eval", dir, "--json"]);
    assert.equal(json.code, 1);
    const { error } = JSON.parse(json.stdout);
    assert.equal(error.code, "EVAL_SUITE_INVALID");
    assert.match(error.message, /has 4 problems/);
    assert.deepEqual(
      error.errors.map((e: { path: string }) => e.path),
      ["/cases/0/expect/regex", "/cases/1/name", "/cases/2", "/min_score"],
    );
  });

  test("a suite with no entry point anywhere cannot run; naming one in the suite fixes it", async () => {
    const suite = "cases:\n  - name: greets\n    input: {who: ada}\n    expect: {contains: ada}\n";
    const dir = writeSkillDir(scratch, "eval-no-entrypoint", { "skill.yaml": SKILL_YAML(), "evals/suite.yaml": suite });
    const run = await cli(["eval", dir]);
    assert.equal(run.code, 1);
    assert.match(finalError(run, "EVAL_SUITE_INVALID"), /no entry point/);
    assert.match(run.stderr, /^ {2}\/entrypoint no entry point: set entrypoint in evals\/suite\.yaml or in skill\.yaml$/m);
    const json = await cli(["eval", dir, "--json"]);
    assert.deepEqual(JSON.parse(json.stdout).error.errors, [
      { path: "/entrypoint", message: "no entry point: set entrypoint in evals/suite.yaml or in skill.yaml" },
    ]);

    writeFileSync(path.join(dir, "evals", "suite.yaml"), `entrypoint: [python3, "greet me.py"]\n${suite}`);
    const fixed = await cli(["eval", dir]);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /^ {2}entry point {2}python3 'greet me\.py' \(from evals\/suite\.yaml\)$/m);
    assert.match(fixed.stdout, /^ {2}min_score {4}the registry's default$/m);
  });

  test("a folder without a suite, an invalid manifest and a missing folder fail with one line", async () => {
    const none = await cli(["eval", writeSkillDir(scratch, "eval-none", { "skill.yaml": SKILL_YAML() })]);
    assert.equal(none.code, 1);
    assert.match(oneLineError(none, "NOT_FOUND"), /eval-local@0\.3\.0 has no evals\/suite\.yaml/);

    const badManifest = await cli(["eval", writeSkillDir(scratch, "eval-bad-manifest", { "skill.yaml": "name: Bad_Name\nversion: 1.0\n" })]);
    assert.equal(badManifest.code, 1);
    finalError(badManifest, "MANIFEST_INVALID");
    assert.match(badManifest.stderr, /^ {2}\/name /m);

    const missing = await cli(["eval", path.join(scratch, "no-such-folder")]);
    assert.equal(missing.code, 2);
    oneLineError(missing, "BAD_USER_INPUT");
  });

  test("--help documents --outputs and the exit code", async () => {
    const run = await cli(["eval", "--help"]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /--outputs <file>/);
    assert.match(run.stdout, /Exit code 0 when the suite is valid/);
  });
});
