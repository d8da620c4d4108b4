import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { Team } from "../identity/team.entity";
import { User } from "../identity/user.entity";
import { Skill } from "../catalog/skill.entity";
import { SkillVersion } from "../catalog/skill-version.entity";

/** A tenant (team) installed a version; each row is one download. */
@Entity()
@Index(["skillId", "createdAt"])
@Index(["tenantId", "createdAt"])
export class Install extends BaseEntity {
  @ManyToOne(() => Team, { onDelete: "CASCADE" })
  tenant: Team;

  @Column({ type: "uuid" })
  tenantId: string;

  @ManyToOne(() => Skill, { onDelete: "CASCADE" })
  skill: Skill;

  @Column({ type: "uuid" })
  skillId: string;

  @ManyToOne(() => SkillVersion, { onDelete: "CASCADE" })
  version: SkillVersion;

  @Index()
  @Column({ type: "uuid" })
  versionId: string;

  @ManyToOne(() => User, { onDelete: "SET NULL" })
  installedBy: User;

  @Column({ type: "uuid", nullable: true })
  installedById: string | null;

  /** True when installed as a dependency of another skill rather than requested by name. */
  @Column({ type: "boolean", default: false })
  transitive: boolean;
}
