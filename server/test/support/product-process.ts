import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../src/common/repo-root";
import { waitFor } from "./wait";

export const PRODUCT_MAIN = path.join(repoRoot(), "server", "dist", "server", "src", "main.js");

export interface ProductProcess {
  child: ChildProcess;
  output(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /**
   * Sends a signal to the process's whole process group, as a terminal does on Ctrl-C, and waits
   * for the exit code. Only for processes started with `{ ownProcessGroup: true }`.
   */
  stopGroup(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the built product (`dist/server/src/main.js`, what `npm start` runs) as its own OS
 * process and waits until `ready` says it is up.
 */
export async function startProductProcess(
  args: string[],
  env: Record<string, string>,
  ready: (output: string) => boolean | Promise<boolean>,
  options: { ownProcessGroup?: boolean } = {},
): Promise<ProductProcess> {
  assert.ok(existsSync(PRODUCT_MAIN), `${PRODUCT_MAIN} is missing: run \`npm run build\` first (the root \`npm test\` does).`);
  // With its own process group it stands where a terminal's foreground job stands.
  const child = spawn(process.execPath, [PRODUCT_MAIN, ...args], {
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.ownProcessGroup ?? false,
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the process exited early (${child.exitCode}):\n${output}`);
      return ready(output);
    },
    `${args.join(" ") || "the product"} to start`,
    60_000,
    100,
  );
  return {
    child,
    output: () => output,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    async stopGroup(signal: NodeJS.Signals) {
      assert.ok(options.ownProcessGroup, "stopGroup needs a process started with { ownProcessGroup: true }");
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, signal);
      return exited;
    },
  };
}

/** Ready when GET /readyz answers 200. */
export const httpReady = (url: string) => async () =>
  await fetch(`${url}/readyz`).then(
    (r) => r.status === 200,
    () => false,
  );

/** Ready when the worker logged that it is up. */
export const workerReady = (output: string) => output.includes("Skillyard worker is up");
