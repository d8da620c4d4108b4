import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { measure as registry } from "./registry";
import { measure as search } from "./search";
import { measure as testrun } from "./testrun";
import { type BenchResult, log, printTable, Resources, runBench } from "./support";

/**
 * `npm run bench`: every benchmark, one after the other (never two at once: they share two cores),
 * then one table with each figure next to the baseline measured in the same run, and
 * bench/results.json for `node bench/compare.mjs old.json new.json`.
 *
 *   BENCH_ONLY=registry,search npm run bench      (a subset)
 *   BENCH_RESULTS=/tmp/r.json npm run bench       (write the results elsewhere)
 */

const BENCHES: Record<string, (resources: Resources) => Promise<BenchResult[]>> = { registry, search, testrun };

const RESULTS_FILE = process.env.BENCH_RESULTS ?? path.join(__dirname, "results.json");

function selected(): string[] {
  const only = process.env.BENCH_ONLY?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!only) return Object.keys(BENCHES);
  const unknown = only.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY names unknown benches: ${unknown.join(", ")} (known: ${Object.keys(BENCHES).join(", ")})`);
  return only;
}

function commit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: __dirname, encoding: "utf8" }).trim();
  } catch {
    return null;
  }
}

const figure = (value: number, unit: string) => `${value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(value < 10 ? 2 : 1)} ${unit}`;

function printResults(results: BenchResult[]): void {
  printTable(
    ["figure", "Skillyard", "baseline", "ratio", "target"],
    results.map((r) => [
      `${r.group}: ${r.name}`,
      figure(r.value, r.unit),
      r.baseline ? `${figure(r.baseline.value, r.unit)} (${r.baseline.name})` : "-",
      r.ratio === null ? "-" : `${r.ratio.toFixed(2)}×`,
      r.target ? `${r.target.met ? "met" : "MISSED"}: ${r.target.text}` : "-",
    ]),
  );
  const missed = results.filter((r) => r.target && !r.target.met).length;
  const targets = results.filter((r) => r.target).length;
  console.log(
    `\n${targets - missed} of ${targets} targets met. The ratio reads "faster than the baseline" above 1 (throughput ÷ baseline, baseline ÷ latency).`,
  );
}

runBench(async (resources) => {
  const names = selected();
  const started = Date.now();
  const results: BenchResult[] = [];
  for (const name of names) {
    log(`── ${name} ──`);
    // Each bench's servers are gone before the next starts, so none measures another's leftovers.
    const own = new Resources();
    resources.add(`${name} resources`, () => own.release());
    try {
      results.push(...(await BENCHES[name](own)));
    } finally {
      await own.release();
    }
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`\nAll benches in ${seconds} s on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.versions.node}:\n`);
  printResults(results);
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify({ date: new Date().toISOString(), commit: commit(), node: process.versions.node, cpus: os.cpus().length, seconds, results }, null, 2)}\n`,
  );
  log(`wrote ${RESULTS_FILE}`);
});
