import type { GraderResult } from "@skillyard/core";
import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { EvalRun } from "./eval-run.entity";

/** One case of an eval run: what went in, what came out, and how it was scored. */
@Entity()
@Index(["runId", "index"], { unique: true })
export class EvalCaseResult extends BaseEntity {
  @ManyToOne(() => EvalRun, { onDelete: "CASCADE" })
  run: EvalRun;

  @Column({ type: "uuid" })
  runId: string;

  /** Position in the suite (0-based). */
  @Column({ type: "integer" })
  index: number;

  @Column({ type: "text" })
  name: string;

  @Column({ type: "double precision" })
  weight: number;

  @Column({ type: "jsonb" })
  input: unknown;

  /** The entry point's stdout (at most EVAL_OUTPUT_CAP_BYTES); null when the case never ran. */
  @Column({ type: "text", nullable: true })
  output: string | null;

  @Column({ type: "integer", nullable: true })
  exitCode: number | null;

  @Column({ type: "boolean", default: false })
  timedOut: boolean;

  @Column({ type: "boolean", default: false })
  truncated: boolean;

  @Column({ type: "integer", nullable: true })
  durationMs: number | null;

  /** The deterministic graders' results, in order (json and outputs_schema first). */
  @Column({ type: "jsonb", default: () => "'[]'" })
  graders: GraderResult[];

  @Column({ type: "text", nullable: true })
  rubric: string | null;

  @Column({ type: "double precision", nullable: true })
  judgeScore: number | null;

  /** The judge's reason, or why it gave no score. */
  @Column({ type: "text", nullable: true })
  judgeReason: string | null;

  /** 0–1; null when not scored (a rubric case the judge did not score). */
  @Column({ type: "double precision", nullable: true })
  score: number | null;

  /** Scored at 1 (deterministic) or at or above the suite's minimum (rubric). */
  @Column({ type: "boolean", default: false })
  passed: boolean;

  /** Why the case lost points, in one line (the first failing grader, a timeout, the judge's reason). */
  @Column({ type: "text", nullable: true })
  reason: string | null;
}
