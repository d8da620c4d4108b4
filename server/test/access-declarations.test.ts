import "reflect-metadata";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Query, Resolver } from "type-graphql";
import { buildSubgraph, SUBGRAPHS } from "../src/graphql/subgraphs";
import { Access, accessOf, AccessRule, declaredOperations } from "../src/identity/access";
import { TokenScope } from "../src/identity/api-token.entity";
import { REST_ROUTE_SCOPES } from "../src/identity/rest-access";

@Resolver()
class UndeclaredResolver {
  @Query(() => String)
  forgotten(): string {
    return "no rule";
  }
}

@Resolver()
class ScopelessResolver {
  // What TypeScript refuses to compile, as plain JavaScript (or a cast) could still write it.
  @Access(AccessRule.SIGNED_IN, undefined as unknown as TokenScope)
  @Query(() => String)
  unscoped(): string {
    return "no scope";
  }
}

@Resolver()
class DeclaredResolver {
  @Access(AccessRule.ADMIN, TokenScope.READ)
  @Query(() => String)
  remembered(): string {
    return "admins";
  }
}

/** Authorization and token scope are declared per operation: a subgraph with an operation that declares either not does not build. */
describe("@Access on every operation", () => {
  test("building a subgraph fails, naming the operation, when one lacks @Access", async () => {
    await assert.rejects(
      buildSubgraph({ name: "catalog", path: "/x", resolvers: [DeclaredResolver, UndeclaredResolver], referenceResolvers: {} }),
      /These operations declare no @Access rule: Query\.forgotten\./,
    );
    assert.deepEqual(accessOf(DeclaredResolver, "remembered"), { rule: AccessRule.ADMIN, scope: TokenScope.READ });
  });

  test("building a subgraph fails, naming the operation, when its @Access names no token scope", async () => {
    await assert.rejects(
      buildSubgraph({ name: "catalog", path: "/x", resolvers: [DeclaredResolver, ScopelessResolver], referenceResolvers: {} }),
      /These operations declare no token scope in @Access: Query\.unscoped\./,
    );
    await buildSubgraph({ name: "catalog", path: "/x", resolvers: [DeclaredResolver], referenceResolvers: {} });
  });

  test("every subgraph of the product builds, so each of its operations declares a rule and a scope", async () => {
    for (const definition of SUBGRAPHS) await buildSubgraph(definition);
    const operations = SUBGRAPHS.flatMap((d) => declaredOperations(d.resolvers));
    assert.ok(operations.length > 40, `${operations.length} operations`);
    assert.ok(operations.every((o) => o.access?.rule && Object.values(TokenScope).includes(o.access.scope)));
  });

  test("what the scopes mean: every query and subscription needs READ, and CATALOG_READ and INGEST no operation at all", () => {
    const operations = SUBGRAPHS.flatMap((d) => declaredOperations(d.resolvers));
    for (const { operation, access } of operations) {
      if (!operation.startsWith("Mutation.")) assert.equal(access?.scope, TokenScope.READ, operation);
      assert.ok(access?.scope !== TokenScope.CATALOG_READ && access?.scope !== TokenScope.INGEST, operation);
    }
    // The REST routes declare theirs in one table: INGEST is /v1/logs' (and the discarded /v1/metrics') alone.
    const ingestRoutes = Object.entries(REST_ROUTE_SCOPES)
      .filter(([, scopes]) => (scopes as readonly TokenScope[]).includes(TokenScope.INGEST))
      .map(([route]) => route);
    assert.deepEqual(ingestRoutes, ["POST /v1/logs", "POST /v1/metrics"]);
  });
});
