import type PgBoss from "pg-boss";
import pg from "pg";

/**
 * Creates a pg-boss queue, one process at a time across the installation.
 *
 * pg-boss's create_queue inserts the queue's row and then, in the same transaction, ALTERs the
 * queue's new partition to reference `pgboss.queue`. Two processes doing this at once (API replicas
 * and workers starting together on a fresh database, as compose does) deadlock: one waits for the
 * other's uncommitted row, the other for a lock on `pgboss.queue` the first one holds. A session
 * advisory lock, held on a connection of its own while pg-boss works on its pool, makes them take
 * turns; whoever comes second finds the queue and returns (create_queue does nothing then).
 */
export async function createQueueInTurn(boss: PgBoss, name: string, databaseUrl: string): Promise<void> {
  const lock = new pg.Client({ connectionString: databaseUrl, application_name: "skillyard-queue-setup" });
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock(hashtext('skillyard pg-boss create_queue'))");
    await boss.createQueue(name);
  } finally {
    // Ending the session releases the lock too, also when createQueue threw.
    await lock.end();
  }
}
