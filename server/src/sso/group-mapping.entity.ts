import { Check, Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { TeamRole } from "../identity/membership.entity";
import { Team } from "../identity/team.entity";
import { GlobalRole } from "../identity/user.entity";

/**
 * A directory group's meaning in Skillyard: membership of a team with a role, or a global role.
 * Applied to each person at every sign-in (and when SCIM changes a group), admins edit them.
 */
@Entity()
@Index("group_mapping_team_uq", ["group", "teamId"], { unique: true, where: `"team_id" IS NOT NULL` })
@Index("group_mapping_role_uq", ["group", "role"], { unique: true, where: `"role" IS NOT NULL` })
@Check(
  "group_mapping_team_or_role",
  `("team_id" IS NOT NULL AND "team_role" IS NOT NULL AND "role" IS NULL) OR ("team_id" IS NULL AND "team_role" IS NULL AND "role" IS NOT NULL)`,
)
export class GroupMapping extends BaseEntity {
  /** The group's name exactly as the provider sends it (groups claim, SCIM displayName). */
  @Column({ type: "text" })
  group: string;

  @ManyToOne(() => Team, { onDelete: "CASCADE" })
  team: Team | null;

  @Column({ type: "uuid", nullable: true })
  teamId: string | null;

  @Column({ type: "enum", enum: TeamRole, enumName: "team_role", nullable: true })
  teamRole: TeamRole | null;

  @Column({ type: "enum", enum: GlobalRole, enumName: "global_role", nullable: true })
  role: GlobalRole | null;
}
