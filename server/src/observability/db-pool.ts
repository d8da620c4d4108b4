import type { DataSource } from "typeorm";
import type { PoolCounts } from "./metrics";

/** The counters node-postgres' Pool keeps. */
interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

const isPgPool = (value: unknown): value is PgPool =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as PgPool).totalCount === "number" &&
  typeof (value as PgPool).idleCount === "number" &&
  typeof (value as PgPool).waitingCount === "number";

/** The connection counts of TypeORM's pg pool (its PostgresDriver's `master`); null before it connects or after it is destroyed. */
export function pgPoolCounts(dataSource: DataSource): PoolCounts | null {
  if (!dataSource.isInitialized) return null;
  const pool: unknown = (dataSource.driver as unknown as { master?: unknown }).master;
  return isPgPool(pool) ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : null;
}
