import { Column, Entity, Index, ManyToOne, OneToOne, JoinColumn, PrimaryColumn, UpdateDateColumn } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { User } from "../identity/user.entity";

/**
 * What the directory says about one user beyond the user row: the groups the provider's claims
 * listed at their last sign-in, and the SCIM userName and externalId a provisioning client knows
 * them by. Created at the first sign-in or SCIM request that concerns them.
 */
@Entity()
export class DirectoryUser {
  @PrimaryColumn({ type: "uuid" })
  userId: string;

  @OneToOne(() => User, { onDelete: "CASCADE" })
  @JoinColumn()
  user: User;

  @Column({ type: "text", unique: true, nullable: true })
  scimUserName: string | null;

  @Column({ type: "text", nullable: true })
  scimExternalId: string | null;

  @Column({ type: "text", array: true, default: "{}" })
  claimedGroups: string[];

  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt: Date;
}

/** A group a SCIM client pushes; its members' memberships and roles follow the group mappings of its displayName. */
@Entity()
export class DirectoryGroup extends BaseEntity {
  @Column({ type: "text", unique: true })
  displayName: string;

  @Column({ type: "text", nullable: true })
  externalId: string | null;
}

@Entity()
@Index(["groupId", "userId"], { unique: true })
export class DirectoryGroupMember extends BaseEntity {
  @ManyToOne(() => DirectoryGroup, { onDelete: "CASCADE" })
  group: DirectoryGroup;

  @Column({ type: "uuid" })
  groupId: string;

  @ManyToOne(() => User, { onDelete: "CASCADE" })
  user: User;

  @Index()
  @Column({ type: "uuid" })
  userId: string;
}
