import type { Command } from "commander";
import { SetChannelDocument } from "../gql/graphql";
import { assertSkillName, examples, requireToken, run, withCommonOptions, type CommonOptions, type Context } from "./common";

export function registerChannel(program: Command): void {
  const channel = program.command("channel").description("manage a skill's channels (stable, beta, …)");
  const set = channel
    .command("set")
    .description("point a channel at a version (creating the channel if needed); moving it back is a rollback")
    .argument("<name>", "skill name")
    .argument("<channel>", "channel name, e.g. stable")
    .argument("<version>", "the exact version")
    .option("--reason <text>", "why it moves (the cause of a rollback, a promotion's ticket), kept in the audit log");
  withCommonOptions(set).action((name: string, channelName: string, version: string, options: CommonOptions & { reason?: string }) =>
    run(options, (ctx) => setChannel(ctx, name, channelName, version, options.reason ?? null)),
  );
  examples(set, [
    "skillyard channel set pdf-extract stable 1.2.0",
    'skillyard channel set pdf-extract stable 1.1.0 --reason "INC-7: 1.2.0 drops pages"',
    "skillyard install pdf-extract@stable",
  ]);
  examples(channel, ["skillyard channel set pdf-extract stable 1.2.0"]);
}

async function setChannel(ctx: Context, name: string, channel: string, version: string, reason: string | null): Promise<void> {
  assertSkillName(name);
  requireToken(ctx, "Moving a channel");
  const { setChannel: result } = await ctx.client.gql(SetChannelDocument, { input: { skill: name, channel, version, reason } });
  const now = result.channel.version?.version ?? version;
  const before = result.previousVersion?.version ?? null;
  if (ctx.json) {
    ctx.out.printJson({ name, channel: result.channel.name, version: now, previousVersion: before });
    return;
  }
  ctx.out.line(
    `${ctx.out.out.green("✓")} ${name} ${ctx.out.out.bold(result.channel.name)} → ${now}${before ? ctx.out.out.dim(` (was ${before})`) : ctx.out.out.dim(" (new channel)")}`,
  );
}
