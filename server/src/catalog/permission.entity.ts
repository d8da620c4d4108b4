import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from "typeorm";

export enum PermissionRisk {
  LOW = "LOW",
  MEDIUM = "MEDIUM",
  HIGH = "HIGH",
  CRITICAL = "CRITICAL",
}

/** The permission catalogue. Scoped forms (`database:read:analytics`) resolve to their prefix entry. */
@Entity()
export class Permission {
  @PrimaryColumn({ type: "text" })
  name: string;

  @Column({ type: "text" })
  description: string;

  @Column({ type: "enum", enum: PermissionRisk, enumName: "permission_risk" })
  risk: PermissionRisk;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ type: "timestamptz" })
  updatedAt: Date;
}
