import { Column, Entity, Index, ManyToOne } from "typeorm";
import { SkillVersion } from "../catalog/skill-version.entity";
import { BaseEntity } from "../common/base.entity";

/**
 * QUEUED and RUNNING are in flight; the rest are final. PASSED and FAILED compare the score of the
 * scored cases with the suite's minimum (cases that never ran, because the container died, score 0);
 * INFRA_ERROR is never the author's (Docker failed), only once retries are spent. The values are a
 * subset of TestRunStatus, so the two kinds of run share the run-event stream (test_run_event).
 * ERROR means no case could be scored (every case a rubric case, no judge):
 * there is no score to compare, and the gate says so instead of passing it.
 */
export enum EvalRunStatus {
  QUEUED = "QUEUED",
  RUNNING = "RUNNING",
  PASSED = "PASSED",
  FAILED = "FAILED",
  ERROR = "ERROR",
  INFRA_ERROR = "INFRA_ERROR",
}

export const FINAL_EVAL_RUN_STATUSES: readonly EvalRunStatus[] = [EvalRunStatus.PASSED, EvalRunStatus.FAILED, EvalRunStatus.ERROR, EvalRunStatus.INFRA_ERROR];

/** Why a run exists, which decides what its outcome does. */
export enum EvalRunPurpose {
  /** A new version of a gated skill: its score decides whether it goes on (and it waits in EVALUATING). */
  GATE = "GATE",
  /** A new version of any other skill: scored and shown, never blocking. */
  INFORMATIONAL = "INFORMATIONAL",
  /** The new version's suite run against the version `latest` pointed to, for the regression check. */
  BASELINE = "BASELINE",
  /** The latest version's suite again on today's runtime image (quality review due, platform update): drift detection. */
  REEVALUATION = "REEVALUATION",
}

/**
 * One run of an eval suite in the sandbox. `versionId` is the code that ran; `suiteVersionId` the
 * version whose evals/suite.yaml gave the cases (different only for a BASELINE run). Immutable
 * once final, like the version it scores.
 */
@Entity()
@Index(["versionId", "createdAt"])
export class EvalRun extends BaseEntity {
  @ManyToOne(() => SkillVersion, { onDelete: "CASCADE" })
  version: SkillVersion;

  @Column({ type: "uuid" })
  versionId: string;

  @ManyToOne(() => SkillVersion, { onDelete: "CASCADE" })
  suiteVersion: SkillVersion;

  @Column({ type: "uuid" })
  suiteVersionId: string;

  @Column({ type: "enum", enum: EvalRunPurpose, enumName: "eval_run_purpose" })
  purpose: EvalRunPurpose;

  @Index()
  @Column({ type: "enum", enum: EvalRunStatus, enumName: "eval_run_status", default: EvalRunStatus.QUEUED })
  status: EvalRunStatus;

  /** Why the run ended as it did, in words a skill author understands. */
  @Column({ type: "text", nullable: true })
  reason: string | null;

  /** Weighted mean of the scored cases, 0–1; null until final, or when no case could be scored. */
  @Column({ type: "double precision", nullable: true })
  score: number | null;

  /** The suite's min_score, else EVAL_DEFAULT_MIN_SCORE when the run was queued. */
  @Column({ type: "double precision" })
  minScore: number;

  @Column({ type: "integer" })
  caseCount: number;

  /** Rubric cases without a judge's score (none configured, budget spent, no valid answer). */
  @Column({ type: "integer", default: 0 })
  unscoredCases: number;

  /** For a GATE run: the BASELINE run on the version `latest` pointed to (null for a skill's first version). */
  @Column({ type: "uuid", nullable: true })
  baselineRunId: string | null;

  /** For a GATE run with a baseline: the baseline's score on the cases both runs scored (what `score` is held against). */
  @Column({ type: "double precision", nullable: true })
  baselineScore: number | null;

  /** For a REEVALUATION: the score it is compared with (the version's previous final run). */
  @Column({ type: "double precision", nullable: true })
  previousScore: number | null;

  /** GATE: scored lower than the baseline by more than EVAL_MAX_REGRESSION. REEVALUATION: lower than before (drift). */
  @Column({ type: "boolean", default: false })
  regressed: boolean;

  @Column({ type: "integer", default: 0 })
  judgeCalls: number;

  @Column({ type: "integer", default: 0 })
  logBytes: number;

  @Column({ type: "boolean", default: false })
  logTruncated: boolean;

  @Column({ type: "integer", default: 0 })
  attempts: number;

  @Column({ type: "uuid", nullable: true })
  jobId: string | null;

  @Column({ type: "timestamptz", nullable: true })
  startedAt: Date | null;

  @Column({ type: "timestamptz", nullable: true })
  finishedAt: Date | null;
}
