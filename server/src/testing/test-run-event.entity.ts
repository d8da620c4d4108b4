import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { TestRunStatus } from "./test-run.entity";

export enum TestRunEventKind {
  LOG = "LOG",
  STATUS = "STATUS",
  /** An eval case was scored (eval runs only); `text` is the case's name. */
  CASE = "CASE",
}

export enum LogStream {
  STDOUT = "STDOUT",
  STDERR = "STDERR",
}

/**
 * Stored live output of a sandbox run (a test run, or an eval run: their ids never collide and their
 * statuses share one enum), so a late subscriber replays from the start. `seq` increases per run.
 */
@Entity()
@Index(["runId", "seq"], { unique: true })
export class TestRunEvent {
  @PrimaryGeneratedColumn("increment", { type: "bigint" })
  id: string;

  @Column({ type: "uuid" })
  runId: string;

  @Column({ type: "integer" })
  seq: number;

  @Column({ type: "enum", enum: TestRunEventKind, enumName: "test_run_event_kind" })
  kind: TestRunEventKind;

  @Column({ type: "enum", enum: LogStream, enumName: "log_stream", nullable: true })
  stream: LogStream | null;

  @Column({ type: "text", nullable: true })
  text: string | null;

  @Column({ type: "enum", enum: TestRunStatus, enumName: "test_run_status", nullable: true })
  status: TestRunStatus | null;

  @CreateDateColumn({ type: "timestamptz" })
  at: Date;
}
