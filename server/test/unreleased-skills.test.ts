import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GlobalRole } from "../src/identity/user.entity";
import { TeamRole } from "../src/identity/membership.entity";
import { publishOk, uploadAndPublish } from "./support/publish";
import { skillYaml } from "./support/seed";
import { startTestServer, type TestServer } from "./support/test-server";

const SKILL = `query($name: String!) { skill(name: $name) { name description dependents { edges { node { name } } } } }`;
interface SkillView {
  skill: { name: string; description: string; dependents: { edges: { node: { name: string } }[] } } | null;
}

/** A skill with no public version does not exist for those outside its team, reviewers and admins. */
describe("skills that were never released", () => {
  let server: TestServer;
  const tokens = { owner: "", outsider: "", reviewer: "", otherReviewer: "" };
  let secretSkillId = "";
  let pendingVersionId = "";
  let upgradeVersionId = "";

  const view = async (name: string, token?: string) => {
    const res = await server.gql<SkillView>(SKILL, { name }, token);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    return res.data!.skill;
  };
  const dependentsOf = async (name: string, token?: string) => (await view(name, token))?.dependents.edges.map((e) => e.node.name) ?? null;

  before(async () => {
    server = await startTestServer();
    const libTeam = (await server.seed.team("lib-team").member("lib-dev")).token;
    tokens.owner = (await server.seed.team("secret-team").member("secret-dev", TeamRole.MAINTAINER)).token;
    tokens.outsider = (await server.seed.team("others").member("curious")).token;
    tokens.reviewer = (await server.seed.team("board").member("ur-reviewer", TeamRole.MEMBER, [GlobalRole.REVIEWER])).token;
    tokens.otherReviewer = (await server.seed.team("board2").member("ur-reviewer-2", TeamRole.MEMBER, [GlobalRole.REVIEWER])).token;
    await publishOk(server, libTeam, { "skill.yaml": skillYaml({ name: "base-lib", version: "1.0.0" }) });
    // Unreleased: its only version waits for a reviewer.
    const pending = await publishOk(server, tokens.owner, {
      "skill.yaml": skillYaml({
        name: "secret-app",
        version: "1.0.0",
        description: "Codename Nightingale.",
        permissions: ["network:outbound"],
        dependencies: { "base-lib": "^1.0.0" },
      }),
    });
    assert.equal(pending.version.status, "AWAITING_REVIEW");
    secretSkillId = pending.version.skill.id;
    pendingVersionId = pending.version.id;
    // Released, with an unreleased upgrade that adds a dependency.
    await publishOk(server, tokens.owner, { "skill.yaml": skillYaml({ name: "open-app", version: "1.0.0" }) });
    const upgrade = await publishOk(server, tokens.owner, {
      "skill.yaml": skillYaml({ name: "open-app", version: "2.0.0", permissions: ["network:outbound"], dependencies: { "base-lib": "^1.0.0" } }),
    });
    assert.equal(upgrade.version.status, "AWAITING_REVIEW");
    upgradeVersionId = upgrade.version.id;
  });
  after(() => server?.close());

  test("skill(name) and node(id) answer null for outsiders; the team and reviewers see it", async () => {
    for (const token of [undefined, tokens.outsider]) {
      assert.equal(await view("secret-app", token), null);
      const node = await server.gql<{ node: unknown }>(`query($id: ID!) { node(id: $id) { id } }`, { id: secretSkillId }, token);
      assert.equal(node.data?.node, null);
    }
    for (const token of [tokens.owner, tokens.reviewer]) assert.equal((await view("secret-app", token))?.description, "Codename Nightingale.");
  });

  test("dependents list only relations whose depending version the viewer may see", async () => {
    for (const token of [undefined, tokens.outsider]) assert.deepEqual(await dependentsOf("base-lib", token), []);
    assert.deepEqual(await dependentsOf("base-lib", tokens.owner), ["open-app", "secret-app"]);
    assert.deepEqual(await dependentsOf("base-lib", tokens.reviewer), ["open-app", "secret-app"]);
  });

  test("install, rating and name collisions do not confirm that it exists", async () => {
    const install = await server.gql(`mutation { installSkill(input: { name: "secret-app", tenant: "others" }) { root { version } } }`, {}, tokens.outsider);
    assert.equal(install.errors?.[0].extensions.code, "NOT_FOUND");
    assert.deepEqual(install.errors?.[0].message, `There is no skill named "secret-app".`);
    const rate = await server.gql(`mutation { rateSkill(input: { name: "secret-app", rating: 1 }) { rating { rating } } }`, {}, tokens.outsider);
    assert.equal(rate.errors?.[0].extensions.code, "NOT_FOUND");
    const lookAlike = await uploadAndPublish(server, tokens.outsider, { "skill.yaml": skillYaml({ name: "secretapp", version: "1.0.0" }) }, { team: "others" });
    assert.equal(lookAlike.errors?.[0].extensions.code, "NAME_TOO_SIMILAR");
    assert.doesNotMatch(JSON.stringify(lookAlike.errors), /secret-app/);
    const search = await server.gql<{ skills: { edges: { node: { name: string } }[] } }>(
      `{ skills(query: "nightingale") { edges { node { name } } } }`,
      {},
      tokens.outsider,
    );
    assert.deepEqual(search.data?.skills.edges, []);
  });

  test("positive control: once released, everyone sees the skill and its dependency", async () => {
    for (const [id, first, second] of [
      [pendingVersionId, tokens.reviewer, tokens.otherReviewer],
      [upgradeVersionId, tokens.reviewer, tokens.otherReviewer],
    ] as const) {
      const approved = await server.gql<{ approveVersion: { published: boolean } }>(
        `mutation($id: ID!) { approveVersion(input: { versionId: $id, comment: "ok" }) { published } }`,
        { id },
        first,
      );
      assert.equal(approved.errors, undefined, JSON.stringify(approved.errors));
      if (!approved.data!.approveVersion.published)
        await server.gql(`mutation($id: ID!) { approveVersion(input: { versionId: $id, comment: "ok" }) { published } }`, { id }, second);
    }
    assert.equal((await view("secret-app"))?.description, "Codename Nightingale.");
    assert.deepEqual(await dependentsOf("base-lib"), ["open-app", "secret-app"]);
  });
});
