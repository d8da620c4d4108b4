import type { Command } from "commander";
import { YankDocument } from "../gql/graphql";
import { examples, findVersionId, parseExactSpec, requireToken, run, withCommonOptions, type CommonOptions, type Context } from "./common";

interface YankOptions extends CommonOptions {
  reason: string;
}

export function registerYank(program: Command): void {
  const cmd = program
    .command("yank")
    .description("yank a version: ranges and `latest` skip it; exact pins and channels still install it, with a warning")
    .argument("<name@version>", "the exact version, e.g. pdf-extract@1.2.0")
    .requiredOption("--reason <text>", "shown to everyone who still installs it");
  withCommonOptions(cmd).action((spec: string, options: YankOptions) => run(options, (ctx) => yank(ctx, spec, options.reason)));
  examples(cmd, ['skillyard yank pdf-extract@1.2.0 --reason "leaks temp files; use 1.2.1"']);
}

async function yank(ctx: Context, spec: string, reason: string): Promise<void> {
  const { name, version } = parseExactSpec(spec);
  requireToken(ctx, "Yanking");
  const { id } = await findVersionId(ctx, name, version);
  const { yankVersion } = await ctx.client.gql(YankDocument, { input: { versionId: id, reason } });
  if (ctx.json) {
    ctx.out.printJson({ name, version: yankVersion.version, versionId: yankVersion.id, status: yankVersion.status, reason: yankVersion.statusReason });
    return;
  }
  ctx.out.line(`${ctx.out.out.green("✓")} yanked ${ctx.out.out.bold(`${name}@${yankVersion.version}`)}: ${yankVersion.statusReason ?? reason}`);
}
