import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { User } from "./user.entity";

/** Only the sha256 of the secret is stored; the secret itself is shown once, at creation. */
@Entity()
export class ApiToken extends BaseEntity {
  @ManyToOne(() => User, { onDelete: "CASCADE" })
  user: User;

  @Index()
  @Column({ type: "uuid" })
  userId: string;

  @Column({ type: "text" })
  name: string;

  @Column({ type: "char", length: 64, unique: true })
  secretSha256: string;

  /** The first characters of the secret, so a user can tell tokens apart in a list. */
  @Column({ type: "text" })
  prefix: string;

  @Column({ type: "timestamptz", nullable: true })
  lastUsedAt: Date | null;

  @Column({ type: "timestamptz", nullable: true })
  revokedAt: Date | null;
}
