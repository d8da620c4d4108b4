import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { packDirectory } from "@skillyard/core";
import { freePort } from "../server/src/db/free-port";
import { corpusDir } from "../server/test/support/corpus";
import { waitFor } from "../server/test/support/wait";
import { outputTail, planPinning, PUBLISH, type PublishData, type ProductServer, startProductServer, stopChild } from "./product";
import { type BenchResult, benchResult, fmt, log, printTable, Resources, runBench } from "./support";

/**
 * Skillyard next to Verdaccio, the registry a company would otherwise run, on the same package and
 * the same core split: each server (and what it spawns) pinned to CPU 0, this process (autocannon,
 * CONNECTIONS connections) to CPU 1, when taskset and two CPUs are there.
 *
 * The package is a real skill from the shared corpus (mcp-builder) with a skill.yaml and incompressible
 * padding up to a ~51 KB gzip tarball, published in VERSIONS versions: the same bytes to Verdaccio (an
 * npm publish: PUT of the packument with `_attachments`) and to Skillyard (POST /packages, then
 * publishSkillVersion; it has no runtime, so its test gate passes at once). Before measuring, each
 * side's answers are checked to carry the same information (every version and digest, the one search
 * hit, the tarball's bytes).
 *
 * Workloads (each a warm-up, then a measured window): packument vs `skill(name){versions}`, search vs
 * `skills(query:)` (GraphQL both as POST and as GET of a persisted query; the faster is the headline),
 * the tarball download vs `GET /packages/{sha256}.tgz`, and `installSkill` (no Verdaccio equivalent).
 * Any non-2xx answer, connection error, timeout or body that is not the expected one is an error;
 * a workload with errors fails the bench instead of reporting a figure.
 *
 * Verdaccio VERDACCIO_VERSION is installed once into the user's cache (outside the repository and its
 * lockfile) with the npm registry npm is configured with, and reused after that.
 *
 *   npm run bench:registry        (REGISTRY_SECONDS=5 REGISTRY_WARMUP_SECONDS=2 for a quicker run)
 */

const VERDACCIO_VERSION = "5.33.0";
/** The scratch install: its own package.json, lockfile and node_modules. */
const VERDACCIO_DIR = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "skillyard", "bench", `verdaccio-${VERDACCIO_VERSION}`);
const SKILL = "mcp-builder";
const SEARCH_TERM = "mcp";
const TARBALL_BYTES = 51 * 1024;
const CONNECTIONS = 10;

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got ${process.env[name]})`);
  return value;
}

const VERSIONS = Math.round(positive("REGISTRY_VERSIONS", 20));
const WARMUP_SECONDS = positive("REGISTRY_WARMUP_SECONDS", 3);
const MEASURE_SECONDS = positive("REGISTRY_SECONDS", 10);

const versionOf = (i: number) => `1.0.${i}`;
const LATEST = versionOf(VERSIONS - 1);

// ---------------------------------------------------------------------------------------------
// The package
// ---------------------------------------------------------------------------------------------

interface BuiltVersion {
  version: string;
  tarball: Buffer;
  sha256: string;
  sha1: string;
  sha512: string;
}

/** `length` characters of base64 from a sha256 counter stream: incompressible, and the same on every run. */
function padding(length: number): string {
  const blocks: Buffer[] = [];
  for (let i = 0, bytes = 0; bytes < (length * 3) / 4 + 32; i++, bytes += 32) blocks.push(createHash("sha256").update(`skillyard-bench-${i}`).digest());
  const text = Buffer.concat(blocks).toString("base64").slice(0, length);
  return `${text.match(/.{1,76}/g)!.join("\n")}\n`;
}

/** The corpus skill plus skill.yaml and padding, packed by the real packer once per version. */
async function buildVersions(): Promise<BuiltVersion[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "skillyard-bench-registry-pkg-"));
  try {
    cpSync(path.join(corpusDir(), SKILL), dir, { recursive: true });
    const pack = async (version: string, paddingChars: number) => {
      writeFileSync(
        path.join(dir, "skill.yaml"),
        [
          `name: ${SKILL}`,
          `version: ${version}`,
          `description: "Guide for creating MCP (Model Context Protocol) servers that let LLMs use external services through well-designed tools."`,
          `author: bench`,
          `category: development`,
          `tags: ["mcp", "servers"]`,
          "",
        ].join("\n"),
      );
      writeFileSync(path.join(dir, "reference", "bench-padding.txt"), padding(paddingChars));
      return packDirectory(dir);
    };
    // Base64 of random bytes gzips to ~3/4 of its length: size the padding from one trial pack.
    const trial = await pack(versionOf(0), 16_384);
    const paddingChars = Math.max(0, Math.round(16_384 + (TARBALL_BYTES - trial.length) / 0.76));
    const built: BuiltVersion[] = [];
    for (let i = 0; i < VERSIONS; i++) {
      const tarball = await pack(versionOf(i), paddingChars);
      const digest = (algorithm: string, encoding: "hex" | "base64") => createHash(algorithm).update(tarball).digest(encoding);
      built.push({ version: versionOf(i), tarball, sha256: digest("sha256", "hex"), sha1: digest("sha1", "hex"), sha512: digest("sha512", "base64") });
    }
    return built;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Verdaccio
// ---------------------------------------------------------------------------------------------

/** Installs Verdaccio into VERDACCIO_DIR unless a finished install of the version is there; answers its bin. */
async function ensureVerdaccio(resources: Resources): Promise<string> {
  const bin = path.join(VERDACCIO_DIR, "node_modules", "verdaccio", "bin", "verdaccio");
  const installedManifest = path.join(VERDACCIO_DIR, "node_modules", "verdaccio", "package.json");
  // npm writes node_modules/.package-lock.json last: its presence means the install finished.
  const finished = () =>
    existsSync(bin) &&
    existsSync(path.join(VERDACCIO_DIR, "node_modules", ".package-lock.json")) &&
    (JSON.parse(readFileSync(installedManifest, "utf8")) as { version: string }).version === VERDACCIO_VERSION;
  if (finished()) {
    log(`Verdaccio ${VERDACCIO_VERSION}: reusing ${VERDACCIO_DIR}`);
    return bin;
  }
  rmSync(VERDACCIO_DIR, { recursive: true, force: true });
  mkdirSync(VERDACCIO_DIR, { recursive: true });
  writeFileSync(
    path.join(VERDACCIO_DIR, "package.json"),
    `${JSON.stringify(
      {
        name: "skillyard-bench-verdaccio",
        private: true,
        description: "Scratch install of Verdaccio for bench/registry.ts (outside the repository's lockfile).",
        dependencies: { verdaccio: VERDACCIO_VERSION },
        // Verdaccio 5's node-fetch 2.6 breaks on current Node; 2.7.0 is API-compatible.
        overrides: { "node-fetch": "2.7.0" },
      },
      null,
      2,
    )}\n`,
  );
  // Run from `npm run` (this repository's workspaces), npm passes the repository as its local prefix:
  // drop that, so the nested npm installs into --prefix only.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(local_prefix|workspaces?|include_workspace_root)$/i.test(k)));
  log(`Verdaccio ${VERDACCIO_VERSION}: npm install into ${VERDACCIO_DIR} (once; npm's configured registry)`);
  const child = spawn("npm", ["install", "--prefix", VERDACCIO_DIR, "--no-audit", "--no-fund", "--omit=dev", "--ignore-scripts", "--loglevel=warn"], {
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  resources.add("stop npm install", () => stopChild(child, 5_000));
  const started = Date.now();
  const ticker = setInterval(() => {
    const modules = path.join(VERDACCIO_DIR, "node_modules");
    const count = existsSync(modules) ? readdirSync(modules).filter((d) => !d.startsWith(".")).length : 0;
    log(`  installing Verdaccio: ${Math.round((Date.now() - started) / 1000)} s, ${count} top-level packages unpacked so far`);
  }, 5_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  }).finally(() => clearInterval(ticker));
  if (code !== 0 || !finished()) throw new Error(`npm install of verdaccio@${VERDACCIO_VERSION} into ${VERDACCIO_DIR} failed (exit ${code})`);
  log(`Verdaccio ${VERDACCIO_VERSION} installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return bin;
}

interface Verdaccio {
  url: string;
  child: ChildProcess;
}

/** Verdaccio on a loopback port: storage in a temp dir, no uplinks, anyone may read and publish. */
async function startVerdaccio(resources: Resources, bin: string, commandPrefix: string[]): Promise<Verdaccio> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "skillyard-bench-verdaccio-"));
  resources.add("remove Verdaccio's storage", () => rmSync(dir, { recursive: true, force: true }));
  const config = path.join(dir, "config.yaml");
  // JSON is YAML: Verdaccio reads it as its config.
  writeFileSync(
    config,
    JSON.stringify({
      storage: path.join(dir, "storage"),
      auth: { htpasswd: { file: path.join(dir, "htpasswd"), max_users: -1 } },
      uplinks: {},
      packages: { "**": { access: "$all", publish: "$all", unpublish: "$all" } },
      web: { enable: false },
      max_body_size: "10mb",
      logs: { type: "stdout", format: "json", level: "error" },
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const [command, ...args] = [...commandPrefix, process.execPath, bin, "--config", config, "--listen", `127.0.0.1:${port}`];
  const child = spawn(command, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const output = outputTail(child);
  resources.add("stop Verdaccio", () => stopChild(child));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`Verdaccio exited early (${child.exitCode}):\n${output()}`);
      return fetch(`${url}/-/ping`).then(
        (r) => r.ok,
        () => false,
      );
    },
    "Verdaccio to answer /-/ping",
    60_000,
    200,
  );
  log(`Verdaccio ${VERDACCIO_VERSION} on ${url} (pid ${child.pid})`);
  return { url, child };
}

/** What `npm publish` sends: the packument with this one version and its tarball as an attachment. */
async function publishToVerdaccio(url: string, built: BuiltVersion): Promise<void> {
  const filename = `${SKILL}-${built.version}.tgz`;
  const res = await fetch(`${url}/${SKILL}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      _id: SKILL,
      name: SKILL,
      description: "Guide for creating MCP servers.",
      "dist-tags": { latest: built.version },
      versions: {
        [built.version]: {
          _id: `${SKILL}@${built.version}`,
          name: SKILL,
          version: built.version,
          description: "Guide for creating MCP servers.",
          keywords: ["mcp", "servers"],
          dist: { shasum: built.sha1, integrity: `sha512-${built.sha512}`, tarball: `${url}/${SKILL}/-/${filename}` },
        },
      },
      _attachments: { [filename]: { content_type: "application/octet-stream", data: built.tarball.toString("base64"), length: built.tarball.length } },
    }),
  });
  if (res.status !== 201) throw new Error(`Verdaccio refused ${SKILL}@${built.version} (HTTP ${res.status}): ${await res.text()}`);
}

// ---------------------------------------------------------------------------------------------
// The same information from both
// ---------------------------------------------------------------------------------------------

const PACKUMENT = `query Packument($name: String!) {
  skill(name: $name) {
    name description latestVersion { version }
    versions(first: 100) { edges { node { version packageSha256 packageSize publishedAt } } }
  }
}`;

interface PackumentData {
  skill: { versions: { edges: { node: { version: string; packageSha256: string; publishedAt: string | null } }[] } } | null;
}

const SEARCH = `query Search($text: String!) {
  skills(query: $text, first: 20) { edges { node { name description tags latestVersion { version publishedAt } } } }
}`;

const INSTALL = `mutation Install($input: InstallSkillInput!) { installSkill(input: $input) { root { name version sha256 downloadUrl } } }`;

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`before measuring: ${what}`);
}

const sha256Of = (bytes: ArrayBuffer) => createHash("sha256").update(Buffer.from(bytes)).digest("hex");

async function checkSameInformation(verdaccio: string, skillyard: ProductServer, built: BuiltVersion[]): Promise<void> {
  const packument = (await (await fetch(`${verdaccio}/${SKILL}`, { headers: { accept: "application/json" } })).json()) as {
    versions: Record<string, { dist: { shasum: string } }>;
    time: Record<string, string>;
  };
  const graph = await skillyard.gql<PackumentData>(PACKUMENT, { name: SKILL }, null);
  const nodes = new Map(graph.skill?.versions.edges.map((e) => [e.node.version, e.node]));
  for (const b of built) {
    check(
      packument.versions[b.version]?.dist.shasum === b.sha1 && Boolean(packument.time[b.version]),
      `Verdaccio's packument lists ${b.version} with its digest and date`,
    );
    const node = nodes.get(b.version);
    check(node?.packageSha256 === b.sha256 && node.publishedAt !== null, `skill(name){versions} lists ${b.version} with its digest and date`);
  }
  check(Object.keys(packument.versions).length === VERSIONS && nodes.size === VERSIONS, `both list exactly ${VERSIONS} versions`);

  const npmSearch = (await (await fetch(`${verdaccio}/-/v1/search?text=${SEARCH_TERM}&size=20`)).json()) as { objects: { package: { name: string } }[] };
  const skillSearch = await skillyard.gql<{ skills: { edges: { node: { name: string } }[] } }>(SEARCH, { text: SEARCH_TERM }, null);
  check(npmSearch.objects.length === 1 && npmSearch.objects[0].package.name === SKILL, `Verdaccio's search for "${SEARCH_TERM}" finds ${SKILL} only`);
  check(skillSearch.skills.edges.length === 1 && skillSearch.skills.edges[0].node.name === SKILL, `skills(query: "${SEARCH_TERM}") finds ${SKILL} only`);

  const latest = built.at(-1)!;
  const fromVerdaccio = await fetch(`${verdaccio}/${SKILL}/-/${SKILL}-${latest.version}.tgz`);
  const fromSkillyard = await fetch(`${skillyard.url}/packages/${latest.sha256}.tgz`);
  check(fromVerdaccio.status === 200 && sha256Of(await fromVerdaccio.arrayBuffer()) === latest.sha256, "Verdaccio serves the tarball's bytes");
  check(fromSkillyard.status === 200 && sha256Of(await fromSkillyard.arrayBuffer()) === latest.sha256, "Skillyard serves the tarball's bytes");

  const install = await skillyard.gql<{ installSkill: { root: { version: string; sha256: string } } }>(INSTALL, { input: { name: SKILL } });
  check(install.installSkill.root.version === LATEST && install.installSkill.root.sha256 === latest.sha256, `installSkill resolves ${SKILL} to ${LATEST}`);
}

// ---------------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------------

interface Workload {
  label: string;
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** The answer is the expected one (beyond its 2xx status). */
  verify?: (body: string) => boolean;
}

interface Measured {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers, connection errors, timeouts and unexpected bodies. */
  errors: number;
  statuses: string;
}

function cannon(w: Workload, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: w.url,
    method: w.method ?? "GET",
    headers: w.headers,
    body: w.body,
    connections: CONNECTIONS,
    duration: seconds,
    verifyBody: w.verify ? (body) => w.verify!(typeof body === "string" ? body : (body?.toString() ?? "")) : undefined,
  });
}

async function measureWorkload(w: Workload): Promise<Measured> {
  await cannon(w, WARMUP_SECONDS);
  const r = await cannon(w, MEASURE_SECONDS);
  const statuses = Object.entries(r.statusCodeStats ?? {})
    .map(([code, s]) => `${code}×${s.count ?? 0}`)
    .join(" ");
  const measured: Measured = {
    label: w.label,
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    errors: r.non2xx + r.errors + r.mismatches,
    statuses,
  };
  log(
    `${w.label}: ${Math.round(measured.rps).toLocaleString("en")} req/s, p50 ${fmt(measured.p50)}, p99 ${fmt(measured.p99)}` +
      `${measured.errors ? `, ${measured.errors} ERRORS (${statuses}; ${r.errors} connection errors, ${r.timeouts} timeouts, ${r.mismatches} unexpected bodies)` : ""}`,
  );
  return measured;
}

const noGraphqlErrors = (body: string) => body.startsWith('{"data"') && !body.includes('"errors"');

/** POST with the query, and GET with only the persisted query's hash (registered first), as a CDN-friendly client sends it. */
async function graphqlForms(
  skillyard: ProductServer,
  label: string,
  operationName: string,
  query: string,
  variables: Record<string, unknown>,
  verify: (body: string) => boolean,
): Promise<[Workload, Workload]> {
  const persistedQuery = { version: 1, sha256Hash: createHash("sha256").update(query).digest("hex") };
  const registered = await fetch(`${skillyard.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ operationName, query, variables, extensions: { persistedQuery } }),
  });
  check(registered.status === 200 && verify(await registered.text()), `${label}: registering the persisted query`);
  const params = new URLSearchParams({ operationName, variables: JSON.stringify(variables), extensions: JSON.stringify({ persistedQuery }) });
  const getUrl = `${skillyard.url}/graphql?${params}`;
  const byHash = await fetch(getUrl, { headers: { "apollo-require-preflight": "true" } });
  check(byHash.status === 200 && verify(await byHash.text()), `${label}: GET by the persisted query's hash`);
  return [
    {
      label: `${label} (POST)`,
      url: `${skillyard.url}/graphql`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ operationName, query, variables }),
      verify,
    },
    { label: `${label} (GET, persisted)`, url: getUrl, headers: { "apollo-require-preflight": "true" }, verify },
  ];
}

/** The faster of the POST and GET forms is the headline; the other goes into the details. */
function graphqlResult(name: string, post: Measured, get: Measured, baseline: Measured, baselineName: string, factor: number): BenchResult {
  const best = get.rps > post.rps ? get : post;
  return benchResult({
    group: "registry",
    name,
    value: best.rps,
    unit: "req/s",
    better: "higher",
    baseline: { name: baselineName, value: baseline.rps },
    target: { text: `≥ ${factor}× Verdaccio`, met: best.rps >= factor * baseline.rps },
    details: {
      p50_ms: best.p50,
      p99_ms: best.p99,
      errors: best.errors,
      post_req_s: post.rps,
      post_p99_ms: post.p99,
      get_persisted_req_s: get.rps,
      get_persisted_p99_ms: get.p99,
      baseline_p50_ms: baseline.p50,
      baseline_p99_ms: baseline.p99,
    },
  });
}

export async function measure(outer: Resources): Promise<BenchResult[]> {
  // Released here when the bench ends, so the servers do not idle through the benches after it;
  // `outer` releases them too if the run is interrupted (release is idempotent).
  const resources = new Resources();
  outer.add("stop the registry bench's servers", () => resources.release());
  try {
    return await run(resources);
  } finally {
    await resources.release();
  }
}

async function run(resources: Resources): Promise<BenchResult[]> {
  const pinning = planPinning();
  log(`pinning: ${pinning.description}`);
  const bin = await ensureVerdaccio(resources);
  const built = await buildVersions();
  const sizes = built.map((b) => b.tarball.length);
  log(`package: ${SKILL} (shared corpus) + padding, ${VERSIONS} versions of ${Math.min(...sizes)}-${Math.max(...sizes)} bytes (gzip tarball)`);

  const verdaccio = await startVerdaccio(resources, bin, pinning.serverPrefix);
  const skillyard = await startProductServer(resources, { role: "api", commandPrefix: pinning.serverPrefix, label: "Skillyard" });
  for (const b of built) {
    await publishToVerdaccio(verdaccio.url, b);
    const sha256 = await skillyard.upload(b.tarball);
    check(sha256 === b.sha256, `Skillyard answers the upload's sha256 (${sha256} ≠ ${b.sha256})`);
    const published = await skillyard.gql<PublishData>(PUBLISH, { input: { packageSha256: sha256 } });
    check(
      published.publishSkillVersion.version.status === "PUBLISHED",
      `${SKILL}@${b.version} is PUBLISHED (got ${published.publishSkillVersion.version.status})`,
    );
  }
  log(`published ${VERSIONS} versions to both`);
  await checkSameInformation(verdaccio.url, skillyard, built);
  log("both answer the same versions, digests, dates, search hit and bytes");

  const latest = built.at(-1)!;
  const [packumentPost, packumentGet] = await graphqlForms(
    skillyard,
    "skill(name){versions}",
    "Packument",
    PACKUMENT,
    { name: SKILL },
    (body) => noGraphqlErrors(body) && body.includes(latest.sha256),
  );
  const [searchPost, searchGet] = await graphqlForms(
    skillyard,
    "skills(query:)",
    "Search",
    SEARCH,
    { text: SEARCH_TERM },
    (body) => noGraphqlErrors(body) && body.includes(`"${SKILL}"`),
  );
  const workloads = {
    npmPackument: {
      label: `Verdaccio GET /${SKILL}`,
      url: `${verdaccio.url}/${SKILL}`,
      headers: { accept: "application/json" },
      verify: (body: string) => body.includes(latest.sha1),
    },
    packumentPost,
    packumentGet,
    npmSearch: {
      label: `Verdaccio GET /-/v1/search?text=${SEARCH_TERM}`,
      url: `${verdaccio.url}/-/v1/search?text=${SEARCH_TERM}&size=20`,
      verify: (body: string) => body.includes(`"${SKILL}"`),
    },
    searchPost,
    searchGet,
    npmTarball: { label: `Verdaccio GET /${SKILL}/-/${SKILL}-${LATEST}.tgz`, url: `${verdaccio.url}/${SKILL}/-/${SKILL}-${LATEST}.tgz` },
    download: { label: "GET /packages/{sha256}.tgz", url: `${skillyard.url}/packages/${latest.sha256}.tgz` },
    install: {
      label: `installSkill(${SKILL})`,
      url: `${skillyard.url}/graphql`,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${skillyard.adminToken}` },
      body: JSON.stringify({ query: INSTALL, variables: { input: { name: SKILL } } }),
      verify: (body: string) => noGraphqlErrors(body) && body.includes(latest.sha256),
    },
  } satisfies Record<string, Workload>;

  const unpin = pinning.pinSelf();
  log(`measuring: ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up then ${MEASURE_SECONDS} s per workload`);
  const m: Record<keyof typeof workloads, Measured> = {} as Record<keyof typeof workloads, Measured>;
  try {
    for (const [key, workload] of Object.entries(workloads) as [keyof typeof workloads, Workload][]) m[key] = await measureWorkload(workload);
  } finally {
    unpin();
  }

  const failed = Object.values(m).filter((x) => x.errors > 0);
  if (failed.length > 0) {
    throw new Error(
      `workloads with errors are not figures: ${failed.map((x) => `${x.label}: ${x.errors} errors of ${x.requests} (${x.statuses})`).join("; ")}`,
    );
  }
  const npm = (label: string) => `Verdaccio ${VERDACCIO_VERSION} ${label}`;
  return [
    graphqlResult("packument: skill(name){versions}", m.packumentPost, m.packumentGet, m.npmPackument, npm(`GET /${SKILL}`), 0.8),
    graphqlResult("search: skills(query:), one match", m.searchPost, m.searchGet, m.npmSearch, npm("GET /-/v1/search"), 0.8),
    benchResult({
      group: "registry",
      name: `download: GET /packages/{sha256}.tgz (${Math.round(latest.tarball.length / 1024)} KB)`,
      value: m.download.rps,
      unit: "req/s",
      better: "higher",
      baseline: { name: npm("GET /<pkg>/-/<pkg>-<version>.tgz"), value: m.npmTarball.rps },
      target: { text: "≥ 1.2× Verdaccio", met: m.download.rps >= 1.2 * m.npmTarball.rps },
      details: { p50_ms: m.download.p50, p99_ms: m.download.p99, errors: 0, baseline_p50_ms: m.npmTarball.p50, baseline_p99_ms: m.npmTarball.p99 },
    }),
    benchResult({
      group: "registry",
      name: "installs: installSkill, one skill",
      value: m.install.rps,
      unit: "installs/s",
      better: "higher",
      baseline: null,
      target: { text: "≥ 1,000 installs/s", met: m.install.rps >= 1000 },
      details: { p50_ms: m.install.p50, p99_ms: m.install.p99, errors: 0 },
    }),
  ];
}

async function main(resources: Resources): Promise<void> {
  const results = await measure(resources);
  const n = (x: number) => Math.round(x).toLocaleString("en");
  console.log(`\nRegistry side by side: Skillyard vs Verdaccio ${VERDACCIO_VERSION}, ${CONNECTIONS} connections, ${MEASURE_SECONDS} s per workload\n`);
  printTable(
    ["workload", "Skillyard", "p50", "p99", "Verdaccio", "Verdaccio p50", "Verdaccio p99", "ratio", "target", "met"],
    results.map((r) => {
      const d = r.details ?? {};
      return [
        r.name,
        `${n(r.value)} ${r.unit}`,
        fmt(d.p50_ms),
        fmt(d.p99_ms),
        r.baseline ? `${n(r.baseline.value)} req/s` : "-",
        r.baseline ? fmt(d.baseline_p50_ms) : "-",
        r.baseline ? fmt(d.baseline_p99_ms) : "-",
        r.ratio === null ? "-" : `${r.ratio.toFixed(2)}x`,
        r.target?.text ?? "-",
        r.target ? (r.target.met ? "yes" : "NO") : "-",
      ];
    }),
  );
  for (const r of results.filter((x) => x.details?.post_req_s !== undefined)) {
    const d = r.details!;
    console.log(
      `  ${r.name}: POST ${n(d.post_req_s)} req/s (p99 ${fmt(d.post_p99_ms)}), GET persisted ${n(d.get_persisted_req_s)} req/s (p99 ${fmt(d.get_persisted_p99_ms)})`,
    );
  }
}

if (require.main === module) runBench(main);
