import "reflect-metadata";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { SkillVersion } from "../src/catalog/skill-version.entity";
import { canTransition, VersionStatus } from "../src/catalog/version-status";
import { publishOk } from "./support/publish";
import { skillYaml } from "./support/seed";
import { startTestServer, type TestServer } from "./support/test-server";

const SRC = path.join(__dirname, "..", "src");
const OWNER = path.join("catalog", "version-lifecycle.ts");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith(".ts") ? [full] : [];
  });
}

/** Writes of a version row, however spelled: repository or entity-manager updates and saves of SkillVersion, raw SQL. */
const WRITES_A_VERSION = [/getRepository\(SkillVersion\)\.(update|save|upsert)\(/, /\b(update|save|upsert)\(SkillVersion\b/, /UPDATE\s+"?skill_version"?/i];
/** The other writes there are: publishing creates the row, UPLOADED; the download roll-up adds to the derived counter and to nothing else. */
const OTHER_WRITES = [
  { file: path.join("catalog", "publish.service.ts"), text: "const version = await em.getRepository(SkillVersion).save(" },
  {
    file: path.join("community", "download-counters.ts"),
    text: "UPDATE skill_version SET download_count = skill_version.download_count + c.n FROM counted c WHERE skill_version.id = c.version_id",
  },
];

describe("the version lifecycle has one owner", () => {
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer();
    token = (await server.seed.team("lifecycle").member("lc-dev")).token;
  });
  after(() => server?.close());

  test("no file but catalog/version-lifecycle.ts writes a version's row (creating one is publishing's, counting downloads the roll-up's)", () => {
    const offenders = sourceFiles(SRC)
      .filter((file) => path.relative(SRC, file) !== OWNER)
      .flatMap((file) =>
        readFileSync(file, "utf8")
          .split("\n")
          .map((line, i) => ({ file: path.relative(SRC, file), line: i + 1, text: line.trim() }))
          .filter(({ text }) => WRITES_A_VERSION.some((pattern) => pattern.test(text)))
          .filter(({ file, text }) => !OTHER_WRITES.some((allowed) => file === allowed.file && text === allowed.text)),
      );
    assert.deepEqual(offenders, []);
    // The patterns do find the owner's own write (so they are not blind).
    assert.ok(WRITES_A_VERSION.some((p) => p.test(readFileSync(path.join(SRC, OWNER), "utf8"))));
  });

  test("the transition table: gates move a version forward, retirement is one way, REJECTED and YANKED are final", () => {
    const allowed = Object.values(VersionStatus).flatMap((from) =>
      Object.values(VersionStatus)
        .filter((to) => canTransition(from, to))
        .map((to) => `${from}→${to}`),
    );
    assert.deepEqual(allowed.sort(), [
      "AWAITING_REVIEW→PUBLISHED",
      "AWAITING_REVIEW→REJECTED",
      "DEPRECATED→DEPRECATED",
      "DEPRECATED→YANKED",
      "EVALUATING→AWAITING_REVIEW",
      "EVALUATING→PUBLISHED",
      "EVALUATING→REJECTED",
      "PUBLISHED→DEPRECATED",
      "PUBLISHED→YANKED",
      "TESTING→AWAITING_REVIEW",
      "TESTING→EVALUATING",
      "TESTING→PUBLISHED",
      "TESTING→REJECTED",
      "UPLOADED→AWAITING_REVIEW",
      "UPLOADED→EVALUATING",
      "UPLOADED→PUBLISHED",
      "UPLOADED→REJECTED",
      "UPLOADED→TESTING",
    ]);
  });

  test("transition checks the table under the skill lock, records one audit entry per change and keeps `latest` in step", async () => {
    const published = await publishOk(server, token, { "skill.yaml": skillYaml({ name: "lc-skill", version: "1.0.0" }) });
    const { lifecycle } = server.runtime.services;
    const { dataSource } = server.runtime;
    const version = await dataSource.getRepository(SkillVersion).findOneByOrFail({ packageSha256: published.version.packageSha256 });
    await assert.rejects(
      dataSource.transaction((em) => lifecycle.transition(em, version, VersionStatus.TESTING, { reason: null, actorId: null })),
      /lc-skill@1\.0\.0 is PUBLISHED and cannot become TESTING; only UPLOADED versions can/,
    );
    await dataSource.transaction((em) =>
      lifecycle.transition(em, version, VersionStatus.YANKED, { reason: "broken", actorId: null, details: { channels: [] } }),
    );
    assert.equal(version.status, VersionStatus.YANKED);
    const [skill] = (await dataSource.query(`SELECT latest_version_id FROM skill WHERE name = 'lc-skill'`)) as { latest_version_id: string | null }[];
    assert.equal(skill.latest_version_id, null, "latest moved off the yanked version");
    const audit = (await dataSource.query(`SELECT action, before, after FROM audit_event WHERE target_id = $1 ORDER BY id`, [version.id])) as {
      action: string;
      before: { status: string } | null;
      after: { status: string };
    }[];
    assert.deepEqual(
      audit.map((a) => [a.action, a.before?.status ?? null, a.after.status ?? null]),
      [
        ["PUBLISH", null, null],
        ["VERSION_PUBLISHED", "UPLOADED", "PUBLISHED"],
        ["YANK", "PUBLISHED", "YANKED"],
      ],
    );
    await assert.rejects(
      dataSource.transaction((em) => lifecycle.transition(em, version, VersionStatus.PUBLISHED, { reason: null, actorId: null })),
      /is YANKED and cannot become PUBLISHED/,
    );
  });
});
