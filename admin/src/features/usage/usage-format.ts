import type { MantineColor } from "@mantine/core";
import type { PlatformUpdateKind, QualityReviewOutcome, UsageSkillReportFragment, UsageTier } from "../../gql/graphql";

export const TIER_ORDER: Record<UsageTier, number> = { LOW: 0, MEDIUM: 1, HIGH: 2 };

export const TIER_INFO: Record<UsageTier, { label: string; color: MantineColor; cadence: string }> = {
  HIGH: { label: "high usage", color: "grape", cadence: "reviewed every month, and every new version waits for a reviewer" },
  MEDIUM: { label: "medium usage", color: "blue", cadence: "reviewed every quarter" },
  LOW: { label: "low usage", color: "gray", cadence: "reviewed after significant platform updates" },
};

export const OUTCOME_INFO: Record<QualityReviewOutcome, { label: string; color: MantineColor; description: string }> = {
  PASS: { label: "Pass", color: "green", description: "Holds up; nothing to do." },
  NEEDS_WORK: { label: "Needs work", color: "yellow", description: "Works, but the owning team should improve it." },
  PULL: { label: "Pull", color: "red", description: "Should not be used: deprecates the version, with the notes as its message." },
};

export const OUTCOMES: readonly QualityReviewOutcome[] = ["PASS", "NEEDS_WORK", "PULL"];

export const PLATFORM_UPDATE_KINDS: { value: PlatformUpdateKind; label: string; example: string }[] = [
  { value: "RUNTIME_IMAGE", label: "Runtime image", example: "e.g. python 3.12 runtime image" },
  { value: "CLAUDE_CODE", label: "Claude Code version", example: "e.g. Claude Code 2.2" },
  { value: "OTHER", label: "Other", example: "e.g. new model default for the organisation" },
];

export const platformUpdateKindLabel = (kind: PlatformUpdateKind): string => PLATFORM_UPDATE_KINDS.find((k) => k.value === kind)?.label ?? kind;

/** The server's limits on quality review notes and platform update descriptions. */
export const MAX_REVIEW_NOTES = 2000;
export const MAX_UPDATE_DESCRIPTION = 500;

const integer = new Intl.NumberFormat("en");
const oneDecimal = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

export const formatCount = (n: number): string => integer.format(n);

/** An average a week: whole numbers from 100 up, one decimal below (12.5, 0.3). */
export const formatWeekly = (n: number): string => (n >= 100 ? integer.format(Math.round(n)) : oneDecimal.format(n));

/** A success rate as a percentage (97.5%), or null when no call reported an outcome. */
export const formatRate = (rate: number | null): string | null => (rate === null ? null : `${oneDecimal.format(rate * 100)}%`);

export const plural = (n: number, one: string, many = `${one}s`): string => `${formatCount(n)} ${n === 1 ? one : many}`;

const weekFormat = new Intl.DateTimeFormat("en", { month: "short", day: "numeric", timeZone: "UTC" });

/** A week's Monday (YYYY-MM-DD, UTC) as "Nov 16". */
export const weekLabel = (weekStart: string): string => weekFormat.format(new Date(`${weekStart}T00:00:00Z`));

/** The team as Claude Code named it; "" when none did. */
export const teamLabel = (team: string): string => (team === "" ? "no team" : team);

/** Colours for the teams' series, most invocations first; the rest share "other teams". */
const SERIES_COLORS: MantineColor[] = ["indigo.6", "teal.6", "orange.6", "grape.5", "cyan.6", "pink.6"];
const OTHER_COLOR: MantineColor = "gray.5";

export interface WeeklyChart {
  /** One row per week: `week` (its label), `weekStart`, and a count per series key. */
  data: Record<string, string | number>[];
  /** Series keys are `team0`, `team1`, … (team names can hold characters recharts reads as paths). */
  series: { name: string; label: string; color: MantineColor }[];
}

/**
 * The weekly invocations stacked by team, for the bar chart: the teams with the most invocations
 * in the window get their own colour, any beyond that are summed as "other teams".
 */
export function weeklyChart(byWeek: readonly UsageSkillReportFragment["byWeek"][number][], maxTeams = SERIES_COLORS.length): WeeklyChart {
  const totals = new Map<string, number>();
  for (const week of byWeek) for (const entry of week.teams) totals.set(entry.team, (totals.get(entry.team) ?? 0) + entry.invocations);
  const ranked = [...totals.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([team]) => team);
  const own = ranked.length > maxTeams ? ranked.slice(0, maxTeams - 1) : ranked;
  const others = ranked.length > own.length;
  const keyOf = new Map(own.map((team, index) => [team, `team${index}`]));
  const data = byWeek.map((week) => {
    const row: Record<string, string | number> = { week: weekLabel(week.weekStart), weekStart: week.weekStart };
    for (const key of keyOf.values()) row[key] = 0;
    if (others) row["other"] = 0;
    for (const entry of week.teams) {
      const key = keyOf.get(entry.team) ?? "other";
      row[key] = Number(row[key] ?? 0) + entry.invocations;
    }
    return row;
  });
  const series = own.map((team, index) => ({ name: `team${index}`, label: teamLabel(team), color: SERIES_COLORS[index] ?? OTHER_COLOR }));
  if (others) series.push({ name: "other", label: "other teams", color: OTHER_COLOR });
  return { data, series };
}

/** Skill.source as people say it: a plugin from a marketplace, a user's or a project's own skill. */
export function sourceLabel(source: string): string {
  switch (source) {
    case "plugin":
      return "plugin";
    case "userSettings":
      return "user skill";
    case "projectSettings":
      return "project skill";
    case "unknown":
      return "unknown source";
    default:
      return source;
  }
}
