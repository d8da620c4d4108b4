import "reflect-metadata";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Skill, UsageTier } from "../../server/src/catalog/skill.entity";
import { TeamRole } from "../../server/src/identity/membership.entity";
import { skillYaml } from "../../server/test/support/seed";
import { pythonSkill } from "../../server/test/support/skills";
import { startTestServer, type TestServer } from "../../server/test/support/test-server";
import { cliRunner, writeSkillDir } from "./support/cli";

/** Two deterministic cases and a rubric case; no judge is configured, so the rubric case is never scored. */
const SUITE = `min_score: 0.8
cases:
  - name: greets-ada
    input: {who: Ada}
    expect:
      json_subset: {greeting: "Hello, Ada!"}
  - name: greets-grace
    input: {who: Grace}
    expect:
      contains: Grace
  - name: friendly-tone
    input: {who: Linus}
    rubric: Greets Linus by name, warmly.
`;

/**
 * A Python skill whose entry point greets whoever its input names (logging to stderr as it goes),
 * with an eval suite; a `broken` one answers "hi" to everyone, which its own tests do not notice.
 */
function greeter(name: string, version: string, broken = false): Record<string, string> {
  const files = pythonSkill(name, version, { total: 1 });
  files["skill.yaml"] = skillYaml({
    name,
    version,
    requirements: { runtime: "python3.11", memory_mb: 128, timeout_seconds: 60 },
    entrypoint: "python3 greet.py",
    outputs: { type: "object", required: ["greeting"], properties: { greeting: { type: "string" } } },
  });
  files["greet.py"] = [
    "import json, sys",
    "request = json.load(sys.stdin)",
    'print("greeting " + request["who"], file=sys.stderr)',
    broken ? 'json.dump({"greeting": "hi"}, sys.stdout)' : 'json.dump({"greeting": "Hello, " + request["who"] + "!"}, sys.stdout)',
    "",
  ].join("\n");
  files["evals/suite.yaml"] = SUITE;
  return files;
}

/**
 * `skillyard publish` of a package with evals/suite.yaml: after the tests it follows the version's
 * eval run live (case lines, the entry point's stderr, the score) against the real server, worker
 * and Docker sandbox. MEDIUM is the gated tier here; new skills start LOW, so their runs are informational.
 */
describe("skillyard publish follows the eval run", () => {
  let server: TestServer;
  let scratch: string;
  let authorToken: string;

  const cli = cliRunner(
    () => server.url,
    () => scratch,
  );
  const asAuthor = (args: string[]) => cli(args, { token: authorToken });
  const skillDir = (name: string, files: Record<string, string>) => writeSkillDir(scratch, name, files);

  before(
    async () => {
      assert.ok(existsSync(path.join(__dirname, "..", "dist", "src", "main.js")), "build the CLI first: npm run build -w cli");
      scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-cli-evals-"));
      // No tier recomputation during the run: the test sets a skill's tier itself.
      server = await startTestServer({ SANDBOX_MAX_CONCURRENCY: "2", EVAL_GATED_TIERS: "MEDIUM", USAGE_JOBS_INTERVAL_SECONDS: "86400" }, { worker: true });
      authorToken = (await server.seed.team("graders").member("eval-author", TeamRole.MAINTAINER)).token;
    },
    { timeout: 120_000 },
  );
  after(async () => {
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("an informational run (skill not gated) streams after the version is published: case lines, stderr, the score; exit 0", async () => {
    const run = await asAuthor(["publish", skillDir("cli-greeter-1.0.0", greeter("cli-greeter", "1.0.0"))]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /evaluating cli-greeter@1\.0\.0: 3 cases \(1 with a rubric\); informational/);
    assert.match(run.stdout, /^✔ greets-ada 1\.00 \d+(?:\.\d)? m?s$/m);
    assert.match(run.stdout, /^✔ greets-grace 1\.00 /m);
    assert.match(run.stdout, /^○ friendly-tone not scored .*— no judge is configured/m);
    assert.match(run.stdout, /^! greeting Ada$/m, "the entry point's stderr is streamed, marked");
    const lines = run.stdout.trimEnd().split("\n");
    const evals = lines.findIndex((l) => l.startsWith("evals: "));
    assert.equal(lines[evals], "evals: PASSED 1.00 (minimum 0.80), 3 cases, 1 not scored");
    assert.match(lines[evals + 1], /^✓ published cli-greeter@1\.0\.0 \(1 passed, 0 failed\)$/, "then the publish outcome");
    assert.ok(lines.findIndex((l) => l.startsWith("● PASSED")) < lines.findIndex((l) => l.startsWith("✔ greets-ada")), "the evals come after the tests");
  });

  test("a gated skill whose evals fail is rejected: the failing cases, the score and the reason; exit 1", async () => {
    await server.runtime.dataSource.getRepository(Skill).update({ name: "cli-greeter" }, { usageTier: UsageTier.MEDIUM });
    const run = await asAuthor(["publish", skillDir("cli-greeter-1.1.0", greeter("cli-greeter", "1.1.0", true))]);
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.doesNotMatch(run.stderr, /informational/);
    assert.match(run.stdout, /^✖ greets-ada 0\.00 .*— json_subset: at \/greeting: expected "Hello, Ada!", got "hi"$/m);
    assert.match(run.stdout, /^✖ greets-grace 0\.00 .*— contains: output does not contain "Grace"/m);
    // The run's reason is the version's status reason: shown once, on the rejection's line.
    assert.match(run.stdout, /^evals: FAILED 0\.00 \(minimum 0\.80\), 3 cases, 1 not scored$/m);
    assert.match(run.stdout, /^✗ rejected cli-greeter@1\.1\.0: Scored 0\.00 \(minimum 0\.80\)\. .*Failing: greets-ada/m);
    assert.doesNotMatch(run.stdout, /published/);
  });

  test("a gated skill whose evals pass with an unscored rubric case waits for review (exit 0); --json carries the eval run", async () => {
    const dir = skillDir("cli-greeter-1.2.0", greeter("cli-greeter", "1.2.0"));
    const run = await asAuthor(["publish", dir]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^evals: PASSED 1\.00 \(minimum 0\.80\), 3 cases, 1 not scored$/m);
    assert.match(run.stdout, /^⧗ awaiting review cli-greeter@1\.2\.0/m);

    // The same bytes again: the run is replayed from its stored events, and --json describes it.
    const json = await asAuthor(["publish", dir, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout);
    assert.equal(result.created, false);
    assert.equal(result.status, "AWAITING_REVIEW");
    assert.deepEqual(
      {
        status: result.evalRun.status,
        purpose: result.evalRun.purpose,
        score: result.evalRun.score,
        minScore: result.evalRun.minScore,
        caseCount: result.evalRun.caseCount,
        unscoredCases: result.evalRun.unscoredCases,
      },
      { status: "PASSED", purpose: "GATE", score: 1, minScore: 0.8, caseCount: 3, unscoredCases: 1 },
    );
    assert.match(result.evalRun.id, /\S/);
    assert.deepEqual(
      result.evalRun.cases.map((c: { name: string; score: number | null; scored: boolean; passed: boolean }) => [c.name, c.score, c.scored, c.passed]),
      [
        ["greets-ada", 1, true, true],
        ["greets-grace", 1, true, true],
        ["friendly-tone", null, false, false],
      ],
    );
  });

  test("a version without a suite prints nothing about evals; --json has evalRun null", async () => {
    const run = await asAuthor(["publish", skillDir("cli-plain", pythonSkill("cli-plain", "1.0.0", { total: 1 })), "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.status, "PUBLISHED");
    assert.equal(result.evalRun, null);
    assert.doesNotMatch(run.stderr, /evaluating/);
  });
});
