import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { repoRoot } from "../src/common/repo-root";
import type { BenchResult } from "../../bench/support";

const COMPARE = path.join(repoRoot(), "bench", "compare.mjs");
const dir = mkdtempSync(path.join(os.tmpdir(), "skillyard-compare-"));

function result(name: string, value: number, better: BenchResult["better"], met: boolean | null): BenchResult {
  return {
    group: "g",
    name,
    value,
    unit: better === "higher" ? "req/s" : "ms",
    better,
    baseline: null,
    ratio: null,
    target: met === null ? null : { text: "t", met },
  };
}

let files = 0;
function write(results: BenchResult[]): string {
  const file = path.join(dir, `r${files++}.json`);
  writeFileSync(file, JSON.stringify({ date: "d", commit: "c", results }));
  return file;
}

const compare = (...args: string[]) => spawnSync(process.execPath, [COMPARE, ...args], { encoding: "utf8" });

/** bench/compare.mjs reads a change by the figure's direction and gates on regressions. */
describe("bench/compare.mjs", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a throughput going down or a latency going up beyond the threshold is a regression; the opposite is not", () => {
    for (const [better, from, to, worse] of [
      ["higher", 1000, 800, true],
      ["higher", 1000, 1200, false],
      ["lower", 20, 30, true],
      ["lower", 20, 10, false],
      ["lower", 20, 21, false],
    ] as const) {
      const run = compare(write([result("x", from, better, null)]), write([result("x", to, better, null)]));
      assert.equal(run.status, worse ? 1 : 0, `${better} ${from} → ${to}: ${run.stdout}`);
      assert.match(run.stdout, worse ? /\| +worse \|/ : to === 21 ? /\| +same \|/ : /\| +better \|/);
    }
  });

  test("the threshold is honoured, and a target met before and missed now fails even within it", () => {
    const before = write([result("x", 20, "lower", true)]);
    assert.equal(compare(before, write([result("x", 23, "lower", true)]), "--threshold", "20").status, 0);
    assert.equal(compare(before, write([result("x", 23, "lower", true)]), "--threshold", "10").status, 1);
    const missed = compare(before, write([result("x", 21, "lower", false)]));
    assert.equal(missed.status, 1);
    assert.match(missed.stdout, /target now missed/);
  });

  test("figures only in one file are listed as new or removed; bad arguments exit 2", () => {
    const run = compare(write([result("old", 1, "higher", null)]), write([result("new", 1, "higher", null)]));
    assert.equal(run.status, 0);
    assert.match(run.stdout, /g · old .*removed/);
    assert.match(run.stdout, /g · new .*new/);
    assert.equal(compare(write([])).status, 2);
    assert.equal(compare(path.join(dir, "missing.json"), write([])).status, 2);
    writeFileSync(path.join(dir, "not-results.json"), "{}");
    assert.equal(compare(path.join(dir, "not-results.json"), write([])).status, 2);
  });
});
