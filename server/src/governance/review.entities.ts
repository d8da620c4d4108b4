import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { BaseEntity } from "../common/base.entity";

export enum ReviewDecisionKind {
  APPROVE = "APPROVE",
  REJECT = "REJECT",
}

/** Why a version waits for a reviewer, and how many distinct approvals it needs. One per version. */
@Entity()
export class ReviewRequest extends BaseEntity {
  @Index({ unique: true })
  @Column({ type: "uuid" })
  versionId: string;

  /** e.g. [{ kind: "RISK", permission: "network:outbound", risk: "HIGH" }, { kind: "ESCALATION", added: [...] }] */
  @Column({ type: "jsonb" })
  reasons: Record<string, unknown>[];

  /** 2 when the version requests a CRITICAL permission (two-person rule), else 1. */
  @Column({ type: "integer" })
  requiredApprovals: number;

  /** The exact package reviewed; a decision for other bytes does not count. */
  @Column({ type: "char", length: 64 })
  packageSha256: string;

  @Column({ type: "enum", enum: ReviewDecisionKind, enumName: "review_decision_kind", nullable: true })
  outcome: ReviewDecisionKind | null;

  @Column({ type: "timestamptz", nullable: true })
  decidedAt: Date | null;
}

/** One reviewer's approval or rejection, bound to the package digest it was made for. */
@Entity()
@Index(["versionId", "reviewerId"], { unique: true })
export class ReviewDecision {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "uuid" })
  versionId: string;

  @Column({ type: "uuid" })
  reviewerId: string;

  /** The API token the decision was made with (how that credential came to be is shown with it); null for decisions made in a console session, or recorded before tokens were. */
  @Column({ type: "uuid", nullable: true })
  tokenId: string | null;

  /** The console session (single sign-on) the decision was made in; null for decisions made with a token. */
  @Column({ type: "uuid", nullable: true })
  sessionId: string | null;

  @Column({ type: "enum", enum: ReviewDecisionKind, enumName: "review_decision_kind" })
  decision: ReviewDecisionKind;

  @Column({ type: "text" })
  comment: string;

  @Column({ type: "char", length: 64 })
  packageSha256: string;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
