import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { COUNT_CAP, RANKED_CANDIDATES, SEARCH_VECTOR_SQL, TYPO_FALLBACK_BELOW } from "../src/catalog/skill-search.service";
import { startTestServer, type GraphQLResponse, type TestServer } from "./support/test-server";

/**
 * What keeps a search's cost bounded by the page rather than by the number of matches, seen from
 * the API: the capped total, RELEVANCE ranking a bounded candidate set, and typo matching as a
 * fallback. The catalog is written in SQL (a thousand publishes would take minutes); search reads
 * only the skill row, and every skill gets the search_vector refreshSearchVector would write.
 */

const SKILLS = `query Skills($query: String, $category: String, $sort: SkillSort, $first: Int, $after: String) {
  skills(query: $query, category: $category, sort: $sort, first: $first, after: $after) {
    totalCount
    totalCountIsCapped
    edges { cursor node { name downloads } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface SkillsPage {
  totalCount: number | null;
  totalCountIsCapped: boolean;
  edges: { cursor: string; node: { name: string; downloads: number } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

interface Row {
  name: string;
  description: string;
  downloads: number;
  category?: string;
  /** False: no installable version, so never listed nor counted. */
  listed?: boolean;
}

/**
 * "beta": one more match than the cap. Most are description matches ("item-N", downloads 10·N);
 * beta-top is a name-prefix match among the RANKED_CANDIDATES most downloaded, beta-low one far
 * below them, and the skill named exactly "beta" has no downloads at all.
 */
const BETA_ITEMS = COUNT_CAP + 1 - 3;
const BETA: Row[] = [
  ...Array.from({ length: BETA_ITEMS }, (_, i) => ({ name: `item-${i + 1}`, description: `A beta report, number ${i + 1}.`, downloads: 10 * (i + 1) })),
  { name: "beta-top", description: "Top of the list.", downloads: 10 * (BETA_ITEMS - 50) + 5 },
  { name: "beta-low", description: "Bottom of the list.", downloads: 1 },
  { name: "beta", description: "The beta itself.", downloads: 0 },
];
/** "alpha": exactly the cap, plus an unlisted match that must not count. */
const ALPHA: Row[] = [
  ...Array.from({ length: COUNT_CAP }, (_, i) => ({ name: `thing-${i + 1}`, description: `An alpha thing ${i + 1}.`, downloads: i })),
  { name: "alpha-unlisted", description: "An alpha nobody can install.", downloads: 5, listed: false },
];
/** "lantern": more exact matches than the typo fallback needs, three of them outdoors, and a typo of it in a name. */
const LANTERN: Row[] = [
  ...Array.from({ length: TYPO_FALLBACK_BELOW + 5 }, (_, i) => ({
    name: `light-${i + 1}`,
    description: `A lantern for room ${i + 1}.`,
    downloads: i,
    category: i < 3 ? "outdoor" : "indoor",
  })),
  { name: "lanterm-kit", description: "Camping gear.", downloads: 7, category: "outdoor" },
];

describe("search bounds", () => {
  let server: TestServer;

  const search = (variables: Record<string, unknown>) => server.gql<{ skills: SkillsPage }>(SKILLS, variables);
  const searchOk = async (variables: Record<string, unknown>): Promise<SkillsPage> => {
    const res = await search(variables);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.skills;
  };
  const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions.code;

  /** Every page, following endCursor. */
  async function walk(variables: Record<string, unknown>): Promise<SkillsPage[]> {
    const pages: SkillsPage[] = [];
    let after: string | null = null;
    for (let i = 0; i < 200; i++) {
      const page = await searchOk({ ...variables, after });
      pages.push(page);
      if (!page.pageInfo.hasNextPage) return pages;
      after = page.pageInfo.endCursor;
    }
    throw new Error("pagination did not end");
  }

  before(async () => {
    server = await startTestServer();
    const team = server.seed.team("bounds");
    const { user } = await team.member("owner");
    const { id: teamId } = await team.entity();
    const rows = [...BETA, ...ALPHA, ...LANTERN];
    const db = server.runtime.dataSource;
    await db.query(
      `INSERT INTO skill (name, name_skeleton, team_id, description, category, latest_version_id, download_count, last_published_at)
       SELECT r.name, r.name, $1, r.description, r.category, CASE WHEN r.listed THEN gen_random_uuid() END, r.downloads, now()
       FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::bool[]) AS r(name, description, category, downloads, listed)`,
      [
        teamId,
        rows.map((r) => r.name),
        rows.map((r) => r.description),
        rows.map((r) => r.category ?? "general"),
        rows.map((r) => r.downloads),
        rows.map((r) => r.listed ?? true),
      ],
    );
    // Each listed skill's latest version, as publishing leaves it.
    await db.query(
      `INSERT INTO skill_version (id, skill_id, version, status, manifest, package_sha256, package_size, published_by_id, published_at)
       SELECT s.latest_version_id, s.id, '1.0.0', 'PUBLISHED', jsonb_build_object('name', s.name, 'version', '1.0.0', 'description', s.description),
              encode(sha256(convert_to(s.name, 'UTF8')), 'hex'), 1024, $1, now()
       FROM skill s WHERE s.latest_version_id IS NOT NULL`,
      [user.id],
    );
    await db.query(`UPDATE skill SET search_vector = ${SEARCH_VECTOR_SQL}`);
    await db.query("ANALYZE skill");
  });
  after(() => server.close());

  describe("the total is counted up to the cap", () => {
    for (const sort of ["RELEVANCE", "DOWNLOADS", "RATING", "RECENT"]) {
      test(`${sort}: one match over the cap reports the cap as a lower bound; exactly the cap is exact`, async () => {
        assert.deepEqual(pick(await searchOk({ query: "beta", sort, first: 1 })), { totalCount: COUNT_CAP, totalCountIsCapped: true });
        assert.deepEqual(pick(await searchOk({ query: "alpha", sort, first: 1 })), { totalCount: COUNT_CAP, totalCountIsCapped: false });
        assert.deepEqual(pick(await searchOk({ query: "lantern", sort, first: 1 })), { totalCount: LANTERN.length - 1, totalCountIsCapped: false });
      });
    }

    test("browsing counts nothing", async () => {
      assert.deepEqual(pick(await searchOk({ first: 1 })), { totalCount: null, totalCountIsCapped: false });
    });

    test("a capped count still pages through every match: DOWNLOADS walks all of them, most downloaded first", async () => {
      const pages = await walk({ query: "beta", sort: "DOWNLOADS", first: 100 });
      const nodes = pages.flatMap((p) => p.edges.map((e) => e.node));
      assert.equal(nodes.length, BETA.length);
      assert.equal(new Set(nodes.map((n) => n.name)).size, BETA.length);
      assert.deepEqual(
        nodes.map((n) => n.downloads),
        BETA.map((r) => r.downloads).sort((a, b) => b - a),
      );
      for (const p of pages) assert.deepEqual(pick(p), { totalCount: COUNT_CAP, totalCountIsCapped: true });
    });
  });

  describe("RELEVANCE ranks a bounded candidate set", () => {
    test(`the ${RANKED_CANDIDATES} most downloaded matches and the exact name are ranked first; every other match follows, most downloaded first`, async () => {
      for (const first of [100, 7]) {
        const pages = await walk({ query: "beta", first });
        const names = pages.flatMap((p) => p.edges.map((e) => e.node.name));
        assert.equal(names.length, BETA.length, `page size ${first}`);
        assert.equal(new Set(names).size, BETA.length, `no skill twice (page size ${first})`);

        const byDownloads = [...BETA].sort((a, b) => b.downloads - a.downloads);
        const candidates = new Set([...byDownloads.slice(0, RANKED_CANDIDATES).map((r) => r.name), "beta"]);
        const ranked = names.slice(0, candidates.size);
        // The exact name first (whatever its downloads), then the name-prefix match, then description matches.
        assert.deepEqual(ranked.slice(0, 2), ["beta", "beta-top"]);
        assert.deepEqual(new Set(ranked), candidates);
        const rest = names.slice(candidates.size);
        assert.deepEqual(
          rest,
          byDownloads.filter((r) => !candidates.has(r.name)).map((r) => r.name),
        );
        // A name-prefix match outside the candidates is not ranked: it comes in downloads order, last.
        assert.equal(rest.at(-1), "beta-low");
      }
    });

    test("a cursor past the candidates is a (downloads, id) keyset of the same list; a forged one is refused", async () => {
      const forge = (value: unknown) => Buffer.from(JSON.stringify(["skills:relevance", value])).toString("base64url");
      const [{ id }] = (await server.runtime.dataSource.query(`SELECT id FROM skill WHERE name = 'item-500'`)) as { id: string }[];
      const next = await searchOk({ query: "beta", first: 2, after: forge({ v: 10 * 500, id }) });
      assert.deepEqual(
        next.edges.map((e) => e.node.name),
        ["item-499", "item-498"],
      );
      for (const value of [{ v: "many", id }, { v: 5, id: "nope" }, { v: 1.5, id }, -1]) {
        assert.equal(codeOf(await search({ query: "beta", after: forge(value) })), "BAD_USER_INPUT", JSON.stringify(value));
      }
    });
  });

  describe("typo matches are a fallback", () => {
    test(`with ${TYPO_FALLBACK_BELOW} exact matches or more, a name that only looks like the query is not one`, async () => {
      const page = await searchOk({ query: "lantern", first: 100 });
      assert.equal(page.edges.length, LANTERN.length - 1);
      assert.ok(!page.edges.some((e) => e.node.name === "lanterm-kit"));
    });

    test("with fewer exact matches, typos in names are matched and counted", async () => {
      for (const sort of ["RELEVANCE", "DOWNLOADS"]) {
        const page = await searchOk({ query: "lantern", category: "outdoor", sort, first: 100 });
        assert.deepEqual(page.edges.map((e) => e.node.name).sort(), ["lanterm-kit", "light-1", "light-2", "light-3"], sort);
        assert.deepEqual(pick(page), { totalCount: 4, totalCountIsCapped: false }, sort);
      }
    });
  });
});

function pick(page: SkillsPage): Pick<SkillsPage, "totalCount" | "totalCountIsCapped"> {
  return { totalCount: page.totalCount, totalCountIsCapped: page.totalCountIsCapped };
}
