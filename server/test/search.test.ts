import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buildSearchSql } from "../src/catalog/skill-search.service";
import { skillYaml } from "./support/seed";
import { publishOk } from "./support/publish";
import { startTestServer, type GraphQLResponse, type TestServer } from "./support/test-server";

const SKILLS = `query Skills($query: String, $category: String, $tags: [String!], $sort: SkillSort, $first: Int, $after: String) {
  skills(query: $query, category: $category, tags: $tags, sort: $sort, first: $first, after: $after) {
    totalCount
    edges { cursor node { name category tags downloads rating } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}`;

interface SkillNode {
  name: string;
  category: string;
  tags: string[];
  downloads: number;
  rating: number | null;
}

interface SkillsPage {
  totalCount: number | null;
  edges: { cursor: string; node: SkillNode }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
}

type Sort = "RELEVANCE" | "DOWNLOADS" | "RATING" | "RECENT";

interface SearchArgs {
  query?: string | null;
  category?: string;
  tags?: string[];
  sort?: Sort;
  first?: number;
  after?: string | null;
}

interface Fixture {
  name: string;
  description: string;
  category: string;
  tags: string[];
  downloads: number;
  /** [average, count]; unrated when absent. */
  rating?: [number, number];
  /** Minutes before a fixed instant; microsecond offsets make RECENT ties on the millisecond. */
  publishedMinutesAgo: number;
}

/**
 * Download counts repeat on purpose (0, 40, 75, 120) so keyset pages cross ties; two skills share a
 * millisecond of last_published_at and differ by microseconds only.
 */
const FIXTURES: Fixture[] = [
  {
    name: "pdf-extract",
    description: "Pull text and tables out of documents into plain files.",
    category: "documents",
    tags: ["extraction"],
    downloads: 40,
    rating: [4.5, 2],
    publishedMinutesAgo: 1,
  },
  {
    name: "report-summarizer",
    description: "Summarize long reports; it reads pdf files, pdf forms and pdf scans.",
    category: "documents",
    tags: ["summary", "nlp"],
    downloads: 900,
    rating: [3.8, 5],
    publishedMinutesAgo: 2,
  },
  { name: "csv", description: "A tiny helper.", category: "data", tags: ["tabular"], downloads: 0, publishedMinutesAgo: 3 },
  {
    name: "csv-tools",
    description: "Tools for csv files: csv parsing, csv writing, csv validation and csv repair.",
    category: "data",
    tags: ["csv", "tabular"],
    downloads: 500,
    rating: [4.9, 10],
    publishedMinutesAgo: 4,
  },
  {
    name: "postgres-query",
    description: "Run read-only SQL against a relational database.",
    category: "data",
    tags: ["database", "sql"],
    downloads: 75,
    rating: [4.1, 3],
    publishedMinutesAgo: 5,
  },
  {
    name: "kubernetes-deploy",
    description: "Roll out containers to a cluster with health checks.",
    category: "devops",
    tags: ["containers", "k8s"],
    downloads: 120,
    rating: [4.2, 4],
    publishedMinutesAgo: 6,
  },
  {
    name: "web-scraper",
    description: "Scrape web pages and extract links and headings.",
    category: "web",
    tags: ["crawler"],
    downloads: 40,
    rating: [3.0, 1],
    publishedMinutesAgo: 7,
  },
  { name: "image-resizer", description: "Resize and crop images in bulk.", category: "media", tags: ["images"], downloads: 0, publishedMinutesAgo: 8 },
  {
    name: "audio-transcriber",
    description: "Transcribe audio recordings into text.",
    category: "media",
    tags: ["audio", "speech", "nlp"],
    downloads: 120,
    rating: [4.4, 6],
    publishedMinutesAgo: 9,
  },
  {
    name: "sentiment-analyzer",
    description: "Score the sentiment of customer feedback.",
    category: "nlp",
    tags: ["nlp", "text"],
    downloads: 75,
    rating: [4.4, 2],
    publishedMinutesAgo: 10,
  },
  {
    name: "translate-text",
    description: "Translate text between forty languages.",
    category: "nlp",
    tags: ["nlp", "translation"],
    downloads: 40,
    publishedMinutesAgo: 11,
  },
  {
    name: "git-changelog",
    description: "Write a changelog from git history between two tags.",
    category: "devops",
    tags: ["git", "release"],
    downloads: 0,
    rating: [2.5, 2],
    publishedMinutesAgo: 12,
  },
  {
    name: "docker-cleanup",
    description: "Remove dangling images, stopped containers and unused volumes.",
    category: "devops",
    tags: ["containers", "docker"],
    downloads: 120,
    publishedMinutesAgo: 13,
  },
  {
    name: "slack-notifier",
    description: "Post build results to a chat channel.",
    category: "communication",
    tags: ["chat"],
    downloads: 0,
    rating: [3.0, 3],
    publishedMinutesAgo: 14,
  },
  {
    name: "email-digest",
    description: "Send a daily summary of unread mail.",
    category: "communication",
    tags: ["email", "summary"],
    downloads: 75,
    publishedMinutesAgo: 15,
  },
  {
    name: "json-validator",
    description: "Validate JSON documents against a schema.",
    category: "data",
    tags: ["json", "validation"],
    downloads: 40,
    rating: [4.4, 1],
    publishedMinutesAgo: 16,
  },
  { name: "calendar-sync", description: "Keep two calendars in sync.", category: "productivity", tags: ["calendar"], downloads: 0, publishedMinutesAgo: 17 },
  {
    name: "invoice-reader",
    description: "Read totals and dates from scanned invoices.",
    category: "documents",
    tags: ["extraction", "finance"],
    downloads: 75,
    publishedMinutesAgo: 18,
  },
  {
    name: "markdown-linter",
    description: "Lint markdown files for broken links.",
    category: "documents",
    tags: ["lint"],
    downloads: 0,
    publishedMinutesAgo: 19,
  },
  { name: "log-analyzer", description: "Find error bursts in application logs.", category: "devops", tags: ["logs"], downloads: 40, publishedMinutesAgo: 20 },
  // Keyword stuffing: "csv" 250 times in the description.
  { name: "table-helper", description: "csv ".repeat(250).trim(), category: "data", tags: [], downloads: 0, publishedMinutesAgo: 21 },
];

/** Published, then made uninstallable: must never be listed. */
const UNLISTED = { name: "ghost-pdf-extract", description: "Extract pdf text; this version was yanked.", category: "documents", tags: ["extraction", "nlp"] };

const SORTS: Sort[] = ["DOWNLOADS", "RATING", "RECENT", "RELEVANCE"];
const LISTED = FIXTURES.map((f) => f.name).sort();

describe("skills search", () => {
  let server: TestServer;

  const search = (args: SearchArgs) => server.gql<{ skills: SkillsPage }>(SKILLS, { ...args });
  const searchOk = async (args: SearchArgs): Promise<SkillsPage> => {
    const res = await search(args);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.skills;
  };
  const names = async (args: SearchArgs) => (await searchOk(args)).edges.map((e) => e.node.name);
  const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions.code;

  /** Follows endCursor until the end; answers every page. */
  async function walk(args: SearchArgs): Promise<SkillsPage[]> {
    const pages: SkillsPage[] = [];
    let after: string | null = null;
    for (let i = 0; i < 100; i++) {
      const page = await searchOk({ ...args, after });
      pages.push(page);
      if (i > 0) assert.equal(page.pageInfo.hasPreviousPage, true);
      if (!page.pageInfo.hasNextPage) return pages;
      assert.ok(page.pageInfo.endCursor, "a page with a next page has an end cursor");
      after = page.pageInfo.endCursor;
    }
    throw new Error("pagination did not end");
  }

  before(async () => {
    server = await startTestServer();
    const { token } = await server.seed.team("search").member("searcher");
    for (const f of [...FIXTURES, UNLISTED]) {
      await publishOk(server, token, {
        "skill.yaml": skillYaml({ name: f.name, version: "1.0.0", description: f.description, category: f.category, tags: f.tags }),
      });
    }
    // Downloads, ratings and publish times belong to other features; set them directly. None of
    // them feed search_vector (name, tags and description do), so the vector stays consistent.
    const db = server.runtime.dataSource;
    for (const [i, f] of FIXTURES.entries()) {
      await db.query(
        `UPDATE skill SET download_count = $2, rating_average = $3, rating_count = $4,
           last_published_at = timestamptz '2030-01-01 12:00:00+00' - make_interval(mins => $5) + make_interval(secs => $6)
         WHERE name = $1`,
        [f.name, f.downloads, f.rating?.[0] ?? 0, f.rating?.[1] ?? 0, f.publishedMinutesAgo, i % 2 === 0 ? 0 : 0.000001],
      );
    }
    // Two skills whose publish times differ only in the microseconds (a JS Date would merge them).
    await db.query(`UPDATE skill SET last_published_at = timestamptz '2030-01-01 12:30:00.000001+00' WHERE name = 'calendar-sync'`);
    await db.query(`UPDATE skill SET last_published_at = timestamptz '2030-01-01 12:30:00.000002+00' WHERE name = 'markdown-linter'`);
    await db.query(`UPDATE skill_version SET status = 'YANKED' WHERE skill_id = (SELECT id FROM skill WHERE name = $1)`, [UNLISTED.name]);
    await db.query(`UPDATE skill SET latest_version_id = NULL, download_count = 100000, rating_average = 5, rating_count = 9 WHERE name = $1`, [UNLISTED.name]);
  });
  after(() => server.close());

  describe("full text", () => {
    test("matches the description with stemming: 'extracting' finds 'extract'", async () => {
      const found = await names({ query: "extracting" });
      assert.ok(found.includes("web-scraper"), `only the description of web-scraper says "extract": ${found.join(", ")}`);
      assert.ok(found.includes("pdf-extract"), found.join(", "));
      assert.ok(!found.includes("image-resizer"));
    });

    test("matches words of the description in any form ('scanned invoice' finds 'scanned invoices')", async () => {
      assert.deepEqual(await names({ query: "scanned invoice" }), ["invoice-reader"]);
    });

    test("a match in the name outranks matches in the description only", async () => {
      // report-summarizer says pdf three times in its description and has more downloads.
      const found = await names({ query: "pdf" });
      assert.deepEqual(found.slice(0, 2), ["pdf-extract", "report-summarizer"]);
    });

    test("an exact name ranks first", async () => {
      // csv-tools says csv five times and has csv in its name and tags; table-helper says it 250
      // times in its description only. The skill named csv wins, then the name match.
      const found = await names({ query: "csv" });
      assert.deepEqual(found, ["csv", "csv-tools", "table-helper"]);
      assert.equal((await names({ query: "postgres-query" }))[0], "postgres-query");
    });

    test("tags are searched", async () => {
      assert.deepEqual(await names({ query: "k8s" }), ["kubernetes-deploy"]);
    });

    test("tolerates a typo in a name ('postgers' finds postgres-query)", async () => {
      assert.equal((await names({ query: "postgers" }))[0], "postgres-query");
      assert.equal((await names({ query: "kubernetse" }))[0], "kubernetes-deploy");
    });

    test("matches a name prefix ('kube' finds kubernetes-deploy)", async () => {
      assert.equal((await names({ query: "kube" }))[0], "kubernetes-deploy");
      assert.equal((await names({ query: "Sentim" }))[0], "sentiment-analyzer");
    });

    test("a query that matches nothing answers an empty page with totalCount 0", async () => {
      const page = await searchOk({ query: "zeppelin" });
      assert.deepEqual(page.edges, []);
      assert.equal(page.totalCount, 0);
      assert.equal(page.pageInfo.hasNextPage, false);
    });

    test("totalCount counts every match for a text query and is null when browsing", async () => {
      const page = await searchOk({ query: "nlp", first: 1 });
      assert.equal(page.edges.length, 1);
      assert.equal(page.totalCount, 4, "report-summarizer, audio-transcriber, sentiment-analyzer, translate-text");
      assert.equal((await searchOk({ first: 1 })).totalCount, null);
    });

    for (const query of [
      "'",
      "&",
      "|",
      "!",
      ":*",
      "%",
      "_",
      "\\",
      "pdf:*",
      "pdf & | !x",
      "a'b\\c%_d",
      '"unclosed',
      "(pdf",
      "-",
      "csv <-> tools",
      "' OR 1=1 --",
    ]) {
      test(`the query ${JSON.stringify(query)} does not fail`, async () => {
        const page = await searchOk({ query });
        assert.equal(typeof page.totalCount, "number");
        // LIKE wildcards are escaped: "%" and "_" match no name rather than every name.
        if (["%", "_", "\\", "'", ":*"].includes(query)) assert.deepEqual(page.edges, []);
      });
    }

    test("the typo threshold is set for the search statement only, not left on the pooled connection", async () => {
      const runner = server.runtime.dataSource.createQueryRunner();
      try {
        const built = buildSearchSql({ query: "postgers" });
        assert.equal((await runner.query(built.sql, built.params)).length, 1);
        const [{ threshold }] = (await runner.query(`SELECT current_setting('pg_trgm.word_similarity_threshold') AS threshold`)) as { threshold: string }[];
        assert.equal(threshold, "0.6");
      } finally {
        await runner.release();
      }
    });

    test("a query over 200 characters is BAD_USER_INPUT", async () => {
      assert.equal(codeOf(await search({ query: "x".repeat(201) })), "BAD_USER_INPUT");
    });
  });

  describe("filters", () => {
    test("category keeps only that category, with and without a query", async () => {
      assert.deepEqual((await names({ category: "devops", first: 100 })).sort(), ["docker-cleanup", "git-changelog", "kubernetes-deploy", "log-analyzer"]);
      assert.deepEqual((await names({ category: "devops", query: "containers" })).sort(), ["docker-cleanup", "kubernetes-deploy"]);
      assert.deepEqual(await names({ category: "no-such-category" }), []);
    });

    test("tags keep skills carrying every given tag", async () => {
      assert.deepEqual((await names({ tags: ["nlp"], first: 100 })).sort(), ["audio-transcriber", "report-summarizer", "sentiment-analyzer", "translate-text"]);
      assert.deepEqual(await names({ tags: ["nlp", "summary"] }), ["report-summarizer"]);
      assert.deepEqual(await names({ tags: ["nlp", "email"] }), []);
      assert.deepEqual(await names({ tags: ["containers"], query: "images" }), ["docker-cleanup"]);
    });

    test("skills without an installable version are not listed", async () => {
      const everything = await names({ first: 100 });
      assert.deepEqual([...everything].sort(), LISTED);
      for (const query of ["ghost", "ghost-pdf-extract", "yanked", "pdf"]) assert.ok(!(await names({ query, first: 100 })).includes(UNLISTED.name), query);
      assert.ok(!(await names({ tags: ["extraction"], first: 100 })).includes(UNLISTED.name));
      for (const sort of SORTS) assert.ok(!(await names({ sort, first: 100 })).includes(UNLISTED.name), sort);
    });
  });

  describe("sorts", () => {
    test("DOWNLOADS orders by downloads, most first", async () => {
      const nodes = (await searchOk({ sort: "DOWNLOADS", first: 100 })).edges.map((e) => e.node);
      assert.deepEqual(
        nodes.slice(0, 2).map((n) => n.name),
        ["report-summarizer", "csv-tools"],
      );
      const downloads = nodes.map((n) => n.downloads);
      assert.deepEqual(
        downloads,
        [...downloads].sort((a, b) => b - a),
      );
    });

    test("RATING orders by average rating, unrated last", async () => {
      const nodes = (await searchOk({ sort: "RATING", first: 100 })).edges.map((e) => e.node);
      assert.deepEqual(
        nodes.slice(0, 2).map((n) => n.name),
        ["csv-tools", "pdf-extract"],
      );
      const ratings = nodes.map((n) => n.rating ?? 0);
      assert.deepEqual(
        ratings,
        [...ratings].sort((a, b) => b - a),
      );
      assert.equal(nodes.at(-1)!.rating, null);
    });

    test("RECENT orders by last publish time, newest first (to the microsecond)", async () => {
      const found = await names({ sort: "RECENT", first: 100 });
      const expected = [
        "markdown-linter",
        "calendar-sync",
        ...[...FIXTURES]
          .filter((f) => !["markdown-linter", "calendar-sync"].includes(f.name))
          .sort((a, b) => a.publishedMinutesAgo - b.publishedMinutesAgo)
          .map((f) => f.name),
      ];
      assert.deepEqual(found, expected);
    });

    test("RELEVANCE without a query orders by downloads", async () => {
      assert.deepEqual(await names({ sort: "RELEVANCE", first: 100 }), await names({ sort: "DOWNLOADS", first: 100 }));
      assert.deepEqual(await names({ first: 100 }), await names({ sort: "DOWNLOADS", first: 100 }));
    });

    test("a text query sorted by downloads keeps only the matches", async () => {
      const nodes = (await searchOk({ query: "containers", sort: "DOWNLOADS" })).edges.map((e) => e.node);
      assert.deepEqual(nodes.map((n) => n.name).sort(), ["docker-cleanup", "kubernetes-deploy"]);
      assert.deepEqual(
        nodes.map((n) => n.downloads),
        [120, 120],
      );
    });

    test("a text query without a sort is ordered by relevance", async () => {
      assert.deepEqual(await names({ query: "pdf" }), await names({ query: "pdf", sort: "RELEVANCE" }));
    });
  });

  describe("pagination", () => {
    for (const sort of SORTS) {
      for (const query of [null, "text", "nlp"]) {
        test(`walking ${sort} pages${query ? ` for "${query}"` : ""} returns every skill once, in order`, async () => {
          const all = await searchOk({ query, sort, first: 100 });
          assert.equal(all.pageInfo.hasNextPage, false);
          const expected = all.edges.map((e) => e.node.name);
          assert.ok(expected.length >= (query ? 3 : FIXTURES.length), `${expected.length} matches`);
          for (const first of [1, 3]) {
            const pages = await walk({ query, sort, first });
            const walked = pages.flatMap((p) => p.edges.map((e) => e.node.name));
            assert.equal(new Set(walked).size, walked.length, `no skill twice: ${walked.join(", ")}`);
            assert.deepEqual(walked, expected);
            assert.ok(pages.every((p) => p.edges.length <= first));
            // totalCount counts every match on every page, not what is left after the cursor.
            for (const p of pages) assert.equal(p.totalCount, query ? expected.length : null);
          }
        });
      }
    }

    test("the last page has no next page and the one after it is empty", async () => {
      const pages = await walk({ sort: "DOWNLOADS", first: 7 });
      assert.deepEqual(
        pages.map((p) => p.edges.length),
        [7, 7, 7],
      );
      const lastCursor = pages.at(-1)!.edges.at(-1)!.cursor;
      const beyond = await searchOk({ sort: "DOWNLOADS", first: 7, after: lastCursor });
      assert.deepEqual(beyond.edges, []);
      assert.equal(beyond.pageInfo.hasNextPage, false);
    });

    test("a cursor from another sort is refused", async () => {
      const downloads = await searchOk({ sort: "DOWNLOADS", first: 2 });
      const relevance = await searchOk({ query: "nlp", first: 2 });
      const cursor = downloads.pageInfo.endCursor!;
      for (const sort of ["RATING", "RECENT"] as const) assert.equal(codeOf(await search({ sort, first: 2, after: cursor })), "BAD_USER_INPUT", sort);
      assert.equal(codeOf(await search({ query: "nlp", sort: "RELEVANCE", after: cursor })), "BAD_USER_INPUT");
      assert.equal(codeOf(await search({ sort: "DOWNLOADS", after: relevance.pageInfo.endCursor })), "BAD_USER_INPUT");
      // A cursor from another list altogether, and no cursor at all.
      assert.equal(codeOf(await search({ sort: "DOWNLOADS", after: Buffer.from(JSON.stringify(["versions", 3])).toString("base64url") })), "BAD_USER_INPUT");
      assert.equal(codeOf(await search({ sort: "DOWNLOADS", after: "not-a-cursor" })), "BAD_USER_INPUT");
    });

    test("a forged cursor of the right kind but a wrong value is refused, not an internal error", async () => {
      const forge = (kind: string, value: unknown) => Buffer.from(JSON.stringify([kind, value])).toString("base64url");
      const id = "00000000-0000-4000-8000-000000000000";
      for (const [sort, value] of [
        ["DOWNLOADS", { v: "lots", id }],
        ["DOWNLOADS", { v: 1.5, id }],
        ["RATING", { v: "high", id }],
        ["RECENT", { v: "yesterday-ish", id }],
        ["RECENT", { v: 12, id }],
        ["DOWNLOADS", { v: 3, id: "not-a-uuid" }],
      ] as const) {
        assert.equal(codeOf(await search({ sort, after: forge(`skills:${sort}`, value) })), "BAD_USER_INPUT", `${sort} ${JSON.stringify(value)}`);
      }
    });

    test("first over 100 (or negative) is BAD_USER_INPUT; 100 is allowed", async () => {
      assert.equal(codeOf(await search({ first: 101 })), "BAD_USER_INPUT");
      assert.equal(codeOf(await search({ query: "pdf", first: 101 })), "BAD_USER_INPUT");
      assert.equal(codeOf(await search({ first: -1 })), "BAD_USER_INPUT");
      assert.equal((await searchOk({ first: 100 })).edges.length, FIXTURES.length);
    });
  });
});
