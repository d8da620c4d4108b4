import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * Invocations per skill × version × team × day, kept forever (raw events are not). `skillKey` is the
 * skill's id for a Skillyard skill, or `unmanaged:…` for one Skillyard does not know. Written only by
 * UsageIngestService, from events it stored for the first time, so exporter retries count once.
 */
@Entity()
@Index(["skillId", "day"])
@Index(["day"])
export class UsageDaily {
  @PrimaryColumn({ type: "date" })
  day: string;

  @PrimaryColumn({ type: "text" })
  skillKey: string;

  /** Empty when the version is not known (no plugin_loaded seen for the session, or a user or project skill). */
  @PrimaryColumn({ type: "text" })
  version: string;

  /** Empty when neither the resource nor the ingest token named a team. */
  @PrimaryColumn({ type: "text" })
  team: string;

  /** Null for unmanaged skills (no row in skill; no foreign key, so a rollup outlives nothing it needs). */
  @Column({ type: "uuid", nullable: true })
  skillId: string | null;

  @Column({ type: "integer", default: 0 })
  invocations: number;

  @Column({ type: "integer", default: 0 })
  successes: number;

  @Column({ type: "integer", default: 0 })
  failures: number;
}

/**
 * Who (a salted hash of Claude Code's user.id) used a skill in a week (Monday, UTC), per team: distinct
 * users for any window of whole weeks. Weekly rather than daily, and without the version, because
 * distinct counts read every row of the window: a popular skill's 12 weeks stay a few thousand rows.
 * The key leads with the skill so one skill's window is an index-only range scan.
 */
@Entity()
export class UsageWeeklyUser {
  @PrimaryColumn({ type: "text" })
  skillKey: string;

  @PrimaryColumn({ type: "date" })
  week: string;

  @PrimaryColumn({ type: "text" })
  team: string;

  /**
   * The first 64 bits of the user's salted hash, as a signed integer: distinct counts hash and compare
   * integers several times faster than 32-character text, and collisions among even a million users
   * are improbable (about 3 in 100 million).
   */
  @PrimaryColumn({ type: "bigint" })
  userHash: string;
}

/** Invocations per skill and week (Monday, UTC), all teams and versions: what the organisation-wide overview ranks. */
@Entity()
export class UsageWeekly {
  @PrimaryColumn({ type: "date" })
  week: string;

  @PrimaryColumn({ type: "text" })
  skillKey: string;

  @Column({ type: "uuid", nullable: true })
  skillId: string | null;

  @Column({ type: "integer", default: 0 })
  invocations: number;
}

/** Which teams have ever invoked which Skillyard skill: what "installed but never invoked" is measured against. */
@Entity()
export class UsageTeamSkill {
  @PrimaryColumn({ type: "uuid" })
  skillId: string;

  @PrimaryColumn({ type: "text" })
  team: string;

  @Column({ type: "timestamptz" })
  firstInvokedAt: Date;
}

/** A skill seen in use that Skillyard does not distribute: where it came from and when. */
@Entity()
export class UnmanagedSkill {
  @PrimaryColumn({ type: "text" })
  key: string;

  /** As Claude Code named it. */
  @Column({ type: "text" })
  name: string;

  /** `skill.source`: plugin, userSettings, projectSettings, … */
  @Column({ type: "text" })
  source: string;

  @Column({ type: "text", nullable: true })
  plugin: string | null;

  @Column({ type: "text", nullable: true })
  marketplace: string | null;

  @Column({ type: "timestamptz" })
  firstSeenAt: Date;

  @Column({ type: "timestamptz" })
  lastSeenAt: Date;
}

/** The installation's secret for hashing user ids (one row, made at first start). */
@Entity()
export class UsageSalt {
  @PrimaryColumn({ type: "integer" })
  id: number;

  @Column({ type: "bytea" })
  salt: Buffer;
}
