import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../server/src/db/free-port";
import { PRODUCT_MAIN } from "../server/test/support/product-process";
import { waitFor } from "../server/test/support/wait";
import { log, type Resources } from "./support";

/**
 * The built product (`server/dist/.../main.js`, what `npm start` runs) as its own OS process on
 * loopback ports, with a fresh data directory (so a fresh embedded PostgreSQL) and a bootstrap admin
 * token, and the calls benches make to it through its public HTTP and GraphQL contract only.
 */

/** A request the server has not answered by then is a failure, not a wait. */
const REQUEST_TIMEOUT_MS = 60_000;

export interface GraphQLResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface ProductServer {
  url: string;
  pid: number;
  /** The bootstrap ADMIN's token (user `admin`, MAINTAINER of team `admin`). */
  adminToken: string;
  /** POST /graphql; throws on HTTP or GraphQL errors. `token` defaults to the admin's, `null` is anonymous. */
  gql<T>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<T>;
  /** POST /packages; answers the digest. */
  upload(tarball: Buffer, token?: string): Promise<string>;
  /** The last lines the process printed (for error messages). */
  output(): string;
}

/** How the benches pin processes to cores: every server on one core, the load generator on another. */
export interface Pinning {
  /** Prefix for a server's command line (`taskset -c 0`), or empty when not pinning; its children inherit the mask. */
  serverPrefix: string[];
  /** Pins every thread of this process (the load generator) to its core; answers what undoes it (no-ops when not pinning). */
  pinSelf(): () => void;
  description: string;
}

export function planPinning(): Pinning {
  const cores = os.availableParallelism();
  const taskset = spawnSync("taskset", ["--version"], { stdio: "ignore" });
  if (taskset.error || taskset.status !== 0) {
    return { serverPrefix: [], pinSelf: () => () => undefined, description: `not pinned: taskset is not available (${cores} CPUs)` };
  }
  if (cores < 2) return { serverPrefix: [], pinSelf: () => () => undefined, description: `not pinned: only ${cores} CPU available` };
  const setAffinity = (cpus: string) => {
    const set = spawnSync("taskset", ["-a", "-p", "-c", cpus, String(process.pid)], { encoding: "utf8" });
    if (set.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${process.pid} failed: ${set.stderr}`);
  };
  return {
    serverPrefix: ["taskset", "-c", "0"],
    pinSelf() {
      // "pid 123's current affinity list: 0,1": restored afterwards, so benches run after this one get every CPU back.
      const current = spawnSync("taskset", ["-p", "-c", String(process.pid)], { encoding: "utf8" });
      const list = /list:\s*(\S+)/.exec(current.stdout)?.[1];
      if (current.status !== 0 || !list) throw new Error(`taskset -p -c ${process.pid} failed: ${current.stderr}`);
      setAffinity("1");
      return () => setAffinity(list);
    },
    description: `servers (and what they spawn) on CPU 0 via \`taskset -c 0\`, this load generator (all threads) on CPU 1 via \`taskset -a -p -c 1\` (${cores} CPUs)`,
  };
}

/** Keeps the last `limit` characters a child printed. */
export function outputTail(child: ChildProcess, limit = 64 * 1024): () => string {
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail += chunk.toString();
    if (tail.length > limit * 2) tail = tail.slice(-limit);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return () => tail.slice(-limit);
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`; resolves once it has exited. */
export function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export async function gqlRequest<T>(url: string, query: string, variables: Record<string, unknown>, token: string | null): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = (await res.json()) as GraphQLResponse<T>;
  if (res.status !== 200 || body.errors?.length || !body.data) {
    throw new Error(`GraphQL request failed (HTTP ${res.status}): ${JSON.stringify(body.errors ?? body)}`);
  }
  return body.data;
}

/**
 * Starts the product with `--role <role>` and waits for /readyz. Its data directory, the process
 * (SIGTERM: it closes the server, then its embedded PostgreSQL) and the directory are released with
 * `resources`.
 */
export async function startProductServer(
  resources: Resources,
  options: { role: "api" | "all"; env?: Record<string, string>; commandPrefix?: string[]; label: string },
): Promise<ProductServer> {
  if (!existsSync(PRODUCT_MAIN)) throw new Error(`${PRODUCT_MAIN} is missing: run \`npm run build\` first.`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "skillyard-bench-product-"));
  resources.add(`remove ${options.label}'s data directory`, () => rmSync(dataDir, { recursive: true, force: true }));
  const [port, pgPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const adminToken = `sky_bench_${randomBytes(24).toString("hex")}`;
  const [command, ...args] = [...(options.commandPrefix ?? []), process.execPath, PRODUCT_MAIN, "--role", options.role];
  const child = spawn(command, args, {
    env: {
      ...process.env,
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
      HOST: "127.0.0.1",
      PORT: String(port),
      EMBEDDED_POSTGRES_PORT: String(pgPort),
      DATA_DIR: dataDir,
      PUBLIC_URL: url,
      SKILLYARD_BOOTSTRAP_TOKEN: adminToken,
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = outputTail(child);
  resources.add(`stop ${options.label}`, () => stopChild(child));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${options.label} exited early (${child.exitCode}):\n${output()}`);
      return fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
    },
    `${options.label} to be ready`,
    120_000,
    200,
  );
  log(`${options.label}: --role ${options.role} on ${url} (pid ${child.pid})`);
  return {
    url,
    pid: child.pid!,
    adminToken,
    gql: <T>(query: string, variables: Record<string, unknown> = {}, token: string | null = adminToken) => gqlRequest<T>(url, query, variables, token),
    async upload(tarball: Buffer, token = adminToken) {
      const res = await fetch(`${url}/packages`, {
        method: "POST",
        headers: { "content-type": "application/gzip", authorization: `Bearer ${token}` },
        body: new Uint8Array(tarball),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = (await res.json()) as { sha256?: string };
      if (!res.ok || !body.sha256) throw new Error(`upload failed (HTTP ${res.status}): ${JSON.stringify(body)}`);
      return body.sha256;
    },
    output,
  };
}

export const PUBLISH = `mutation BenchPublish($input: PublishSkillVersionInput!) {
  publishSkillVersion(input: $input) { version { id version status packageSha256 latestTestRun { id } } }
}`;

export interface PublishData {
  publishSkillVersion: { version: { id: string; version: string; status: string; packageSha256: string; latestTestRun: { id: string } | null } };
}
