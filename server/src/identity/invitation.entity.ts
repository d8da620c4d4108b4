import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { User } from "./user.entity";

/**
 * A one-time code an admin creates for a person with no working credential; redeeming it (without a
 * token) creates that person's token. Only the code's sha256 is stored. Expires; single use; a newer
 * invitation for the same person supersedes an unredeemed one.
 */
@Entity()
export class Invitation extends BaseEntity {
  @ManyToOne(() => User, { onDelete: "CASCADE" })
  user: User;

  @Index()
  @Column({ type: "uuid" })
  userId: string;

  @Column({ type: "char", length: 64, unique: true })
  codeSha256: string;

  /** The admin who created it; null when the system did (first start, test seeds). */
  @Column({ type: "uuid", nullable: true })
  createdById: string | null;

  @Column({ type: "timestamptz" })
  expiresAt: Date;

  @Column({ type: "timestamptz", nullable: true })
  redeemedAt: Date | null;

  /** Set when a newer invitation replaced it before it was redeemed. */
  @Column({ type: "timestamptz", nullable: true })
  supersededAt: Date | null;

  /** The token its redemption created. */
  @Column({ type: "uuid", nullable: true })
  tokenId: string | null;
}
