import "reflect-metadata";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { composeSupergraph, readCommittedSupergraph, SCHEMA_DIR } from "../src/graphql/compose";
import { buildSubgraphs } from "../src/graphql/subgraphs";

describe("federated schema", () => {
  test("the committed schema/ files match what the code composes (run `npm run schema:compose` after changing types)", async () => {
    const subgraphs = await buildSubgraphs();
    for (const s of subgraphs) {
      assert.equal(readFileSync(path.join(SCHEMA_DIR, `${s.definition.name}.graphql`), "utf8"), s.sdl, `schema/${s.definition.name}.graphql is stale`);
    }
    assert.equal(readCommittedSupergraph(), composeSupergraph(subgraphs), "schema/supergraph.graphql is stale");
  });

  test("Skill and SkillVersion are entities owned by catalog and extended by community", () => {
    const supergraph = readCommittedSupergraph();
    for (const type of ["Skill", "SkillVersion"]) {
      const block = new RegExp(`type ${type} implements Node[^{]*\\{`).exec(supergraph)?.[0] ?? "";
      assert.match(block, /@join__type\(graph: CATALOG, key: "id"\)/);
      assert.match(block, /@join__type\(graph: COMMUNITY, key: "id"\)/);
    }
    assert.match(supergraph, /rating: Float @join__field\(graph: COMMUNITY\)/);
    assert.match(supergraph, /name: String! @join__field\(graph: CATALOG\)/);
  });
});
