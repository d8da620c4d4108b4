import type { QueryRunner } from "typeorm";

/**
 * PostgreSQL session advisory locks shared by every kind of sandbox run (tests, evals). They die
 * with the worker's connection, so a RUNNING run whose lock is free has no live worker, and the N
 * slot locks cap the sandboxes running at once across every worker of the installation.
 */
export const runLockKey = (runId: string): string => `skillyard:run:${runId}`;
const slotLockKey = (slot: number): string => `skillyard:sandbox-slot:${slot}`;

export async function tryLock(runner: QueryRunner, key: string): Promise<boolean> {
  const [row] = (await runner.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`, [key])) as { locked: boolean }[];
  return row.locked;
}

export async function unlock(runner: QueryRunner, key: string): Promise<void> {
  await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [key]).catch(() => undefined);
}

/**
 * Waits for one of the `slots` sandbox slots; null when `stopped()` turns true first. `onWait` is
 * called once, when every slot is busy at the first try (to tell the run's watchers).
 */
export async function acquireSandboxSlot(runner: QueryRunner, slots: number, stopped: () => boolean, onWait: () => Promise<void>): Promise<number | null> {
  let announced = false;
  while (!stopped()) {
    for (let slot = 0; slot < slots; slot++) if (await tryLock(runner, slotLockKey(slot))) return slot;
    if (!announced) {
      await onWait();
      announced = true;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

export async function releaseSandboxSlot(runner: QueryRunner, slot: number): Promise<void> {
  await unlock(runner, slotLockKey(slot));
}

/**
 * Crash recovery's loop: runs `recover` for each run whose run lock is free (no live worker holds
 * it), holding that lock meanwhile so no worker takes the run up halfway. Runs held elsewhere are skipped.
 */
export async function forEachUnheldRun(runner: QueryRunner, runIds: readonly string[], recover: (runId: string) => Promise<void>): Promise<void> {
  for (const runId of runIds) {
    if (!(await tryLock(runner, runLockKey(runId)))) continue;
    try {
      await recover(runId);
    } finally {
      await unlock(runner, runLockKey(runId));
    }
  }
}
