import "reflect-metadata";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Query, Resolver } from "type-graphql";
import { buildSubgraph, SUBGRAPHS } from "../src/graphql/subgraphs";
import { Access, accessRuleOf, AccessRule } from "../src/identity/access";

@Resolver()
class UndeclaredResolver {
  @Query(() => String)
  forgotten(): string {
    return "no rule";
  }
}

@Resolver()
class DeclaredResolver {
  @Access(AccessRule.ADMIN)
  @Query(() => String)
  remembered(): string {
    return "admins";
  }
}

/** Authorization is declared per operation: a subgraph with an operation that declares no rule does not build. */
describe("@Access on every operation", () => {
  test("building a subgraph fails, naming the operation, when one lacks @Access", async () => {
    await assert.rejects(
      buildSubgraph({ name: "catalog", path: "/x", resolvers: [DeclaredResolver, UndeclaredResolver], referenceResolvers: {} }),
      /These operations declare no @Access rule: Query\.forgotten\./,
    );
    assert.equal(accessRuleOf(DeclaredResolver, "remembered"), AccessRule.ADMIN);
  });

  test("every subgraph of the product builds, so each of its operations declares a rule", async () => {
    for (const definition of SUBGRAPHS) await buildSubgraph(definition);
  });
});
