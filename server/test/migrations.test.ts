import "reflect-metadata";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import type { DataSource } from "typeorm";
import { createDataSource } from "../src/db/data-source";
import { runMigrationsLocked } from "../src/db/migrate";
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
    const tables: { count: number }[] = await dataSource.query(
      `SELECT count(*)::int AS count FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'typeorm_migrations'`,
    );
    assert.equal(tables[0].count, 0);
    const reapplied = await dataSource.runMigrations();
    assert.equal(reapplied.length, applied);
    const permissions: { count: number }[] = await dataSource.query(`SELECT count(*)::int AS count FROM permission`);
    assert.equal(permissions[0].count, 8);
  });

  test("TrustAndIdentity keeps every rating: the review table is renamed, not recreated", async () => {
    // Undo every migration down to and including the one that renamed review to rating.
    const index = dataSource.migrations.findIndex((m) => m.name === "TrustAndIdentity1796539163038");
    assert.ok(index >= 0, "this test targets the migration that renamed review to rating");
    for (let i = dataSource.migrations.length - 1; i >= index; i--) await dataSource.undoLastMigration();
    const [user] = (await dataSource.query(`INSERT INTO "user" (handle, email) VALUES ('rater', 'rater@example.test') RETURNING id`)) as { id: string }[];
    const [team] = (await dataSource.query(`INSERT INTO team (name) VALUES ('raters') RETURNING id`)) as { id: string }[];
    const [skill] = (await dataSource.query(`INSERT INTO skill (name, name_skeleton, team_id) VALUES ('rated', 'rated', $1) RETURNING id`, [team.id])) as {
      id: string;
    }[];
    await dataSource.query(`INSERT INTO review (skill_id, user_id, rating, text) VALUES ($1, $2, 4, 'kept')`, [skill.id, user.id]);
    await dataSource.runMigrations();
    assert.deepEqual(await dataSource.query(`SELECT rating, text FROM rating WHERE skill_id = $1`, [skill.id]), [{ rating: 4, text: "kept" }]);
    await assert.rejects(
      dataSource.query(`INSERT INTO rating (skill_id, user_id, rating) VALUES ($1, $2, 9)`, [skill.id, user.id]),
      /rating_value_range|unique/,
    );
    await dataSource.query(`DELETE FROM skill WHERE id = $1`, [skill.id]);
    assert.deepEqual(await dataSource.query(`SELECT count(*)::int AS n FROM rating`), [{ n: 0 }], "ratings still cascade with their skill");
    await dataSource.query(`DELETE FROM "user" WHERE id = $1`, [user.id]);
    await dataSource.query(`DELETE FROM team WHERE id = $1`, [team.id]);
  });

  test("Distribution keeps every existing token working: tokens made before scopes existed are FULL", async () => {
    const index = dataSource.migrations.findIndex((m) => m.name === "Distribution1796545188796");
    assert.ok(index >= 0);
    for (let i = dataSource.migrations.length - 1; i >= index; i--) await dataSource.undoLastMigration();
    const [user] = (await dataSource.query(`INSERT INTO "user" (handle, email) VALUES ('old-token', 'old-token@example.test') RETURNING id`)) as {
      id: string;
    }[];
    await dataSource.query(`INSERT INTO api_token (user_id, name, secret_sha256, prefix) VALUES ($1, 'old', repeat('a', 64), 'sy_old')`, [user.id]);
    await dataSource.runMigrations();
    assert.deepEqual(await dataSource.query(`SELECT scope FROM api_token WHERE user_id = $1`, [user.id]), [{ scope: "FULL" }]);
    await dataSource.query(`DELETE FROM "user" WHERE id = $1`, [user.id]);
  });

  test("the application never synchronizes the schema", () => {
    assert.equal(dataSource.options.synchronize, false);
  });
});

describe("migrations at deployment: replicas starting together", () => {
  test("three processes migrating an empty database at once apply each migration exactly once", async () => {
    const adminUrl = process.env.SKILLYARD_TEST_PG_URL;
    assert.ok(adminUrl, "run with scripts/run-tests.ts");
    const name = `t_empty_${randomBytes(6).toString("hex")}`;
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
    const url = adminUrl.replace(/\/[^/]+$/, `/${name}`);
    const replicas = [0, 1, 2].map(() => createDataSource({ url, poolSize: 3 }));
    try {
      await Promise.all(replicas.map((r) => r.initialize()));
      const applied = await Promise.all(replicas.map((r) => runMigrationsLocked(r)));
      const total = replicas[0].migrations.length;
      // One replica applied them all; the others waited for the lock and found nothing pending.
      assert.deepEqual(
        applied.map((a) => a.length).sort((a, b) => a - b),
        [0, 0, total],
      );
      const rows: { name: string; n: number }[] = await replicas[0].query(`SELECT name, count(*)::int AS n FROM typeorm_migrations GROUP BY name`);
      assert.equal(rows.length, total);
      assert.ok(rows.every((r) => r.n === 1));
      const held: { n: number }[] = await replicas[0].query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      assert.equal(held[0].n, 0, "the lock is released after migrating");
    } finally {
      await Promise.all(replicas.map((r) => (r.isInitialized ? r.destroy() : undefined)));
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
