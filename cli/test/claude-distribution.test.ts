import "reflect-metadata";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TeamRole } from "../../server/src/identity/membership.entity";
import { GlobalRole } from "../../server/src/identity/user.entity";
import { publishOk } from "../../server/test/support/publish";
import { skillYaml } from "../../server/test/support/seed";
import { startTestServer, type TestServer } from "../../server/test/support/test-server";
import { readZip } from "../../server/test/support/zip";
import { cliRunner, filesUnder, finalError, oneLineError } from "./support/cli";
import { RecordingFront } from "./support/front";

interface Declaration {
  source: { source: "url"; url: string; headers?: Record<string, string> };
}
interface Settings {
  extraKnownMarketplaces: Record<string, Declaration>;
  enabledPlugins: Record<string, boolean>;
}
interface CatalogEntry {
  name: string;
  version: string;
  source: { url: string; sha256: string };
  dependencies?: string[];
}

/**
 * `settings managed` and `seed-dir` against a real server whose PUBLIC_URL is a recording front on
 * 127.0.0.1 (so catalog and archive URLs are reachable, every request the CLI makes is seen, and an
 * archive can be corrupted in flight), with REQUIRE_AUTH_FOR_READ so the marketplace declarations
 * carry an Authorization header that the seed must repeat and the CLI must send.
 */
describe("skillyard settings managed and seed-dir against a real server", () => {
  let server: TestServer;
  let front: RecordingFront;
  let scratch: string;
  let lead: string;
  let member: string;

  const cli = cliRunner(
    () => server.url,
    () => scratch,
  );
  /** GET on the server itself (not through the front), as the data team's maintainer. */
  const get = (pathAndQuery: string) => fetch(`${server.url}${pathAndQuery}`, { headers: { authorization: `Bearer ${lead}` } });
  const gql = async (query: string, token: string) => {
    const res = await server.gql(query, {}, token);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  };
  const expectedSettings = async () => (await get("/managed-settings.json?channel=stable&team=data")).text();
  const catalogOf = async (query: string) => JSON.parse(await (await get(`/marketplace.json${query}`)).text()) as { plugins: CatalogEntry[] };

  before(
    async () => {
      assert.ok(existsSync(path.join(__dirname, "..", "dist", "src", "main.js")), "build the CLI first: npm run build -w cli");
      scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-cli-claude-"));
      front = new RecordingFront();
      await front.start();
      server = await startTestServer({ PUBLIC_URL: front.url, REQUIRE_AUTH_FOR_READ: "true" });
      front.target = server.url;
      const admin = (await server.seed.user("cd-admin", [GlobalRole.ADMIN])).token;
      const data = server.seed.team("data");
      lead = (await data.member("data-lead", TeamRole.MAINTAINER)).token;
      member = (await data.member("data-dev")).token;
      await publishOk(server, lead, { "skill.yaml": skillYaml({ name: "pdf-tools", version: "1.0.0" }), "src/pdf.py": "PAGES = 3\n" });
      await publishOk(server, lead, {
        "skill.yaml": skillYaml({ name: "report-builder", version: "1.0.0", dependencies: { "pdf-tools": "^1.0.0" } }),
        "templates/report.md": "# Report\n",
      });
      await publishOk(server, lead, { "skill.yaml": skillYaml({ name: "csv-stats", version: "1.0.0" }), "stats.py": "print('1.0.0')\n" });
      await publishOk(server, lead, { "skill.yaml": skillYaml({ name: "csv-stats", version: "1.1.0" }), "stats.py": "print('1.1.0')\n" });
      await publishOk(server, lead, { "skill.yaml": skillYaml({ name: "org-guide", version: "1.0.0" }) });
      await gql(`mutation { setChannel(input: { skill: "csv-stats", channel: "stable", version: "1.0.0" }) { channel { name } } }`, lead);
      await gql(`mutation { setChannel(input: { skill: "report-builder", channel: "stable", version: "1.0.0" }) { channel { name } } }`, lead);
      for (const skill of ["csv-stats", "report-builder"]) {
        await gql(`mutation { setRequiredSkill(input: { skill: "${skill}", team: "data", required: true }) { changed } }`, lead);
      }
      // Not on the stable channel: the settings enable it from the base marketplace, which they declare too.
      await gql(`mutation { setRequiredSkill(input: { skill: "org-guide", required: true }) { changed } }`, admin);
    },
    { timeout: 120_000 },
  );
  after(async () => {
    await server?.close();
    await front?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("settings managed prints exactly the registry's JSON on stdout, ready for /etc/claude-code/managed-settings.json; notes go to stderr", async () => {
    const run = await cli(["settings", "managed", "--channel", "stable", "--team", "data"], { token: lead });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, await expectedSettings());
    assert.ok(run.stdout.endsWith("}\n"));
    const settings = JSON.parse(run.stdout) as Settings;
    assert.deepEqual(Object.keys(settings.extraKnownMarketplaces), ["skillyard-stable", "skillyard"]);
    assert.equal(settings.extraKnownMarketplaces["skillyard-stable"].source.url, `${front.url}/marketplace.json?channel=stable`);
    assert.match(settings.extraKnownMarketplaces["skillyard-stable"].source.headers?.Authorization ?? "", /^Bearer \S+$/);
    assert.match(run.stderr, /managed settings for team data, channel stable; the file holds tokens/);

    const json = await cli(["settings", "managed", "--channel", "stable", "--team", "data", "--json"], { token: lead });
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout, run.stdout, "--json prints the same document");
    assert.equal(json.stderr, "");
  });

  test("settings managed: a member who does not maintain the team gets FORBIDDEN (exit 1, one line, nothing on stdout); no token is UNAUTHENTICATED", async () => {
    const forbidden = await cli(["settings", "managed", "--channel", "stable", "--team", "data"], { token: member });
    assert.equal(forbidden.code, 1);
    oneLineError(forbidden, "FORBIDDEN");
    assert.equal(forbidden.stdout, "");

    const anonymous = await cli(["settings", "managed", "--team", "data"]);
    assert.equal(anonymous.code, 1);
    oneLineError(anonymous, "UNAUTHENTICATED");
    assert.equal(anonymous.stdout, "");

    const json = await cli(["settings", "managed", "--team", "data", "--json"], { token: member });
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).error.code, "FORBIDDEN");
  });

  test("seed-dir writes the settings and a seed directory: sources exactly as declared, catalogs as served, every enabled plugin and its dependencies from verified archives", async () => {
    const project = mkdtempSync(path.join(scratch, "image-"));
    const seen = front.requests.length;
    const run = await cli(["seed-dir", "--channel", "stable", "--team", "data", "build/claude/"], { token: lead, cwd: project });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        "COPY build/claude/plugins /opt/skillyard/claude-seed",
        "COPY build/claude/managed-settings.json /etc/claude-code/managed-settings.json",
        "ENV CLAUDE_CODE_PLUGIN_SEED_DIR=/opt/skillyard/claude-seed",
        "",
      ].join("\n"),
    );
    // The settings enable report-builder's dependency too (Claude Code does not install dependencies of plugins settings enable).
    assert.match(run.stderr, /^plugin pdf-tools@skillyard-stable 1\.0\.0 \(.*sha256 [0-9a-f]{12} verified; enabled\)$/m);
    assert.match(run.stderr, /^plugin csv-stats@skillyard-stable 1\.0\.0 \(.*; enabled\)$/m);

    const out = path.join(project, "build", "claude");
    const settingsText = await expectedSettings();
    const settings = JSON.parse(settingsText) as Settings;
    assert.equal(readFileSync(path.join(out, "managed-settings.json"), "utf8"), settingsText);
    assert.equal(statSync(out).mode & 0o777, 0o700, "the folder holding the tokens is private");
    assert.deepEqual(readdirSync(path.join(project, "build")), ["claude"], "no temporary folder is left");

    const seed = path.join(out, "plugins");
    const known = JSON.parse(readFileSync(path.join(seed, "known_marketplaces.json"), "utf8")) as Record<
      string,
      { source: unknown; installLocation: string; lastUpdated: string }
    >;
    assert.deepEqual(Object.keys(known), ["skillyard-stable", "skillyard"]);
    for (const [name, entry] of Object.entries(known)) {
      // Claude Code ignores a seed whose source differs in any way from the declared one.
      assert.equal(JSON.stringify(entry.source), JSON.stringify(settings.extraKnownMarketplaces[name].source));
      assert.equal(entry.installLocation, `/opt/skillyard/claude-seed/marketplaces/${name}`);
      assert.equal(new Date(entry.lastUpdated).toISOString(), entry.lastUpdated);
    }
    assert.equal(readFileSync(path.join(seed, "marketplaces", "skillyard-stable"), "utf8"), await (await get("/marketplace.json?channel=stable")).text());
    assert.equal(readFileSync(path.join(seed, "marketplaces", "skillyard"), "utf8"), await (await get("/marketplace.json")).text());

    // Enabled: the policy plugin, csv-stats and report-builder on stable, org-guide from the base
    // catalog; pdf-tools only because report-builder depends on it; csv-stats at its stable version.
    assert.deepEqual(readdirSync(path.join(seed, "cache", "skillyard-stable")).sort(), ["csv-stats", "pdf-tools", "report-builder", "skillyard-policy"]);
    assert.deepEqual(readdirSync(path.join(seed, "cache", "skillyard")), ["org-guide"]);
    assert.deepEqual(readdirSync(path.join(seed, "cache", "skillyard-stable", "csv-stats")), ["1.0.0"]);
    const catalogs = { "skillyard-stable": await catalogOf("?channel=stable"), skillyard: await catalogOf("") };
    for (const [marketplace, catalog] of Object.entries(catalogs)) {
      for (const plugin of readdirSync(path.join(seed, "cache", marketplace))) {
        const entry = catalog.plugins.find((p) => p.name === plugin)!;
        const dir = path.join(seed, "cache", marketplace, plugin, entry.version);
        const zip = await readZip(Buffer.from(await (await get(new URL(entry.source.url).pathname)).arrayBuffer()));
        assert.deepEqual(filesUnder(dir), zip.map((e) => e.path).sort(), `${plugin}: the archive's files`);
        for (const e of zip) {
          assert.ok(readFileSync(path.join(dir, e.path)).equals(e.bytes), `${plugin}/${e.path}: the archive's bytes`);
          assert.equal(statSync(path.join(dir, e.path)).mode & 0o777, e.mode & 0o100 ? 0o755 : 0o644, `${plugin}/${e.path}: mode`);
        }
      }
    }
    const policy = path.join(seed, "cache", "skillyard-stable", "skillyard-policy", "1.0.0", "hooks", "policy.sh");
    assert.equal(statSync(policy).mode & 0o777, 0o755, "the hook script stays executable");
    assert.ok(existsSync(path.join(seed, "cache", "skillyard-stable", "report-builder", "1.0.0", "skills", "report-builder", "SKILL.md")));

    // The declarations' headers went with each catalog and with the archives of the same origin.
    const header = settings.extraKnownMarketplaces["skillyard-stable"].source.headers?.Authorization;
    const made = front.requests.slice(seen);
    assert.deepEqual(
      made.filter((r) => r.url.startsWith("/marketplace.json")).map((r) => r.url),
      ["/marketplace.json?channel=stable", "/marketplace.json"],
    );
    assert.equal(made.filter((r) => r.url.startsWith("/plugins/")).length, 5);
    for (const request of made) assert.equal(request.headers.authorization, header, request.url);
  });

  test("seed-dir refuses an archive whose sha256 is not the catalog's: exit 1 with PACKAGE_CORRUPT, and nothing is written", async () => {
    const csv = (await catalogOf("?channel=stable")).plugins.find((p) => p.name === "csv-stats")!;
    const zipPath = new URL(csv.source.url).pathname;
    const project = mkdtempSync(path.join(scratch, "image-"));
    front.corrupt = (url) => url === zipPath;
    try {
      const run = await cli(["seed-dir", "--channel", "stable", "--team", "data", "build/claude"], { token: lead, cwd: project });
      assert.equal(run.code, 1);
      const line = finalError(run, "PACKAGE_CORRUPT");
      assert.match(run.stderr, /^catalog skillyard-stable \(/m, "progress came first");
      assert.ok(line.includes(`sha256 mismatch for csv-stats@skillyard-stable 1.0.0: the catalog pins ${csv.source.sha256}`), line);
      assert.equal(run.stdout, "");
      assert.deepEqual(readdirSync(project), [], "neither the folder nor its parent nor a temporary folder was created");
    } finally {
      front.corrupt = null;
    }
  });

  test("seed-dir refuses a non-empty folder unless --force; --json summarises; --seed-path moves the seed", async () => {
    const project = mkdtempSync(path.join(scratch, "image-"));
    const out = path.join(project, "seed");
    mkdirSync(out);
    writeFileSync(path.join(out, "keep.txt"), "mine");
    const seen = front.requests.length;
    const refused = await cli(["seed-dir", "--channel", "stable", "--team", "data", "seed"], { token: lead, cwd: project });
    assert.equal(refused.code, 2);
    assert.match(oneLineError(refused, "BAD_USER_INPUT"), /seed is not empty; choose a new folder, or pass --force/);
    assert.equal(readFileSync(path.join(out, "keep.txt"), "utf8"), "mine");
    assert.equal(front.requests.length, seen, "refused before fetching anything");

    const run = await cli(["seed-dir", "--channel", "stable", "--team", "data", "--seed-path", "/srv/seed/", "--force", "--json", "seed"], {
      token: lead,
      cwd: project,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "");
    assert.deepEqual(readdirSync(out).sort(), ["managed-settings.json", "plugins"], "the old content was replaced");
    assert.deepEqual(readdirSync(project), ["seed"]);
    const summary = JSON.parse(run.stdout) as {
      out: string;
      seedPath: string;
      marketplaces: { name: string; plugins: { name: string; version: string; enabled: boolean; requiredBy: string[] }[] }[];
      dockerfile: string[];
    };
    assert.equal(summary.out, out);
    assert.equal(summary.seedPath, "/srv/seed");
    assert.deepEqual(
      summary.marketplaces.map((m) => [m.name, m.plugins.map((p) => `${p.name}@${p.version}${p.enabled ? "" : ` for ${p.requiredBy.join(",")}`}`)]),
      [
        ["skillyard-stable", ["csv-stats@1.0.0", "pdf-tools@1.0.0", "report-builder@1.0.0", "skillyard-policy@1.0.0"]],
        ["skillyard", ["org-guide@1.0.0"]],
      ],
    );
    assert.deepEqual(summary.dockerfile, [
      "COPY seed/plugins /srv/seed",
      "COPY seed/managed-settings.json /etc/claude-code/managed-settings.json",
      "ENV CLAUDE_CODE_PLUGIN_SEED_DIR=/srv/seed",
    ]);
    const known = JSON.parse(readFileSync(path.join(out, "plugins", "known_marketplaces.json"), "utf8")) as Record<string, { installLocation: string }>;
    assert.equal(known["skillyard-stable"].installLocation, "/srv/seed/marketplaces/skillyard-stable");
  });

  test("seed-dir: FORBIDDEN for a member who does not maintain the team, usage errors for a relative --seed-path or a missing folder", async () => {
    const project = mkdtempSync(path.join(scratch, "image-"));
    const forbidden = await cli(["seed-dir", "--channel", "stable", "--team", "data", "seed"], { token: member, cwd: project });
    assert.equal(forbidden.code, 1);
    oneLineError(forbidden, "FORBIDDEN");
    assert.deepEqual(readdirSync(project), []);

    const relative = await cli(["seed-dir", "--seed-path", "opt/seed", "seed"], { token: lead, cwd: project });
    assert.equal(relative.code, 2);
    oneLineError(relative, "BAD_USER_INPUT");

    const missing = await cli(["seed-dir", "--team", "data"], { token: lead, cwd: project });
    assert.equal(missing.code, 2);
    oneLineError(missing, "BAD_USER_INPUT");
    assert.deepEqual(readdirSync(project), []);
  });

  test("install on a registry that requires a token for every read: the token goes with downloads from the registry's own origin, and to no other", async () => {
    const project = mkdtempSync(path.join(scratch, "locked-install-"));
    // The registry is the front (PUBLIC_URL): download URLs are on its origin, so the token goes along.
    const before = front.requestsTo("/graphql").length;
    const installed = await cli(["install", "pdf-tools"], { token: member, cwd: project, env: { SKILLYARD_URL: front.url } });
    assert.equal(installed.code, 0, installed.stderr);
    assert.ok(front.requestsTo("/graphql").length > before, "the CLI talked to the front as its registry");
    const downloads = front.requests.filter((r) => /^\/packages\/[0-9a-f]{64}\.tgz$/.test(r.url));
    assert.ok(downloads.length > 0);
    assert.ok(downloads.every((r) => r.headers.authorization === `Bearer ${member}`));
    // The registry is the server itself: the download URLs name another origin (the front), which gets no token.
    const elsewhere = mkdtempSync(path.join(scratch, "other-origin-"));
    const count = downloads.length;
    const refused = await cli(["install", "pdf-tools"], { token: member, cwd: elsewhere });
    assert.equal(refused.code, 1);
    oneLineError(refused, "UNAUTHENTICATED");
    const later = front.requests.filter((r) => /^\/packages\/[0-9a-f]{64}\.tgz$/.test(r.url)).slice(count);
    assert.ok(later.length > 0 && later.every((r) => r.headers.authorization === undefined));
  });
});
