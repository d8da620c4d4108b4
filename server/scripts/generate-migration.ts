import "reflect-metadata";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres, stopOnSignals } from "../src/db/embedded-postgres";
import { createDataSource } from "../src/db/data-source";
import { freePort } from "../src/db/free-port";
import { createLogger } from "../src/common/logger";
import { repoRoot } from "../src/common/repo-root";

/**
 * `npm run migration:generate -- Name` writes migrations/<timestamp>-Name.ts with TypeORM's own
 * generator, diffing the entities against a scratch embedded PostgreSQL that has every existing
 * migration applied. `--check` only reports whether the entities and migrations agree (exit 1 if not).
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const check = args.includes("--check");
  const name = args.find((a) => !a.startsWith("--")) ?? "Migration";
  const scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-migrate-"));
  const pg = await startEmbeddedPostgres({ dataDir: scratch, port: await freePort(), logger: createLogger("warn") });
  stopOnSignals(pg);
  try {
    const dataSource = createDataSource({ url: pg.url });
    await dataSource.initialize();
    await dataSource.runMigrations();
    const pending = await dataSource.driver.createSchemaBuilder().log();
    await dataSource.destroy();
    if (pending.upQueries.length === 0) {
      console.log("schema is up to date: the migrations match the entities");
      return;
    }
    if (check) {
      console.error("The entities differ from the migrations. Run `npm run migration:generate -- <Name>`. Pending SQL:");
      for (const q of pending.upQueries) console.error(`  ${q.query}`);
      process.exitCode = 1;
      return;
    }
    const root = repoRoot();
    const cli = path.join(root, "node_modules", "typeorm", "cli.js");
    const result = spawnSync(
      process.execPath,
      [
        "-r",
        "@swc-node/register",
        cli,
        "migration:generate",
        path.join(root, "migrations", name),
        "-d",
        path.join(__dirname, "..", "src", "db", "cli-data-source.ts"),
        "--pretty",
      ],
      { stdio: "inherit", env: { ...process.env, DATABASE_URL: pg.url }, cwd: path.join(root, "server") },
    );
    process.exitCode = result.status ?? 1;
  } finally {
    await pg.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
