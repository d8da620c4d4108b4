import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CliError } from "../src/errors";
import { pluginsToSeed } from "../src/marketplace";

const fail = (problem: string) => new CliError("BAD_RESPONSE", problem);
const entry = (name: string, dependencies?: string[]) => ({
  name,
  version: "1.0.0",
  source: { source: "archive", url: `https://skills.example.test/plugins/${name.padEnd(64, "0").slice(0, 64)}.zip`, sha256: "a".repeat(64) },
  ...(dependencies ? { dependencies } : {}),
});
const catalog = (plugins: unknown[]) => JSON.stringify({ name: "skillyard-stable", plugins });

describe("which plugins a seed needs", () => {
  test("settings edited by hand may enable a plugin without its dependencies: they are seeded too, marked as pulled in", () => {
    const seeded = pluginsToSeed(
      catalog([entry("report-builder", ["pdf-tools"]), entry("pdf-tools"), entry("unused")]),
      "skillyard-stable",
      ["report-builder"],
      fail,
    );
    assert.deepEqual(
      seeded.map((p) => [p.name, p.enabled, p.requiredBy]),
      [
        ["pdf-tools", false, ["report-builder"]],
        ["report-builder", true, []],
      ],
    );
  });

  test("a dependency the catalog does not list, or a catalog of another marketplace, is refused", () => {
    assert.throws(
      () => pluginsToSeed(catalog([entry("report-builder", ["pdf-tools"])]), "skillyard-stable", ["report-builder"], fail),
      /PLUGIN_NOT_FOUND|report-builder depends on it/,
    );
    assert.throws(() => pluginsToSeed(catalog([]), "skillyard", [], fail), /not "skillyard"/);
  });
});
