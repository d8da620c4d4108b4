import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { Skill } from "./skill.entity";
import { SkillVersion } from "./skill-version.entity";

/** A version's dependency on another skill by name and semver range. */
@Entity()
@Index(["versionId", "dependencySkillId"], { unique: true })
export class VersionDependency extends BaseEntity {
  @ManyToOne(() => SkillVersion, { onDelete: "CASCADE" })
  version: SkillVersion;

  @Column({ type: "uuid" })
  versionId: string;

  @ManyToOne(() => Skill, { onDelete: "RESTRICT" })
  dependencySkill: Skill;

  @Index()
  @Column({ type: "uuid" })
  dependencySkillId: string;

  @Column({ type: "text" })
  range: string;
}
