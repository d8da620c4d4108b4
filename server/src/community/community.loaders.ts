import DataLoader from "dataloader";
import semver from "semver";
import { In, type DataSource } from "typeorm";
import { byKey, groupBy } from "../common/loader-utils";
import { Skill } from "../catalog/skill.entity";
import { Team } from "../identity/team.entity";
import { Membership } from "../identity/membership.entity";
import { ApiToken } from "../identity/api-token.entity";
import { User } from "../identity/user.entity";
import { Review } from "./review.entity";

/** One tenant's installs of one skill (Skill.installsByTenant). */
export interface TenantInstalls {
  teamId: string;
  installs: number;
  lastInstalledAt: Date;
  /** Distinct versions the tenant installed, semver-descending. */
  versions: string[];
}

/** Per-request loaders for the community subgraph (people, teams, ratings, installs). */
export function createCommunityLoaders(dataSource: DataSource) {
  const em = dataSource.manager;
  return {
    userById: new DataLoader<string, User | null>(async (ids) => byKey(ids, await em.findBy(User, { id: In([...ids]) }), (u) => u.id)),
    teamById: new DataLoader<string, Team | null>(async (ids) => byKey(ids, await em.findBy(Team, { id: In([...ids]) }), (t) => t.id)),
    /** The aggregate columns the community subgraph adds to Skill (rating, reviews, downloads). */
    skillStatsById: new DataLoader<string, Pick<Skill, "id" | "ratingAverage" | "ratingCount" | "downloadCount" | "teamId"> | null>(async (ids) =>
      byKey(
        ids,
        await em.find(Skill, { where: { id: In([...ids]) }, select: { id: true, ratingAverage: true, ratingCount: true, downloadCount: true, teamId: true } }),
        (s) => s.id,
      ),
    ),
    /** Reviews of each skill, newest first. */
    reviewsBySkillId: new DataLoader<string, Review[]>(async (skillIds) => {
      const rows = await em.find(Review, { where: { skillId: In([...skillIds]) }, order: { updatedAt: "DESC", id: "DESC" } });
      return groupBy(skillIds, rows, (r) => r.skillId);
    }),
    membershipsByUserId: new DataLoader<string, Membership[]>(async (userIds) =>
      groupBy(userIds, await em.find(Membership, { where: { userId: In([...userIds]) }, order: { createdAt: "ASC" } }), (m) => m.userId),
    ),
    membershipsByTeamId: new DataLoader<string, Membership[]>(async (teamIds) =>
      groupBy(teamIds, await em.find(Membership, { where: { teamId: In([...teamIds]) }, order: { createdAt: "ASC" } }), (m) => m.teamId),
    ),
    /** Each user's API tokens (never their secrets), newest first. */
    apiTokensByUserId: new DataLoader<string, ApiToken[]>(async (userIds) =>
      groupBy(userIds, await em.find(ApiToken, { where: { userId: In([...userIds]) }, order: { createdAt: "DESC" } }), (t) => t.userId),
    ),
    /** Installs of each version (downloads per version). */
    installCountByVersionId: new DataLoader<string, number>(async (versionIds) => {
      const rows: { version_id: string; count: number }[] = await em.query(
        `SELECT version_id, count(*)::int AS count FROM install WHERE version_id = ANY($1::uuid[]) GROUP BY version_id`,
        [[...versionIds]],
      );
      const map = new Map(rows.map((r) => [r.version_id, r.count]));
      return versionIds.map((id) => map.get(id) ?? 0);
    }),
    /** Installs of each skill grouped by tenant, most installs first, then by team name: one statement for any number of skills. */
    installsByTenantBySkillId: new DataLoader<string, TenantInstalls[]>(async (skillIds) => {
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
