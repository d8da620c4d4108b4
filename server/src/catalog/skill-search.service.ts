import { registerEnumType } from "type-graphql";
import { In, type EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { type Connection, decodeCursor, encodeCursor, pageSize } from "../common/connection";
import { Skill } from "./skill.entity";

export enum SkillSort {
  RELEVANCE = "RELEVANCE",
  DOWNLOADS = "DOWNLOADS",
  RATING = "RATING",
  RECENT = "RECENT",
}
registerEnumType(SkillSort, { name: "SkillSort", description: "RELEVANCE needs a query; without one it orders by downloads." });

export interface SkillSearchArgs {
  query?: string | null;
  category?: string | null;
  tags?: string[] | null;
  sort?: SkillSort | null;
  first?: number | null;
  after?: string | null;
}

type KeysetCursor = { v: number | string; id: string };
const isKeyset = (v: unknown): v is KeysetCursor =>
  typeof v === "object" && v !== null && typeof (v as KeysetCursor).id === "string" && ["number", "string"].includes(typeof (v as KeysetCursor).v);
const isOffset = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** The column each keyset sort orders by (descending, then id descending). */
const KEYSET_COLUMN: Record<Exclude<SkillSort, SkillSort.RELEVANCE>, string> = {
  [SkillSort.DOWNLOADS]: "s.download_count",
  [SkillSort.RATING]: "s.rating_average",
  [SkillSort.RECENT]: "s.last_published_at",
};

export interface SearchSql {
  sql: string;
  params: unknown[];
  sort: SkillSort;
  limit: number;
  offset: number;
}

const MAX_QUERY_LENGTH = 200;

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Builds the one SQL statement behind `Query.skills`. Only skills with an installable version are
 * listed. With a text query the matches (full text on the weighted vector, trigram word similarity
 * for typos, LIKE on the name for prefixes; each served by a GIN index) are MATERIALIZED first and
 * sorted afterwards: otherwise PostgreSQL may walk a sort index (e.g. downloads) over every row
 * hoping to meet a rare term soon.
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
    const cursor = decodeCursor(`skills:${sort}`, args.after, isKeyset);
    const column = KEYSET_COLUMN[sort];
    keyset.push(`(${column}, s.id) < (${p(cursor.v)}${sort === SkillSort.RECENT ? "::timestamptz" : ""}, ${p(cursor.id)}::uuid)`);
  }
  const order =
    sort === SkillSort.RELEVANCE ? "m.rank DESC, s.id DESC" : `${KEYSET_COLUMN[sort]} DESC, s.id DESC`;
  // Timestamps go into cursors as PostgreSQL text: a JS Date would drop the microseconds and skip rows.
  const sortValue =
    sort === SkillSort.RELEVANCE ? "m.rank" : sort === SkillSort.RECENT ? `${KEYSET_COLUMN[sort]}::text` : KEYSET_COLUMN[sort];

  let sql: string;
  if (query) {
    const text = p(query.toLowerCase());
    const prefix = p(`${escapeLike(query.toLowerCase())}%`);
    sql = `WITH matches AS MATERIALIZED (
  SELECT s.id,
         ts_rank_cd(s.search_vector, websearch_to_tsquery('english', ${text}))
           + word_similarity(${text}, s.name)
           + CASE WHEN s.name = ${text} THEN 10 WHEN s.name LIKE ${prefix} THEN 1 ELSE 0 END AS rank
  FROM skill s
  WHERE (s.search_vector @@ websearch_to_tsquery('english', ${text}) OR ${text} <% s.name OR s.name LIKE ${prefix})
    AND ${filters.join(" AND ")}
)
SELECT s.id, ${sortValue} AS sort_value, count(*) OVER () AS total
FROM matches m JOIN skill s ON s.id = m.id
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
  return { sql, params, sort, limit, offset };
}

export class SkillSearchService {
  async search(em: EntityManager, args: SkillSearchArgs): Promise<Connection<Skill>> {
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
      totalCount: rows[0]?.total != null ? Number(rows[0].total) : null,
    };
  }

  /** Name and tags weigh A, description B. Names are also indexed whole so `pdf-tools` matches itself. */
  async refreshSearchVector(em: EntityManager, skillId: string): Promise<void> {
    await em.query(
      `UPDATE skill SET search_vector =
         setweight(to_tsvector('simple', name), 'A')
         || setweight(to_tsvector('english', replace(name, '-', ' ')), 'A')
         || setweight(to_tsvector('english', array_to_string(tags, ' ')), 'A')
         || setweight(to_tsvector('english', description), 'B')
       WHERE id = $1`,
      [skillId],
    );
  }
}
