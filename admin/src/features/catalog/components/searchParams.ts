import type { CatalogSearchQueryVariables } from "../../../gql/graphql";

export type SkillSort = NonNullable<CatalogSearchQueryVariables["sort"]>;

export const SORTS: { value: SkillSort; label: string; order: string }[] = [
  { value: "RELEVANCE", label: "Relevance", order: "best matches first" },
  { value: "DOWNLOADS", label: "Most installed", order: "most installed first" },
  { value: "RATING", label: "Best rated", order: "best rated first" },
  { value: "RECENT", label: "Recently published", order: "newest releases first" },
  { value: "USAGE", label: "Most used", order: "most invocations a week first" },
];

/** The catalog search as it lives in the URL: ?q=&sort=&category=&tag=&tag= */
export interface CatalogSearch {
  q: string;
  /** As asked for in the URL; null means the default for the query. */
  sort: SkillSort | null;
  category: string | null;
  tags: string[];
}

const isSort = (value: string | null): value is SkillSort => SORTS.some((sort) => sort.value === value);

export function readSearch(params: URLSearchParams): CatalogSearch {
  const sort = params.get("sort");
  return {
    q: params.get("q") ?? "",
    sort: isSort(sort) ? sort : null,
    category: params.get("category") || null,
    tags: params.getAll("tag").filter(Boolean),
  };
}

export function writeSearch(search: CatalogSearch): URLSearchParams {
  const params = new URLSearchParams();
  if (search.q) params.set("q", search.q);
  if (search.sort) params.set("sort", search.sort);
  if (search.category) params.set("category", search.category);
  for (const tag of search.tags) params.append("tag", tag);
  return params;
}

/**
 * The order the server will use: relevance needs a query (the server falls back to downloads
 * without one), and a query without an explicit sort is ordered by relevance.
 */
export function effectiveSort(search: CatalogSearch): SkillSort {
  const q = search.q.trim();
  if (search.sort === "RELEVANCE" && !q) return "DOWNLOADS";
  return search.sort ?? (q ? "RELEVANCE" : "DOWNLOADS");
}
