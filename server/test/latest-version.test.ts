import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SkillVersion } from "../src/catalog/skill-version.entity";
import { skillYaml } from "./support/seed";
import { publishOk } from "./support/publish";
import { startTestServer, type TestServer } from "./support/test-server";
import { waitFor } from "./support/wait";

const LATEST = `query Latest($name: String!) { skill(name: $name) { latestVersion { version } versions { edges { node { version status } } } } }`;

interface LatestResult {
  skill: { latestVersion: { version: string } | null; versions: { edges: { node: { version: string; status: string } }[] } };
}

describe("the latest version when two versions finish their tests together", () => {
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer();
    ({ token } = await server.seed.team("docs").member("dora"));
  });
  after(() => server?.close());

  test("a lower version committing second does not take `latest` from a higher one", async () => {
    const files = (version: string) => ({
      "skill.yaml": skillYaml({ name: "pdf-race", version }),
      "SKILL.md": "---\nname: pdf-race\ndescription: Reads PDFs.\n---\n",
    });
    const older = await publishOk(server, token, files("1.0.0"), { team: "docs" });
    const newer = await publishOk(server, token, files("1.1.0"), { team: "docs" });
    // Both back in the gate, as when two sandbox runs are in flight.
    const { dataSource, services } = server.runtime;
    await dataSource.query(`UPDATE skill_version SET status = 'TESTING', published_at = NULL WHERE skill_id = (SELECT id FROM skill WHERE name = 'pdf-race')`);
    await dataSource.query(`UPDATE skill SET latest_version_id = NULL WHERE name = 'pdf-race'`);

    const first = dataSource.createQueryRunner();
    const second = dataSource.createQueryRunner();
    try {
      // 1.1.0 passes and publishes; its transaction stays open.
      await first.startTransaction();
      const newerRow = await first.manager.findOneByOrFail(SkillVersion, { packageSha256: newer.version.packageSha256 });
      assert.equal(await services.pipeline.passed(first.manager, newerRow, "tests", null), true);
      assert.equal(newerRow.status, "PUBLISHED");

      // 1.0.0 passes meanwhile: it must wait for 1.1.0's transaction rather than decide from a snapshot without it.
      await second.startTransaction();
      const olderRow = await second.manager.findOneByOrFail(SkillVersion, { packageSha256: older.version.packageSha256 });
      const secondDone = services.pipeline.passed(second.manager, olderRow, "tests", null);
      await waitFor(async () => {
        const [{ waiting }]: { waiting: number }[] = await dataSource.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return waiting > 0;
      }, "the second transaction to wait for the first");

      await first.commitTransaction();
      assert.equal(await secondDone, true);
      assert.equal(olderRow.status, "PUBLISHED");
      await second.commitTransaction();
    } finally {
      await first.release();
      await second.release();
    }

    const res = await server.gql<LatestResult>(LATEST, { name: "pdf-race" }, token);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.deepEqual(
      res.data!.skill.versions.edges.map((e) => e.node.status),
      ["PUBLISHED", "PUBLISHED"],
    );
    assert.equal(res.data!.skill.latestVersion?.version, "1.1.0");
  });
});
