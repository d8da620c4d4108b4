import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { Skill } from "./skill.entity";
import { SkillVersion } from "./skill-version.entity";

/**
 * A named pointer at one of a skill's versions (`stable`, `beta`, …), moved by maintainers.
 * `latest` is not stored: it always follows the highest published version (Skill.latestVersionId).
 * Every move is in the audit log, so a rollback is just a move back.
 */
@Entity()
@Index(["skillId", "name"], { unique: true })
export class SkillChannel extends BaseEntity {
  @ManyToOne(() => Skill, { onDelete: "CASCADE" })
  skill: Skill;

  @Column({ type: "uuid" })
  skillId: string;

  @Column({ type: "text" })
  name: string;

  @ManyToOne(() => SkillVersion, { onDelete: "RESTRICT" })
  version: SkillVersion;

  @Column({ type: "uuid" })
  versionId: string;

  @Column({ type: "uuid", nullable: true })
  movedById: string | null;
}
