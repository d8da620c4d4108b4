import "reflect-metadata";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import type { DataSource } from "typeorm";
import { DownloadCounters } from "../src/community/download-counters";
import { createDataSource } from "../src/db/data-source";
import { runMigrationsLocked } from "../src/db/migrate";
import { rollUpAll } from "./support/downloads";
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

  test("Distribution keeps every existing token working: tokens made before scopes existed are FULL (READ and PUBLISH since GranularApiTokens)", async () => {
    const index = dataSource.migrations.findIndex((m) => m.name === "Distribution1796545188796");
    assert.ok(index >= 0);
    for (let i = dataSource.migrations.length - 1; i >= index; i--) await dataSource.undoLastMigration();
    const [user] = (await dataSource.query(`INSERT INTO "user" (handle, email) VALUES ('old-token', 'old-token@example.test') RETURNING id`)) as {
      id: string;
    }[];
    await dataSource.query(`INSERT INTO api_token (user_id, name, secret_sha256, prefix) VALUES ($1, 'old', repeat('a', 64), 'sy_old')`, [user.id]);
    await dataSource.runMigrations();
    assert.deepEqual(await dataSource.query(`SELECT scopes::text[] AS scopes FROM api_token WHERE user_id = $1`, [user.id]), [{ scopes: ["READ", "PUBLISH"] }]);
    await dataSource.query(`DELETE FROM "user" WHERE id = $1`, [user.id]);
  });

  test("GranularApiTokens gives existing tokens the scopes their owner's roles allow and a 90-day expiry (bootstrap and distribution tokens none); down() restores the old scope", async () => {
    const index = dataSource.migrations.findIndex((m) => m.name === "GranularApiTokens1796593004957");
    assert.ok(index >= 0, "this test targets the migration that made scopes granular");
    const undoToBefore = async () => {
      for (let i = dataSource.migrations.length - 1; i >= index; i--) await dataSource.undoLastMigration();
    };
    await undoToBefore();
    // Rows as the schema before it held them: one FULL token per kind of owner and origin, and the narrow distribution tokens.
    const users = (await dataSource.query(
      `INSERT INTO "user" (handle, email, roles, kind) VALUES
         ('old-admin', 'old-admin@example.test', '{ADMIN}', 'PERSON'),
         ('old-reviewer', 'old-reviewer@example.test', '{REVIEWER}', 'PERSON'),
         ('old-member', 'old-member@example.test', '{}', 'PERSON'),
         ('old-ci', 'old-ci@example.test', '{}', 'SERVICE')
       RETURNING id, handle`,
    )) as { id: string; handle: string }[];
    const id = (handle: string) => users.find((u) => u.handle === handle)!.id;
    const tokens: [string, string, string, string | null][] = [
      ["bootstrap", "old-admin", "FULL", "BOOTSTRAP"],
      ["admin-self", "old-admin", "FULL", "SELF"],
      ["reviewer-invited", "old-reviewer", "FULL", "INVITATION"],
      ["member-self", "old-member", "FULL", "SELF"],
      ["member-unrecorded", "old-member", "FULL", null],
      ["ci", "old-ci", "FULL", "SERVICE_ACCOUNT"],
      ["ingest", "old-ci", "INGEST", "DISTRIBUTION"],
      ["catalog", "old-ci", "CATALOG_READ", "DISTRIBUTION"],
    ];
    for (const [name, owner, scope, origin] of tokens) {
      await dataSource.query(
        `INSERT INTO api_token (user_id, name, secret_sha256, prefix, scope, origin) VALUES ($1, $2::text, encode(sha256(convert_to($2::text, 'UTF8')), 'hex'), $2::text, $3, $4)`,
        [id(owner), name, scope, origin],
      );
    }
    await dataSource.runMigrations();

    const migrated = async () =>
      (await dataSource.query(
        `SELECT name, scopes::text[] AS scopes,
                CASE WHEN expires_at IS NULL THEN 'never'
                     WHEN expires_at BETWEEN now() + interval '89 days' AND now() + interval '91 days' THEN '90 days' ELSE expires_at::text END AS expires
           FROM api_token WHERE user_id = ANY($1) ORDER BY name`,
        [users.map((u) => u.id)],
      )) as { name: string; scopes: string[]; expires: string }[];
    assert.deepEqual(await migrated(), [
      { name: "admin-self", scopes: ["READ", "PUBLISH", "REVIEW", "ADMIN"], expires: "90 days" },
      { name: "bootstrap", scopes: ["READ", "PUBLISH", "REVIEW", "ADMIN"], expires: "never" },
      { name: "catalog", scopes: ["CATALOG_READ"], expires: "never" },
      { name: "ci", scopes: ["READ", "PUBLISH"], expires: "90 days" },
      { name: "ingest", scopes: ["INGEST"], expires: "never" },
      { name: "member-self", scopes: ["READ", "PUBLISH"], expires: "90 days" },
      { name: "member-unrecorded", scopes: ["READ", "PUBLISH"], expires: "90 days" },
      { name: "reviewer-invited", scopes: ["READ", "PUBLISH", "REVIEW"], expires: "90 days" },
    ]);
    // From here on only bootstrap and distribution tokens may go without an expiry.
    await assert.rejects(
      dataSource.query(
        `INSERT INTO api_token (user_id, name, secret_sha256, prefix, scopes, origin) VALUES ($1, 'forever', repeat('f', 64), 'f', '{READ}', 'SELF')`,
        [id("old-member")],
      ),
      /api_token_expires_unless_bootstrap_or_distribution/,
    );
    await assert.rejects(
      dataSource.query(`INSERT INTO api_token (user_id, name, secret_sha256, prefix, scopes) VALUES ($1, 'unrecorded', repeat('e', 64), 'e', '{READ}')`, [
        id("old-member"),
      ]),
      /api_token_expires_unless_bootstrap_or_distribution/,
    );

    // down(): the single scope is back, FULL for every token that was one.
    await undoToBefore();
    assert.deepEqual(
      await dataSource.query(`SELECT name, scope FROM api_token WHERE user_id = ANY($1) ORDER BY name`, [users.map((u) => u.id)]),
      tokens.map(([name, , scope]) => ({ name, scope })).sort((a, b) => a.name.localeCompare(b.name)),
    );
    await dataSource.runMigrations();
    await dataSource.query(`DELETE FROM "user" WHERE id = ANY($1)`, [users.map((u) => u.id)]);
  });

  test("DownloadRollup loses no download and counts none twice: skill counters stay, version counters start from the log", async () => {
    const index = dataSource.migrations.findIndex((m) => m.name === "DownloadRollup1796582190138");
    assert.ok(index >= 0, "this test targets the migration that made downloads a roll-up");
    for (let i = dataSource.migrations.length - 1; i >= index; i--) await dataSource.undoLastMigration();
    // What the install path wrote before: the install rows, and skill.download_count raised with them.
    const [user] = (await dataSource.query(`INSERT INTO "user" (handle, email) VALUES ('old-installer', 'old-installer@example.test') RETURNING id`)) as {
      id: string;
    }[];
    const [team] = (await dataSource.query(`INSERT INTO team (name) VALUES ('old-tenant') RETURNING id`)) as { id: string }[];
    const [skill] = (await dataSource.query(
      `INSERT INTO skill (name, name_skeleton, team_id, download_count) VALUES ('counted', 'counted', $1, 3) RETURNING id`,
      [team.id],
    )) as { id: string }[];
    const versions = (await dataSource.query(
      `INSERT INTO skill_version (skill_id, version, status, manifest, package_sha256, package_size, published_by_id)
       SELECT $1, v, 'PUBLISHED', '{}'::jsonb, repeat('a', 64), 1, $2 FROM unnest(ARRAY['1.0.0', '1.1.0']) AS v RETURNING id, version`,
      [skill.id, user.id],
    )) as { id: string; version: string }[];
    const versionId = (v: string) => versions.find((x) => x.version === v)!.id;
    for (const v of ["1.0.0", "1.1.0", "1.1.0"]) {
      await dataSource.query(`INSERT INTO install (tenant_id, skill_id, version_id, installed_by_id) VALUES ($1, $2, $3, $4)`, [
        team.id,
        skill.id,
        versionId(v),
        user.id,
      ]);
    }
    await dataSource.runMigrations();

    const downloads = async () => {
      const [s] = (await dataSource.query(`SELECT download_count AS n FROM skill WHERE id = $1`, [skill.id])) as { n: number }[];
      const vs = (await dataSource.query(`SELECT version, download_count AS n FROM skill_version WHERE skill_id = $1 ORDER BY version`, [skill.id])) as {
        version: string;
        n: number;
      }[];
      return { skill: s.n, versions: vs.map((v) => [v.version, v.n]) };
    };
    assert.deepEqual(await downloads(), {
      skill: 3,
      versions: [
        ["1.0.0", 1],
        ["1.1.0", 2],
      ],
    });
    const counters = new DownloadCounters(dataSource);
    assert.equal(await rollUpAll(dataSource, counters), 0, "installs from before are not counted again");
    await dataSource.query(`INSERT INTO install (tenant_id, skill_id, version_id, installed_by_id) VALUES ($1, $2, $3, $4)`, [
      team.id,
      skill.id,
      versionId("1.0.0"),
      user.id,
    ]);
    assert.equal(await rollUpAll(dataSource, counters), 1, "an install from after is counted");
    assert.deepEqual(await downloads(), {
      skill: 4,
      versions: [
        ["1.0.0", 2],
        ["1.1.0", 2],
      ],
    });
    // The rows stay: skill versions are never deleted, and this file's database is dropped after it.
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
