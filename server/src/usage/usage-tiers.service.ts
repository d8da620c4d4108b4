import type { DataSource, EntityManager } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { UsageTier } from "../catalog/skill.entity";
import type { UsageConfig } from "../config";
import { lastFullWeeks } from "./usage-weeks";

export interface TierChange {
  skillId: string;
  name: string;
  from: UsageTier;
  to: UsageTier;
  weekly: number;
}

/** The tier of a skill invoked `weekly` times a week on average. */
function tierOf(weekly: number, thresholds: Pick<UsageConfig, "tierHighPerWeek" | "tierMediumPerWeek">): UsageTier {
  if (weekly > thresholds.tierHighPerWeek) return UsageTier.HIGH;
  if (weekly >= thresholds.tierMediumPerWeek) return UsageTier.MEDIUM;
  return UsageTier.LOW;
}

/**
 * Turns the rollups into each skill's usage tier: the average invocations a week over the last
 * USAGE_TIER_WEEKS full weeks (Monday to Sunday, UTC), against the configured thresholds. The skill
 * row keeps the average (for `skills(sort: USAGE)`) and the tier; every tier change is audited.
 */
export class UsageTierService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly config: UsageConfig,
  ) {}

  async recompute(now: Date): Promise<TierChange[]> {
    const { from, to } = lastFullWeeks(now, this.config.tierWeeks);
    return this.dataSource.transaction(async (em) => {
      // One recomputation at a time across processes; a second waits and then finds nothing to change.
      await em.query("SELECT pg_advisory_xact_lock(hashtext('usage tiers'))");
      const rows = (await em.query(
        `SELECT s.id, s.name, s.usage_tier AS tier, s.usage_weekly AS weekly, COALESCE(u.total, 0)::bigint AS total
           FROM skill s
           LEFT JOIN (SELECT skill_id, SUM(invocations) AS total FROM usage_daily WHERE skill_id IS NOT NULL AND day >= $1 AND day < $2 GROUP BY skill_id) u
             ON u.skill_id = s.id`,
        [from, to],
      )) as { id: string; name: string; tier: UsageTier; weekly: number; total: string }[];
      const changed: { id: string; weekly: number; tier: UsageTier }[] = [];
      const tierChanges: TierChange[] = [];
      for (const row of rows) {
        const weekly = Number(row.total) / this.config.tierWeeks;
        const tier = tierOf(weekly, this.config);
        if (tier !== row.tier || weekly !== Number(row.weekly)) changed.push({ id: row.id, weekly, tier });
        if (tier !== row.tier) tierChanges.push({ skillId: row.id, name: row.name, from: row.tier, to: tier, weekly });
      }
      if (changed.length > 0) {
        await em.query(
          `UPDATE skill SET usage_weekly = c.weekly, usage_tier = c.tier::usage_tier
             FROM unnest($1::uuid[], $2::float8[], $3::text[]) AS c(id, weekly, tier) WHERE skill.id = c.id`,
          [changed.map((c) => c.id), changed.map((c) => c.weekly), changed.map((c) => c.tier)],
        );
      }
      for (const change of tierChanges) await this.recordChange(em, change, from, to);
      return tierChanges;
    });
  }

  private recordChange(em: EntityManager, change: TierChange, from: string, to: string) {
    return this.audit.record(em, {
      actorId: null,
      action: AuditAction.USAGE_TIER_CHANGE,
      targetType: "Skill",
      targetId: change.skillId,
      skillId: change.skillId,
      before: { name: change.name, tier: change.from },
      after: { name: change.name, tier: change.to, weeklyInvocations: change.weekly, weeks: { from, to } },
    });
  }
}
