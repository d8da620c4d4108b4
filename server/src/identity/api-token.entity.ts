import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { User } from "./user.entity";

/**
 * How a token came to be, shown next to every review decision made with it: a person's first
 * credential comes from an invitation they redeemed; later ones they create themselves.
 */
export enum ApiTokenOrigin {
  /** The first ADMIN's token, created at first start or from SKILLYARD_BOOTSTRAP_TOKEN. */
  BOOTSTRAP = "BOOTSTRAP",
  /** Created by redeeming a one-time invitation. */
  INVITATION = "INVITATION",
  /** Created by its own user, signed in with another of their tokens. */
  SELF = "SELF",
  /** Created by an admin for a service account. */
  SERVICE_ACCOUNT = "SERVICE_ACCOUNT",
  /** Created by Skillyard for generated Claude Code settings (a CATALOG_READ or INGEST token). */
  DISTRIBUTION = "DISTRIBUTION",
  /** Created by `skillyard login --sso` after the person signed in at the identity provider; it expires. */
  SSO = "SSO",
}

/**
 * What a token may be used for. FULL tokens act for their user everywhere; the narrow ones are
 * handed to every machine in generated Claude Code settings and can do nothing but their one thing.
 */
export enum ApiTokenScope {
  FULL = "FULL",
  /** Send telemetry (OTLP) to /v1/logs, nothing else. */
  INGEST = "INGEST",
  /** Read marketplace catalogs and plugin archives, nothing else. */
  CATALOG_READ = "CATALOG_READ",
}

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

  /** After this the token is refused; null: it does not expire. */
  @Column({ type: "timestamptz", nullable: true })
  expiresAt: Date | null;

  @Column({ type: "enum", enum: ApiTokenScope, enumName: "api_token_scope", default: ApiTokenScope.FULL })
  scope: ApiTokenScope;

  /** Null for tokens created before Skillyard recorded how tokens come to be. */
  @Column({ type: "enum", enum: ApiTokenOrigin, enumName: "api_token_origin", nullable: true })
  origin: ApiTokenOrigin | null;

  /** Who created it: the user themselves (SELF), the admin (SERVICE_ACCOUNT); null for BOOTSTRAP and INVITATION. */
  @Column({ type: "uuid", nullable: true })
  createdById: string | null;

  /**
   * The invitation at the root of this token's chain: the one redeemed to create it (INVITATION), or
   * the one behind the token its user created it with (SELF). Null for BOOTSTRAP and SERVICE_ACCOUNT.
   */
  @Column({ type: "uuid", nullable: true })
  invitationId: string | null;
}
