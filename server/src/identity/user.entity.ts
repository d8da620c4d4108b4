import { Column, Entity } from "typeorm";
import { BaseEntity } from "../common/base.entity";

export enum GlobalRole {
  ADMIN = "ADMIN",
  REVIEWER = "REVIEWER",
}

@Entity()
export class User extends BaseEntity {
  @Column({ type: "text", unique: true })
  handle: string;

  @Column({ type: "text", unique: true })
  email: string;

  @Column({ type: "enum", enum: GlobalRole, enumName: "global_role", array: true, default: "{}" })
  roles: GlobalRole[];
}
