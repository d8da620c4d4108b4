import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { Skill } from "../catalog/skill.entity";
import { Team } from "../identity/team.entity";
import { User } from "../identity/user.entity";

/**
 * A skill every machine of a team (or, with no team, of the whole organisation) gets: generated
 * managed settings enable it. Two partial indexes keep one row per skill and team, and one per
 * skill organisation-wide (a plain unique index treats NULL teams as all different).
 */
@Entity()
@Index("required_skill_team_uq", ["skillId", "teamId"], { unique: true, where: `"team_id" IS NOT NULL` })
@Index("required_skill_org_uq", ["skillId"], { unique: true, where: `"team_id" IS NULL` })
export class RequiredSkill extends BaseEntity {
  @ManyToOne(() => Skill, { onDelete: "CASCADE" })
  skill: Skill;

  @Column({ type: "uuid" })
  skillId: string;

  @ManyToOne(() => Team, { onDelete: "CASCADE" })
  team: Team | null;

  @Index()
  @Column({ type: "uuid", nullable: true })
  teamId: string | null;

  @ManyToOne(() => User, { onDelete: "SET NULL" })
  createdBy: User | null;

  @Column({ type: "uuid", nullable: true })
  createdById: string | null;
}
