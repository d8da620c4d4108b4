import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { createClient } from "graphql-ws/client";
import WebSocket from "ws";
import { freePorts } from "../../server/src/db/free-port";
import { LABEL_SCOPE } from "../../server/src/sandbox/sandbox-runner";
import { REPO_ROOT } from "./stack";
import { waitFor } from "./wait";

const run = promisify(execFile);

/** Compose v2 (`docker compose`) where the plugin is installed, else Debian's `docker-compose` 1.29: both read the same file. */
function composeCommand(): string[] {
  try {
    execFileSync("docker", ["compose", "version"], { stdio: "ignore" });
    return ["docker", "compose"];
  } catch {
    return ["docker-compose"];
  }
}

export interface ComposeEndpoints {
  /** The reverse proxy: what users and the CLI talk to. */
  proxy: string;
  /** Each API replica directly (a test-only override publishes them on loopback). */
  api1: string;
  api2: string;
}

/**
 * The repository's docker-compose.yml as a throwaway project: its own name, loopback ports and
 * bootstrap token, plus `compose.test-ports.yml` publishing each API replica so a test can pick
 * one. Sandboxes the worker starts carry the project name as their scope label, so cleanup finds
 * exactly this project's containers.
 */
export class ComposeProject {
  readonly name = `skillyard-e2e-${randomBytes(4).toString("hex")}`;
  readonly adminToken = `sy_e2e_${randomBytes(24).toString("hex")}`;
  private readonly command = composeCommand();
  private env: NodeJS.ProcessEnv = {};
  endpoints!: ComposeEndpoints;

  async init(): Promise<void> {
    const [proxy, api1, api2] = await freePorts(3);
    this.env = {
      ...process.env,
      SKILLYARD_PORT: String(proxy),
      SKILLYARD_API1_PORT: String(api1),
      SKILLYARD_API2_PORT: String(api2),
      SKILLYARD_BOOTSTRAP_TOKEN: this.adminToken,
      SKILLYARD_PUBLIC_URL: `http://127.0.0.1:${proxy}`,
      SANDBOX_SCOPE: this.name,
      // The worker reads the Docker socket through this group.
      DOCKER_GID: String(statSync("/var/run/docker.sock").gid),
    };
    this.endpoints = { proxy: `http://127.0.0.1:${proxy}`, api1: `http://127.0.0.1:${api1}`, api2: `http://127.0.0.1:${api2}` };
  }

  /** Runs a compose subcommand for this project; answers stdout. */
  async compose(...args: string[]): Promise<string> {
    const [bin, ...pre] = this.command;
    const files = ["-f", path.join(REPO_ROOT, "docker-compose.yml"), "-f", path.join(__dirname, "compose.test-ports.yml")];
    const { stdout } = await run(bin, [...pre, "-p", this.name, ...files, ...args], { cwd: REPO_ROOT, env: this.env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  }

  /** The container id of a service (empty when it has none). */
  async containerOf(service: string): Promise<string> {
    return (await this.compose("ps", "-q", service)).trim();
  }

  async inspect<T>(container: string, format: string): Promise<T> {
    const { stdout } = await run("docker", ["inspect", "--format", `{{json ${format}}}`, container]);
    return JSON.parse(stdout) as T;
  }

  /** Waits until every long-running service reports healthy and each endpoint answers /readyz. */
  async waitReady(timeoutMs = 180_000): Promise<void> {
    await waitFor(
      async () => {
        for (const url of Object.values(this.endpoints)) {
          const res = await fetch(`${url}/readyz`).catch(() => null);
          if (res?.status !== 200) return false;
        }
        return true;
      },
      `${this.name} to become ready`,
      timeoutMs,
      500,
    );
  }

  /**
   * `up -d`. A loopback port picked by init() can be taken by another process before Docker binds
   * it; then the project is taken down and started once more on new ports (any other failure throws).
   */
  async up(): Promise<void> {
    try {
      await this.compose("up", "-d");
    } catch (error) {
      if (!/port is already allocated|address already in use/i.test(String((error as { stderr?: string }).stderr ?? error))) throw error;
      await this.compose("down", "-v", "--remove-orphans");
      await this.init();
      await this.compose("up", "-d");
    }
  }

  /** Each service's state and the end of its log (for a failing test's message): states first, they are the short part. */
  async diagnostics(): Promise<string> {
    const states = await this.compose("ps").catch((e: unknown) => String(e));
    const logs = await this.compose("logs", "--no-color", "--tail", "30").catch((e: unknown) => String(e));
    return `${states}\n${logs}`;
  }

  /** `down -v` and any sandbox container or volume of this project left on the engine. */
  async destroy(): Promise<void> {
    await this.compose("down", "-v", "--remove-orphans").catch(() => undefined);
    const filter = `label=${LABEL_SCOPE}=${this.name}`;
    const containers = (await run("docker", ["ps", "-aq", "--filter", filter])).stdout.split("\n").filter(Boolean);
    if (containers.length) await run("docker", ["rm", "-f", ...containers]).catch(() => undefined);
    const volumes = (await run("docker", ["volume", "ls", "-q", "--filter", filter])).stdout.split("\n").filter(Boolean);
    if (volumes.length) await run("docker", ["volume", "rm", "-f", ...volumes]).catch(() => undefined);
  }
}

export interface RunEvent {
  seq: number;
  kind: "LOG" | "STATUS";
  text: string | null;
  status: string | null;
  /** When this client received it. */
  receivedAt: number;
}

const EVENTS = `subscription Events($id: ID!) { testRunEvents(testRunId: $id) { seq kind text status } }`;
const FINAL = new Set(["PASSED", "FAILED", "TIMEOUT", "MEMORY_LIMIT", "ERROR", "INFRA_ERROR"]);

/**
 * Follows a run's events over graphql-ws the way the CLI does: the server replays every stored
 * event and then sends live ones; after a dropped connection the client subscribes again and drops
 * what it already has (by seq). Resolves with every event once the final status arrived.
 */
export function followRun(
  baseUrl: string,
  token: string,
  runId: string,
  options: { reconnectForMs?: number; onEvent?: (event: RunEvent) => void } = {},
): { events: RunEvent[]; reconnects: number; done: Promise<RunEvent[]> } {
  const state = { events: [] as RunEvent[], reconnects: 0, done: Promise.resolve([] as RunEvent[]) };
  const deadline = Date.now() + (options.reconnectForMs ?? 0);
  const once = () =>
    new Promise<"final" | "dropped">((resolve, reject) => {
      const client = createClient({
        url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
      });
      let final = false;
      client.subscribe<{ testRunEvents: Omit<RunEvent, "receivedAt"> }>(
        { query: EVENTS, variables: { id: runId } },
        {
          next: ({ data, errors }) => {
            if (errors?.length) {
              reject(new Error(JSON.stringify(errors)));
              return;
            }
            const event = data?.testRunEvents;
            if (!event) return;
            const last = state.events.at(-1)?.seq ?? 0;
            if (event.seq <= last) return;
            const received = { ...event, receivedAt: Date.now() };
            state.events.push(received);
            options.onEvent?.(received);
            if (event.kind === "STATUS" && event.status && FINAL.has(event.status)) final = true;
          },
          error: () => {
            void client.dispose();
            resolve("dropped");
          },
          complete: () => {
            void client.dispose();
            resolve(final ? "final" : "dropped");
          },
        },
      );
    });
  state.done = (async () => {
    for (;;) {
      const outcome = await once();
      if (outcome === "final") return state.events;
      if (Date.now() > deadline) throw new Error(`the subscription to ${baseUrl} dropped and may not reconnect (after seq ${state.events.at(-1)?.seq ?? 0})`);
      state.reconnects++;
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return state;
}

export function isFinal(event: RunEvent): boolean {
  return event.kind === "STATUS" && event.status !== null && FINAL.has(event.status);
}
