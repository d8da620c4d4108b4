import { Column, CreateDateColumn, Entity, Index, ManyToOne, PrimaryGeneratedColumn } from "typeorm";
import { Skill } from "../catalog/skill.entity";
import { SkillVersion } from "../catalog/skill-version.entity";
import { EvalRun } from "../evals/eval-run.entity";
import { User } from "../identity/user.entity";

/** What a quality review concluded: PULL also deprecates the version reviewed. */
export enum QualityReviewOutcome {
  PASS = "PASS",
  NEEDS_WORK = "NEEDS_WORK",
  PULL = "PULL",
}

/** A reviewer's periodic look at how a skill holds up in use; the cadence comes from its usage tier. */
@Entity()
@Index(["skillId", "createdAt"])
export class QualityReview {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @ManyToOne(() => Skill, { onDelete: "CASCADE" })
  skill: Skill;

  @Column({ type: "uuid" })
  skillId: string;

  @ManyToOne(() => SkillVersion, { onDelete: "CASCADE" })
  version: SkillVersion;

  @Column({ type: "uuid" })
  versionId: string;

  @Column({ type: "enum", enum: QualityReviewOutcome, enumName: "quality_review_outcome" })
  outcome: QualityReviewOutcome;

  @Column({ type: "text" })
  notes: string;

  @ManyToOne(() => User, { onDelete: "SET NULL" })
  reviewer: User | null;

  @Column({ type: "uuid", nullable: true })
  reviewerId: string | null;

  /** The eval run the reviewer relied on (a run of this version), if they named one. */
  @ManyToOne(() => EvalRun, { onDelete: "SET NULL", nullable: true })
  evalRun: EvalRun | null;

  @Column({ type: "uuid", nullable: true })
  evalRunId: string | null;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}

/** What kind of change to the platform makes Low-tier skills due for a review. */
export enum PlatformUpdateKind {
  RUNTIME_IMAGE = "RUNTIME_IMAGE",
  CLAUDE_CODE = "CLAUDE_CODE",
  OTHER = "OTHER",
}

/** A significant platform update an admin marked: every Low-tier skill not reviewed since is due. */
@Entity()
export class PlatformUpdate {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "enum", enum: PlatformUpdateKind, enumName: "platform_update_kind" })
  kind: PlatformUpdateKind;

  @Column({ type: "text" })
  description: string;

  @ManyToOne(() => User, { onDelete: "SET NULL" })
  createdBy: User | null;

  @Column({ type: "uuid", nullable: true })
  createdById: string | null;

  @Index()
  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}

/** That a skill's review fell due at `dueSince` was announced once (audit entry and QUALITY_REVIEW_DUE webhook). */
@Entity()
@Index(["skillId", "dueSince"], { unique: true })
export class QualityReviewNotice {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @ManyToOne(() => Skill, { onDelete: "CASCADE" })
  skill: Skill;

  @Column({ type: "uuid" })
  skillId: string;

  @Column({ type: "timestamptz" })
  dueSince: Date;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
