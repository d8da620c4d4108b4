import "reflect-metadata";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { composeSupergraph, SCHEMA_DIR, SUPERGRAPH_FILE } from "./compose";
import { buildSubgraphs } from "./subgraphs";

/** `npm run schema:compose`: writes schema/<subgraph>.graphql and schema/supergraph.graphql. */
async function main(): Promise<void> {
  const subgraphs = await buildSubgraphs();
  for (const s of subgraphs) writeFileSync(path.join(SCHEMA_DIR, `${s.definition.name}.graphql`), s.sdl);
  writeFileSync(SUPERGRAPH_FILE, composeSupergraph(subgraphs));
  console.log(`wrote ${subgraphs.map((s) => `${s.definition.name}.graphql`).join(", ")} and supergraph.graphql to ${SCHEMA_DIR}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
