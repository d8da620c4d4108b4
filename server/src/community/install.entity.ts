import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { Team } from "../identity/team.entity";
import { User } from "../identity/user.entity";
import { Skill } from "../catalog/skill.entity";
import { SkillVersion } from "../catalog/skill-version.entity";

/**
 * A tenant (team) installed a version; each row is one download. Append-only: the download counters
 * (Skill.downloadCount, SkillVersion.downloadCount) are rolled up from these rows by DownloadCounters.
 */
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

  /**
   * The id of the transaction that inserted the row (64 bits with the epoch, so it never wraps).
   * Unlike created_at or a sequence, it tells when every row with a smaller value is committed or
   * gone: once it is below the oldest running transaction (DownloadCounters). 0 for the rows from
   * before roll-ups, which the counters already held. txid_current() is pg_current_xact_id() as a
   * bigint: TypeORM strips casts when it compares defaults, so a cast default would never match.
   */
  @Index()
  @Column({ type: "bigint", default: () => "txid_current()", select: false })
  xactId: string;
}
