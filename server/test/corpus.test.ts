import "reflect-metadata";
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { packDirectory } from "@skillyard/core";
import { corpusDir } from "./support/corpus";
import { PUBLISH, type PublishedVersion } from "./support/publish";
import { startTestServer, type TestServer } from "./support/test-server";

const CORPUS = corpusDir();
const skills = readdirSync(CORPUS).filter((d) => statSync(path.join(CORPUS, d)).isDirectory());

/** Real skills written elsewhere (Apache-2.0) must publish unchanged: packed, uploaded, published. */
describe("the shared corpus publishes", () => {
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer();
    token = (await server.seed.team("corpus").member("corpus-bot")).token;
  });
  after(() => server.close());

  test("the corpus has its 12 skills", () => {
    assert.equal(skills.length, 12);
  });

  for (const dir of skills) {
    test(dir, async () => {
      const upload = await server.upload(await packDirectory(path.join(CORPUS, dir)), token);
      assert.equal(upload.status, 201, JSON.stringify(upload.body));
      const res = await server.gql<{ publishSkillVersion: PublishedVersion }>(
        PUBLISH,
        { input: { packageSha256: upload.body.sha256, version: "1.0.0" } },
        token,
      );
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      assert.equal(res.data!.publishSkillVersion.version.skill.name, dir);
      assert.equal(res.data!.publishSkillVersion.version.status, "PUBLISHED");
    });
  }

  test("all of them are searchable afterwards", async () => {
    const res = await server.gql<{ skills: { edges: unknown[] } }>(`{ skills(first: 50) { edges { node { name } } } }`);
    assert.equal(res.data!.skills.edges.length, skills.length);
  });
});
