import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import madge from "madge";

const SRC = path.join(__dirname, "..", "src");

/** Every import under server/src (type-only imports included), as file → imported files. */
async function importGraph(): Promise<Record<string, string[]>> {
  const result = await madge(SRC, {
    fileExtensions: ["ts"],
    tsConfig: path.join(__dirname, "..", "tsconfig.json"),
    detectiveOptions: { ts: { skipTypeImports: false } },
  });
  const graph = result.obj();
  // Files outside src (the core package) are leaves of no interest here.
  return Object.fromEntries(
    Object.entries(graph)
      .filter(([file]) => !file.startsWith(".."))
      .map(([file, deps]) => [file, deps.filter((d) => !d.startsWith(".."))]),
  );
}

/** A cycle in a directed graph, as the nodes along it, or null. */
function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, "open");
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of edges.keys()) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return null;
}

/** The unit of layering: the domain folder (catalog, identity, …), or the file itself at the top of src (config, app, main, …). */
const layerOf = (file: string) => (file.includes("/") ? file.split("/")[0] : file.replace(/\.ts$/, ""));

describe("dependencies point one way", () => {
  test("no import cycle between files under server/src, type-only imports included", async () => {
    const graph = await importGraph();
    assert.ok(Object.keys(graph).length > 100, "the graph covers the server's files");
    const edges = new Map(Object.entries(graph).map(([file, deps]) => [file, new Set(deps)]));
    const cycle = findCycle(edges);
    assert.equal(cycle, null, `import cycle: ${cycle?.join(" → ")}`);
  });

  test("no cycle between domain folders either: a domain never imports one that imports it", async () => {
    const graph = await importGraph();
    const edges = new Map<string, Set<string>>();
    for (const [file, deps] of Object.entries(graph)) {
      for (const dep of deps) {
        const [from, to] = [layerOf(file), layerOf(dep)];
        if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to));
      }
    }
    const cycle = findCycle(edges);
    const listing = [...edges]
      .map(([from, to]) => `  ${from} → ${[...to].sort().join(", ")}`)
      .sort()
      .join("\n");
    assert.equal(cycle, null, `folders import each other: ${cycle?.join(" → ")}\n${listing}`);
  });

  test("the check fails on a cycle (a graph with one, built by hand)", () => {
    const edges = new Map([
      ["catalog", new Set(["identity"])],
      ["identity", new Set(["audit", "catalog"])],
      ["audit", new Set<string>()],
    ]);
    assert.deepEqual(findCycle(edges), ["catalog", "identity", "catalog"]);
  });
});
