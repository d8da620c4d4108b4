import "reflect-metadata";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { buildASTSchema, type FragmentDefinitionNode, Kind, type OperationDefinitionNode, parse } from "graphql";
import { repoRoot } from "../src/common/repo-root";
import { loadConfig } from "../src/config";
import { SUPERGRAPH_FILE } from "../src/graphql/compose";
import { measureOperation } from "../src/graphql/query-limits";

function graphqlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? graphqlFiles(full) : full.endsWith(".graphql") ? [full] : [];
  });
}

/**
 * The console and the CLI send only the operations in their .graphql files (typed by codegen): each
 * must stay within the server's default depth, alias and cost limits, or a feature breaks for every
 * user the day the cost model or a query changes.
 */
describe("every operation the clients send fits the default limits", () => {
  const schema = buildASTSchema(parse(readFileSync(SUPERGRAPH_FILE, "utf8")), { assumeValidSDL: true });
  const { limits } = loadConfig({});
  for (const client of ["admin/src", "cli/src/graphql"]) {
    test(client, () => {
      const definitions = graphqlFiles(path.join(repoRoot(), client)).flatMap((file) => parse(readFileSync(file, "utf8")).definitions);
      const fragments: Record<string, FragmentDefinitionNode> = {};
      for (const d of definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
      const operations = definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      assert.ok(operations.length >= 10, `${client} has its operations`);
      for (const operation of operations) {
        // Variables left unset: connections count their default page size, as the server does.
        const m = measureOperation(schema, operation, fragments, {});
        const name = operation.name?.value ?? "(anonymous)";
        assert.ok(m.depth <= limits.graphqlMaxDepth, `${name} is ${m.depth} deep`);
        assert.ok(m.aliases <= limits.graphqlMaxAliases, `${name} uses ${m.aliases} aliases`);
        assert.ok(m.cost <= limits.graphqlMaxCost, `${name} costs ${m.cost}`);
      }
    });
  }
});
