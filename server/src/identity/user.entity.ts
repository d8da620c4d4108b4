import { Column, Entity } from "typeorm";
import { BaseEntity } from "../common/base.entity";

export enum GlobalRole {
  ADMIN = "ADMIN",
  REVIEWER = "REVIEWER",
}

/**
 * A PERSON gets credentials only through an invitation they redeem, or by creating more for
 * themselves; a SERVICE account (CI, automation) gets tokens from admins and holds no global role,
 * so it can never review.
 */
export enum UserKind {
  PERSON = "PERSON",
  SERVICE = "SERVICE",
}

@Entity()
export class User extends BaseEntity {
  @Column({ type: "text", unique: true })
  handle: string;

  @Column({ type: "text", unique: true })
  email: string;

  @Column({ type: "enum", enum: GlobalRole, enumName: "global_role", array: true, default: "{}" })
  roles: GlobalRole[];

  @Column({ type: "enum", enum: UserKind, enumName: "user_kind", default: UserKind.PERSON })
  kind: UserKind;
}
