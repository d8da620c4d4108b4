import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Client } from "pg";
import { startApp } from "../server/src/app";
import { buildSearchSql, SEARCH_VECTOR_SQL, type SkillSearchArgs, SkillSort } from "../server/src/catalog/skill-search.service";
import { createLogger } from "../server/src/common/logger";
import { loadConfig } from "../server/src/config";
import { createDataSource } from "../server/src/db/data-source";
import { freePort } from "../server/src/db/free-port";
import { startRuntime } from "../server/src/composition-root";
import { startMigratedPostgres, fmt, log, percentiles, printTable, type Resources, runBench, type Stats } from "./support";

/**
 * Search latency on 100,000 skills: each query shape through the whole stack (HTTP, the executable
 * schema, search SQL, entity load, stats loader) next to the bare search statement from
 * buildSearchSql run with a plain pg client. Starts its own embedded PostgreSQL in a temp dir.
 *
 *   cd server && npm run bench            (SKILLS=20000 ITERATIONS=50 for a quick run)
 */

const SKILLS = Number(process.env.SKILLS ?? 100_000);
const ITERATIONS = Number(process.env.ITERATIONS ?? 200);
const WARMUP = 20;
/** A shape stops early (with at least MIN_SAMPLES) once one side has spent this long measuring. */
const SHAPE_BUDGET_MS = Number(process.env.SHAPE_BUDGET_MS ?? 6_000);
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

/** Runs `once` WARMUP times, then up to ITERATIONS times or until the shape's time budget is spent. */
async function measure(once: () => Promise<unknown>): Promise<Stats> {
  for (let i = 0; i < WARMUP; i++) await once();
  const samples: number[] = [];
  const begin = performance.now();
  while (samples.length < ITERATIONS && (samples.length < MIN_SAMPLES || performance.now() - begin < SHAPE_BUDGET_MS)) {
    const t0 = performance.now();
    await once();
    samples.push(performance.now() - t0);
  }
  return percentiles(samples);
}

export async function seed(db: Client): Promise<void> {
  await db.query("SET synchronous_commit = off");
  const [{ id: userId }] = (await db.query<{ id: string }>(`INSERT INTO "user" (handle, email) VALUES ('bench', 'bench@example.test') RETURNING id`)).rows;
  const [{ id: teamId }] = (await db.query<{ id: string }>(`INSERT INTO team (name) VALUES ('bench') RETURNING id`)).rows;
  const batch = 10_000;
  for (let from = 1; from <= SKILLS; from += batch) {
    const to = Math.min(SKILLS, from + batch - 1);
    // Names word-word-N; descriptions of 8-20 skewed words (plus a rare word in a few rows);
    // 1-4 skewed tags; downloads, ratings and ages skewed with plenty of ties. One row in a
    // hundred has no installable version.
    await db.query(
      `INSERT INTO skill (name, name_skeleton, team_id, description, category, tags, latest_version_id,
                          download_count, rating_average, rating_count, last_published_at)
       SELECT n.name, n.name, $1, d.description, ($5::text[])[1 + floor(cardinality($5::text[]) * power(random(), 2))::int],
              t.tags, CASE WHEN g % 100 = 99 THEN NULL ELSE gen_random_uuid() END,
              floor(2000000 * power(random(), 8))::int, r.average, r.count,
              now() - random() * interval '1000 days'
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
       ) r`,
      [teamId, from, to, VOCABULARY, CATEGORIES, TAGS, RARE_WORDS],
    );
    log(`seeded skills ${to.toLocaleString("en")}/${SKILLS.toLocaleString("en")}`);
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
  await db.query(`UPDATE skill SET search_vector = ${SEARCH_VECTOR_SQL}`);
  log("computed search_vector (the expression refreshSearchVector uses)");
  await db.query("VACUUM ANALYZE skill");
  await db.query("VACUUM ANALYZE skill_version");
  log("vacuumed and analysed");
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

async function main(resources: Resources): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-bench-"));
  resources.add("remove temp dir", () => rmSync(scratch, { recursive: true, force: true }));
  const pg = await startMigratedPostgres(resources, scratch);

  const raw = new Client({ connectionString: pg.url });
  await raw.connect();
  resources.add("close pg client", () => raw.end());
  const version = (await raw.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
  log(`PostgreSQL ${version}; seeding ${SKILLS.toLocaleString("en")} skills`);
  const seedStart = performance.now();
  await seed(raw);
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
  shapes.push({
    label: `browse DOWNLOADS page ${DEEP_PAGES + 1}`,
    args: { sort: SkillSort.DOWNLOADS, after: await cursorAfterPages(app.url, { sort: SkillSort.DOWNLOADS }, DEEP_PAGES) },
  });
  shapes.push({
    label: `common + DOWNLOADS page ${DEEP_PAGES + 1}`,
    args: { query: common, sort: SkillSort.DOWNLOADS, after: await cursorAfterPages(app.url, { query: common, sort: SkillSort.DOWNLOADS }, DEEP_PAGES) },
  });
  shapes.push({
    label: `common + RELEVANCE page ${DEEP_PAGES + 1}`,
    args: { query: common, sort: SkillSort.RELEVANCE, after: await cursorAfterPages(app.url, { query: common, sort: SkillSort.RELEVANCE }, DEEP_PAGES) },
  });

  log(`measuring ${shapes.length} shapes: ${WARMUP} warm-up then up to ${ITERATIONS} requests each (budget ${SHAPE_BUDGET_MS / 1000} s per side)`);
  const table: string[][] = [];
  for (const shape of shapes) {
    const built = buildSearchSql({ ...shape.args, first: PAGE });
    const viaGraphql = await measure(() => gql(app.url, shape.args));
    let result = await raw.query<{ total: string | null }>(built.sql, built.params);
    const viaSql = await measure(async () => {
      result = await raw.query(built.sql, built.params);
    });
    const rows = Math.min(PAGE, result.rows.length);
    const matches = result.rows[0]?.total ?? (built.counted ? "0" : "-");
    table.push([
      shape.label,
      fmt(viaGraphql.p50),
      fmt(viaGraphql.p99),
      fmt(viaSql.p50),
      fmt(viaSql.p99),
      `${(viaGraphql.p50 / viaSql.p50).toFixed(1)}x`,
      String(rows),
      matches,
      `${viaGraphql.n}/${viaSql.n}`,
    ]);
    log(`${shape.label}: graphql p50 ${fmt(viaGraphql.p50)}, raw SQL p50 ${fmt(viaSql.p50)}`);
  }

  console.log(
    `\nSearch latency, ${SKILLS.toLocaleString("en")} skills, first: ${PAGE}, sequential requests (PostgreSQL ${version}, ${os.availableParallelism()} CPUs)\n`,
  );
  printTable(["shape", "graphql p50", "graphql p99", "raw SQL p50", "raw SQL p99", "ratio", "rows", "matches", "n (gql/sql)"], table);

  const trap = buildSearchSql({ query: rare, sort: SkillSort.DOWNLOADS, first: PAGE });
  const plan = (await raw.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${trap.sql}`, trap.params)).rows.map((r) => r["QUERY PLAN"]);
  const usesGin = plan.some((l) => l.includes("skill_search_vector_idx"));
  const walksDownloads = plan.some((l) => l.includes("skill_downloads_keyset_idx"));
  console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of rare term "${rare}" + DOWNLOADS:`);
  for (const l of plan) console.log(`  ${l}`);
  console.log(`\n${plan.find((l) => l.startsWith("Execution Time")) ?? "no execution time"}`);
  console.log(`uses skill_search_vector_idx (GIN): ${usesGin ? "yes" : "NO"}; walks skill_downloads_keyset_idx: ${walksDownloads ? "YES (plan trap)" : "no"}`);
  log("done");
}

if (require.main === module) runBench(main);
