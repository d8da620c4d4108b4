import "reflect-metadata";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Supergraph } from "@apollo/federation-internals";
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { readCommittedSupergraph } from "../src/graphql/compose";
import { buildExecutableSchema, ENTITY_OWNERS } from "../src/graphql/executable-schema";
import { buildSubgraphs } from "../src/graphql/subgraphs";

const print = (schema: GraphQLSchema) => printSchema(lexicographicSortSchema(schema));

describe("the one executable schema /graphql serves", () => {
  test("its API schema equals the committed supergraph's: clients cannot tell it from the federated graph", async () => {
    const executable = buildExecutableSchema(await buildSubgraphs());
    const api = Supergraph.build(readCommittedSupergraph()).apiSchema().toGraphQLJSSchema();
    const [ours, theirs] = [print(executable), print(api)];
    if (ours !== theirs) {
      const a = ours.split("\n");
      const b = theirs.split("\n");
      const first = a.findIndex((line, i) => line !== b[i]);
      assert.fail(`the schemas differ from line ${first + 1}:\n  executable: ${a[first]}\n  supergraph: ${b[first]}`);
    }
  });

  test("every entity some subgraph resolves references for has an owner that resolves it (a new entity must be added to ENTITY_OWNERS)", async () => {
    const subgraphs = await buildSubgraphs();
    const entities = new Set(subgraphs.flatMap((s) => Object.keys(s.definition.referenceResolvers)));
    assert.deepEqual([...entities].sort(), Object.keys(ENTITY_OWNERS).sort());
    for (const [entity, owner] of Object.entries(ENTITY_OWNERS)) {
      const subgraph = subgraphs.find((s) => s.definition.name === owner)!;
      assert.ok(subgraph.definition.referenceResolvers[entity], `${owner} resolves ${entity} references`);
    }
    // Positive control of the check above: a wrong owner is refused when the schema is built.
    const broken = subgraphs.map((s) => (s.definition.name === "catalog" ? { ...s, definition: { ...s.definition, referenceResolvers: {} } } : s));
    assert.throws(() => buildExecutableSchema(broken), /catalog does not own Skill/);
  });
});
