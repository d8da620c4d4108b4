import { composeServices } from "@apollo/composition";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "graphql";
import { repoRoot } from "../common/repo-root";
import type { BuiltSubgraph } from "./subgraphs";

export const SCHEMA_DIR = path.join(repoRoot(), "schema");
export const SUPERGRAPH_FILE = path.join(SCHEMA_DIR, "supergraph.graphql");

/** Composes the subgraphs into the supergraph SDL (what a company router serves; /graphql's API schema equals it); throws with every composition error. */
export function composeSupergraph(subgraphs: readonly BuiltSubgraph[]): string {
  const result = composeServices(subgraphs.map((s) => ({ name: s.definition.name, url: s.definition.path, typeDefs: parse(s.sdl) })));
  if (result.errors) throw new Error(`Supergraph composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join("\n")}`);
  return result.supergraphSdl;
}

export function readCommittedSupergraph(): string {
  return readFileSync(SUPERGRAPH_FILE, "utf8");
}
