import { batchLoader } from "../common/loader-utils";
import type { DataSource } from "typeorm";
import type { CatalogLoaders } from "../catalog/catalog.loaders";
import type { Skill } from "../catalog/skill.entity";
import { type ReviewStatus, reviewStatuses } from "./quality-reviews.service";
import { type SkillUsage, skillUsages, usageWindow } from "./usage-report";

/**
 * Per-request loaders of the usage domain: every skill's usage in one batch per window size, and
 * review statuses in one batch (skills come from the request's catalog loader, already warm).
 */
export function createUsageLoaders(dataSource: DataSource, catalog: Pick<CatalogLoaders, "skillById">, now: () => Date = () => new Date()) {
  return {
    skillUsage: batchLoader<{ skillId: string; weeks: number }, SkillUsage, string>(
      async (keys) => {
        const byWeeks = new Map<number, string[]>();
        for (const k of keys) byWeeks.set(k.weeks, [...(byWeeks.get(k.weeks) ?? []), k.skillId]);
        const results = new Map<number, Map<string, SkillUsage>>();
        for (const [weeks, ids] of byWeeks) results.set(weeks, await skillUsages(dataSource, ids, usageWindow(now(), weeks)));
        return keys.map((k) => results.get(k.weeks)!.get(k.skillId)!);
      },
      { cacheKeyFn: (k) => `${k.skillId}|${k.weeks}` },
    ),
    reviewStatus: batchLoader<string, ReviewStatus>(async (skillIds) => {
      const skills = (await catalog.skillById.loadMany(skillIds)).filter((s): s is Skill => s !== null && !(s instanceof Error));
      const status = await reviewStatuses(dataSource.manager, skills);
      return skillIds.map((id) => status.get(id) ?? { lastReview: null, dueAt: null, reason: null });
    }),
  };
}

export type UsageLoaders = ReturnType<typeof createUsageLoaders>;
