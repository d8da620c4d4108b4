import { spawn } from "node:child_process";
import path from "node:path";
import { REPO_ROOT } from "./stack";

const CLI_MAIN = path.join(REPO_ROOT, "cli", "dist", "src", "main.js");

/** A running `skillyard` subprocess: its output so far, and its end. */
export interface CliProcess {
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) and the whole output. */
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill(): void;
}

/**
 * Starts the built CLI with `home` as HOME and XDG_CONFIG_HOME (so `login` stores its token there
 * and nothing of the machine's own configuration is read), no SKILLYARD_TOKEN, no terminal, and
 * BROWSER=true so a sign-in never opens a real browser window. `env` adds to that.
 */
export function startCli(args: string[], options: { home: string; cwd?: string; env?: Record<string, string> }): CliProcess {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
    cwd: options.cwd ?? options.home,
    env: { PATH: process.env.PATH, HOME: options.home, XDG_CONFIG_HOME: options.home, BROWSER: "true", NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let both = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    both += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    both += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, stdout, stderr })),
  );
  return {
    output: () => both,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    },
  };
}

/** Runs the CLI to its end (see startCli). */
export function runCli(args: string[], options: { home: string; cwd?: string; env?: Record<string, string> }) {
  return startCli(args, options).exited;
}
