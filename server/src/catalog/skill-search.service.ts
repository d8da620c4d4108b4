import { registerEnumType } from "type-graphql";
import { type DataSource, In, type EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { type Connection, decodeCursor, encodeCursor, pageSize } from "../common/connection";
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
  offset: number;
  /** True when the statement answers the number of matches (text queries). */
  counted: boolean;
}

const MAX_QUERY_LENGTH = 200;
/**
 * pg_trgm's default word-similarity threshold (0.6) misses one swapped pair of letters in an
 * eight-letter word (`postgers` shares 5 of its 9 trigrams with `postgres`: 0.56).
 */
const TYPO_THRESHOLD = 0.5;

/**
 * Builds the one SQL statement behind `Query.skills`. Only skills with an installable version are
 * listed. With a text query the matches (full text on the weighted vector, trigram word similarity
 * for typos, LIKE on the name for prefixes; each served by a GIN index) are MATERIALIZED first and
 * sorted afterwards: otherwise PostgreSQL may walk a sort index (e.g. downloads) over every row
 * hoping to meet a rare term soon. The total counts every match, before the keyset condition.
 *
 * The matches carry what the page is sorted by (the rank, or the keyset column), so sorting them
 * needs no second visit to the table. A common term matches tens of thousands of skills: the rank
 * is only computed for RELEVANCE, and its name part (word_similarity, the costly one) only for the
 * skills the trigram/prefix index found by name, not for every full-text match.
 */
export function buildSearchSql(args: SkillSearchArgs): SearchSql {
  const limit = pageSize(args.first);
  const query = args.query?.trim() ?? "";
  if (query.length > MAX_QUERY_LENGTH) throw new SkillyardError("BAD_USER_INPUT", `The query is over ${MAX_QUERY_LENGTH} characters.`, { argument: "query" });
  const sort = args.sort === SkillSort.RELEVANCE && !query ? SkillSort.DOWNLOADS : (args.sort ?? (query ? SkillSort.RELEVANCE : SkillSort.DOWNLOADS));
  const params: unknown[] = [];
  const p = (value: unknown) => `$${params.push(value)}`;
  const filters = ["s.latest_version_id IS NOT NULL"];
  if (args.category) filters.push(`s.category = ${p(args.category)}`);
  if (args.tags && args.tags.length > 0) filters.push(`s.tags @> ${p(args.tags)}::text[]`);

  let offset = 0;
  const keyset: string[] = [];
  if (sort === SkillSort.RELEVANCE) {
    if (args.after) offset = decodeCursor("skills:relevance", args.after, isOffset) + 1;
  } else if (args.after) {
    const cursor = decodeCursor(`skills:${sort}`, args.after, isKeyset(sort));
    const column = KEYSET_COLUMN[sort];
    keyset.push(`(${column}, s.id) < (${p(cursor.v)}${sort === SkillSort.RECENT ? "::timestamptz" : ""}, ${p(cursor.id)}::uuid)`);
  }
  const order = sort === SkillSort.RELEVANCE ? "s.rank DESC, s.id DESC" : `${KEYSET_COLUMN[sort]} DESC, s.id DESC`;
  // Timestamps go into cursors as PostgreSQL text: a JS Date would drop the microseconds and skip rows.
  const sortValue = sort === SkillSort.RELEVANCE ? "s.rank" : sort === SkillSort.RECENT ? `${KEYSET_COLUMN[sort]}::text` : KEYSET_COLUMN[sort];

  let sql: string;
  if (query) {
    const text = p(query.toLowerCase());
    const prefix = p(`${escapeLike(query.toLowerCase())}%`);
    const where = filters.join(" AND ");
    const fullText = `s.search_vector @@ websearch_to_tsquery('english', ${text})`;
    const byName = `(${text} <% s.name OR s.name LIKE ${prefix})`;
    // `<%` reads its threshold from a setting; set_config(..., true) sets it for this statement's
    // transaction only, in an uncorrelated subquery PostgreSQL evaluates once before the scan (a
    // one-time filter), so the one statement needs no SET round trip and leaks nothing to the pool.
    const typoThreshold = `(SELECT set_config('pg_trgm.word_similarity_threshold', '${TYPO_THRESHOLD}', true)) IS NOT NULL`;
    // RELEVANCE: full-text rank, normalised to [0, 1) (flag 32) so no amount of repeating a word in a
    // description outweighs the name bonuses (an exact name always ranks first), plus, for name
    // matches, word similarity and the exact/prefix bonus.
    const matches =
      sort === SkillSort.RELEVANCE
        ? `SELECT id, sum(rank) AS rank FROM (
    SELECT s.id, ts_rank_cd(s.search_vector, websearch_to_tsquery('english', ${text}), 32) AS rank
    FROM skill s WHERE ${fullText} AND ${where}
    UNION ALL
    SELECT s.id, word_similarity(${text}, s.name) + CASE WHEN s.name = ${text} THEN 10 WHEN s.name LIKE ${prefix} THEN 1 ELSE 0 END
    FROM skill s WHERE ${typoThreshold} AND ${byName} AND ${where}
  ) hits GROUP BY id`
        : `SELECT s.id, ${KEYSET_COLUMN[sort]}
  FROM skill s
  WHERE ${typoThreshold} AND (${fullText} OR ${byName}) AND ${where}`;
    sql = `WITH matches AS MATERIALIZED (
  ${matches}
)
SELECT s.id, ${sortValue} AS sort_value, (SELECT count(*) FROM matches) AS total
FROM matches s
${keyset.length ? `WHERE ${keyset.join(" AND ")}` : ""}
ORDER BY ${order}
LIMIT ${limit + 1} OFFSET ${offset}`;
  } else {
    sql = `SELECT s.id, ${sortValue} AS sort_value, NULL AS total
FROM skill s
WHERE ${[...filters, ...keyset].join(" AND ")}
ORDER BY ${order}
LIMIT ${limit + 1}`;
  }
  return { sql, params, sort, limit, offset, counted: Boolean(query) };
}

/** The search_vector of a skill row, from its own columns (also used by bench/search.ts to seed). */
export const SEARCH_VECTOR_SQL = `setweight(to_tsvector('simple', name), 'A')
         || setweight(to_tsvector('english', replace(name, '-', ' ')), 'A')
         || setweight(to_tsvector('english', array_to_string(tags, ' ')), 'A')
         || setweight(to_tsvector('english', description), 'B')`;

export class SkillSearchService {
  constructor(private readonly dataSource: DataSource) {}

  /** Only skills with an installable version are listed, so every result is visible to everyone. */
  async search(args: SkillSearchArgs): Promise<Connection<Skill>> {
    const em = this.dataSource.manager;
    const built = buildSearchSql(args);
    const rows: { id: string; sort_value: number | string; total: string | null }[] = await em.query(built.sql, built.params);
    const page = rows.slice(0, built.limit);
    const skills = page.length ? await em.getRepository(Skill).findBy({ id: In(page.map((r) => r.id)) }) : [];
    const byId = new Map(skills.map((s) => [s.id, s]));
    const edges = page.map((row, i) => ({
      node: byId.get(row.id)!,
      cursor:
        built.sort === SkillSort.RELEVANCE
          ? encodeCursor("skills:relevance", built.offset + i)
          : encodeCursor(`skills:${built.sort}`, { v: row.sort_value, id: row.id }),
    }));
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > built.limit,
        hasPreviousPage: Boolean(args.after),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      // An empty page after a cursor cannot tell the total; an empty first page means none match.
      totalCount: !built.counted ? null : rows.length > 0 ? Number(rows[0].total) : args.after ? null : 0,
    };
  }

  /** Name and tags weigh A, description B. Names are also indexed whole so `pdf-tools` matches itself. */
  async refreshSearchVector(em: EntityManager, skillId: string): Promise<void> {
    await em.query(`UPDATE skill SET search_vector = ${SEARCH_VECTOR_SQL} WHERE id = $1`, [skillId]);
  }
}
