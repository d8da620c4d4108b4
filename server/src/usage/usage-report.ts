import type { DataSource } from "typeorm";
import { addDays, weekStart } from "./usage-weeks";

export interface UsageWindow {
  weeks: number;
  /** First day counted (a Monday). */
  from: string;
  /** First day not counted (tomorrow: the current week so far is included). */
  to: string;
}

/** The last `weeks` weeks, the current one (so far) included. */
export function usageWindow(now: Date, weeks: number): UsageWindow {
  return { weeks, from: addDays(weekStart(now), -7 * (weeks - 1)), to: addDays(now.toISOString().slice(0, 10), 1) };
}

export interface TeamCount {
  team: string;
  invocations: number;
}

export interface SkillUsage {
  window: UsageWindow;
  invocations: number;
  distinctUsers: number;
  /** Successful Skill tool calls / all with an outcome; null when none reported one. */
  successRate: number | null;
  byWeek: { weekStart: string; invocations: number; teams: TeamCount[] }[];
  byTeam: (TeamCount & { distinctUsers: number })[];
  byVersion: { version: string; invocations: number; successRate: number | null }[];
}

const rate = (successes: number, failures: number) => (successes + failures === 0 ? null : successes / (successes + failures));
const byInvocations = <T extends { invocations: number }>(a: T, b: T) => b.invocations - a.invocations;

/**
 * Each skill's usage over a window, for many skills at once: two statements over the rollups,
 * however many skills are asked for (the loaders batch a request's skills into one call).
 */
export async function skillUsages(dataSource: DataSource, skillIds: readonly string[], window: UsageWindow): Promise<Map<string, SkillUsage>> {
  const ids = [...new Set(skillIds)];
  const rows = (await dataSource.query(
    `SELECT skill_id, date_trunc('week', day)::date::text AS week, team, version,
            SUM(invocations)::int AS invocations, SUM(successes)::int AS successes, SUM(failures)::int AS failures
       FROM usage_daily WHERE skill_id = ANY($1) AND day >= $2 AND day < $3
      GROUP BY skill_id, week, team, version`,
    [ids, window.from, window.to],
  )) as { skill_id: string; week: string; team: string; version: string; invocations: number; successes: number; failures: number }[];
  const users = (await dataSource.query(
    // Distinct by hashing, per team and across teams, rather than COUNT(DISTINCT), which sorts per group.
    `WITH u AS MATERIALIZED (
       SELECT DISTINCT skill_key, team, user_hash FROM usage_weekly_user WHERE skill_key = ANY($1) AND week >= $2 AND week < $3)
     SELECT skill_key, team, count(*)::int AS users, 0 AS all_teams FROM u GROUP BY skill_key, team
     UNION ALL
     SELECT skill_key, NULL, count(*)::int, 1 FROM (SELECT DISTINCT skill_key, user_hash FROM u) x GROUP BY skill_key`,
    [ids, window.from, window.to],
  )) as { skill_key: string; team: string | null; users: number; all_teams: number }[];

  const weeks: string[] = [];
  for (let day = window.from; day < window.to; day = addDays(day, 7)) weeks.push(day);
  const result = new Map<string, SkillUsage>();
  for (const id of ids) {
    const mine = rows.filter((r) => r.skill_id === id);
    const teamUsers = users.filter((u) => u.skill_key === id);
    const sum = (pick: (r: (typeof mine)[number]) => number, of = mine) => of.reduce((n, r) => n + pick(r), 0);
    const teams = [...new Set(mine.map((r) => r.team))];
    const versions = [...new Set(mine.map((r) => r.version))];
    result.set(id, {
      window,
      invocations: sum((r) => r.invocations),
      distinctUsers: teamUsers.find((u) => u.all_teams === 1)?.users ?? 0,
      successRate: rate(
        sum((r) => r.successes),
        sum((r) => r.failures),
      ),
      byWeek: weeks.map((week) => {
        const inWeek = mine.filter((r) => r.week === week);
        return {
          weekStart: week,
          invocations: sum((r) => r.invocations, inWeek),
          teams: [...new Set(inWeek.map((r) => r.team))]
            .map((team) => ({
              team,
              invocations: sum(
                (r) => r.invocations,
                inWeek.filter((r) => r.team === team),
              ),
            }))
            .sort(byInvocations),
        };
      }),
      byTeam: teams
        .map((team) => ({
          team,
          invocations: sum(
            (r) => r.invocations,
            mine.filter((r) => r.team === team),
          ),
          distinctUsers: teamUsers.find((u) => u.all_teams === 0 && u.team === team)?.users ?? 0,
        }))
        .sort(byInvocations),
      byVersion: versions
        .map((version) => {
          const of = mine.filter((r) => r.version === version);
          return {
            version,
            invocations: sum((r) => r.invocations, of),
            successRate: rate(
              sum((r) => r.successes, of),
              sum((r) => r.failures, of),
            ),
          };
        })
        .sort(byInvocations),
    });
  }
  return result;
}

export interface TopSkill {
  skillId: string;
  invocations: number;
  distinctUsers: number;
}

export interface UnmanagedSkillUse {
  key: string;
  name: string;
  source: string;
  plugin: string | null;
  marketplace: string | null;
  invocations: number;
  distinctUsers: number;
  teams: string[];
  firstSeenAt: Date;
  lastSeenAt: Date;
}

export interface ReclaimableInstall {
  teamId: string;
  skillId: string;
  installs: number;
  lastInstalledAt: Date;
}

/** Most-used Skillyard skills in the window. */
export async function topSkills(dataSource: DataSource, window: UsageWindow, limit: number): Promise<TopSkill[]> {
  const rows = (await dataSource.query(
    // People are counted on (rank, user) pairs: integers hash faster than the text skill keys.
    `WITH top AS (
       SELECT skill_key, skill_id, SUM(invocations)::int AS invocations, row_number() OVER (ORDER BY SUM(invocations) DESC, skill_id) AS rank
         FROM usage_weekly WHERE skill_id IS NOT NULL AND week >= $1 AND week < $2
        GROUP BY skill_key, skill_id ORDER BY rank LIMIT $3),
     people AS (
       SELECT rank, count(*)::int AS users FROM (
         SELECT DISTINCT t.rank, u.user_hash FROM top t JOIN usage_weekly_user u ON u.skill_key = t.skill_key AND u.week >= $1 AND u.week < $2) d
        GROUP BY rank)
     SELECT t.skill_id, t.invocations, COALESCE(p.users, 0) AS users FROM top t LEFT JOIN people p ON p.rank = t.rank ORDER BY t.rank`,
    [window.from, window.to, limit],
  )) as { skill_id: string; invocations: number; users: number }[];
  return rows.map((r) => ({ skillId: r.skill_id, invocations: r.invocations, distinctUsers: r.users }));
}

/** Skills in use that Skillyard does not distribute, most-used first. */
export async function unmanagedSkills(dataSource: DataSource, window: UsageWindow, limit: number): Promise<UnmanagedSkillUse[]> {
  const rows = (await dataSource.query(
    `WITH top AS (
       SELECT skill_key, SUM(invocations)::int AS invocations, row_number() OVER (ORDER BY SUM(invocations) DESC, skill_key) AS rank
         FROM usage_weekly WHERE skill_id IS NULL AND week >= $1 AND week < $2
        GROUP BY skill_key ORDER BY rank LIMIT $3),
     d AS MATERIALIZED (
       SELECT DISTINCT t.rank, x.team, x.user_hash FROM top t JOIN usage_weekly_user x ON x.skill_key = t.skill_key AND x.week >= $1 AND x.week < $2)
     SELECT u.key, u.name, u.source, u.plugin, u.marketplace, u.first_seen_at, u.last_seen_at, t.invocations,
            COALESCE(teams.teams, '{}') AS teams, COALESCE(users.users, 0) AS users
       FROM top t JOIN unmanaged_skill u ON u.key = t.skill_key
       LEFT JOIN (SELECT rank, array_agg(team ORDER BY team) AS teams FROM (SELECT DISTINCT rank, team FROM d) y GROUP BY rank) teams ON teams.rank = t.rank
       LEFT JOIN (SELECT rank, count(*)::int AS users FROM (SELECT DISTINCT rank, user_hash FROM d) z GROUP BY rank) users ON users.rank = t.rank
      ORDER BY t.rank`,
    [window.from, window.to, limit],
  )) as {
    key: string;
    name: string;
    source: string;
    plugin: string | null;
    marketplace: string | null;
    first_seen_at: Date;
    last_seen_at: Date;
    invocations: number;
    teams: string[];
    users: number;
  }[];
  return rows.map((r) => ({
    key: r.key,
    name: r.name,
    source: r.source,
    plugin: r.plugin,
    marketplace: r.marketplace,
    invocations: r.invocations,
    distinctUsers: r.users,
    teams: r.teams.filter((t) => t !== ""),
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
  }));
}

/**
 * Installs a team made (by name, not as a dependency) of a skill the team has never invoked: seats
 * that can be reclaimed. "Never" is over usage_team_skill, which is kept forever.
 */
export async function reclaimableInstalls(dataSource: DataSource, limit: number): Promise<ReclaimableInstall[]> {
  const rows = (await dataSource.query(
    `SELECT i.tenant_id, i.skill_id, COUNT(*)::int AS installs, MAX(i.created_at) AS last_installed_at
       FROM install i JOIN team t ON t.id = i.tenant_id
      WHERE NOT i.transitive
        AND NOT EXISTS (SELECT 1 FROM usage_team_skill u WHERE u.skill_id = i.skill_id AND u.team = t.name)
      GROUP BY i.tenant_id, i.skill_id ORDER BY last_installed_at ASC LIMIT $1`,
    [limit],
  )) as { tenant_id: string; skill_id: string; installs: number; last_installed_at: Date }[];
  return rows.map((r) => ({ teamId: r.tenant_id, skillId: r.skill_id, installs: r.installs, lastInstalledAt: r.last_installed_at }));
}
