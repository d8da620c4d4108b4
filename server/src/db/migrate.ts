import type { DataSource } from "typeorm";

/**
 * Session-level advisory lock key for schema migrations ("skillyard-migrations" as a 63-bit
 * number). Every process that starts takes it before looking at pending migrations.
 */
export const MIGRATION_LOCK_KEY = "7243593165208561011";

/**
 * Applies pending migrations while holding {@link MIGRATION_LOCK_KEY}, so that API replicas, workers
 * and a one-shot `--role migrate` starting together apply each migration exactly once: the first
 * process to take the lock applies them, the others wait and then find nothing pending.
 * The lock lives on its own connection (the migrations take others from the pool) and is released
 * when that connection ends even if the process dies mid-migration.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query("SELECT pg_advisory_lock($1::bigint)", [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations();
      return applied.map((m) => m.name);
    } finally {
      await runner.query("SELECT pg_advisory_unlock($1::bigint)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
