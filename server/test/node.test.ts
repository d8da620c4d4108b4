import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { skillYaml } from "./support/seed";
import { publishOk, type PublishedVersion } from "./support/publish";
import { startTestServer, type TestServer } from "./support/test-server";

const NODE = `query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Skill { name rating owner { name } }
    ... on SkillVersion { version skill { name } publishedBy { handle } }
    ... on Team { name }
    ... on User { handle }
  }
}`;

describe("Query.node and global ids", () => {
  let server: TestServer;
  let published: PublishedVersion;

  before(async () => {
    server = await startTestServer();
    const { token } = await server.seed.team("nodes").member("noder");
    published = await publishOk(server, token, { "skill.yaml": skillYaml({ name: "noded", version: "2.0.0" }) });
  });
  after(() => server.close());

  test("fetches a Skill and a SkillVersion, with fields from both subgraphs", async () => {
    const skill = await server.gql<{ node: Record<string, unknown> }>(NODE, { id: published.version.skill.id });
    assert.deepEqual(skill.data!.node, { __typename: "Skill", id: published.version.skill.id, name: "noded", rating: null, owner: { name: "nodes" } });
    const version = await server.gql<{ node: Record<string, unknown> }>(NODE, { id: published.version.id });
    assert.deepEqual(version.data!.node, {
      __typename: "SkillVersion",
      id: published.version.id,
      version: "2.0.0",
      skill: { name: "noded" },
      publishedBy: { handle: "noder" },
    });
  });

  test("fetches a Team and a User by the ids other objects expose", async () => {
    const ids = await server.gql<{ viewer: { id: string }; skill: { owner: { id: string } } }>(`{ viewer { id } skill(name: "noded") { owner { id } } }`);
    assert.equal(ids.data!.viewer, null);
    const owner = await server.gql<{ node: Record<string, unknown> }>(NODE, { id: ids.data!.skill.owner.id });
    assert.deepEqual(owner.data!.node, { __typename: "Team", id: ids.data!.skill.owner.id, name: "nodes" });
    const version = await server.gql<{ node: { publishedBy: { id: string } } }>(
      `query($id: ID!) { node(id: $id) { ... on SkillVersion { publishedBy { id } } } }`,
      {
        id: published.version.id,
      },
    );
    const user = await server.gql<{ node: Record<string, unknown> }>(NODE, { id: version.data!.node.publishedBy.id });
    assert.deepEqual(user.data!.node, { __typename: "User", id: version.data!.node.publishedBy.id, handle: "noder" });
  });

  test("unknown, malformed and wrong-type ids give null", async () => {
    for (const id of [
      "nonsense",
      Buffer.from("Skill:00000000-0000-0000-0000-000000000000").toString("base64url"),
      Buffer.from("Bogus:1").toString("base64url"),
    ]) {
      const res = await server.gql<{ node: null }>(NODE, { id });
      assert.equal(res.errors, undefined);
      assert.equal(res.data!.node, null);
    }
  });

  test("ids are opaque: they are not the database uuids", () => {
    assert.doesNotMatch(published.version.skill.id, /^[0-9a-f-]{36}$/);
  });
});
