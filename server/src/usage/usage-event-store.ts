import type { DataSource, EntityManager } from "typeorm";

const DAY_MS = 86_400_000;
const PARTITION = /^usage_event_p(\d{4})(\d{2})(\d{2})$/;

/** `usage_event_p20261206` for 2026-12-06. */
export function partitionName(day: string): string {
  return `usage_event_p${day.replace(/-/g, "")}`;
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

/**
 * The raw usage events: one table partitioned by day (created by a hand-written migration, as
 * TypeORM cannot declare partitions), one partition per UTC day made on first use, and partitions
 * past the retention dropped whole, so deleting old events never scans or bloats anything.
 */
export class UsageEventStore {
  private readonly known = new Set<string>();

  constructor(private readonly dataSource: DataSource) {}

  /** Makes sure a partition exists for each day (concurrent callers serialise on an advisory lock). */
  async ensurePartitions(days: Iterable<string>): Promise<void> {
    const missing = [...new Set(days)].filter((d) => !this.known.has(d));
    if (missing.length === 0) return;
    await this.dataSource.transaction(async (em) => {
      await em.query("SELECT pg_advisory_xact_lock(hashtext('usage_event partitions'))");
      for (const day of missing) {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`Not a day: ${day}`);
        await em.query(`CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF usage_event FOR VALUES FROM ('${day}') TO ('${nextDay(day)}')`);
      }
    });
    for (const day of missing) this.known.add(day);
  }

  /** Forgets what this process knew of partitions (another process may have dropped one). */
  forget(): void {
    this.known.clear();
  }

  /** Drops every partition whose day is before `earliestKept`; answers the days dropped. */
  async dropBefore(earliestKept: string): Promise<string[]> {
    const dropped: string[] = [];
    await this.dataSource.transaction(async (em) => {
      await em.query("SELECT pg_advisory_xact_lock(hashtext('usage_event partitions'))");
      for (const { name } of await this.partitions(em)) {
        const match = PARTITION.exec(name);
        if (!match) continue;
        const day = `${match[1]}-${match[2]}-${match[3]}`;
        if (day >= earliestKept) continue;
        await em.query(`DROP TABLE ${name}`);
        this.known.delete(day);
        dropped.push(day);
      }
    });
    return dropped;
  }

  private partitions(em: EntityManager): Promise<{ name: string }[]> {
    return em.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = 'usage_event' ORDER BY c.relname`,
    );
  }
}
