import type { DataSource } from "typeorm";
import { DownloadCounters } from "../../src/community/download-counters";
import { waitFor } from "./wait";

/**
 * Rolls up until every install committed before the call is counted, and answers how many installs
 * those roll-ups added. One roll-up may stop short: it never counts past a write transaction still open
 * in the database (a job queue's, say), and this waits those out.
 */
export async function rollUpAll(dataSource: DataSource, counters = new DownloadCounters(dataSource)): Promise<number> {
  const [{ target }] = (await dataSource.query(`SELECT txid_snapshot_xmax(txid_current_snapshot()) AS target`)) as { target: string }[];
  let installs = 0;
  await waitFor(
    async () => {
      installs += await counters.rollUp();
      const [{ watermark }] = (await dataSource.query(`SELECT watermark FROM download_rollup WHERE id = 1`)) as { watermark: string }[];
      return BigInt(watermark) >= BigInt(target);
    },
    "the roll-up to pass every install committed before it",
    10_000,
    20,
  );
  return installs;
}
