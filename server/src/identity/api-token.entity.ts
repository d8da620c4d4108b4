import { Check, Column, Entity, Index, ManyToOne } from "typeorm";
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
  /** Created by a single sign-on (the CLI's `login --sso`) for the signed-in user. */
  SSO = "SSO",
}

/**
 * What a token may be used for; every operation declares the one it needs (@Access, REST_ROUTE_SCOPES).
 * A token holds a set, fixed when it is made; what its user's roles allow is checked as well, so a
 * scope never grants more than the roles do.
 */
export enum TokenScope {
  /** Every query and subscription; installSkill, rateSkill; package and plugin downloads. */
  READ = "READ",
  /** Uploads, publishing, yank/deprecate, channels, required skills, re-runs, team membership: limited to publishTeamIds when set. */
  PUBLISH = "PUBLISH",
  /** Review decisions and quality reviews. */
  REVIEW = "REVIEW",
  /** Every admin-only operation. */
  ADMIN = "ADMIN",
  /** Telemetry (OTLP) to /v1/logs and nothing else: a token with INGEST has no other scope. */
  INGEST = "INGEST",
  /** Marketplace catalogs and plugin archives only; issued by distribution alone, for generated Claude Code settings. */
  CATALOG_READ = "CATALOG_READ",
}

/**
 * Only the sha256 of the secret is stored; the secret itself is shown once, at creation.
 *
 * Every token expires, except two kinds (the check constraint): BOOTSTRAP tokens, which are the
 * deployment's own credential (SKILLYARD_BOOTSTRAP_TOKEN is configuration the operator rotates by
 * revoking it and setting a new value; the first-start token stands in for it where none is set),
 * and DISTRIBUTION tokens, which every machine holds in generated Claude Code settings: an expiry
 * would cut all of them off at once, so they are rotated by their own mechanism instead (revoking
 * one makes the next generation of settings carry a new one; DistributionCredentialsService).
 */
@Entity()
@Check("api_token_expires_unless_bootstrap_or_distribution", `"expires_at" IS NOT NULL OR coalesce("origin" IN ('BOOTSTRAP', 'DISTRIBUTION'), false)`)
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

  /** When it last authenticated a request, to the minute: written off the request path (TokenLastUsed). */
  @Column({ type: "timestamptz", nullable: true })
  lastUsedAt: Date | null;

  @Column({ type: "timestamptz", nullable: true })
  revokedAt: Date | null;

  @Column({ type: "enum", enum: TokenScope, enumName: "token_scope", array: true })
  scopes: TokenScope[];

  /** PUBLISH is limited to these teams; null: every team the user may publish to. */
  @Column({ type: "uuid", array: true, nullable: true })
  publishTeamIds: string[] | null;

  /** Null only for BOOTSTRAP and DISTRIBUTION tokens (see the class comment). */
  @Column({ type: "timestamptz", nullable: true })
  expiresAt: Date | null;

  /** Requests are accepted only from these networks; null: from anywhere. */
  @Column({ type: "cidr", array: true, nullable: true })
  allowedCidrs: string[] | null;

  /** When TOKEN_EXPIRING was announced for it: once per token, whichever worker gets there first. */
  @Column({ type: "timestamptz", nullable: true })
  expiryWarnedAt: Date | null;

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
