import { Column, Entity, Index, ManyToOne } from "typeorm";
import type { EvalSuite, SkillManifest } from "@skillyard/core";
import { BaseEntity } from "../common/base.entity";
import { User } from "../identity/user.entity";
import { Skill } from "./skill.entity";
import { VersionStatus } from "./version-status";

/** Immutable once created, except for its lifecycle status. */
@Entity()
@Index(["skillId", "version"], { unique: true })
export class SkillVersion extends BaseEntity {
  @ManyToOne(() => Skill, { onDelete: "CASCADE" })
  skill: Skill;

  @Column({ type: "uuid" })
  skillId: string;

  @Column({ type: "text" })
  version: string;

  @Index()
  @Column({ type: "enum", enum: VersionStatus, enumName: "version_status" })
  status: VersionStatus;

  /** Why the version is in its status (rejection reason, yank reason, deprecation message). */
  @Column({ type: "text", nullable: true })
  statusReason: string | null;

  @Column({ type: "jsonb" })
  manifest: SkillManifest;

  @Index()
  @Column({ type: "char", length: 64 })
  packageSha256: string;

  @Column({ type: "integer" })
  packageSize: number;

  /**
   * Not selected by default (up to README_MAX_BYTES per version, and lists of versions never need
   * it): undefined on a loaded version; SkillVersion.readme reads it through `readmeByVersionId`.
   */
  @Column({ type: "text", nullable: true, select: false })
  readme?: string | null;

  /** The package's evals/suite.yaml as validated at publish; null when it ships none. */
  @Column({ type: "jsonb", nullable: true })
  evalSuite: EvalSuite | null;

  /** Paths, sizes and digests of the files in the package (for diffs and review). */
  @Column({ type: "jsonb", default: () => "'[]'" })
  files: { path: string; size: number; sha256: string }[];

  @ManyToOne(() => User, { onDelete: "RESTRICT" })
  publishedBy: User;

  @Column({ type: "uuid" })
  publishedById: string;

  @Column({ type: "timestamptz", nullable: true })
  publishedAt: Date | null;

  /** For a DEPRECATED version: the skill to use instead, if the maintainers named one. */
  @Column({ type: "uuid", nullable: true })
  replacementSkillId: string | null;

  /** Installs of this version up to the last roll-up of the install log (DownloadCounters). */
  @Column({ type: "integer", default: 0 })
  downloadCount: number;
}
