import "reflect-metadata";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { createLogger } from "../src/common/logger";
import { createDataSource } from "../src/db/data-source";
import { startEmbeddedPostgres, stopOnSignals } from "../src/db/embedded-postgres";
import { freePort } from "../src/db/free-port";

/**
 * Runs the server's tests against one real embedded PostgreSQL. Migrations run once into a template
 * database; each test file clones it (CREATE DATABASE ... TEMPLATE) so files run in parallel
 * without seeing each other's rows. Pass file paths to run only those.
 */
async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-test-pg-"));
  const pg = await startEmbeddedPostgres({ dataDir: scratch, port: await freePort(), logger: createLogger("warn") });
  let testRun: ChildProcess | null = null;
  stopOnSignals(pg, () => testRun?.kill("SIGTERM"));
  let exitCode: number;
  try {
    const admin = new Client({ connectionString: pg.url });
    await admin.connect();
    await admin.query("CREATE DATABASE skillyard_template");
    await admin.end();
    const templateUrl = pg.url.replace(/\/skillyard$/, "/skillyard_template");
    const dataSource = createDataSource({ url: templateUrl });
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.destroy();

    const requested = process.argv.slice(2);
    const testDir = path.join(__dirname, "..", "test");
    const files = requested.length
      ? requested
      : readdirSync(testDir)
          .filter((f) => f.endsWith(".test.ts"))
          .sort()
          .map((f) => path.join(testDir, f));
    exitCode = await new Promise<number>((resolve) => {
      const child = (testRun = spawn(
        process.execPath,
        ["--test", "--test-reporter=spec", `--test-concurrency=${Math.max(2, os.availableParallelism())}`, "-r", "@swc-node/register", ...files],
        { stdio: "inherit", env: { ...process.env, SKILLYARD_TEST_PG_URL: pg.url, SKILLYARD_TEST_TEMPLATE: "skillyard_template" } },
      ));
      child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
  } finally {
    await pg.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
