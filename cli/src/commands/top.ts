import type { Command } from "commander";
import { usageError } from "../errors";
import { TopSkillsDocument } from "../gql/graphql";
import { formatCount, table } from "../output";
import { examples, nodes, run, withCommonOptions, type CommonOptions, type Context } from "./common";
import { formatWeekly, tierColor } from "./usage";

interface TopOptions extends CommonOptions {
  limit: string;
}

export function registerTop(program: Command): void {
  const cmd = program
    .command("top")
    .description("the most-used skills: average invocations a week over the last full weeks, from Claude Code's telemetry")
    .option("--limit <n>", "how many skills (1-100)", "10");
  withCommonOptions(cmd).action((options: TopOptions) => run(options, (ctx) => top(ctx, options)));
  examples(cmd, ["skillyard top", "skillyard top --limit 5 --json"]);
}

async function top(ctx: Context, options: TopOptions): Promise<void> {
  const first = Number(options.limit);
  if (!Number.isInteger(first) || first < 1 || first > 100)
    throw usageError(`--limit must be a whole number from 1 to 100, not ${JSON.stringify(options.limit)}.`);
  const { skills } = await ctx.client.gql(TopSkillsDocument, { first });
  const rows = nodes(skills);
  if (ctx.json) {
    ctx.out.printJson({ skills: rows });
    return;
  }
  if (rows.length === 0) {
    ctx.out.line("There are no skills yet.");
    return;
  }
  const c = ctx.out.out;
  const lines = table(
    [
      { header: "NAME" },
      { header: "TIER" },
      { header: "PER WEEK", align: "right" },
      { header: "DOWNLOADS", align: "right" },
      { header: "DESCRIPTION", flexible: true, min: 16 },
    ],
    rows.map((s) => [
      s.name,
      tierColor(ctx, s.usageTier),
      formatWeekly(s.usageWeeklyInvocations),
      `↓ ${formatCount(s.downloads)}`,
      s.description.replace(/\s+/g, " ").trim(),
    ]),
    undefined,
    c,
  );
  for (const line of lines) ctx.out.line(line);
  if (rows.every((s) => s.usageWeeklyInvocations === 0)) {
    ctx.out.line(c.dim("No invocations reported over the last full weeks yet (Claude Code sends them once its managed settings are in place)."));
  }
}
