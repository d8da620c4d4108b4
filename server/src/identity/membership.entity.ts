import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { Team } from "./team.entity";
import { User } from "./user.entity";

export enum TeamRole {
  MEMBER = "MEMBER",
  MAINTAINER = "MAINTAINER",
}

@Entity()
@Index(["teamId", "userId"], { unique: true })
export class Membership extends BaseEntity {
  @ManyToOne(() => Team, { onDelete: "CASCADE" })
  team: Team;

  @Column({ type: "uuid" })
  teamId: string;

  @ManyToOne(() => User, { onDelete: "CASCADE" })
  user: User;

  @Index()
  @Column({ type: "uuid" })
  userId: string;

  @Column({ type: "enum", enum: TeamRole, enumName: "team_role", default: TeamRole.MEMBER })
  role: TeamRole;
}
