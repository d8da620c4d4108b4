import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePorts } from "../../server/src/db/free-port";
import { waitFor } from "./wait";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const PRODUCT_MAIN = path.join(REPO_ROOT, "server", "dist", "server", "src", "main.js");
const ADMIN_INDEX = path.join(REPO_ROOT, "admin", "dist", "index.html");

export interface GraphQLResult<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The whole product as `npm start` runs it: API, worker, embedded PostgreSQL, real Docker sandboxes. */
export interface Stack {
  url: string;
  adminToken: string;
  /** Answers the raw GraphQL response (errors included); as the bootstrap admin unless given a token, anonymous with `null`. */
  request<T>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResult<T>>;
  /** Like request, but throws when the response has errors. */
  gql<T>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<T>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `server/dist/.../main.js --role all` on free loopback ports with its own data directory
 * (so its embedded PostgreSQL is fresh) and waits until /readyz says the database and Docker are up.
 * `port` is for a test that must know the URL before the product starts (an identity provider
 * registers its redirect URI under it): reserve one with freePort.
 */
export async function startStack(env: Record<string, string> = {}, options: { port?: number } = {}): Promise<Stack> {
  if (!existsSync(PRODUCT_MAIN)) throw new Error(`${PRODUCT_MAIN} is missing: run \`npm run build\` first (the root \`npm test\` does).`);
  if (!existsSync(ADMIN_INDEX)) throw new Error(`${ADMIN_INDEX} is missing: run \`npm run build\` first (it builds the admin SPA).`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "skillyard-e2e-"));
  const [port, pgPort] = options.port ? [options.port, ...(await freePorts(1))] : await freePorts(2);
  const adminToken = `sky_e2e_admin_${Math.random().toString(36).slice(2)}${Date.now()}`;
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [PRODUCT_MAIN, "--role", "all"], {
    env: {
      ...process.env,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      EMBEDDED_POSTGRES_PORT: String(pgPort),
      DATA_DIR: dataDir,
      SKILLYARD_BOOTSTRAP_TOKEN: adminToken,
      PUBLIC_URL: url,
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the product exited early (${child.exitCode}):\n${output}`);
        return fetch(`${url}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
      },
      "the product to be ready",
      90_000,
      200,
    );
  } catch (error) {
    await stop();
    throw error;
  }

  async function request<T>(query: string, variables: Record<string, unknown> = {}, token: string | null = adminToken): Promise<GraphQLResult<T>> {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResult<T>;
  }

  return {
    url,
    adminToken,
    request,
    async gql<T>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<T> {
      const result = await request<T>(query, variables, token);
      if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data;
    },
    output: () => output,
    stop,
  };
}
