import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { Team } from "./team.entity";
import { User } from "./user.entity";

export enum TeamRole {
  MEMBER = "MEMBER",
  MAINTAINER = "MAINTAINER",
}

/** Who granted a membership: an admin or maintainer by hand, or the directory through a group mapping. */
export enum MembershipSource {
  MANUAL = "MANUAL",
  /** Follows the directory: changed or removed when the person's groups change (sign-in, SCIM). */
  DIRECTORY = "DIRECTORY",
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

  @Column({ type: "enum", enum: MembershipSource, enumName: "membership_source", default: MembershipSource.MANUAL })
  source: MembershipSource;
}
