import DataLoader from "dataloader";
import { In, type DataSource } from "typeorm";
import { byKey, groupBy } from "../common/loader-utils";
import { Skill } from "../catalog/skill.entity";
import { Team } from "../identity/team.entity";
import { Membership } from "../identity/membership.entity";
import { ApiToken } from "../identity/api-token.entity";
import { User } from "../identity/user.entity";
import { Review } from "./review.entity";


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
  };
}

export type CommunityLoaders = ReturnType<typeof createCommunityLoaders>;
