import "reflect-metadata";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { packDirectory } from "@skillyard/core";
import { TeamRole } from "../../server/src/identity/membership.entity";
import { skillYaml } from "../../server/test/support/seed";
import { startTestServer, type TestServer } from "../../server/test/support/test-server";
import { BIN, cliEnv, writeSkillDir } from "./support/cli";

interface PipelineRun {
  /** The CLI's exit code (bash's PIPESTATUS[0]), not the reader's. */
  code: number | null;
  /** What the reader passed on. */
  stdout: string;
  /** What reached the test's own end of a stream the pipeline did not close. */
  stderr: string;
}

/**
 * `skillyard …` in a bash pipeline: `shape` is the pipeline with "$@" standing for the CLI, e.g.
 * `"$@" | head -1`. The CLI's exit code is the result, whatever the reader's.
 */
function pipeline(registryUrl: string, scratch: string, shape: string, args: string[], token?: string): Promise<PipelineRun> {
  const env = cliEnv(registryUrl, mkdtempSync(path.join(scratch, "home-")), { token, env: { COLUMNS: "" } });
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", `${shape}; exit "\${PIPESTATUS[0]}"`, "pipeline", process.execPath, BIN, ...args], {
      cwd: scratch,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A reader that goes away (`skillyard search | head -1`) ends the CLI's output, not the CLI: no
 * EPIPE crash or stack trace, the command still finishes its work, and it exits with its own code.
 */
describe("skillyard writing into a closed pipe", () => {
  let server: TestServer;
  let scratch: string;
  let authorToken: string;
  const SKILLS = 100;

  before(
    async () => {
      assert.ok(existsSync(path.join(__dirname, "..", "dist", "src", "main.js")), "build the CLI first: npm run build -w cli");
      scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-cli-pipe-test-"));
      server = await startTestServer();
      authorToken = (await server.seed.team("yard").member("pipe-author", TeamRole.MAINTAINER)).token;
      // 100 search rows of over 1 KiB each: more than a pipe holds (64 KiB) plus what head reads.
      for (let i = 0; i < SKILLS; i++) {
        const name = `pipe-filler-${String(i).padStart(3, "0")}`;
        const description = `Filler skill number ${i} for the closed-pipe test. ${"Long description text. ".repeat(40)}`;
        const dir = writeSkillDir(scratch, name, { "skill.yaml": skillYaml({ name, version: "1.0.0", description, tags: ["pipefill"] }) });
        const uploaded = await server.upload(await packDirectory(dir), authorToken);
        assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
        const published = await server.gql(
          `mutation($input: PublishSkillVersionInput!) { publishSkillVersion(input: $input) { version { status } } }`,
          { input: { packageSha256: uploaded.body.sha256 } },
          authorToken,
        );
        assert.equal(published.errors, undefined, JSON.stringify(published.errors));
      }
    },
    { timeout: 120_000 },
  );

  after(async () => {
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("search | head -1 with over 100 KiB of rows: the header line, exit 0, nothing on stderr", async () => {
    const run = await pipeline(server.url, scratch, `"$@" | head -1`, ["search", "--tag", "pipefill", "--limit", String(SKILLS)]);
    assert.equal(run.stderr, "", "no EPIPE error or stack trace");
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^NAME\s+VERSION\s+DESCRIPTION\s+RATING\s+DOWNLOADS\s+TAGS\n$/);
  });

  test("--help into a reader that is gone before the first line: exit 0, nothing on stderr", async () => {
    for (const args of [["--help"], ["install", "--help"]]) {
      const run = await pipeline(server.url, scratch, `"$@" | true`, args);
      assert.equal(run.stderr, "", `no EPIPE error or stack trace for ${args.join(" ")}`);
      assert.equal(run.code, 0, args.join(" "));
    }
  });

  test("publish with its stderr (progress notes) going into a closed pipe still publishes, and says so on stdout", async () => {
    const dir = writeSkillDir(scratch, "pipe-quiet", { "skill.yaml": skillYaml({ name: "pipe-quiet", version: "1.0.0" }) });
    const out = path.join(scratch, "publish.out");
    const run = await pipeline(server.url, scratch, `"$@" 2>&1 >"${out}" | true`, ["publish", dir], authorToken);
    assert.equal(run.stderr, "");
    assert.equal(run.code, 0, readFileSync(out, "utf8"));
    assert.match(readFileSync(out, "utf8"), /✓ published pipe-quiet@1\.0\.0/);
    const skill = await server.gql<{ skill: { latestVersion: { version: string } | null } }>(`{ skill(name: "pipe-quiet") { latestVersion { version } } }`);
    assert.equal(skill.data?.skill.latestVersion?.version, "1.0.0");
  });
});
