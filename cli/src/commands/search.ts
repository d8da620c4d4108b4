import { type Command, Option } from "commander";
import { usageError } from "../errors";
import { SearchDocument, type SearchQueryVariables, type SkillSort } from "../gql/graphql";
import { formatCount, formatRating, table } from "../output";
import { examples, nodes, run, withCommonOptions, type CommonOptions, type Context } from "./common";

/** --sort choices and the order each asks for. */
const SORT_ORDERS = { relevance: "RELEVANCE", downloads: "DOWNLOADS", rating: "RATING", recent: "RECENT", usage: "USAGE" } as const satisfies Record<
  string,
  SkillSort
>;

interface SearchOptions extends CommonOptions {
  category?: string;
  tag: string[];
  sort?: keyof typeof SORT_ORDERS;
  limit: string;
}

export function registerSearch(program: Command): void {
  const cmd = program
    .command("search")
    .description("find skills by text, category and tags")
    .argument("[query]", "words to look for in names, descriptions and tags")
    .option("--category <category>", "only skills in this category")
    .option(
      "--tag <tag>",
      "only skills with this tag (repeatable: all must match)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .addOption(new Option("--sort <order>", "result order").choices(Object.keys(SORT_ORDERS)))
    .option("--limit <n>", "how many results (1-100)", "20");
  withCommonOptions(cmd).action((query: string | undefined, options: SearchOptions) => run(options, (ctx) => search(ctx, query, options)));
  examples(cmd, ["skillyard search pdf", "skillyard search --category data --tag sql --sort downloads", 'skillyard search "extract tables" --limit 5 --json']);
}

async function search(ctx: Context, query: string | undefined, options: SearchOptions): Promise<void> {
  const first = Number(options.limit);
  if (!Number.isInteger(first) || first < 1 || first > 100)
    throw usageError(`--limit must be a whole number from 1 to 100, not ${JSON.stringify(options.limit)}.`);
  const variables: SearchQueryVariables = {
    query: query || null,
    category: options.category ?? null,
    tags: options.tag.length ? options.tag : null,
    sort: options.sort ? SORT_ORDERS[options.sort] : query ? "RELEVANCE" : "DOWNLOADS",
    first,
  };
  const { skills } = await ctx.client.gql(SearchDocument, variables);
  const rows = nodes(skills);
  if (ctx.json) {
    ctx.out.printJson({
      totalCount: skills.totalCount,
      totalCountIsCapped: skills.totalCountIsCapped,
      skills: rows.map((s) => ({ ...s, latestVersion: s.latestVersion?.version ?? null })),
    });
    return;
  }
  if (rows.length === 0) {
    ctx.out.line(`No skills match${query ? ` "${query}"` : ""}.`);
    return;
  }
  const lines = table(
    [
      { header: "NAME" },
      { header: "VERSION" },
      { header: "DESCRIPTION", flexible: true, min: 16 },
      { header: "RATING", align: "right" },
      { header: "DOWNLOADS", align: "right" },
      { header: "TAGS" },
    ],
    rows.map((s) => [
      s.name,
      s.latestVersion?.version ?? "–",
      s.description.replace(/\s+/g, " ").trim(),
      formatRating(s.rating),
      `↓ ${formatCount(s.downloads)}`,
      s.tags.join(", "),
    ]),
    undefined,
    ctx.out.out,
  );
  for (const line of lines) ctx.out.line(line);
  if (skills.totalCount !== null && skills.totalCount > rows.length) {
    // The server counts up to a cap: past it, the total is a lower bound.
    const total = `${skills.totalCount.toLocaleString("en")}${skills.totalCountIsCapped ? "+" : ""}`;
    ctx.out.line(ctx.out.out.dim(`${rows.length} of ${total} shown; use --limit to see more.`));
  }
}
