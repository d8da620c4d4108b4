import "reflect-metadata";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Client } from "pg";
import { startApp } from "../server/src/app";
import { COUNT_CAP, SEARCH_VECTOR_SQL, type SkillSearchArgs, SkillSort } from "../server/src/catalog/skill-search.service";
import { createLogger } from "../server/src/common/logger";
import { loadConfig } from "../server/src/config";
import { createDataSource } from "../server/src/db/data-source";
import { freePort } from "../server/src/db/free-port";
import { FileBlobStore } from "../server/src/packages/file-blob-store";
import { startRuntime } from "../server/src/composition-root";
import { type BenchResult, benchResult, startMigratedPostgres, fmt, log, percentiles, printTable, type Resources, runBench, type Stats } from "./support";

/**
 * Search latency on 100,000 skills: each query shape through the whole stack (HTTP, the executable
 * schema, the search statement, the field resolvers) next to the same statement (the one the
 * server runs, from SkillSearchService.statement) on a plain pg client. One BenchResult per shape:
 * the GraphQL p99 against the raw SQL p99, and the target (p99 ≤ 25 ms). Starts its own
 * embedded PostgreSQL in a temp dir. Under 3 minutes by default (about 1.5 on two quiet cores).
 *
 *   cd server && node -r @swc-node/register ../bench/search.ts
 *   (SKILLS=20000 ITERATIONS=50 SHAPE_BUDGET_MS=1000 for a quick run)
 *
 * Reading the table: "raw SQL" is the floor the database sets; the gap to "graphql" is HTTP, the
 * executable schema and the resolvers. "matches" is the total the API reports (counted up to 1,000).
 */

export interface SearchBenchOptions {
  /** Skills seeded (SKILLS). */
  skills: number;
  /** Timed requests per shape and side at most (ITERATIONS), after a warm-up. */
  iterations: number;
  /** A side stops early (with at least MIN_SAMPLES) once it has spent this long (SHAPE_BUDGET_MS). */
  shapeBudgetMs: number;
  /** Print the plan of the rare-term + DOWNLOADS statement (the plan trap the statement avoids). */
  explain: boolean;
}

const envInt = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, not ${process.env[name]}`);
  return value;
};

export function searchBenchOptions(): SearchBenchOptions {
  return { skills: envInt("SKILLS", 100_000), iterations: envInt("ITERATIONS", 200), shapeBudgetMs: envInt("SHAPE_BUDGET_MS", 2_500), explain: false };
}

const TARGET_P99_MS = 25;
const WARMUP = 20;
/** The warm-up stops early past this, so a slow shape costs its budget once, not twice. */
const WARMUP_BUDGET_MS = 1_000;
const MIN_SAMPLES = 30;
const PAGE = 20;
const DEEP_PAGES = 50;

/** Description and name words, most frequent first: word i is drawn with probability falling as i grows. */
const VOCABULARY = `data file text api report code test json query user
model image web search table document cloud log email task
build deploy server database csv pipeline chat summary python script
pdf invoice security audit metrics monitor alert schedule calendar meeting
translate language review commit branch release version package install docker
kubernetes postgres mysql redis kafka spark pandas numpy chart graph
dashboard notebook spreadsheet excel slack github gitlab jira ticket issue
customer sales marketing finance budget expense payment order product inventory
shipping tracking address contact lead campaign newsletter survey feedback sentiment
analysis extract transform load clean validate format convert merge split
compress archive backup restore sync upload download share publish render
template markdown html css javascript typescript react vue angular node
rust golang java kotlin swift shell bash terminal command config
secret token password auth login session cookie cache queue worker
cron batch stream event webhook trigger workflow automation bot agent
prompt embedding vector index rank classify cluster label annotate detect
recognize speech audio video music podcast transcript caption subtitle thumbnail
photo resize crop filter color palette font icon logo design
wireframe mockup prototype sketch figma diagram flowchart uml architecture schema
migration seed fixture mock stub benchmark profile trace debug lint
refactor optimize scale balance proxy gateway router endpoint request response
error exception retry timeout limit quota billing subscription plan tier
account team project milestone sprint roadmap backlog story epic estimate
weather news stock crypto wallet exchange price forecast trend signal
map location route distance travel flight hotel booking reservation restaurant
recipe nutrition fitness health sleep habit journal note reminder todo
contract legal policy compliance privacy consent license patent trademark clause
resume interview hiring onboarding payroll employee manager mentor course lesson
quiz exam grade student teacher research paper citation bibliography abstract
physics chemistry biology genome protein molecule simulation experiment sensor device`.split(/\s+/);

/** Words outside the vocabulary, each put into exactly SKILLS / 10,000 descriptions (10 at 100k). */
const RARE_WORDS = `quokka zeugma obsidian marzipan xylophone kumquat fjord gazebo hieroglyph jackalope
labyrinth mandolin narwhal origami pangolin quasar rhubarb sphinx tapestry ukulele`.split(/\s+/);

/** Tags come from the middle of the vocabulary so the most common description word stays at ~30%. */
const TAGS = VOCABULARY.slice(40, 100);
const CATEGORIES = ["data", "devops", "documents", "productivity", "communication", "security", "media", "finance", "research", "web", "testing", "general"];
/** Word i of the vocabulary is drawn as floor(V * random()^SKEW): word 0 lands in ~30% of descriptions. */
const SKEW = 1.55;

interface Shape {
  label: string;
  args: SkillSearchArgs;
}

/** Runs `once` WARMUP times (or for WARMUP_BUDGET_MS), then up to `iterations` times or until `budgetMs` is spent. */
async function sample(once: () => Promise<unknown>, { iterations, shapeBudgetMs }: SearchBenchOptions): Promise<Stats> {
  const warm = performance.now();
  for (let i = 0; i < WARMUP && performance.now() - warm < WARMUP_BUDGET_MS; i++) await once();
  const samples: number[] = [];
  const begin = performance.now();
  while (samples.length < iterations && (samples.length < MIN_SAMPLES || performance.now() - begin < shapeBudgetMs)) {
    const t0 = performance.now();
    await once();
    samples.push(performance.now() - t0);
  }
  return percentiles(samples);
}

/**
 * The catalog: `skills` skills (one in a hundred with no installable version), each listed one with
 * its latest version and plugin archive, as publishing leaves them; then VACUUM ANALYZE and a checkpoint.
 */
export async function seed(db: Client, dataDir: string, skills: number): Promise<void> {
  await db.query("SET synchronous_commit = off");
  const [{ id: userId }] = (await db.query<{ id: string }>(`INSERT INTO "user" (handle, email) VALUES ('bench', 'bench@example.test') RETURNING id`)).rows;
  const [{ id: teamId }] = (await db.query<{ id: string }>(`INSERT INTO team (name) VALUES ('bench') RETURNING id`)).rows;
  const batch = 10_000;
  for (let from = 1; from <= skills; from += batch) {
    const to = Math.min(skills, from + batch - 1);
    // Names word-word-N; descriptions of 8-20 skewed words (plus a rare word in a few rows);
    // 1-4 skewed tags; downloads, ratings and ages skewed with plenty of ties. One row in a
    // hundred has no installable version. search_vector is the expression refreshSearchVector
    // uses, over the generated columns (inserted with the row rather than updated after it).
    await db.query(
      `INSERT INTO skill (name, name_skeleton, team_id, description, category, tags, latest_version_id,
                          download_count, rating_average, rating_count, last_published_at, search_vector)
       SELECT name, name, $1, description, category, tags, latest_version_id,
              download_count, rating_average, rating_count, last_published_at, ${SEARCH_VECTOR_SQL}
       FROM (
         SELECT n.name, d.description, ($5::text[])[1 + floor(cardinality($5::text[]) * power(random(), 2))::int] AS category,
                t.tags, CASE WHEN g % 100 = 99 THEN NULL ELSE gen_random_uuid() END AS latest_version_id,
                floor(2000000 * power(random(), 8))::int AS download_count, r.average AS rating_average, r.count AS rating_count,
                now() - random() * interval '1000 days' AS last_published_at
         FROM generate_series($2::int, $3::int) g
         CROSS JOIN LATERAL (
           SELECT ($4::text[])[1 + floor(random() * cardinality($4::text[]))::int] || '-'
               || ($4::text[])[1 + floor(random() * cardinality($4::text[]))::int] || '-' || g AS name
         ) n
         CROSS JOIN LATERAL (
           SELECT string_agg(($4::text[])[1 + floor(cardinality($4::text[]) * power(random(), ${SKEW}))::int], ' ')
               || CASE WHEN g % 10000 < cardinality($7::text[]) THEN ' ' || ($7::text[])[1 + g % 10000] ELSE '' END AS description
           FROM generate_series(1, 8 + (g * 7919) % 13) k
         ) d
         CROSS JOIN LATERAL (
           SELECT array_agg(DISTINCT ($6::text[])[1 + floor(cardinality($6::text[]) * power(random(), 2))::int]) AS tags
           FROM generate_series(1, 1 + (g * 31) % 4) k
         ) t
         CROSS JOIN LATERAL (
           SELECT CASE WHEN c = 0 THEN 0 ELSE round((1 + 4 * random())::numeric, 2)::float8 END AS average, c AS count
           FROM (SELECT floor(500 * power(random(), 3))::int + 0 * g AS c) x
         ) r
       ) seeded`,
      [teamId, from, to, VOCABULARY, CATEGORIES, TAGS, RARE_WORDS],
    );
    log(`seeded skills ${to.toLocaleString("en")}/${skills.toLocaleString("en")} (with search_vector)`);
  }
  await db.query(
    `INSERT INTO skill_version (id, skill_id, version, status, manifest, package_sha256, package_size, published_by_id, published_at)
     SELECT s.latest_version_id, s.id, '1.0.0', 'PUBLISHED',
            jsonb_build_object('name', s.name, 'version', '1.0.0', 'description', s.description, 'category', s.category, 'tags', to_jsonb(s.tags)),
            encode(sha256(convert_to(s.name, 'UTF8')), 'hex'), 1024, $1, s.last_published_at
     FROM skill s WHERE s.latest_version_id IS NOT NULL`,
    [userId],
  );
  log("seeded one skill_version per listed skill");
  await seedPluginBundles(db, dataDir);
  for (const table of ["skill", "skill_version", "plugin_bundle"]) await db.query(`VACUUM ANALYZE ${table}`);
  // The bulk load leaves a few hundred MB of dirty pages: written now, not by a checkpoint (or
  // autovacuum) while the first shapes are measured.
  await db.query("CHECKPOINT");
  log("vacuumed, analysed and checkpointed");
}

/**
 * At start-up the server builds a plugin archive for every installable version that has none, and
 * checks that each recorded archive's blob is on disk: every seeded version gets its row and a tiny
 * blob file of its own (the digest column is unique). Nothing in the bench downloads them.
 */
async function seedPluginBundles(db: Client, dataDir: string): Promise<void> {
  const store = new FileBlobStore(dataDir);
  await store.init();
  const versionIds = (await db.query<{ id: string }>("SELECT id FROM skill_version")).rows.map((r) => r.id);
  const digests: string[] = [];
  const folders = new Set<string>();
  for (const id of versionIds) {
    const bytes = Buffer.from(id, "utf8");
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const file = store.pathOf(sha256, "zip");
    const folder = path.dirname(file);
    if (!folders.has(folder)) mkdirSync(folder, { recursive: true });
    folders.add(folder);
    writeFileSync(file, bytes);
    digests.push(sha256);
  }
  // Each blob is the version id's text: 36 bytes.
  await db.query(`INSERT INTO plugin_bundle (version_id, sha256, size) SELECT v, d, 36 FROM unnest($1::uuid[], $2::text[]) AS b(v, d)`, [versionIds, digests]);
  log(`seeded ${versionIds.length.toLocaleString("en")} plugin archives (rows and blob files)`);
}

const GQL = `query Bench($query: String, $sort: SkillSort, $after: String) {
  skills(query: $query, sort: $sort, first: ${PAGE}, after: $after) { edges { node { name downloads rating } } pageInfo { endCursor } }
}`;

interface GqlPage {
  data?: { skills: { edges: { node: { name: string } }[]; pageInfo: { endCursor: string | null } } };
  errors?: { message: string }[];
}

async function gql(url: string, args: SkillSearchArgs): Promise<GqlPage> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: GQL, variables: { query: args.query ?? null, sort: args.sort ?? null, after: args.after ?? null } }),
  });
  const body = (await res.json()) as GqlPage;
  if (body.errors) throw new Error(`GraphQL error for ${JSON.stringify(args)}: ${JSON.stringify(body.errors)}`);
  return body;
}

async function cursorAfterPages(url: string, args: SkillSearchArgs, pages: number): Promise<string> {
  let after: string | null = null;
  for (let i = 0; i < pages; i++) {
    const page: GqlPage = await gql(url, { ...args, after });
    after = page.data!.skills.pageInfo.endCursor;
    if (!after) throw new Error(`only ${i + 1} pages for ${JSON.stringify(args)}`);
  }
  return after!;
}

/** Seeds a catalog, starts the server on it, and measures every shape through GraphQL and as raw SQL. */
export async function measure(resources: Resources, options: SearchBenchOptions = searchBenchOptions()): Promise<BenchResult[]> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-bench-"));
  resources.add("remove temp dir", () => rmSync(scratch, { recursive: true, force: true }));
  const pg = await startMigratedPostgres(resources, scratch);

  const raw = new Client({ connectionString: pg.url });
  await raw.connect();
  resources.add("close pg client", () => raw.end());
  const version = (await raw.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
  log(`PostgreSQL ${version}, ${os.availableParallelism()} CPUs; seeding ${options.skills.toLocaleString("en")} skills`);
  const seedStart = performance.now();
  await seed(raw, path.join(scratch, "data"), options.skills);
  log(`seeding took ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  const port = await freePort();
  const config = loadConfig({ NODE_ENV: "production", LOG_LEVEL: "warn", DATA_DIR: path.join(scratch, "data"), DATABASE_URL: pg.url, PORT: String(port) });
  const dataSource = createDataSource({ url: pg.url, poolSize: 10 });
  await dataSource.initialize();
  resources.add("close app pool", () => dataSource.destroy());
  const started = await startRuntime({ config, dataSource, databaseUrl: pg.url, logger: createLogger(config.logLevel), worker: false });
  resources.add("stop job queue and event hub", () => started.stop());
  const app = await startApp(started.runtime, { host: "127.0.0.1", port });
  resources.add("stop HTTP server", () => app.close());
  log(`server listening on ${app.url}`);
  const { search } = started.runtime.services;

  const common = VOCABULARY[0];
  const rare = RARE_WORDS[12];
  const counts = (
    await raw.query<{ common: string; rare: string; listed: string }>(
      `SELECT count(*) FILTER (WHERE search_vector @@ to_tsquery('english', $1)) AS common,
              count(*) FILTER (WHERE search_vector @@ to_tsquery('english', $2)) AS rare,
              count(*) FILTER (WHERE latest_version_id IS NOT NULL) AS listed
       FROM skill`,
      [common, rare],
    )
  ).rows[0];
  log(`"${common}" is in ${counts.common} skills, "${rare}" in ${counts.rare}; ${counts.listed} skills are listed`);

  const shapes: Shape[] = [
    { label: `rare term "${rare}"`, args: { query: rare } },
    { label: `common term "${common}"`, args: { query: common } },
    { label: `typo "postgers"`, args: { query: "postgers" } },
    { label: `prefix "kube"`, args: { query: "kube" } },
    { label: `multi-word "data pipeline"`, args: { query: "data pipeline" } },
  ];
  for (const sort of [SkillSort.DOWNLOADS, SkillSort.RATING, SkillSort.RECENT, SkillSort.RELEVANCE]) {
    shapes.push({ label: `common + ${sort}`, args: { query: common, sort } });
    shapes.push({ label: `rare + ${sort}`, args: { query: rare, sort } });
  }
  for (const sort of [SkillSort.DOWNLOADS, SkillSort.RATING, SkillSort.RECENT, SkillSort.RELEVANCE]) {
    shapes.push({ label: `browse ${sort}`, args: { sort } });
  }
  log(`following ${DEEP_PAGES} pages for each of the three deep-page shapes`);
  for (const args of [{ sort: SkillSort.DOWNLOADS }, { query: common, sort: SkillSort.DOWNLOADS }, { query: common, sort: SkillSort.RELEVANCE }]) {
    shapes.push({
      label: `${args.query ? "common + " : "browse "}${args.sort} page ${DEEP_PAGES + 1}`,
      args: { ...args, after: await cursorAfterPages(app.url, args, DEEP_PAGES) },
    });
  }

  log(
    `measuring ${shapes.length} shapes: up to ${WARMUP} warm-up then up to ${options.iterations} requests each (budget ${options.shapeBudgetMs / 1000} s per side)`,
  );
  const results: BenchResult[] = [];
  for (const [i, shape] of shapes.entries()) {
    const built = search.statement({ ...shape.args, first: PAGE });
    const viaGraphql = await sample(() => gql(app.url, shape.args), options);
    let result = await raw.query<{ total: string | null }>(built.sql, built.params);
    const viaSql = await sample(async () => {
      result = await raw.query(built.sql, built.params);
    }, options);
    const total = result.rows[0]?.total;
    const matches = total === undefined ? (built.counted ? 0 : null) : total === null ? null : Number(total);
    results.push(
      benchResult({
        group: "search",
        name: shape.label,
        value: viaGraphql.p99,
        unit: "ms",
        better: "lower",
        baseline: { name: "raw SQL", value: viaSql.p99 },
        target: { text: `p99 ≤ ${TARGET_P99_MS} ms`, met: viaGraphql.p99 <= TARGET_P99_MS },
        details: {
          "graphql p50": viaGraphql.p50,
          "graphql p99": viaGraphql.p99,
          "raw SQL p50": viaSql.p50,
          "raw SQL p99": viaSql.p99,
          rows: Math.min(PAGE, result.rows.length),
          ...(matches === null ? {} : { matches: Math.min(matches, COUNT_CAP), "matches capped": matches > COUNT_CAP ? 1 : 0 }),
          "graphql samples": viaGraphql.n,
          "raw SQL samples": viaSql.n,
        },
      }),
    );
    log(
      `[${i + 1}/${shapes.length}] ${shape.label}: graphql p50 ${fmt(viaGraphql.p50)} p99 ${fmt(viaGraphql.p99)}, raw SQL p50 ${fmt(viaSql.p50)} p99 ${fmt(viaSql.p99)}`,
    );
  }

  const trap = search.statement({ query: rare, sort: SkillSort.DOWNLOADS, first: PAGE });
  const plan = (await raw.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${trap.sql}`, trap.params)).rows.map((r) => r["QUERY PLAN"]);
  if (options.explain) {
    console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of rare term "${rare}" + DOWNLOADS:`);
    for (const l of plan) console.log(`  ${l}`);
  }
  const usesGin = plan.some((l) => l.includes("skill_search_vector_idx"));
  const walksDownloads = plan.some((l) => l.includes("skill_downloads_keyset_idx"));
  log(
    `rare + DOWNLOADS plan: ${plan.find((l) => l.startsWith("Execution Time")) ?? "no execution time"}; uses skill_search_vector_idx (GIN): ${usesGin ? "yes" : "NO"}; walks skill_downloads_keyset_idx: ${walksDownloads ? "YES (plan trap)" : "no"}`,
  );
  return results;
}

/** The bench's own table: every figure of each shape (`npm run bench` prints only value, baseline and target). */
function printResults(results: BenchResult[], options: SearchBenchOptions): void {
  const detail = (r: BenchResult, key: string) => r.details?.[key] ?? NaN;
  console.log(`\nSearch latency, ${options.skills.toLocaleString("en")} skills, first: ${PAGE}, sequential requests\n`);
  printTable(
    ["shape", "graphql p50", "graphql p99", "raw SQL p50", "raw SQL p99", "ratio (p50)", "rows", "matches", "n (gql/sql)", `p99 ≤ ${TARGET_P99_MS} ms`],
    results.map((r) => [
      r.name,
      fmt(detail(r, "graphql p50")),
      fmt(detail(r, "graphql p99")),
      fmt(detail(r, "raw SQL p50")),
      fmt(detail(r, "raw SQL p99")),
      `${(detail(r, "graphql p50") / detail(r, "raw SQL p50")).toFixed(1)}x`,
      String(detail(r, "rows")),
      r.details?.matches === undefined ? "-" : `${r.details.matches.toLocaleString("en")}${r.details["matches capped"] ? "+" : ""}`,
      `${detail(r, "graphql samples")}/${detail(r, "raw SQL samples")}`,
      r.target?.met ? "yes" : "NO",
    ]),
  );
}

if (require.main === module) {
  runBench(async (resources) => {
    const options = { ...searchBenchOptions(), explain: true };
    const results = await measure(resources, options);
    printResults(results, options);
    log("done");
  });
}
