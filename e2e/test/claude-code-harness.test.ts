import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  claudeBinary,
  CLAUDE_CODE_VERSION,
  createClaudeHome,
  createTestTls,
  ensureHostsEntry,
  type HttpsFront,
  archiveEntry,
  pluginZip,
  marketplaceJson,
  pluginFiles,
  type PluginFixture,
  runClaude,
  servePlugin,
  sha256,
  startHttpsFront,
  type TestTls,
} from "../support/claude";

// The harness itself, and the facts about Claude Code 2.1.332 that the product's shape rests on, checked
// against hand-made marketplaces served over HTTPS (a throwaway CA, skills.corp.test mapped to
// 127.0.0.1): which catalog forms `plugin validate` refuses, and that a wrong sha256 installs nothing.
// What Skillyard itself serves is tested with the real client in claude-code.test.ts.

const HOST = "skills.corp.test";
let tls: TestTls;
let front: HttpsFront;

before(() => {
  claudeBinary();
  ensureHostsEntry(HOST);
  tls = createTestTls(HOST);
});

before(async () => {
  front = await startHttpsFront({ tls, otlp: true });
});

after(async () => {
  await front?.stop();
  tls?.remove();
});

function plugin(name: string, version: string, extra: Partial<PluginFixture> = {}): PluginFixture {
  return {
    name,
    version,
    description: `${name} ${version}`,
    skills: [{ name, description: `Use ${name} (${version}) on CSV files`, body: `# ${name}\n\nBODY-OF-${name}-${version}\n` }],
    ...extra,
  };
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

function skillBytes(p: PluginFixture): Buffer {
  const file = pluginFiles(p).find((f) => f.path === `skills/${p.name}/SKILL.md`);
  assert.ok(file);
  return Buffer.from(file.content);
}

interface InstalledPlugins {
  version: number;
  plugins: Record<string, { scope: string; installPath: string; version: string; auto?: boolean }[]>;
}

test("the pinned binary is Claude Code 2.1.332", async () => {
  const home = createClaudeHome();
  try {
    const run = await runClaude(["--version"], { home });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), `${CLAUDE_CODE_VERSION} (Claude Code)`);
  } finally {
    home.remove();
  }
});

test("ensureHostsEntry adds one marked line once and keeps every other line", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "hosts-"));
  try {
    const file = path.join(dir, "hosts");
    writeFileSync(file, "127.0.0.1 localhost\n10.0.0.7 build.corp.test");
    ensureHostsEntry("skills.example.test", file);
    ensureHostsEntry("skills.example.test", file);
    const lines = readFileSync(file, "utf8").split("\n");
    assert.deepEqual(lines.slice(0, 2), ["127.0.0.1 localhost", "10.0.0.7 build.corp.test"]);
    assert.equal(lines.filter((line) => line.startsWith("127.0.0.1 skills.example.test # skillyard-e2e")).length, 1);
    assert.throws(() => ensureHostsEntry("build.corp.test", file), /maps build\.corp\.test to 10\.0\.0\.7/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a: claude plugin validate accepts the catalog shape the product serves and rejects the wrong forms", async () => {
  const home = createClaudeHome();
  try {
    const source = { source: "archive", url: `https://${HOST}:8443/plugins/csv-stats-1.0.0.zip`, sha256: "a".repeat(64) };
    const entry = {
      name: "csv-stats",
      version: "1.0.0",
      description: "CSV stats",
      source,
      category: "data",
      tags: ["csv"],
      author: { name: "Data Team", email: "data@corp.test" },
      dependencies: ["pdf-tools"],
    };
    const cases: [string, unknown, number, RegExp][] = [
      ["good", { name: "skillyard", owner: { name: "Skillyard" }, metadata: { description: "Corp skills" }, plugins: [entry] }, 0, /Validation passed/],
      [
        "author-string",
        { name: "skillyard", owner: { name: "Skillyard" }, plugins: [{ ...entry, author: "Data Team" }] },
        1,
        /plugins\.0\.author: Invalid input: expected object, received string/,
      ],
      [
        "deps-record",
        { name: "skillyard", owner: { name: "S" }, plugins: [{ ...entry, dependencies: { "pdf-tools": "^1" } }] },
        1,
        /plugins\.0\.dependencies: Invalid input: expected array/,
      ],
      [
        "http",
        { name: "skillyard", owner: { name: "S" }, plugins: [{ ...entry, source: { ...source, url: `http://${HOST}/p.zip` } }] },
        1,
        /Archive URLs must use https:\/\//,
      ],
      [
        "short-sha",
        { name: "skillyard", owner: { name: "S" }, plugins: [{ ...entry, source: { ...source, sha256: "abc" } }] },
        1,
        /Must be a 64-character hex SHA-256 digest/,
      ],
      ["no-owner", { name: "skillyard", plugins: [entry] }, 1, /owner: Invalid input: expected object, received undefined/],
    ];
    for (const [label, manifest, code, output] of cases) {
      const file = path.join(home.project, `${label}.json`);
      writeFileSync(file, JSON.stringify(manifest));
      const run = await runClaude(["plugin", "validate", file], { home });
      assert.equal(run.code, code, `${label}: ${run.stdout}${run.stderr}`);
      assert.match(run.stdout + run.stderr, output, label);
    }
  } finally {
    home.remove();
  }
});

test("b: marketplace add + install put the catalog and the plugin's exact bytes under ~/.claude/plugins; a wrong sha256 installs nothing", async () => {
  const home = createClaudeHome();
  try {
    const csv = plugin("csv-stats", "1.0.0");
    const served = servePlugin(front, csv, "/b");
    // Served compact, with fields Claude Code does not know (it warns about them in validate, and keeps them).
    const catalog = JSON.stringify({
      name: "skillyard",
      owner: { name: "Skillyard" },
      "x-skillyard": { channel: "latest" },
      plugins: [{ ...served.entry, skillyardId: "v-1" }],
    });
    front.serve("/b/marketplace.json", catalog);
    const catalogUrl = front.url("/b/marketplace.json");

    const add = await runClaude(["plugin", "marketplace", "add", catalogUrl], { home, tls });
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /Successfully added marketplace: skillyard/);
    const install = await runClaude(["plugin", "install", "csv-stats@skillyard"], { home, tls });
    assert.equal(install.code, 0, install.stderr);

    const known = readJson<Record<string, { source: unknown; installLocation: string; lastUpdated: string }>>(
      path.join(home.pluginsDir, "known_marketplaces.json"),
    );
    assert.deepEqual(known.skillyard.source, { source: "url", url: catalogUrl });
    assert.equal(known.skillyard.installLocation, path.join(home.pluginsDir, "marketplaces", "skillyard"));
    assert.equal(
      readFileSync(path.join(home.pluginsDir, "marketplaces", "skillyard"), "utf8"),
      JSON.stringify(JSON.parse(catalog), null, 2),
      "the catalog is kept as one file, re-serialised with 2-space indentation and no final newline",
    );
    const cacheDir = path.join(home.pluginsDir, "cache", "skillyard", "csv-stats", "1.0.0");
    assert.deepEqual(readFileSync(path.join(cacheDir, "skills", "csv-stats", "SKILL.md")), skillBytes(csv));
    const installed = readJson<InstalledPlugins>(path.join(home.pluginsDir, "installed_plugins.json"));
    assert.equal(installed.plugins["csv-stats@skillyard"][0].installPath, cacheDir);
    assert.equal(installed.plugins["csv-stats@skillyard"][0].version, "1.0.0");
    assert.ok(front.requestsTo("/b/plugins/csv-stats-1.0.0.zip").every((r) => r.headers["user-agent"] === "Claude-Code-Plugin-Manager"));

    // The same zip under a wrong digest: refused, nothing cached, nothing recorded as installed.
    const other = createClaudeHome();
    try {
      front.serve("/b/bad.json", marketplaceJson("bad-sha", [{ ...served.entry, source: { source: "archive", url: served.url, sha256: "0".repeat(64) } }]));
      assert.equal((await runClaude(["plugin", "marketplace", "add", front.url("/b/bad.json")], { home: other, tls })).code, 0);
      const refused = await runClaude(["plugin", "install", "--json", "csv-stats@bad-sha"], { home: other, tls });
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        new RegExp(`Plugin archive integrity check failed for .*: expected sha256 0{64}, got ${sha256(served.zip)}\\. The archive was not installed\\.`),
      );
      assert.equal(existsSync(path.join(other.pluginsDir, "cache", "bad-sha")), false);
      assert.equal(existsSync(path.join(other.pluginsDir, "installed_plugins.json")), false);
    } finally {
      other.remove();
    }
  } finally {
    home.remove();
  }
});

test("the front proxies to an HTTP origin (the product) and records what Claude Code fetched", async () => {
  const home = createClaudeHome();
  const csv = plugin("csv-stats", "1.0.0");
  const zip = pluginZip(csv);
  const seen: { url?: string; forwardedHost?: string | string[]; forwardedProto?: string | string[] }[] = [];
  let proxied: HttpsFront | undefined;
  const origin = http.createServer((request, response) => {
    seen.push({ url: request.url, forwardedHost: request.headers["x-forwarded-host"], forwardedProto: request.headers["x-forwarded-proto"] });
    if (request.url === "/catalog.json") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(marketplaceJson("proxied", [archiveEntry(csv, zip, proxied?.url("/zips/csv-stats.zip") ?? "")]));
    } else if (request.url === "/zips/csv-stats.zip") {
      response.writeHead(200, { "content-type": "application/zip" });
      response.end(zip);
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  try {
    proxied = await startHttpsFront({ tls, target: `http://127.0.0.1:${(origin.address() as AddressInfo).port}` });
    assert.equal((await runClaude(["plugin", "marketplace", "add", proxied.url("/catalog.json")], { home, tls })).code, 0);
    const install = await runClaude(["plugin", "install", "csv-stats@proxied"], { home, tls });
    assert.equal(install.code, 0, install.stderr);
    assert.deepEqual([...new Set(proxied.requests.map((r) => `${r.method} ${r.url} ${r.status}`))], ["GET /catalog.json 200", "GET /zips/csv-stats.zip 200"]);
    assert.deepEqual(seen[0], { url: "/catalog.json", forwardedHost: `${HOST}:${proxied.port}`, forwardedProto: "https" });
  } finally {
    await proxied?.stop();
    await new Promise((resolve) => origin.close(resolve));
    home.remove();
  }
});
