import type { Command } from "commander";
import { CliError, EXIT_USAGE } from "../errors";
import { RateDocument, type RateSkillInput } from "../gql/graphql";
import { formatRating } from "../output";
import { assertSkillName, examples, requireToken, run, withCommonOptions, type CommonOptions, type Context } from "./common";

interface RateOptions extends CommonOptions {
  review?: string;
}

export function registerRate(program: Command): void {
  const cmd = program
    .command("rate")
    .description("rate a skill from 1 to 5, optionally with a written comment (rating again edits your rating)")
    .argument("<name>", "skill name")
    .argument("<rating>", "1 to 5")
    .option("--review <text>", "a short written comment to go with the rating");
  withCommonOptions(cmd).action((name: string, rating: string, options: RateOptions) => run(options, (ctx) => rate(ctx, name, rating, options.review)));
  examples(cmd, ['skillyard rate pdf-extract 5 --review "Handles scanned PDFs well"', "skillyard rate pdf-extract 3"]);
}

async function rate(ctx: Context, name: string, raw: string, review: string | undefined): Promise<void> {
  assertSkillName(name);
  const rating = Number(raw);
  if (!/^[1-5]$/.test(raw.trim()) || !Number.isInteger(rating)) {
    throw new CliError("RATING_INVALID", `A rating must be a whole number from 1 to 5, not ${JSON.stringify(raw)}.`, EXIT_USAGE);
  }
  requireToken(ctx, "Rating");
  const input: RateSkillInput = { name, rating };
  if (review !== undefined) input.review = review;
  const { rateSkill } = await ctx.client.gql(RateDocument, { input });
  if (ctx.json) {
    ctx.out.printJson({
      name: rateSkill.skill.name,
      rating: rateSkill.rating.rating,
      review: rateSkill.rating.text,
      average: rateSkill.skill.rating,
      reviewCount: rateSkill.skill.reviewCount,
    });
    return;
  }
  const c = ctx.out.out;
  const stars = "★".repeat(rateSkill.rating.rating) + "☆".repeat(5 - rateSkill.rating.rating);
  ctx.out.line(
    `${c.green("✓")} rated ${c.bold(rateSkill.skill.name)} ${stars}; now ${formatRating(rateSkill.skill.rating)} from ${rateSkill.skill.reviewCount} rating${rateSkill.skill.reviewCount === 1 ? "" : "s"}`,
  );
}
