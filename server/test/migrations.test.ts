import "reflect-metadata";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { DataSource } from "typeorm";
import { createDataSource } from "../src/db/data-source";
import { createTestDatabase } from "./support/test-database";

describe("migrations", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;

  before(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({ url: database.url });
    await dataSource.initialize();
  });
  after(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  test("the entities and the migrations agree (a schema change without a generated migration fails here)", () => {
    const result = spawnSync(process.execPath, ["-r", "@swc-node/register", path.join(__dirname, "..", "scripts", "generate-migration.ts"), "--check"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /schema is up to date/);
  });

  test("every migration reverts and re-applies cleanly", async () => {
    const applied = dataSource.migrations.length;
    assert.ok(applied >= 3);
    for (let i = 0; i < applied; i++) await dataSource.undoLastMigration();
    const tables: { count: number }[] = await dataSource.query(`SELECT count(*)::int AS count FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'typeorm_migrations'`);
    assert.equal(tables[0].count, 0);
    const reapplied = await dataSource.runMigrations();
    assert.equal(reapplied.length, applied);
    const permissions: { count: number }[] = await dataSource.query(`SELECT count(*)::int AS count FROM permission`);
    assert.equal(permissions[0].count, 8);
  });

  test("the application never synchronizes the schema", () => {
    assert.equal(dataSource.options.synchronize, false);
  });
});
