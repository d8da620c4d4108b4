import "reflect-metadata";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TeamRole } from "../../server/src/identity/membership.entity";
import { GlobalRole } from "../../server/src/identity/user.entity";
import { rollUpAll } from "../../server/test/support/downloads";
import { skillYaml } from "../../server/test/support/seed";
import { pythonSkill } from "../../server/test/support/skills";
import { startTestServer, type TestServer } from "../../server/test/support/test-server";
import { readZip } from "../../server/test/support/zip";
import { cliRunner, filesUnder, oneLineError, writeSkillDir } from "./support/cli";

/**
 * The skillyard CLI as a user runs it: a subprocess (async spawn: the server answers from this
 * process's event loop) against the real server, embedded PostgreSQL and Docker sandbox.
 */
describe("skillyard CLI against a real server", () => {
  let server: TestServer;
  let scratch: string;
  let authorHome: string;
  let authorToken: string;
  let installerToken: string;
  let reviewerToken: string;

  const cli = cliRunner(
    () => server.url,
    () => scratch,
  );

  const asAuthor = (args: string[], extra: { env?: Record<string, string>; cwd?: string } = {}) => cli(args, { home: authorHome, ...extra });
  const asInstaller = (args: string[], extra: { env?: Record<string, string>; cwd?: string } = {}) => cli(args, { token: installerToken, ...extra });

  const skillDir = (name: string, files: Record<string, string>) => writeSkillDir(scratch, name, files);

  /** Downloads once every install so far is rolled up (the worker's periodic roll-up may lag). */
  const downloadsOf = async (name: string) => {
    await rollUpAll(server.runtime.dataSource);
    return (await server.gql<{ skill: { downloads: number } }>(`query($n: String!) { skill(name: $n) { downloads } }`, { n: name })).data!.skill.downloads;
  };

  before(
    async () => {
      assert.ok(existsSync(path.join(__dirname, "..", "dist", "src", "main.js")), "build the CLI first: npm run build -w cli");
      scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-cli-test-"));
      server = await startTestServer({ SANDBOX_MAX_CONCURRENCY: "2" }, { worker: true });
      authorToken = (await server.seed.team("yard").member("cli-author", TeamRole.MAINTAINER)).token;
      installerToken = (await server.seed.team("consumers").member("cli-installer")).token;
      reviewerToken = (await server.seed.team("board").member("cli-reviewer", undefined, [GlobalRole.REVIEWER])).token;
      authorHome = mkdtempSync(path.join(scratch, "author-"));
    },
    { timeout: 120_000 },
  );
  after(async () => {
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("login checks the token, stores it with mode 0600, and later commands use it", async () => {
    const refused = await asAuthor(["login", "--token", "sky_not-a-real-token"]);
    assert.equal(refused.code, 1);
    oneLineError(refused, "UNAUTHENTICATED");
    const file = path.join(authorHome, ".config", "skillyard", "config.json");
    assert.equal(existsSync(file), false, "a refused token is not stored");

    const empty = await asAuthor(["login"]);
    assert.equal(empty.code, 2, "no token on stdin is a usage error");
    oneLineError(empty, "BAD_USER_INPUT");

    const ok = await cli(["login"], { home: authorHome, input: `${authorToken}\n` });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /logged in to http:\/\/127\.0\.0\.1:\d+ as cli-author/);
    assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), { registry: server.url, token: authorToken });
    assert.equal(statSync(file).mode & 0o777, 0o600);

    // No SKILLYARD_TOKEN: the stored one is used.
    const json = await asAuthor(["login", "--token", authorToken, "--json"]);
    assert.equal(JSON.parse(json.stdout).handle, "cli-author");
  });

  test("publish validates locally, uploads, streams the sandboxed tests live and ends PUBLISHED (exit 0)", async () => {
    const files = pythonSkill("cli-hello", "1.0.0", {
      total: 2,
      body: [
        "import sys, time",
        "def test_speaks():",
        '    print("hello from the sandbox")',
        '    print("a warning on stderr", file=sys.stderr)',
        "    sys.stdout.flush(); sys.stderr.flush()",
        "    time.sleep(1.5)",
      ].join("\n"),
    });
    const run = await asAuthor(["publish", skillDir("cli-hello", files)]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^ {2}.*hello from the sandbox/m, "stdout log lines are printed");
    assert.match(run.stdout, /^! a warning on stderr$/m, "stderr log lines are marked");
    assert.match(run.stdout, /● RUNNING/);
    assert.match(run.stdout, /● PASSED/);
    assert.match(run.stdout, /✓ published cli-hello@1\.0\.0 \(3 passed, 0 failed\)/);
    // Live, not dumped at the end: the line arrived while the test was still sleeping.
    const firstSeen = run.arrivals.find((a) => a.text.includes("hello from the sandbox"))!.at;
    assert.ok(run.durationMs - firstSeen >= 1000, `the log line arrived ${run.durationMs - firstSeen} ms before the CLI exited`);
    assert.match(run.stderr, /✓ uploaded .* sha256 [0-9a-f]{64}/);
  });

  test("a publish whose tests fail (2 of 4) is rejected: reason, failing test names, exit 1", async () => {
    const run = await asAuthor(["publish", skillDir("cli-half", pythonSkill("cli-half", "1.0.0", { passing: 2, total: 4 }))]);
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /✗ rejected cli-half@1\.0\.0: .*2 of 4/);
    assert.match(run.stdout, /✗ test_case_2 — .*case 2 is meant to fail/);
    assert.match(run.stdout, /✗ test_case_3/);
    assert.doesNotMatch(run.stdout, /test_case_[01] —/);
    assert.doesNotMatch(run.stdout, /published/);
  });

  test("publish refuses an invalid manifest locally, before uploading", async () => {
    const dir = skillDir("cli-bad", { "skill.yaml": "name: Bad_Name\nversion: 1.0\ndescription: x\n" });
    const run = await asAuthor(["publish", dir]);
    assert.equal(run.code, 1);
    oneLineError(run, "MANIFEST_INVALID");
    const missing = await asAuthor(["publish"]);
    assert.equal(missing.code, 2, "a missing argument is a usage error");
    oneLineError(missing, "BAD_USER_INPUT");
  });

  test("publish --json: a skill with no runtime publishes at once; a dependent skill too", async () => {
    const dep = await asAuthor([
      "publish",
      skillDir("cli-dep", { "skill.yaml": skillYaml({ name: "cli-dep", version: "1.0.0", tags: ["text"] }), "src/dep.py": "X = 1\n" }),
      "--json",
    ]);
    assert.equal(dep.code, 0, dep.stderr);
    const depJson = JSON.parse(dep.stdout);
    assert.equal(depJson.status, "PUBLISHED");
    assert.match(depJson.package.sha256, /^[0-9a-f]{64}$/);
    const app = await asAuthor([
      "publish",
      skillDir("cli-app", {
        "skill.yaml": skillYaml({
          name: "cli-app",
          version: "1.0.0",
          description: "Turns CLI sessions into tidy notes for the team wiki.",
          tags: ["notes", "cli"],
          dependencies: { "cli-dep": "^1.0.0" },
        }),
        "src/app.py": "print('app')\n",
        "README.md": "# cli-app\n",
      }),
      "--json",
    ]);
    assert.equal(app.code, 0, app.stderr);
    assert.equal(JSON.parse(app.stdout).status, "PUBLISHED");
  });

  test("install resolves the tree, verifies digests, extracts into <dir>/<name>/ and writes skillyard.lock", async () => {
    const work = mkdtempSync(path.join(scratch, "project-"));
    const run = await asInstaller(["install", "cli-app@^1"], { cwd: work });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /installed 2 skills into skills\/ for team consumers/);
    assert.equal(readFileSync(path.join(work, "skills", "cli-app", "src", "app.py"), "utf8"), "print('app')\n");
    assert.ok(existsSync(path.join(work, "skills", "cli-dep", "skill.yaml")));
    const lock = JSON.parse(readFileSync(path.join(work, "skills", "skillyard.lock"), "utf8"));
    assert.equal(lock.lockfileVersion, 1);
    assert.equal(lock.registry, server.url);
    assert.deepEqual(lock.requests, [{ name: "cli-app", range: "^1", tenant: "consumers" }]);
    assert.deepEqual(
      lock.packages.map((p: { name: string; version: string; requiredBy: string[] }) => [p.name, p.version, p.requiredBy]),
      [
        ["cli-app", "1.0.0", []],
        ["cli-dep", "1.0.0", ["cli-app@1.0.0"]],
      ],
    );
    const expected = (
      await server.gql<{ skill: { latestVersion: { packageSha256: string; packageSize: number } } }>(
        `{ skill(name: "cli-app") { latestVersion { packageSha256 packageSize } } }`,
      )
    ).data!.skill.latestVersion;
    assert.equal(lock.packages[0].sha256, expected.packageSha256);
    assert.equal(lock.packages[0].size, expected.packageSize);
    assert.deepEqual(
      readdirSync(path.join(work, "skills")).filter((f) => f.startsWith(".")),
      [],
      "no staging folders are left",
    );

    // --json, into another folder.
    const json = await asInstaller(["install", "cli-dep", "--dir", "vendor", "--json"], { cwd: work });
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.tenant, "consumers");
    assert.deepEqual(
      parsed.resolved.map((r: { name: string }) => r.name),
      ["cli-dep"],
    );
    assert.ok(existsSync(path.join(work, "vendor", "cli-dep", "skill.yaml")));
  });

  test("install with no argument reinstalls exactly the lockfile: no resolution, no token needed, existing folders replaced", async () => {
    const work = mkdtempSync(path.join(scratch, "project-"));
    assert.equal((await asInstaller(["install", "cli-app"], { cwd: work })).code, 0);
    const before = await downloadsOf("cli-app");
    rmSync(path.join(work, "skills", "cli-app"), { recursive: true });
    writeFileSync(path.join(work, "skills", "cli-dep", "stray.txt"), "not from the package");

    // No token at all: installSkill would answer UNAUTHENTICATED.
    const run = await cli(["install"], { cwd: work });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /installed 2 skills into skills\/ from skills\/skillyard\.lock/);
    assert.ok(existsSync(path.join(work, "skills", "cli-app", "src", "app.py")));
    assert.equal(existsSync(path.join(work, "skills", "cli-dep", "stray.txt")), false, "the old folder was replaced as a whole");
    assert.equal(await downloadsOf("cli-app"), before, "no install was recorded: nothing was resolved");
    assert.deepEqual(
      readdirSync(path.join(work, "skills")).filter((f) => f.startsWith(".")),
      [],
    );
  });

  test("a tampered lockfile is refused with a one-line reason, and nothing is (half-)extracted", async () => {
    const work = mkdtempSync(path.join(scratch, "project-"));
    assert.equal((await asInstaller(["install", "cli-app"], { cwd: work })).code, 0);
    const lockPath = path.join(work, "skills", "skillyard.lock");
    const lock = JSON.parse(readFileSync(lockPath, "utf8"));
    const original: string = lock.packages[0].sha256;
    const tampered = `${original.slice(0, -1)}${original.endsWith("0") ? "1" : "0"}`;
    lock.packages[0].sha256 = tampered;
    writeFileSync(lockPath, JSON.stringify(lock, null, 2));
    rmSync(path.join(work, "skills", "cli-app"), { recursive: true });
    writeFileSync(path.join(work, "skills", "cli-dep", "marker.txt"), "untouched");

    const run = await cli(["install"], { cwd: work });
    assert.equal(run.code, 1);
    const line = oneLineError(run, "PACKAGE_CORRUPT");
    assert.ok(line.includes(`sha256 mismatch for cli-app@1.0.0: expected ${tampered} got ${original}`), line);
    assert.equal(existsSync(path.join(work, "skills", "cli-app")), false, "the skill folder was not created");
    assert.equal(readFileSync(path.join(work, "skills", "cli-dep", "marker.txt"), "utf8"), "untouched", "other skills were not replaced either");
    assert.deepEqual(
      readdirSync(path.join(work, "skills")).filter((f) => f.startsWith(".")),
      [],
      "no staging folders are left",
    );

    const json = await cli(["install", "--json"], { cwd: work });
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).error.code, "PACKAGE_CORRUPT");
  });

  test("install --target claude puts each skill in .claude/skills/<name>/ as its plugin has it (SKILL.md included), with the lockfile beside them", async () => {
    const work = mkdtempSync(path.join(scratch, "project-"));
    const run = await asInstaller(["install", "cli-app@^1", "--target", "claude"], { cwd: work });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /installed 2 skills into \.claude\/skills\/ for team consumers/);
    assert.equal(existsSync(path.join(work, "skills")), false, "nothing goes to skills/");
    const skills = path.join(work, ".claude", "skills");
    assert.equal(readFileSync(path.join(skills, "cli-app", "src", "app.py"), "utf8"), "print('app')\n");

    // Claude Code loads .claude/skills/<name>/SKILL.md: the folder holds what the plugin's skills/<name>/ holds.
    const { plugin } = (
      await server.gql<{ skill: { latestVersion: { plugin: { url: string } } } }>(`{ skill(name: "cli-app") { latestVersion { plugin { url } } } }`)
    ).data!.skill.latestVersion;
    const zip = await readZip(Buffer.from(await (await fetch(plugin.url)).arrayBuffer()));
    const inPlugin = zip.filter((e) => e.path.startsWith("skills/cli-app/")).map((e) => ({ ...e, path: e.path.slice("skills/cli-app/".length) }));
    assert.deepEqual(filesUnder(path.join(skills, "cli-app")), inPlugin.map((e) => e.path).sort());
    for (const e of inPlugin) assert.ok(readFileSync(path.join(skills, "cli-app", e.path)).equals(e.bytes), e.path);
    assert.match(readFileSync(path.join(skills, "cli-app", "SKILL.md"), "utf8"), /^---\nname: cli-app\ndescription: Turns CLI sessions/);
    assert.ok(existsSync(path.join(skills, "cli-dep", "SKILL.md")));

    const lock = JSON.parse(readFileSync(path.join(skills, "skillyard.lock"), "utf8"));
    assert.deepEqual(lock.requests, [{ name: "cli-app", range: "^1", tenant: "consumers" }]);
    assert.deepEqual(
      lock.packages.map((p: { name: string; version: string }) => `${p.name}@${p.version}`),
      ["cli-app@1.0.0", "cli-dep@1.0.0"],
    );
    assert.deepEqual(
      readdirSync(skills).filter((f) => f.startsWith(".")),
      [],
      "no staging folders are left",
    );

    const json = await asInstaller(["install", "cli-dep", "--target", "claude", "--json"], { cwd: work });
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.target, "claude");
    assert.equal(parsed.lockfile, path.join(skills, "skillyard.lock"));

    const both = await asInstaller(["install", "cli-app", "--target", "claude", "--dir", "vendor"], { cwd: work });
    assert.equal(both.code, 2);
    oneLineError(both, "BAD_USER_INPUT");
    const unknown = await asInstaller(["install", "cli-app", "--target", "vscode"], { cwd: work });
    assert.equal(unknown.code, 2);
    oneLineError(unknown, "BAD_USER_INPUT");
  });

  test("install --target claude with no name reinstalls from .claude/skills/skillyard.lock verifying every sha256; a tampered lockfile changes nothing", async () => {
    const work = mkdtempSync(path.join(scratch, "project-"));
    assert.equal((await asInstaller(["install", "cli-app", "--target", "claude"], { cwd: work })).code, 0);
    const skills = path.join(work, ".claude", "skills");
    const skillMd = readFileSync(path.join(skills, "cli-app", "SKILL.md"), "utf8");
    rmSync(path.join(skills, "cli-app"), { recursive: true });

    // No token: nothing is resolved, the lockfile says what to fetch.
    const run = await cli(["install", "--target", "claude"], { cwd: work });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /installed 2 skills into \.claude\/skills\/ from \.claude\/skills\/skillyard\.lock/);
    assert.equal(readFileSync(path.join(skills, "cli-app", "SKILL.md"), "utf8"), skillMd);
    assert.equal(existsSync(path.join(work, "skills")), false);

    const lockPath = path.join(skills, "skillyard.lock");
    const lock = JSON.parse(readFileSync(lockPath, "utf8"));
    const original: string = lock.packages[0].sha256;
    const tampered = `${original.slice(0, -1)}${original.endsWith("0") ? "1" : "0"}`;
    lock.packages[0].sha256 = tampered;
    writeFileSync(lockPath, JSON.stringify(lock, null, 2));
    rmSync(path.join(skills, "cli-app"), { recursive: true });
    writeFileSync(path.join(skills, "cli-dep", "marker.txt"), "untouched");

    const refused = await cli(["install", "--target", "claude"], { cwd: work });
    assert.equal(refused.code, 1);
    const line = oneLineError(refused, "PACKAGE_CORRUPT");
    assert.ok(line.includes(`sha256 mismatch for cli-app@1.0.0: expected ${tampered} got ${original}`), line);
    assert.equal(existsSync(path.join(skills, "cli-app")), false, "the skill folder was not created");
    assert.equal(readFileSync(path.join(skills, "cli-dep", "marker.txt"), "utf8"), "untouched", "other skills were not replaced either");
    assert.deepEqual(
      readdirSync(skills).filter((f) => f.startsWith(".")),
      [],
    );
  });

  test("an unknown skill gives a one-line NOT_FOUND and exit 1, in text and in --json", async () => {
    const install = await asInstaller(["install", "no-such-skill"]);
    assert.equal(install.code, 1);
    assert.equal(oneLineError(install, "NOT_FOUND"), 'error NOT_FOUND: There is no skill named "no-such-skill".');
    assert.equal(install.stdout, "");
    const info = await cli(["info", "no-such-skill", "--json"]);
    assert.equal(info.code, 1);
    assert.deepEqual(JSON.parse(info.stdout), { error: { code: "NOT_FOUND", message: 'There is no skill named "no-such-skill".' } });
    const noLock = await cli(["install", "--dir", "nowhere"]);
    assert.equal(noLock.code, 1);
    oneLineError(noLock, "NOT_FOUND");
  });

  test("search prints an aligned table (name, version, description, rating, downloads, tags); --json parses", async () => {
    const run = await cli(["search", "notes"], { env: { COLUMNS: "100" } });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^NAME\s+VERSION\s+DESCRIPTION\s+RATING\s+DOWNLOADS\s+TAGS$/);
    const row = lines.find((l) => l.startsWith("cli-app"));
    assert.ok(row, run.stdout);
    assert.match(row, /^cli-app\s+1\.0\.0\s+Turns CLI sessions.*\s+★ –\s+↓ \d+\s+notes, cli$/);
    assert.ok(
      lines.every((l) => [...l].length <= 100),
      "lines fit the terminal width",
    );
    assert.equal(lines[0].indexOf("VERSION"), row.indexOf("1.0.0"), "columns are aligned");

    const json = await cli(["search", "notes", "--tag", "cli", "--sort", "downloads", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const found = JSON.parse(json.stdout).skills.find((s: { name: string }) => s.name === "cli-app");
    assert.equal(found.latestVersion, "1.0.0");
    assert.deepEqual(found.tags, ["notes", "cli"]);
  });

  test("rate, info and channel set; a yanked version installs by channel with a warning", async () => {
    const rate = await asInstaller(["rate", "cli-app", "4", "--review", "Tidy."]);
    assert.equal(rate.code, 0, rate.stderr);
    assert.match(rate.stdout, /rated cli-app ★★★★☆; now ★ 4\.0 from 1 rating/);
    const badRating = await asInstaller(["rate", "cli-app", "9"]);
    assert.equal(badRating.code, 2);
    oneLineError(badRating, "RATING_INVALID");

    const info = await cli(["info", "cli-app"]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /^cli-app — Turns CLI sessions/);
    assert.match(info.stdout, /owner\s+yard/);
    assert.match(info.stdout, /rating\s+★ 4\.0 \(1 rating\)/);
    assert.match(info.stdout, /1\.0\.0\s+PUBLISHED/);
    await rollUpAll(server.runtime.dataSource);
    const infoJson = JSON.parse((await cli(["info", "cli-app", "--json"])).stdout);
    assert.equal(infoJson.latestVersion, "1.0.0");
    assert.equal(infoJson.owner, "yard");
    assert.ok(infoJson.downloads >= 1);

    const channel = await asAuthor(["channel", "set", "cli-dep", "stable", "1.0.0"]);
    assert.equal(channel.code, 0, channel.stderr);
    assert.match(channel.stdout, /cli-dep stable → 1\.0\.0 \(new channel\)/);
    const withReason = await asAuthor(["channel", "set", "cli-dep", "lts", "1.0.0", "--reason", "release train 7"]);
    assert.equal(withReason.code, 0, withReason.stderr);
    const [moved] = (await server.runtime.dataSource.query(`SELECT after FROM audit_event WHERE action = 'CHANNEL_MOVE' AND after->>'channel' = 'lts'`)) as {
      after: { reason: string };
    }[];
    assert.equal(moved.after.reason, "release train 7");
    const forbidden = await asInstaller(["channel", "set", "cli-dep", "beta", "1.0.0"]);
    assert.equal(forbidden.code, 1);
    oneLineError(forbidden, "FORBIDDEN");

    const yank = await asAuthor(["yank", "cli-dep@1.0.0", "--reason", "superseded"]);
    assert.equal(yank.code, 0, yank.stderr);
    assert.match(yank.stdout, /yanked cli-dep@1\.0\.0: superseded/);
    const work = mkdtempSync(path.join(scratch, "project-"));
    const pinned = await asInstaller(["install", "cli-dep@stable"], { cwd: work });
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.match(pinned.stderr, /warning cli-dep@1\.0\.0 was yanked: superseded/);
  });

  test("a HIGH-risk permission waits for review (exit 0, SPA link); a reviewer lists and approves it", async () => {
    const dir = skillDir("cli-net", { "skill.yaml": skillYaml({ name: "cli-net", version: "1.0.0", permissions: ["network:outbound"] }) });
    const publish = await asAuthor(["publish", dir]);
    assert.equal(publish.code, 0, publish.stderr);
    assert.match(publish.stdout, /⧗ awaiting review cli-net@1\.0\.0/);
    assert.match(publish.stdout, /network:outbound/);
    assert.match(publish.stdout, new RegExp(`review it at ${server.url.replace(/\./g, "\\.")}/admin/reviews/\\S+`));

    const list = await cli(["review", "list", "--json"], { token: reviewerToken });
    assert.equal(list.code, 0, list.stderr);
    const entry = JSON.parse(list.stdout).reviews.find((r: { name: string }) => r.name === "cli-net");
    assert.equal(entry.version, "1.0.0");
    assert.equal(entry.viewerCannotDecide, null);
    const table = await cli(["review", "list"], { token: reviewerToken });
    assert.match(table.stdout, /cli-net@1\.0\.0\s+0\/1\s+\+network:outbound HIGH/);

    const own = await asAuthor(["review", "approve", "cli-net@1.0.0"]);
    assert.equal(own.code, 1);
    oneLineError(own, "FORBIDDEN");
    const approve = await cli(["review", "approve", "cli-net@1.0.0", "--comment", "outbound only"], { token: reviewerToken });
    assert.equal(approve.code, 0, approve.stderr);
    assert.match(approve.stdout, /approved cli-net@1\.0\.0; it is now published/);
  });

  test("an unreachable registry is a clear CONNECTION_FAILED line", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 9));
      });
    });
    const run = await cli(["search", "x"], { env: { SKILLYARD_URL: `http://127.0.0.1:${port}` } });
    assert.equal(run.code, 1);
    assert.match(oneLineError(run, "CONNECTION_FAILED"), new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
  });
});
