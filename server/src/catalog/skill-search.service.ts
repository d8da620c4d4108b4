import { registerEnumType } from "type-graphql";
import type { DataSource, EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { type CappedConnection, decodeCursor, encodeCursor, pageSize } from "../common/connection";
import { EntityRows } from "../common/entity-rows";
import { escapeLike } from "../common/sql";
import { Skill } from "./skill.entity";

export enum SkillSort {
  RELEVANCE = "RELEVANCE",
  /** skill.download_count, which DownloadCounters rolls up from the install log: it lags installs by seconds. */
  DOWNLOADS = "DOWNLOADS",
  RATING = "RATING",
  RECENT = "RECENT",
  /** Average invocations a week over the usage tier's window (Claude Code telemetry). */
  USAGE = "USAGE",
}
registerEnumType(SkillSort, {
  name: "SkillSort",
  description: "RELEVANCE needs a query; without one it orders by downloads. USAGE orders by invocations a week.",
});

export interface SkillSearchArgs {
  query?: string | null;
  category?: string | null;
  tags?: string[] | null;
  sort?: SkillSort | null;
  first?: number | null;
  after?: string | null;
}

type KeysetCursor = { v: number | string; id: string };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** timestamptz as PostgreSQL prints it (DateStyle ISO), e.g. `2030-01-01 12:00:00.000001+00`. */
const PG_TIMESTAMPTZ = /^(\d{4})-(\d{2})-(\d{2}) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?[+-]\d{2}(:[0-5]\d){0,2}$/;
const isCalendarDate = (y: number, m: number, d: number) => {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};
/**
 * Cursor values go into SQL as typed parameters: a forged value PostgreSQL cannot cast (a string for
 * an integer, a bad date, a bad uuid) must be refused here, or it fails the statement as an internal error.
 */
const KEYSET_VALUE: Record<Exclude<SkillSort, SkillSort.RELEVANCE>, (v: unknown) => boolean> = {
  [SkillSort.DOWNLOADS]: (v) => Number.isInteger(v) && Math.abs(v as number) <= 2 ** 31 - 1,
  [SkillSort.RATING]: (v) => typeof v === "number" && Number.isFinite(v),
  [SkillSort.USAGE]: (v) => typeof v === "number" && Number.isFinite(v),
  [SkillSort.RECENT]: (v) => {
    const m = typeof v === "string" ? PG_TIMESTAMPTZ.exec(v) : null;
    return m !== null && isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
  },
};
const isKeyset =
  (sort: Exclude<SkillSort, SkillSort.RELEVANCE>) =>
  (v: unknown): v is KeysetCursor =>
    typeof v === "object" &&
    v !== null &&
    typeof (v as KeysetCursor).id === "string" &&
    UUID.test((v as KeysetCursor).id) &&
    KEYSET_VALUE[sort]((v as KeysetCursor).v);
const isOffset = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** The column each keyset sort orders by (descending, then id descending). */
const KEYSET_COLUMN: Record<Exclude<SkillSort, SkillSort.RELEVANCE>, string> = {
  [SkillSort.DOWNLOADS]: "s.download_count",
  [SkillSort.RATING]: "s.rating_average",
  [SkillSort.RECENT]: "s.last_published_at",
  [SkillSort.USAGE]: "s.usage_weekly",
};

export interface SearchSql {
  sql: string;
  params: unknown[];
  sort: SkillSort;
  limit: number;
  /** RELEVANCE: the position of the page's first row among the ranked candidates. */
  offset: number;
  /** True when the statement answers the number of matches (text queries). */
  counted: boolean;
}

/**
 * A text query counts its matches up to this many: `total` answers at most COUNT_CAP + 1, which
 * the connection reports as COUNT_CAP with `totalCountIsCapped`. Counting 30,000 matches of a
 * common word costs a visit to each; counting to 1,001 stops after 1,001 of them.
 */
export const COUNT_CAP = 1000;
/**
 * RELEVANCE ranks the RANKED_CANDIDATES most downloaded matches (plus the skill named exactly as the
 * query); every other match follows them, most downloaded first. The candidates are the first of
 * the COUNT_CAP + 1 matches the count reads anyway, in downloads order; what the bound saves is the
 * ranking, word_similarity and ts_rank_cd for each candidate (several microseconds each, about as
 * much as reading the row). 200 keeps that near a millisecond, is ten default pages, and ranks the
 * whole result of any query with at most 200 matches (nearly every query), as before the bound.
 */
export const RANKED_CANDIDATES = 200;
/**
 * Typo tolerance (trigram word similarity on names) is a fallback: it is looked for only when the
 * exact matches (full text, name prefix) are fewer than this. Word similarity costs several
 * microseconds a name, and a short common word shares trigrams with thousands of names ("data"
 * with every "database-…"), which the exact matches already outnumber.
 */
export const TYPO_FALLBACK_BELOW = 20;

const MAX_QUERY_LENGTH = 200;
/**
 * pg_trgm's default word-similarity threshold (0.6) misses one swapped pair of letters in an
 * eight-letter word (`postgers` shares 5 of its 9 trigrams with `postgres`: 0.56).
 */
const TYPO_THRESHOLD = 0.5;

/** A RELEVANCE cursor: a position among the ranked candidates, or a (downloads, id) keyset among the matches after them. */
const isRelevanceCursor = (v: unknown): v is number | KeysetCursor => isOffset(v) || isKeyset(SkillSort.DOWNLOADS)(v);

/**
 * Builds the one SQL statement behind `Query.skills`. Only skills with an installable version are
 * listed. Browsing (no text query) walks the sort's keyset index. A text query matches by full text
 * on the weighted vector or by name prefix (each served by its index), and, when those find fewer
 * than TYPO_FALLBACK_BELOW skills, by trigram word similarity on the name (typos).
 *
 * No part of the statement visits every match of a common word:
 * - the total counts exact matches up to COUNT_CAP + 1 (plus the typo matches, looked for only
 *   when the exact ones are few), before any cursor;
 * - a sorted page is the first rows of the matches in the sort's order past the keyset cursor:
 *   PostgreSQL walks the sort index for a common word and sorts the few matches of a rare one;
 * - RELEVANCE ranks the bounded candidate set (RANKED_CANDIDATES) and pages through it by
 *   position; after it, the other matches follow by downloads with a keyset cursor, so a deep page
 *   costs what the first does. Positions assume the candidates do not change between two pages
 *   (as offsets always do): a skill whose downloads move it in or out of them meanwhile may be
 *   skipped or shown twice.
 *
 * The rank is the full-text rank, normalised to [0, 1) (flag 32) so no amount of repeating a word
 * in a description outweighs a name match, plus, for a name match, its word similarity and a bonus
 * of 10 for the exact name and 1 for a name prefix (an exact name always ranks first).
 */
export function buildSearchSql(args: SkillSearchArgs, columns: readonly string[] = []): SearchSql {
  const limit = pageSize(args.first);
  const query = args.query?.trim() ?? "";
  if (query.length > MAX_QUERY_LENGTH) throw new SkillyardError("BAD_USER_INPUT", `The query is over ${MAX_QUERY_LENGTH} characters.`, { argument: "query" });
  const sort = args.sort === SkillSort.RELEVANCE && !query ? SkillSort.DOWNLOADS : (args.sort ?? (query ? SkillSort.RELEVANCE : SkillSort.DOWNLOADS));
  const params: unknown[] = [];
  const p = (value: unknown) => `$${params.push(value)}`;
  const filters = ["s.latest_version_id IS NOT NULL"];
  if (args.category) filters.push(`s.category = ${p(args.category)}`);
  if (args.tags && args.tags.length > 0) filters.push(`s.tags @> ${p(args.tags)}::text[]`);
  const where = filters.join(" AND ");

  // Decoded before any SQL is built: a forged cursor is BAD_USER_INPUT whatever the query.
  let offset = 0;
  let keyset: KeysetCursor | null = null;
  if (sort === SkillSort.RELEVANCE) {
    const cursor = args.after ? decodeCursor("skills:relevance", args.after, isRelevanceCursor) : null;
    if (typeof cursor === "number") offset = cursor + 1;
    else keyset = cursor;
  } else if (args.after) {
    keyset = decodeCursor(`skills:${sort}`, args.after, isKeyset(sort));
  }
  const column = sort === SkillSort.RELEVANCE ? "s.download_count" : KEYSET_COLUMN[sort];
  const cursorRow = keyset ? `(${p(keyset.v)}${sort === SkillSort.RECENT ? "::timestamptz" : ""}, ${p(keyset.id)}::uuid)` : null;
  /** `AND (value, id) < cursor` for the given value and id expressions, or nothing without a keyset cursor. */
  const after = (value: string, id: string) => (cursorRow ? ` AND (${value}, ${id}) < ${cursorRow}` : "");
  // Timestamps go into cursors as PostgreSQL text: a JS Date would drop the microseconds and skip rows.
  const asSortValue = (value: string) => (sort === SkillSort.RECENT ? `${value}::text` : value);
  /** The found skills' own columns, so the caller needs no second statement to load them. */
  const rowColumns = (alias: string) => columns.map((c) => `, ${alias}."${c}"`).join("");

  if (!query) {
    const sql = `SELECT s.id, ${asSortValue(column)} AS sort_value, NULL AS total${rowColumns("s")}
FROM skill s
WHERE ${where}${after(column, "s.id")}
ORDER BY ${column} DESC, s.id DESC
LIMIT ${limit + 1}`;
    return { sql, params, sort, limit, offset, counted: false };
  }

  const text = p(query.toLowerCase());
  const prefix = p(`${escapeLike(query.toLowerCase())}%`);
  const tsquery = `websearch_to_tsquery('english', ${text})`;
  const exact = `(s.search_vector @@ ${tsquery} OR s.name LIKE ${prefix})`;
  // `<%` reads its threshold from a setting; set_config(..., true) sets it for this statement's
  // transaction only, in an uncorrelated subquery PostgreSQL evaluates once before the scan (a
  // one-time filter), so the one statement needs no SET round trip and leaks nothing to the pool.
  const typoThreshold = `(SELECT set_config('pg_trgm.word_similarity_threshold', '${TYPO_THRESHOLD}', true)) IS NOT NULL`;
  const relevance = sort === SkillSort.RELEVANCE;
  const carried = relevance ? ", s.name, s.search_vector" : "";
  // The count stops at COUNT_CAP + 1 exact matches. For a sorted page any of them will do, so
  // PostgreSQL reads the cheapest (the first rows of a sequential scan, for a common word). RELEVANCE
  // reads the most downloaded ones, whose first are its candidates, so one scan serves both: along
  // the downloads index for a common word, a bitmap of the matches and a top-N sort below a few
  // thousand of them (where PostgreSQL would walk the index for the candidates alone, about ten
  // times more rows for a word in 2% of skills).
  const exactCount = relevance
    ? `by_downloads AS MATERIALIZED (
  SELECT s.id, s.download_count AS v, s.name, s.search_vector FROM skill s
  WHERE ${exact} AND ${where}
  ORDER BY s.download_count DESC, s.id DESC LIMIT ${COUNT_CAP + 1}
), exact_count AS MATERIALIZED (
  SELECT count(*) AS n FROM by_downloads
)`
    : `exact_count AS MATERIALIZED (
  SELECT count(*) AS n FROM (SELECT 1 FROM skill s WHERE ${exact} AND ${where} LIMIT ${COUNT_CAP + 1}) capped
)`;
  // The typo matches exclude the exact ones, so the two counts add up. The CTEs are MATERIALIZED:
  // each is read more than once and must be computed once.
  const head = `WITH ${exactCount}, typo AS MATERIALIZED (
  SELECT s.id, ${column} AS v${carried}
  FROM skill s
  WHERE (SELECT n FROM exact_count) < ${TYPO_FALLBACK_BELOW} AND ${typoThreshold}
    AND ${text} <% s.name AND ${exact} IS NOT TRUE AND ${where}
)`;
  const total = "(SELECT n FROM exact_count) + (SELECT count(*) FROM typo)";
  /** The matches in the sort's order from the cursor on, `limit + 1` of them; `excluded` names a CTE whose ids to skip. */
  const sortedMatches = (excluded: string | null) => {
    const skipS = excluded ? ` AND s.id NOT IN (SELECT id FROM ${excluded})` : "";
    const skipT = excluded ? ` AND t.id NOT IN (SELECT id FROM ${excluded})` : "";
    return `(SELECT s.id, ${column} AS v FROM skill s
     WHERE ${exact} AND ${where}${skipS}${after(column, "s.id")}
     ORDER BY ${column} DESC, s.id DESC LIMIT ${limit + 1})
    UNION ALL
    (SELECT t.id, t.v FROM typo t
     WHERE TRUE${skipT}${after("t.v", "t.id")}
     ORDER BY t.v DESC, t.id DESC LIMIT ${limit + 1})`;
  };

  if (!relevance) {
    const sql = `${head}
SELECT page.id, ${asSortValue("page.v")} AS sort_value, ${total} AS total${rowColumns("e")}
FROM (
    ${sortedMatches(null)}
) page
JOIN skill e ON e.id = page.id
ORDER BY page.v DESC, page.id DESC
LIMIT ${limit + 1}`;
    return { sql, params, sort, limit, offset, counted: true };
  }

  // The ranked part of the page (tier 0) comes only without a keyset cursor; the rest (tier 1)
  // only when the ranked candidates left from the offset cannot fill the page.
  const ranked = keyset
    ? ""
    : `(SELECT id, 0 AS tier, rank, v FROM ranked ORDER BY rank DESC, v DESC, id DESC OFFSET ${offset} LIMIT ${limit + 1})
  UNION ALL
  `;
  const restGate = keyset ? "" : `WHERE (SELECT count(*) FROM candidates) < ${offset + limit + 1}`;
  const sql = `${head}, top AS MATERIALIZED (
  SELECT * FROM (
    (SELECT * FROM by_downloads b ORDER BY b.v DESC, b.id DESC LIMIT ${RANKED_CANDIDATES})
    UNION ALL
    (SELECT * FROM typo t ORDER BY t.v DESC, t.id DESC LIMIT ${RANKED_CANDIDATES})
  ) matches
  ORDER BY v DESC, id DESC LIMIT ${RANKED_CANDIDATES}
), candidates AS MATERIALIZED (
  SELECT * FROM top
  UNION ALL
  SELECT s.id, s.download_count, s.name, s.search_vector FROM skill s
  WHERE s.name = ${text} AND ${where} AND s.id NOT IN (SELECT id FROM top)
), ranked AS (
  SELECT c.id, c.v, ts_rank_cd(c.search_vector, ${tsquery}, 32)
         + CASE WHEN c.name = ${text} THEN 10 + c.similarity
                WHEN c.name LIKE ${prefix} THEN 1 + c.similarity
                WHEN c.similarity >= ${TYPO_THRESHOLD} THEN c.similarity
                ELSE 0 END AS rank
  -- OFFSET 0 keeps the subquery, so word_similarity runs once per candidate, not once per use.
  FROM (SELECT candidates.*, word_similarity(${text}, candidates.name) AS similarity FROM candidates OFFSET 0) c
)
SELECT page.id, page.tier, CASE WHEN page.tier = 0 THEN page.rank ELSE page.v END AS sort_value, ${total} AS total${rowColumns("e")}
FROM (
  ${ranked}(SELECT id, 1 AS tier, NULL::float8 AS rank, v FROM (
    ${sortedMatches("candidates")}
  ) rest ${restGate}
  ORDER BY v DESC, id DESC LIMIT ${limit + 1})
) page
JOIN skill e ON e.id = page.id
ORDER BY page.tier, page.rank DESC, page.v DESC, page.id DESC
LIMIT ${limit + 1}`;
  return { sql, params, sort, limit, offset, counted: true };
}

/** The search_vector of a skill row, from its own columns (also used by bench/search.ts to seed). */
export const SEARCH_VECTOR_SQL = `setweight(to_tsvector('simple', name), 'A')
         || setweight(to_tsvector('english', replace(name, '-', ' ')), 'A')
         || setweight(to_tsvector('english', array_to_string(tags, ' ')), 'A')
         || setweight(to_tsvector('english', description), 'B')`;

export class SkillSearchService {
  private skillRows: EntityRows<Skill> | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /** The statement `search` runs for these arguments (bench/search.ts times it on its own). */
  statement(args: SkillSearchArgs): SearchSql {
    return buildSearchSql(args, this.rows().columnNames);
  }

  /** Only skills with an installable version are listed, so every result is visible to everyone. */
  async search(args: SkillSearchArgs): Promise<CappedConnection<Skill>> {
    const built = this.statement(args);
    const rows: ({ id: string; sort_value: number | string; total: string | null; tier?: number } & Record<string, unknown>)[] = await this.dataSource.query(
      built.sql,
      built.params,
    );
    const page = rows.slice(0, built.limit);
    // RELEVANCE: ranked rows (tier 0) come first and are paged by position; the rows after them by (downloads, id).
    const edges = page.map((row, i) => ({
      node: this.rows().hydrate(row),
      cursor:
        built.sort !== SkillSort.RELEVANCE
          ? encodeCursor(`skills:${built.sort}`, { v: row.sort_value, id: row.id })
          : row.tier === 0
            ? encodeCursor("skills:relevance", built.offset + i)
            : encodeCursor("skills:relevance", { v: row.sort_value, id: row.id }),
    }));
    // An empty page after a cursor cannot tell the total; an empty first page means none match.
    const total = !built.counted ? null : rows.length > 0 ? Number(rows[0].total) : args.after ? null : 0;
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > built.limit,
        hasPreviousPage: Boolean(args.after),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      totalCount: total === null ? null : Math.min(total, COUNT_CAP),
      totalCountIsCapped: total !== null && total > COUNT_CAP,
    };
  }

  /** Built on first use: entity metadata exists once the data source is initialised. */
  private rows(): EntityRows<Skill> {
    return (this.skillRows ??= new EntityRows(this.dataSource, Skill));
  }

  /** Name and tags weigh A, description B. Names are also indexed whole so `pdf-tools` matches itself. */
  async refreshSearchVector(em: EntityManager, skillId: string): Promise<void> {
    await em.query(`UPDATE skill SET search_vector = ${SEARCH_VECTOR_SQL} WHERE id = $1`, [skillId]);
  }
}
