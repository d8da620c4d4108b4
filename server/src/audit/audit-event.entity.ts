import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/**
 * Every governance action, recorded once and never changed (the database refuses UPDATE and DELETE).
 * APPROVE and REJECT are a reviewer's decisions; the status changes they cause are recorded apart
 * (VERSION_PUBLISHED, VERSION_REJECTED), as for every other status change.
 */
export enum AuditAction {
  USER_CREATE = "USER_CREATE",
  TEAM_CREATE = "TEAM_CREATE",
  MEMBER_ADD = "MEMBER_ADD",
  MEMBER_REMOVE = "MEMBER_REMOVE",
  ROLE_CHANGE = "ROLE_CHANGE",
  TOKEN_CREATE = "TOKEN_CREATE",
  TOKEN_REVOKE = "TOKEN_REVOKE",
  /** A token expires within a week (the expiry job; no actor): announced once per token. */
  TOKEN_EXPIRING = "TOKEN_EXPIRING",
  INVITATION_CREATE = "INVITATION_CREATE",
  INVITATION_REDEEM = "INVITATION_REDEEM",
  PERMISSION_EDIT = "PERMISSION_EDIT",
  PUBLISH = "PUBLISH",
  TEST_OUTCOME = "TEST_OUTCOME",
  /** A version's status changes (see catalog's VersionLifecycle.transition): one action per target status. */
  VERSION_TESTING = "VERSION_TESTING",
  VERSION_EVALUATING = "VERSION_EVALUATING",
  REVIEW_REQUESTED = "REVIEW_REQUESTED",
  APPROVE = "APPROVE",
  REJECT = "REJECT",
  VERSION_PUBLISHED = "VERSION_PUBLISHED",
  VERSION_REJECTED = "VERSION_REJECTED",
  CHANNEL_MOVE = "CHANNEL_MOVE",
  YANK = "YANK",
  DEPRECATE = "DEPRECATE",
  WEBHOOK_CREATE = "WEBHOOK_CREATE",
  WEBHOOK_DELETE = "WEBHOOK_DELETE",
  /** A skill becomes required for a team (or everyone), or stops being required. */
  REQUIRED_SKILL_ADD = "REQUIRED_SKILL_ADD",
  REQUIRED_SKILL_REMOVE = "REQUIRED_SKILL_REMOVE",
  /** A new version of the runtime policy (the PreToolUse hook's rules) is in force. */
  RUNTIME_POLICY_SET = "RUNTIME_POLICY_SET",
  /** A skill's usage tier changed (the tier job; no actor). */
  USAGE_TIER_CHANGE = "USAGE_TIER_CHANGE",
  /** A skill's quality review fell due (the tier job; no actor). */
  QUALITY_REVIEW_DUE = "QUALITY_REVIEW_DUE",
  QUALITY_REVIEW = "QUALITY_REVIEW",
  /** An admin marked a significant platform update: Low-tier skills become due. */
  PLATFORM_UPDATE = "PLATFORM_UPDATE",
  /** An eval run ended (its score, and for a gated version what the gate made of it; no actor). */
  EVAL_OUTCOME = "EVAL_OUTCOME",
  /** A re-evaluation of a skill's latest version scored lower than before (drift; no actor). */
  EVAL_DRIFT = "EVAL_DRIFT",
  /** A person created from the directory: their first single sign-on, or a SCIM client (no actor). */
  USER_PROVISION = "USER_PROVISION",
  /** A local user linked to their directory identity (the same verified email) at their first single sign-on. */
  USER_LINK = "USER_LINK",
  /** The directory changed a person's email, name or SCIM identifiers. */
  USER_UPDATE = "USER_UPDATE",
  /** The directory deactivated a person (SCIM): their sessions and tokens were revoked with it. */
  USER_DEACTIVATE = "USER_DEACTIVATE",
  USER_REACTIVATE = "USER_REACTIVATE",
  /** An admin mapped a directory group to a team role or a global role, or changed the team role. */
  GROUP_MAPPING_SET = "GROUP_MAPPING_SET",
  GROUP_MAPPING_DELETE = "GROUP_MAPPING_DELETE",
  /** A SCIM client created, renamed or deleted a group, or changed its members (the memberships that follow are audited apart). */
  DIRECTORY_GROUP_CHANGE = "DIRECTORY_GROUP_CHANGE",
}

@Entity()
@Index(["skillId", "at"])
@Index(["actorId", "at"])
@Index(["action", "at"])
export class AuditEvent {
  @PrimaryGeneratedColumn("increment", { type: "bigint" })
  id: string;

  @CreateDateColumn({ type: "timestamptz" })
  at: Date;

  /** Null for the system itself (e.g. a test outcome decided by the sandbox). */
  @Column({ type: "uuid", nullable: true })
  actorId: string | null;

  @Column({ type: "enum", enum: AuditAction, enumName: "audit_action" })
  action: AuditAction;

  /** What the action was done to: e.g. `SkillVersion`, `ApiToken`, `User`. */
  @Column({ type: "text" })
  targetType: string;

  @Column({ type: "text" })
  targetId: string;

  /** The skill concerned, when there is one, so the log filters by skill cheaply. */
  @Column({ type: "uuid", nullable: true })
  skillId: string | null;

  @Column({ type: "jsonb", nullable: true })
  before: Record<string, unknown> | null;

  @Column({ type: "jsonb", nullable: true })
  after: Record<string, unknown> | null;
}
