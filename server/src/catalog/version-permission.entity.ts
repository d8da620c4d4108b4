import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { Permission } from "./permission.entity";
import { SkillVersion } from "./skill-version.entity";

/** One permission a version requests; `name` may be a scoped form of the catalogue entry. */
@Entity()
@Index(["versionId", "name"], { unique: true })
export class VersionPermission extends BaseEntity {
  @ManyToOne(() => SkillVersion, { onDelete: "CASCADE" })
  version: SkillVersion;

  @Column({ type: "uuid" })
  versionId: string;

  @Column({ type: "text" })
  name: string;

  @ManyToOne(() => Permission, { onDelete: "RESTRICT" })
  catalogueEntry: Permission;

  @Column({ type: "text" })
  catalogueEntryName: string;
}
