import { Check, Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { User } from "../identity/user.entity";
import { Skill } from "../catalog/skill.entity";

/** A user's 1-5 rating of a skill with optional text; one per user per skill, editable. (Not a governance review.) */
@Entity()
@Index(["skillId", "userId"], { unique: true })
@Check("rating_value_range", `"rating" BETWEEN 1 AND 5`)
export class Rating extends BaseEntity {
  @ManyToOne(() => Skill, { onDelete: "CASCADE" })
  skill: Skill;

  @Column({ type: "uuid" })
  skillId: string;

  @ManyToOne(() => User, { onDelete: "CASCADE" })
  user: User;

  @Column({ type: "uuid" })
  userId: string;

  @Column({ type: "smallint" })
  rating: number;

  @Column({ type: "text", default: "" })
  text: string;
}
