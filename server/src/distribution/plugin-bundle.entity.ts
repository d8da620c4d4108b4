import { Column, CreateDateColumn, Entity, JoinColumn, OneToOne, PrimaryColumn } from "typeorm";
import { SkillVersion } from "../catalog/skill-version.entity";

/**
 * A version's Claude Code plugin archive, built once when the version became installable; the bytes
 * live in the blob store as `<sha256>.zip`. Rows are never updated (a trigger refuses it), so a
 * version's plugin digest never changes, and neither does what Claude Code caches under its version.
 */
@Entity()
export class PluginBundle {
  @PrimaryColumn({ type: "uuid" })
  versionId: string;

  @OneToOne(() => SkillVersion, { onDelete: "RESTRICT" })
  @JoinColumn()
  version: SkillVersion;

  @Column({ type: "char", length: 64, unique: true })
  sha256: string;

  @Column({ type: "integer" })
  size: number;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
