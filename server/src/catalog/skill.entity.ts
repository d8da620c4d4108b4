import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { Team } from "../identity/team.entity";

/**
 * How much a skill is used: HIGH above USAGE_TIER_HIGH_PER_WEEK invocations a week, MEDIUM from
 * USAGE_TIER_MEDIUM_PER_WEEK, LOW below. It sets the quality-review cadence, and a new version of a
 * HIGH-tier skill always waits for a reviewer.
 */
export enum UsageTier {
  HIGH = "HIGH",
  MEDIUM = "MEDIUM",
  LOW = "LOW",
}

/**
 * GIN indexes (full text, trigram, tags) and the name-prefix btree (text_pattern_ops) are created by
 * hand-written migrations: TypeORM cannot express operator classes.
 */
@Entity()
@Index("skill_search_vector_idx", { synchronize: false })
@Index("skill_name_trgm_idx", { synchronize: false })
@Index("skill_name_prefix_idx", { synchronize: false })
@Index("skill_tags_idx", { synchronize: false })
// Keyset pagination for the browse sorts: (sort key, id) both descending.
@Index("skill_downloads_keyset_idx", ["downloadCount", "id"])
@Index("skill_rating_keyset_idx", ["ratingAverage", "id"])
@Index("skill_recent_keyset_idx", ["lastPublishedAt", "id"])
@Index("skill_usage_keyset_idx", ["usageWeekly", "id"])
export class Skill extends BaseEntity {
  @Column({ type: "text", unique: true })
  name: string;

  /** The name folded for look-alike detection (case, separators, l/1, o/0); unique so two can never coexist. */
  @Column({ type: "text", unique: true })
  nameSkeleton: string;

  @ManyToOne(() => Team, { onDelete: "RESTRICT" })
  team: Team;

  @Index()
  @Column({ type: "uuid" })
  teamId: string;

  /** Denormalised from the latest published version so search and listing need no join. */
  @Column({ type: "text", default: "" })
  description: string;

  @Index()
  @Column({ type: "text", default: "general" })
  category: string;

  @Column({ type: "text", array: true, default: "{}" })
  tags: string[];

  @Column({ type: "uuid", nullable: true })
  latestVersionId: string | null;

  /** Installs of this skill (downloads = installs) up to the last roll-up of the install log (DownloadCounters). */
  @Column({ type: "integer", default: 0 })
  downloadCount: number;

  /** Recomputed from stored reviews on every change, never a running average; 0 while unrated. */
  @Column({ type: "double precision", default: 0 })
  ratingAverage: number;

  @Column({ type: "integer", default: 0 })
  ratingCount: number;

  /** Weighted name (A), tags (A), description (B); written by SkillSearchService. */
  @Column({ type: "tsvector", select: false, nullable: true })
  searchVector: string | null;

  @Column({ type: "timestamptz", nullable: true })
  lastPublishedAt: Date | null;

  /** Average invocations a week over the last full weeks (USAGE_TIER_WEEKS); written by usage's tier job. */
  @Column({ type: "double precision", default: 0 })
  usageWeekly: number;

  /** How much the skill is used, which sets how often it gets a quality review; written by usage's tier job. */
  @Column({ type: "enum", enum: UsageTier, enumName: "usage_tier", default: UsageTier.LOW })
  usageTier: UsageTier;
}
