import { Column, Entity, Index } from "typeorm";
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
@Index(["oidcIssuer", "oidcSubject"], { unique: true })
export class User extends BaseEntity {
  @Column({ type: "text", unique: true })
  handle: string;

  @Column({ type: "text", unique: true })
  email: string;

  @Column({ type: "enum", enum: GlobalRole, enumName: "global_role", array: true, default: "{}" })
  roles: GlobalRole[];

  @Column({ type: "enum", enum: UserKind, enumName: "user_kind", default: UserKind.PERSON })
  kind: UserKind;

  /** The person's display name, from the directory (name claim, SCIM); null for local accounts. */
  @Column({ type: "text", nullable: true })
  name: string | null;

  /** Set when the directory deactivated the person (SCIM): no sign-in, no credential works. */
  @Column({ type: "timestamptz", nullable: true })
  deactivatedAt: Date | null;

  /**
   * The directory identity this user is (the provider's issuer and `sub`); both null for a user who
   * never signed in through single sign-on. One person is one user, whichever way they sign in.
   */
  @Column({ type: "text", nullable: true })
  oidcIssuer: string | null;

  @Column({ type: "text", nullable: true })
  oidcSubject: string | null;

  /**
   * The part of `roles` that the directory granted (group mappings), so that a role removed in the
   * directory is removed at the next sign-in while roles an admin gave by hand stay.
   */
  @Column({ type: "enum", enum: GlobalRole, enumName: "global_role", array: true, default: "{}" })
  directoryRoles: GlobalRole[];
}
