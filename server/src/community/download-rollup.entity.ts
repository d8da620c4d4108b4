import { Check, Column, Entity, PrimaryColumn } from "typeorm";

/**
 * How far the download counters have counted the install log: one row, moved by DownloadCounters in
 * the same transaction as the counters it adds to, so a crash loses both or neither.
 */
@Entity()
@Check("download_rollup_one_row", `"id" = 1`)
export class DownloadRollup {
  @PrimaryColumn({ type: "smallint" })
  id: number;

  /** Every install whose xact_id is below this is in the counters, and none at or above it. */
  @Column({ type: "bigint" })
  watermark: string;
}
