import "reflect-metadata";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { freePort } from "../src/db/free-port";
import { GlobalRole } from "../src/identity/user.entity";
import { publishOk, testRunIdOf } from "./support/publish";
import { skillYaml } from "./support/seed";
import { pythonSkill } from "./support/skills";
import { startTestServer, type GraphQLResponse, type TestServer } from "./support/test-server";

const SECRET_HEADER = "x-skillyard-subgraph-secret";
const SUBGRAPHS = ["catalog", "community", "testing", "governance"] as const;
type Subgraph = (typeof SUBGRAPHS)[number];

/** Each subgraph's view of an entity: the fields below the reference that the hole exposed. */
const ENTITIES = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { __typename ...Catalog ...Testing ...Governance ...Community }
}`;
const FRAGMENTS: Record<Subgraph, string> = {
  catalog: `fragment Catalog on SkillVersion { version readme manifest } fragment Testing on Skill { name description } fragment Governance on Skill { id } fragment Community on Skill { id }`,
  testing: `fragment Catalog on SkillVersion { testRuns { edges { node { logs { edges { node { text } } } } } } } fragment Testing on TestRun { status logs { edges { node { text } } } } fragment Governance on TestRun { id } fragment Community on TestRun { id }`,
  governance: `fragment Catalog on SkillVersion { reviewRequest { fileDiff { path patch } } } fragment Testing on SkillVersion { id } fragment Governance on SkillVersion { id } fragment Community on SkillVersion { id }`,
  community: `fragment Catalog on Skill { downloads installsByTenant { installs } ratings { edges { node { text } } } } fragment Testing on SkillVersion { downloads } fragment Governance on Skill { id } fragment Community on Skill { id }`,
};

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`, "utf8").toString("base64url");

/**
 * The subgraph endpoints are for a company router only: their own listener (SUBGRAPH_PORT), a shared
 * secret, and the same visibility rule and limits as /graphql under every reference resolver.
 */
describe("the subgraph listener", () => {
  const secret = randomBytes(24).toString("hex");
  let server: TestServer;
  let listener: string;
  let member: string;
  let reviewer: string;
  let outsider: string;
  const ids = { publicVersion: "", pendingVersion: "", pendingSkill: "", testingVersion: "", run: "" };

  before(async () => {
    server = await startTestServer({ SUBGRAPH_PORT: String(await freePort()), SUBGRAPH_SECRET: secret });
    listener = server.app.subgraphs!.url;
    member = (await server.seed.team("owners").member("sg-member")).token;
    reviewer = (await server.seed.team("board").member("sg-reviewer", undefined, [GlobalRole.REVIEWER])).token;
    outsider = (await server.seed.team("others").member("sg-outsider")).token;
    const published = await publishOk(server, member, { "skill.yaml": skillYaml({ name: "sg-public", version: "1.0.0" }), "README.md": "Public readme." });
    assert.equal(published.version.status, "PUBLISHED");
    ids.publicVersion = published.version.id;
    // Waits for a reviewer: its readme, manifest and files are the team's and the reviewers' only.
    const pending = await publishOk(server, member, {
      "skill.yaml": skillYaml({ name: "sg-pending", version: "1.0.0", permissions: ["network:outbound"] }),
      "README.md": "UNRELEASED README",
      "src/secret.py": "TOKEN = 'unreleased source'\n",
    });
    assert.equal(pending.version.status, "AWAITING_REVIEW");
    ids.pendingVersion = pending.version.id;
    ids.pendingSkill = pending.version.skill.id;
    // In TESTING (no worker runs here), with a stored log line.
    const testing = await publishOk(server, member, pythonSkill("sg-testing", "1.0.0"));
    ids.testingVersion = testing.version.id;
    const runId = await testRunIdOf(server, testing.version.packageSha256);
    await server.runtime.dataSource.query(
      `INSERT INTO test_run_event (run_id, seq, kind, stream, text) VALUES ($1, 2, 'LOG', 'STDOUT', 'UNRELEASED LOG LINE')`,
      [runId],
    );
    ids.run = globalId("TestRun", runId);
  });
  after(() => server?.close());

  async function post(
    subgraph: Subgraph,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
    base = listener,
  ): Promise<GraphQLResponse & { status: number }> {
    const res = await fetch(`${base}/subgraphs/${subgraph}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { ...(JSON.parse(text) as GraphQLResponse), status: res.status };
  }

  function entities(subgraph: Subgraph, representations: { __typename: string; id: string }[], token?: string) {
    return post(
      subgraph,
      { query: `${ENTITIES} ${FRAGMENTS[subgraph]}`, variables: { representations } },
      { [SECRET_HEADER]: secret, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    );
  }

  test("the public listener serves no subgraph endpoint", async () => {
    for (const subgraph of SUBGRAPHS) {
      const res = await post(subgraph, { query: `{ _service { sdl } }` }, {}, server.url);
      assert.equal(res.status, 404, `${subgraph} on the public port: ${JSON.stringify(res)}`);
    }
  });

  test("without the shared secret, or with a wrong one, nothing is answered", async () => {
    for (const subgraph of SUBGRAPHS) {
      for (const headers of [{}, { [SECRET_HEADER]: "not-the-secret" }, { [SECRET_HEADER]: `${secret}x` }] as Record<string, string>[]) {
        const res = await post(subgraph, { query: `{ _service { sdl } }` }, headers);
        assert.equal(res.status, 401, JSON.stringify(res));
        assert.equal(res.errors?.[0].extensions.code, "UNAUTHENTICATED");
        assert.equal(res.data, undefined);
      }
    }
  });

  test("a router with the secret composes (_service) and reads public versions anonymously", async () => {
    for (const subgraph of SUBGRAPHS) {
      const sdl = await post(subgraph, { query: `{ _service { sdl } }` }, { [SECRET_HEADER]: secret });
      assert.equal(sdl.errors, undefined, JSON.stringify(sdl.errors));
      assert.match(JSON.stringify(sdl.data), /type Query/);
    }
    const res = await entities("catalog", [{ __typename: "SkillVersion", id: ids.publicVersion }]);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.deepEqual(
      (res.data as { _entities: { readme: string }[] })._entities.map((e) => e.readme),
      ["Public readme."],
    );
  });

  test("every reference resolver hides what /graphql hides: versions in review, their files, unreleased skills, test runs and logs", async () => {
    const cases: { subgraph: Subgraph; representations: { __typename: string; id: string }[] }[] = [
      {
        subgraph: "catalog",
        representations: [
          { __typename: "SkillVersion", id: ids.pendingVersion },
          { __typename: "Skill", id: ids.pendingSkill },
        ],
      },
      {
        subgraph: "testing",
        representations: [
          { __typename: "SkillVersion", id: ids.testingVersion },
          { __typename: "TestRun", id: ids.run },
        ],
      },
      { subgraph: "governance", representations: [{ __typename: "SkillVersion", id: ids.pendingVersion }] },
      {
        subgraph: "community",
        representations: [
          { __typename: "Skill", id: ids.pendingSkill },
          { __typename: "SkillVersion", id: ids.pendingVersion },
        ],
      },
    ];
    for (const { subgraph, representations } of cases) {
      for (const [who, token] of [
        ["anonymous", undefined],
        ["outsider", outsider],
      ] as const) {
        const res = await entities(subgraph, representations, token);
        assert.equal(res.errors, undefined, `${subgraph} as ${who}: ${JSON.stringify(res.errors)}`);
        assert.deepEqual(
          (res.data as { _entities: unknown[] })._entities,
          representations.map(() => null),
          `${subgraph} as ${who} must see nothing`,
        );
        assert.doesNotMatch(JSON.stringify(res.data), /UNRELEASED|unreleased source/);
      }
      // Positive control: the owning team and reviewers see the same entities through the same listener.
      for (const [who, token] of [
        ["member", member],
        ["reviewer", reviewer],
      ] as const) {
        const res = await entities(subgraph, representations, token);
        assert.equal(res.errors, undefined, `${subgraph} as ${who}: ${JSON.stringify(res.errors)}`);
        assert.ok(
          (res.data as { _entities: unknown[] })._entities.every((e) => e !== null),
          `${subgraph} as ${who}: ${JSON.stringify(res.data)}`,
        );
      }
    }
    const asMember = await entities("testing", [{ __typename: "TestRun", id: ids.run }], member);
    assert.match(JSON.stringify(asMember.data), /UNRELEASED LOG LINE/);
    const patches = await entities("governance", [{ __typename: "SkillVersion", id: ids.pendingVersion }], reviewer);
    assert.match(JSON.stringify(patches.data), /unreleased source/);
  });

  test("each representation counts towards the cost limit: 9,000 of them are refused before anything runs", async () => {
    const representations = Array.from({ length: 9000 }, () => ({ __typename: "SkillVersion", id: ids.publicVersion }));
    server.queries.reset();
    const res = await entities("catalog", representations);
    assert.equal(res.status, 400);
    assert.equal(res.errors?.[0].extensions.code, "QUERY_TOO_COMPLEX", JSON.stringify(res.errors));
    assert.equal(server.queries.count, 0, "no statement ran");
    // A literal list is counted the same way: 7,000 × (the entity + 3 fields) is over 20,000.
    const literal = `{ _entities(representations: [${Array.from({ length: 7000 }, () => `{ __typename: "SkillVersion", id: "${ids.publicVersion}" }`).join(", ")}]) { ... on SkillVersion { version readme manifest } } }`;
    const inline = await post("catalog", { query: literal }, { [SECRET_HEADER]: secret });
    assert.equal(inline.errors?.[0].extensions.code, "QUERY_TOO_COMPLEX", JSON.stringify(inline.errors));
  });
});
