import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { SkillVersion } from "../catalog/skill-version.entity";

/** QUEUED and RUNNING are in flight; the rest are final (INFRA_ERROR only once retries are spent). */
export enum TestRunStatus {
  QUEUED = "QUEUED",
  RUNNING = "RUNNING",
  PASSED = "PASSED",
  FAILED = "FAILED",
  TIMEOUT = "TIMEOUT",
  MEMORY_LIMIT = "MEMORY_LIMIT",
  ERROR = "ERROR",
  INFRA_ERROR = "INFRA_ERROR",
}

export const FINAL_TEST_RUN_STATUSES: readonly TestRunStatus[] = [
  TestRunStatus.PASSED,
  TestRunStatus.FAILED,
  TestRunStatus.TIMEOUT,
  TestRunStatus.MEMORY_LIMIT,
  TestRunStatus.ERROR,
  TestRunStatus.INFRA_ERROR,
];

export interface StoredTestCase {
  name: string;
  classname: string;
  status: "passed" | "failed" | "skipped";
  message: string | null;
  durationMs: number | null;
}

/** One execution of a version's tests in the sandbox (a version may be re-run after an infrastructure failure). */
@Entity()
@Index(["versionId", "createdAt"])
export class TestRun extends BaseEntity {
  @ManyToOne(() => SkillVersion, { onDelete: "CASCADE" })
  version: SkillVersion;

  @Column({ type: "uuid" })
  versionId: string;

  @Index()
  @Column({ type: "enum", enum: TestRunStatus, enumName: "test_run_status", default: TestRunStatus.QUEUED })
  status: TestRunStatus;

  /** Why the run ended as it did, in words a skill author understands. */
  @Column({ type: "text", nullable: true })
  reason: string | null;

  @Column({ type: "integer", default: 0 })
  passed: number;

  @Column({ type: "integer", default: 0 })
  failed: number;

  @Column({ type: "integer", default: 0 })
  skipped: number;

  @Column({ type: "double precision", nullable: true })
  passRate: number | null;

  @Column({ type: "jsonb", default: () => "'[]'" })
  tests: StoredTestCase[];

  @Column({ type: "integer", nullable: true })
  exitCode: number | null;

  @Column({ type: "integer", default: 0 })
  logBytes: number;

  @Column({ type: "boolean", default: false })
  logTruncated: boolean;

  /** How many times a worker started this run (crash recovery and infrastructure retries add attempts). */
  @Column({ type: "integer", default: 0 })
  attempts: number;

  /** The pg-boss job that carries this run. */
  @Column({ type: "uuid", nullable: true })
  jobId: string | null;

  @Column({ type: "timestamptz", nullable: true })
  startedAt: Date | null;

  @Column({ type: "timestamptz", nullable: true })
  finishedAt: Date | null;
}
