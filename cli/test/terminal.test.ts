import "reflect-metadata";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TeamRole } from "../../server/src/identity/membership.entity";
import { skillYaml } from "../../server/test/support/seed";
import { pythonSkill } from "../../server/test/support/skills";
import { startTestServer, type TestServer } from "../../server/test/support/test-server";
import { BIN, cliEnv, cliRunner, writeSkillDir } from "./support/cli";

/**
 * What other teams write (descriptions, yank reasons, deprecation messages, test output) with
 * terminal control sequences in it: a window-title set (OSC 0, ended by BEL), clear screen
 * (CSI 2J) and a bare C1 CSI (U+009B) that some terminals act on like ESC [.
 */
const INJECTED = "\u001b]0;pwned\u0007\u001b[2J\u009b31m";

/** The only escape sequences the CLI itself writes: SGR colours and the status line's erase-line. */
const OWN_SEQUENCE = /^\u001b\[(?:\d+m|2K)$/;

/** Single-quotes a word for sh. */
const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

interface PtyRun {
  code: number | null;
  /** Everything the CLI wrote to its terminal (stdout and stderr share it), with the pty's \r\n line ends. */
  output: string;
}

/**
 * Asserts that `output` holds no control sequence or character but the CLI's own colours, the
 * status line's erase, and line ends; answers the text with the CLI's own sequences removed.
 */
function assertNoForeignControls(output: string): string {
  for (const [sequence] of output.matchAll(/\u001b(?:\[[0-?]*[ -/]*[@-~]|[\s\S])?/g)) {
    assert.match(sequence, OWN_SEQUENCE, `a foreign escape sequence reached the terminal: ${JSON.stringify(sequence)} in ${JSON.stringify(output)}`);
  }
  const stray = output.match(/[\u0000-\u0009\u000b\u000c\u000e-\u001a\u001c-\u001f\u007f-\u009f]/);
  assert.equal(stray, null, `a control character reached the terminal: ${JSON.stringify(stray?.[0])} in ${JSON.stringify(output)}`);
  return output.replace(/\u001b\[(?:\d+m|2K)/g, "");
}

/**
 * The CLI's human output through skillyard's terminal-facing code paths: real pseudo-terminals
 * (util-linux `script`), colours on, with text from the registry that tries to drive the terminal.
 */
describe("text from the registry cannot drive the terminal", () => {
  let server: TestServer;
  let scratch: string;
  let authorToken: string;
  let installerToken: string;

  const cli = cliRunner(
    () => server.url,
    () => scratch,
  );

  /** Runs the CLI on a pseudo-terminal (stdout and stderr are TTYs), colours on, 200 columns. */
  function onPty(args: string[], token: string): Promise<PtyRun> {
    const env = cliEnv(server.url, mkdtempSync(path.join(scratch, "home-")), { token, env: { NO_COLOR: "", COLUMNS: "200", TERM: "xterm-256color" } });
    const command = [process.execPath, BIN, ...args].map(shellQuote).join(" ");
    return new Promise((resolve, reject) => {
      const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: scratch, env, stdio: ["ignore", "pipe", "pipe"] });
      const killer = setTimeout(() => child.kill("SIGKILL"), 90_000);
      let output = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(killer);
        resolve({ code, output });
      });
    });
  }

  before(
    async () => {
      assert.ok(existsSync(path.join(__dirname, "..", "dist", "src", "main.js")), "build the CLI first: npm run build -w cli");
      assert.ok(existsSync("/usr/bin/script"), "util-linux script(1) is needed for a pseudo-terminal");
      scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-cli-terminal-test-"));
      server = await startTestServer({ SANDBOX_MAX_CONCURRENCY: "2" }, { worker: true });
      authorToken = (await server.seed.team("yard").member("tty-author", TeamRole.MAINTAINER)).token;
      installerToken = (await server.seed.team("consumers").member("tty-installer")).token;
      for (const version of ["1.0.0", "1.1.0"]) {
        // YAML wants C1 characters escaped in a double-quoted string; JSON.stringify escapes only C0.
        const yaml = skillYaml({ name: "esc-demo", version, description: `Description-before${INJECTED}description-after.` }).replace(/\u009b/g, "\\u009b");
        const published = await cli(["publish", writeSkillDir(scratch, `esc-demo-${version}`, { "skill.yaml": yaml }), "--json"], { token: authorToken });
        assert.equal(published.code, 0, published.stderr);
        assert.equal(JSON.parse(published.stdout).status, "PUBLISHED");
      }
    },
    { timeout: 120_000 },
  );

  after(async () => {
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("yank prints its reason, info prints the description and the yank reason: no foreign control reaches the terminal, the text and the CLI's colours do", async () => {
    const yank = await onPty(["yank", "esc-demo@1.0.0", "--reason", `Reason-before${INJECTED}reason-after`], authorToken);
    assert.equal(yank.code, 0, yank.output);
    assert.match(assertNoForeignControls(yank.output), /yanked esc-demo@1\.0\.0: Reason-before.*reason-after/);

    const info = await onPty(["info", "esc-demo"], installerToken);
    assert.equal(info.code, 0, info.output);
    const text = assertNoForeignControls(info.output);
    assert.match(text, /^esc-demo — Description-before.*description-after\./);
    assert.match(text, /1\.0\.0\s+YANKED\s+\S+\s+Reason-before.*reason-after/);
    assert.ok(info.output.includes("\u001b[1mesc-demo\u001b[22m"), "the name is still bold");
    assert.ok(info.output.includes("\u001b[31mYANKED\u001b[39m"), "the status is still red");
  });

  test("search shows the description in its table without its control sequences", async () => {
    const search = await onPty(["search", "esc-demo"], installerToken);
    assert.equal(search.code, 0, search.output);
    const row = assertNoForeignControls(search.output)
      .split("\r\n")
      .find((line) => line.startsWith("esc-demo"));
    assert.match(row ?? "", /^esc-demo\s+1\.1\.0\s+Description-before.*description-after\./);
  });

  test("install warnings carry the yank reason and the deprecation message without their control sequences", async () => {
    const yanked = await onPty(["install", "esc-demo@1.0.0", "--dir", mkdtempSync(path.join(scratch, "skills-"))], installerToken);
    assert.equal(yanked.code, 0, yanked.output);
    const yankText = assertNoForeignControls(yanked.output);
    assert.match(yankText, /warning esc-demo@1\.0\.0 was yanked: Reason-before.*reason-after/);
    assert.ok(yanked.output.includes("\u001b[33mwarning\u001b[39m"), "the warning is still yellow");

    const versions = await server.gql<{ skill: { versions: { edges: { node: { id: string; version: string } }[] } } }>(
      `{ skill(name: "esc-demo") { versions(first: 10) { edges { node { id version } } } } }`,
    );
    const id = versions.data!.skill.versions.edges.find((e) => e.node.version === "1.1.0")!.node.id;
    const deprecated = await server.gql(
      `mutation($input: DeprecateVersionInput!) { deprecateVersion(input: $input) { status } }`,
      { input: { versionId: id, message: `Message-before${INJECTED}message-after` } },
      authorToken,
    );
    assert.equal(deprecated.errors, undefined);
    const deprecation = await onPty(["install", "esc-demo@1.1.0", "--dir", mkdtempSync(path.join(scratch, "skills-"))], installerToken);
    assert.equal(deprecation.code, 0, deprecation.output);
    assert.match(assertNoForeignControls(deprecation.output), /warning esc-demo@1\.1\.0 is deprecated: Message-before.*message-after/);
  });

  test("publish streams the sandbox's log lines without the control sequences a test printed", async () => {
    const files = pythonSkill("esc-logs", "1.0.0", {
      total: 1,
      body: ["def test_prints_escapes():", '    print("sandbox-before\\x1b]0;pwned\\x07\\x1b[2J\\x9b31msandbox-after", flush=True)'].join("\n"),
    });
    const publish = await onPty(["publish", writeSkillDir(scratch, "esc-logs", files)], authorToken);
    assert.equal(publish.code, 0, publish.output);
    const text = assertNoForeignControls(publish.output);
    assert.match(text, /sandbox-before.*sandbox-after/);
    assert.match(text, /✓ published esc-logs@1\.0\.0/);
    assert.ok(publish.output.includes("\u001b[32m✓ published\u001b[39m"), "the outcome is still green");
  });

  test("--json on a terminal stays exact JSON, with C1 characters escaped rather than raw", async () => {
    const info = await onPty(["info", "esc-demo", "--json"], installerToken);
    assert.equal(info.code, 0, info.output);
    assertNoForeignControls(info.output);
    assert.equal(JSON.parse(info.output).description, `Description-before${INJECTED}description-after.`);
  });
});
