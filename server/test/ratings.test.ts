import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { skillYaml } from "./support/seed";
import { publishOk } from "./support/publish";
import { startTestServer, type TestServer } from "./support/test-server";

const RATE = `mutation Rate($input: RateSkillInput!) {
  rateSkill(input: $input) { rating { rating text author { handle } } skill { rating reviewCount } }
}`;

describe("rateSkill", () => {
  let server: TestServer;
  let author: string;
  const raters: string[] = [];

  before(async () => {
    server = await startTestServer();
    author = (await server.seed.team("makers").member("maker")).token;
    const users = server.seed.team("users");
    for (const handle of ["r1", "r2", "r3"]) raters.push((await users.member(handle)).token);
    await publishOk(server, author, { "skill.yaml": skillYaml({ name: "rated", version: "1.0.0" }) });
  });
  after(() => server.close());

  test("one rating per user, editable; the aggregate is recomputed from the stored ratings", async () => {
    const first = await server.gql<{ rateSkill: { skill: { rating: number; reviewCount: number } } }>(
      RATE,
      { input: { name: "rated", rating: 5, review: "great" } },
      raters[0],
    );
    assert.deepEqual(first.data!.rateSkill.skill, { rating: 5, reviewCount: 1 });
    await server.gql(RATE, { input: { name: "rated", rating: 2 } }, raters[1]);
    // Editing: r1 changes 5 → 3; the mean is over (3, 2), not a running average of (5, 2, 3).
    const edited = await server.gql<{ rateSkill: { rating: { rating: number; text: string }; skill: { rating: number; reviewCount: number } } }>(
      RATE,
      { input: { name: "rated", rating: 3, review: "ok after all" } },
      raters[0],
    );
    assert.deepEqual(edited.data!.rateSkill.skill, { rating: 2.5, reviewCount: 2 });
    assert.equal(edited.data!.rateSkill.rating.text, "ok after all");
    const ratings = await server.gql<{ skill: { rating: number; ratings: { edges: { node: { rating: number; author: { handle: string } } }[] } } }>(
      `{ skill(name: "rated") { rating ratings { edges { node { rating author { handle } } } } } }`,
    );
    assert.equal(ratings.data!.skill.rating, 2.5);
    assert.deepEqual(
      ratings.data!.skill.ratings.edges.map((e) => e.node.author.handle),
      ["r1", "r2"],
    );
  });

  test("concurrent ratings all count", async () => {
    await Promise.all(raters.map((token) => server.gql(RATE, { input: { name: "rated", rating: 4 } }, token)));
    const res = await server.gql<{ skill: { rating: number; reviewCount: number } }>(`{ skill(name: "rated") { rating reviewCount } }`);
    assert.deepEqual(res.data!.skill, { rating: 4, reviewCount: 3 });
  });

  test("ratings outside 1-5 are RATING_INVALID; rating your own team's skill is FORBIDDEN; unknown skills are NOT_FOUND", async () => {
    for (const rating of [0, 6]) {
      assert.equal((await server.gql(RATE, { input: { name: "rated", rating } }, raters[0])).errors?.[0].extensions.code, "RATING_INVALID");
    }
    assert.equal((await server.gql(RATE, { input: { name: "rated", rating: 5 } }, author)).errors?.[0].extensions.code, "FORBIDDEN");
    assert.equal((await server.gql(RATE, { input: { name: "nope", rating: 5 } }, raters[0])).errors?.[0].extensions.code, "NOT_FOUND");
  });
});
