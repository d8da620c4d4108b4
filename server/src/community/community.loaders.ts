import semver from "semver";
import { In, type DataSource } from "typeorm";
import { batchLoader, groupBy } from "../common/loader-utils";
import type { CatalogLoaders } from "../catalog/catalog.loaders";
import { Rating } from "./rating.entity";

/** One tenant's installs of one skill (Skill.installsByTenant). */
export interface TenantInstalls {
  teamId: string;
  installs: number;
  lastInstalledAt: Date;
  /** Distinct versions the tenant installed, semver-descending. */
  versions: string[];
}

/** Per-request loaders for the community subgraph (ratings and installs). */
export function createCommunityLoaders(dataSource: DataSource, catalog: Pick<CatalogLoaders, "skillById">) {
  const em = dataSource.manager;
  return {
    /**
     * The aggregate columns the community subgraph adds to Skill (rating, reviewCount, downloads as of
     * the last roll-up)
     * are the skill row's own: the request's catalog loader, which a skill list has already primed.
     */
    skillStatsById: catalog.skillById,
    /** Ratings of each skill, newest first. */
    ratingsBySkillId: batchLoader<string, Rating[]>(async (skillIds) => {
      const rows = await em.find(Rating, { where: { skillId: In([...skillIds]) }, order: { updatedAt: "DESC", id: "DESC" } });
      return groupBy(skillIds, rows, (r) => r.skillId);
    }),
    /**
     * Installs of each skill grouped by tenant, most installs first, then by team name: one statement
     * for any number of skills. Counted from the install log itself, so current (downloads lag it).
     */
    installsByTenantBySkillId: batchLoader<string, TenantInstalls[]>(async (skillIds) => {
      const rows: { skill_id: string; tenant_id: string; installs: number; last_installed_at: Date; versions: string[] }[] = await em.query(
        `SELECT i.skill_id, i.tenant_id, count(*)::int AS installs, max(i.created_at) AS last_installed_at, array_agg(DISTINCT v.version) AS versions
           FROM install i
           JOIN skill_version v ON v.id = i.version_id
           JOIN team t ON t.id = i.tenant_id
          WHERE i.skill_id = ANY($1::uuid[])
          GROUP BY i.skill_id, i.tenant_id, t.name
          ORDER BY installs DESC, t.name ASC`,
        [[...skillIds]],
      );
      return groupBy(skillIds, rows, (r) => r.skill_id).map((list) =>
        list.map((r) => ({
          teamId: r.tenant_id,
          installs: r.installs,
          lastInstalledAt: r.last_installed_at,
          versions: [...r.versions].sort(semver.rcompare),
        })),
      );
    }),
  };
}

export type CommunityLoaders = ReturnType<typeof createCommunityLoaders>;
