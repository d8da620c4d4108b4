import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The launcher a user runs (bin/skillyard.js, which loads the compiled dist/src/main.js). */
export const BIN = path.join(__dirname, "..", "..", "bin", "skillyard.js");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** ms after spawn at which each stdout chunk arrived, with the text so far. */
  arrivals: { at: number; text: string }[];
  durationMs: number;
}

export interface CliOptions {
  home?: string;
  token?: string;
  env?: Record<string, string>;
  input?: string;
  cwd?: string;
}

/**
 * The environment a test run of the CLI gets: the test process's own, minus any SKILLYARD_*
 * setting, with a scratch HOME, the registry at `registryUrl` and colours off (tests that check
 * colours turn them back on through `env`).
 */
export function cliEnv(registryUrl: string, home: string, options: Pick<CliOptions, "token" | "env"> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith("SKILLYARD_")) env[key] = value;
  Object.assign(env, { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config"), SKILLYARD_URL: registryUrl, NO_COLOR: "1" });
  if (options.token) env.SKILLYARD_TOKEN = options.token;
  Object.assign(env, options.env ?? {});
  return env;
}

/**
 * Runs the skillyard CLI as a user does: a subprocess (async spawn, so a server in this process
 * keeps answering), in `scratch` unless `cwd` is given, against `registryUrl()`.
 */
export function cliRunner(registryUrl: () => string, scratch: () => string): (args: string[], options?: CliOptions) => Promise<CliRun> {
  return (args, options = {}) => {
    const home = options.home ?? mkdtempSync(path.join(scratch(), "home-"));
    const env = cliEnv(registryUrl(), home, options);
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? scratch(), env, stdio: ["pipe", "pipe", "pipe"] });
      // A hung CLI fails the test instead of hanging the suite.
      const killer = setTimeout(() => child.kill("SIGKILL"), 90_000);
      let stdout = "";
      let stderr = "";
      const arrivals: { at: number; text: string }[] = [];
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        arrivals.push({ at: Date.now() - started, text: stdout });
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(killer);
        resolve({ code, stdout, stderr, arrivals, durationMs: Date.now() - started });
      });
      child.stdin.end(options.input ?? "");
    });
  };
}

/** Writes a skill folder under `<scratch>/src/<name>` and answers its path. */
export function writeSkillDir(scratch: string, name: string, files: Record<string, string>): string {
  const dir = path.join(scratch, "src", name);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

/** Every stderr line of a failed run: exactly one, `error CODE: …`. */
export function oneLineError(run: CliRun, code: string): string {
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0], new RegExp(`^error ${code}: \\S`));
  return lines[0];
}

/** The last stderr line of a failed run that printed progress first: `error CODE: …`, its only error line. */
export function finalError(run: CliRun, code: string): string {
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.filter((l) => l.startsWith("error ")).length, 1, `expected one error line on stderr, got:\n${run.stderr}`);
  const last = lines[lines.length - 1];
  assert.match(last, new RegExp(`^error ${code}: \\S`));
  return last;
}

/** Every file under `dir`, as POSIX paths relative to it, sorted. */
export function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? filesUnder(path.join(dir, d.name), `${prefix}${d.name}/`) : [`${prefix}${d.name}`]))
    .sort();
}
