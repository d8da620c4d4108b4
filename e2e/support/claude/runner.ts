import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { claudeBinary } from "./binary";
import type { ScriptedModel } from "./model";
import type { TestTls } from "./tls";

/** A scratch user for one test: its own HOME (so ~/.claude and ~/.claude.json are fresh) and a project folder to run in. */
export interface ClaudeHome {
  root: string;
  home: string;
  /** An empty project folder used as the working directory. */
  project: string;
  /** `~/.claude/plugins` of this HOME. */
  pluginsDir: string;
  remove(): void;
}

export function createClaudeHome(): ClaudeHome {
  const root = mkdtempSync(path.join(os.tmpdir(), "skillyard-claude-"));
  const home = path.join(root, "home");
  const project = path.join(root, "project");
  mkdirSync(home, { recursive: true });
  mkdirSync(project, { recursive: true });
  return { root, home, project, pluginsDir: path.join(home, ".claude", "plugins"), remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface ClaudeRunOptions {
  home: ClaudeHome;
  /** Working directory; the home's project folder by default. */
  cwd?: string;
  /** Makes the test CA trusted (NODE_EXTRA_CA_CERTS and SSL_CERT_FILE). */
  tls?: TestTls;
  /** Points the Messages API at the scripted stand-in (ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY). */
  model?: ScriptedModel;
  /** CLAUDE_CODE_PLUGIN_SEED_DIR (several folders: join with ":"). */
  seedDir?: string;
  /** Extra variables, applied last. */
  env?: Record<string, string>;
  /** Killed (process group, SIGKILL) after this long; 90 s by default. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed (stdin is always closed). */
  input?: string;
}

export interface ClaudeRun {
  args: string[];
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** stdout parsed as JSON (throws with the output when it is not). */
  json<T>(): T;
}

/**
 * The environment a run gets. Nothing is inherited but PATH: HOME, XDG folders and TMPDIR are the scratch
 * home's, so the real user's ~/.claude, ~/.claude.json and any ANTHROPIC_* variables of the calling shell
 * are never seen. DISABLE_AUTOUPDATER=1 and CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 keep it from
 * reaching for the internet (there is none here).
 */
export function claudeEnv(options: Omit<ClaudeRunOptions, "timeoutMs" | "input" | "cwd">): Record<string, string> {
  const { home } = options;
  const tmp = path.join(home.root, "tmp");
  mkdirSync(tmp, { recursive: true });
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home.home,
    USER: os.userInfo().username,
    LANG: "C.UTF-8",
    TERM: "dumb",
    TMPDIR: tmp,
    XDG_CONFIG_HOME: path.join(home.home, ".config"),
    XDG_CACHE_HOME: path.join(home.home, ".cache"),
    XDG_DATA_HOME: path.join(home.home, ".local", "share"),
    XDG_STATE_HOME: path.join(home.home, ".local", "state"),
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    ...(options.tls?.env ?? {}),
    ...(options.model?.env ?? {}),
    ...(options.seedDir ? { CLAUDE_CODE_PLUGIN_SEED_DIR: options.seedDir } : {}),
    ...(options.env ?? {}),
  };
}

/** Runs the real `claude` with `args` and captures everything; never rejects on a non-zero exit. */
export function runClaude(args: string[], options: ClaudeRunOptions): Promise<ClaudeRun> {
  const binary = claudeBinary();
  const started = Date.now();
  const child = spawn(binary, args, { cwd: options.cwd ?? options.home.project, env: claudeEnv(options), stdio: ["pipe", "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  let timedOut = false;
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.stdin.on("error", () => undefined);
  child.stdin.end(options.input ?? "");
  const killGroup = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGKILL"); // the group led by the process started here: claude and the hooks it ran
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, options.timeoutMs ?? 90_000);
  return new Promise((resolve, reject) => {
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      killGroup(); // leftovers (background hooks) of this run's process group
      resolve({
        args,
        code,
        signal,
        timedOut,
        stdout,
        stderr,
        durationMs: Date.now() - started,
        json<T>(): T {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`claude ${args.join(" ")} printed no JSON (exit ${code}):\nstdout: ${stdout}\nstderr: ${stderr}`);
          }
        },
      });
    });
  });
}

/** The JSON `claude -p --output-format json` prints (the fields tests read). */
export interface PrintResult {
  type: string;
  subtype: string;
  is_error: boolean;
  result: string;
  num_turns: number;
  session_id: string;
  permission_denials: { tool_name: string; tool_use_id: string; tool_input: Record<string, unknown> }[];
}

/** `claude -p <prompt> --output-format json [--allowedTools ...]`: one headless session. */
export async function runClaudePrint(prompt: string, options: ClaudeRunOptions & { allowedTools?: string[] }): Promise<ClaudeRun & { result: PrintResult }> {
  const args = ["-p", prompt, "--output-format", "json", ...(options.allowedTools?.length ? ["--allowedTools", options.allowedTools.join(",")] : [])];
  const run = await runClaude(args, options);
  return { ...run, result: run.json<PrintResult>() };
}
