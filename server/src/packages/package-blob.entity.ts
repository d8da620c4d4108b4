import { Column, CreateDateColumn, Entity, ManyToOne, PrimaryColumn } from "typeorm";
import { User } from "../identity/user.entity";

/** An uploaded package tarball; the bytes live in the blob store under their sha256. */
@Entity()
export class PackageBlob {
  @PrimaryColumn({ type: "char", length: 64 })
  sha256: string;

  @Column({ type: "integer" })
  size: number;

  @ManyToOne(() => User, { onDelete: "SET NULL" })
  uploadedBy: User;

  @Column({ type: "uuid", nullable: true })
  uploadedById: string | null;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
