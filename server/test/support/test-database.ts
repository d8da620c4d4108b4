import { randomBytes } from "node:crypto";
import { Client } from "pg";

/** A fresh database cloned from the migrated template (see scripts/run-tests.ts). */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.SKILLYARD_TEST_PG_URL;
  const template = process.env.SKILLYARD_TEST_TEMPLATE;
  if (!adminUrl || !template) throw new Error("Run server tests with `npm test` (scripts/run-tests.ts starts their PostgreSQL).");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  await admin.end();
  return {
    url: adminUrl.replace(/\/[^/]+$/, `/${name}`),
    async drop() {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
