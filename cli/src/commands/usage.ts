import type { Command } from "commander";
import { CliError, usageError } from "../errors";
import { SkillUsageDocument, type SkillUsageQuery, type UsageTier } from "../gql/graphql";
import { padEnd, table } from "../output";
import { assertSkillName, examples, run, withCommonOptions, type CommonOptions, type Context } from "./common";

/** The server's bounds for `Skill.usage(weeks:)`. */
const MAX_WEEKS = 52;
/** Teams named in a week's row before the rest become "+N more". */
const TOP_TEAMS = 2;

interface UsageOptions extends CommonOptions {
  weeks: string;
}

type Skill = NonNullable<SkillUsageQuery["skill"]>;
type Usage = NonNullable<Skill["usage"]>;

export function registerUsage(program: Command): void {
  const cmd = program
    .command("usage")
    .description(
      "how much a skill is used, from Claude Code's telemetry: its tier, invocations by week, version and team, and when its next quality review is due (signed-in users)",
    )
    .argument("<name>", "skill name")
    .option("--weeks <n>", `how many weeks back, the current one included (1-${MAX_WEEKS})`, "12");
  withCommonOptions(cmd).action((name: string, options: UsageOptions) => run(options, (ctx) => usage(ctx, name, options)));
  examples(cmd, ["skillyard usage pdf-extract", "skillyard usage pdf-extract --weeks 4", "skillyard usage pdf-extract --json | jq .usage.byTeam"]);
}

async function usage(ctx: Context, name: string, options: UsageOptions): Promise<void> {
  assertSkillName(name);
  const weeks = Number(options.weeks);
  if (!/^\d+$/.test(options.weeks.trim()) || !Number.isInteger(weeks) || weeks < 1 || weeks > MAX_WEEKS) {
    throw usageError(`--weeks must be a whole number from 1 to ${MAX_WEEKS}, not ${JSON.stringify(options.weeks)}.`);
  }
  const { skill } = await ctx.client.gql(SkillUsageDocument, { name, weeks });
  if (!skill) throw new CliError("NOT_FOUND", `There is no skill named "${name}".`);
  // The registry shows usage to signed-in users only: anonymous callers get null (a narrow token is refused before this).
  if (!skill.usage) {
    throw new CliError("UNAUTHENTICATED", `Usage of ${name} needs a signed-in API token: run \`skillyard login\` or set SKILLYARD_TOKEN.`);
  }
  if (ctx.json) {
    ctx.out.printJson(skill);
    return;
  }
  printUsage(ctx, skill, skill.usage);
}

function printUsage(ctx: Context, skill: Skill, usage: Usage): void {
  const c = ctx.out.out;
  const row = (label: string, value: string) => ctx.out.line(`  ${c.dim(padEnd(label, 13))}${value}`);
  ctx.out.line(`${c.bold(skill.name)} ${c.dim("—")} usage over the last ${plural(usage.weeks, "week")} (since ${usage.from})`);
  row("tier", `${tierColor(ctx, skill.usageTier)} (${formatWeekly(skill.usageWeeklyInvocations)} invocations a week over the last full weeks)`);
  row("invocations", String(usage.invocations));
  row("users", String(usage.distinctUsers));
  row("success rate", formatRate(usage.successRate));

  ctx.out.line();
  print(
    ctx,
    table(
      [{ header: "WEEK" }, { header: "INVOCATIONS", align: "right" }, { header: "TOP TEAMS", flexible: true, min: 16 }],
      usage.byWeek.map((w) => [w.weekStart, String(w.invocations), topTeams(w.teams)]),
      undefined,
      c,
    ),
  );
  ctx.out.line();
  if (usage.invocations === 0) {
    ctx.out.line(c.dim(`No invocations reported in the last ${plural(usage.weeks, "week")}.`));
  } else {
    print(
      ctx,
      table(
        [{ header: "VERSION" }, { header: "INVOCATIONS", align: "right" }, { header: "SUCCESS", align: "right" }],
        usage.byVersion.map((v) => [v.version || "(unknown)", String(v.invocations), formatRate(v.successRate)]),
        undefined,
        c,
      ),
    );
    ctx.out.line();
    print(
      ctx,
      table(
        [{ header: "TEAM" }, { header: "INVOCATIONS", align: "right" }, { header: "USERS", align: "right" }],
        usage.byTeam.map((t) => [teamName(t.team), String(t.invocations), String(t.distinctUsers)]),
        undefined,
        c,
      ),
    );
  }
  ctx.out.line();
  const review = skill.qualityReview;
  const last = review.lastReview ? `; last review ${review.lastReview.outcome} on ${review.lastReview.createdAt.slice(0, 10)}` : "; never reviewed";
  if (review.dueAt) {
    const overdue = Date.parse(review.dueAt) <= Date.now();
    const when = `${overdue ? c.yellow(`overdue since ${review.dueAt.slice(0, 10)}`) : `due ${review.dueAt.slice(0, 10)}`}`;
    ctx.out.line(`quality review: ${when}${review.reason ? ` (${review.reason})` : ""}${last}`);
  } else {
    ctx.out.line(`quality review: no review due yet${last}`);
  }
}

function print(ctx: Context, lines: string[]): void {
  for (const line of lines) ctx.out.line(line);
}

/** `data 120, web 30, +2 more`: the busiest teams of a week, most invocations first. */
function topTeams(teams: readonly { team: string; invocations: number }[]): string {
  if (teams.length === 0) return "–";
  // Naming one more team takes no more room than "+1 more".
  const shown = teams.length <= TOP_TEAMS + 1 ? teams : teams.slice(0, TOP_TEAMS);
  const names = shown.map((t) => `${teamName(t.team)} ${t.invocations}`);
  if (shown.length < teams.length) names.push(`+${teams.length - shown.length} more`);
  return names.join(", ");
}

/** Claude Code reports no team when its settings name none. */
function teamName(team: string): string {
  return team === "" ? "(no team)" : team;
}

/** 0.923 → "92.3%", 1 → "100%", null → "–". */
export function formatRate(rate: number | null): string {
  return rate === null ? "–" : `${(rate * 100).toFixed(1).replace(/\.0$/, "")}%`;
}

/** Average invocations a week, to one decimal. */
export function formatWeekly(weekly: number): string {
  return weekly.toFixed(1);
}

export function tierColor(ctx: Context, tier: UsageTier): string {
  const c = ctx.out.out;
  return tier === "HIGH" ? c.green(tier) : tier === "MEDIUM" ? c.cyan(tier) : tier;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
