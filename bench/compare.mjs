#!/usr/bin/env node
// Diffs two `npm run bench` result files (bench/results.json):
//
//   node bench/compare.mjs old.json new.json [--threshold 10]
//
// Prints one row per figure present in either file: old and new values, the change, and whether it
// is better or worse given the figure's direction (a throughput going up or a latency going down is
// better). Changes within the threshold (percent, default 10: these machines are noisy) read "same".
// Exits 1 when a figure got worse beyond the threshold or a target met in the old run is missed in
// the new one, so it can gate a change; 2 on bad arguments or unreadable files.
import { readFileSync } from "node:fs";

function fail(message) {
  console.error(`compare: ${message}`);
  console.error("usage: node bench/compare.mjs <old results.json> <new results.json> [--threshold <percent>]");
  process.exit(2);
}

const args = process.argv.slice(2);
let threshold = 10;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--threshold") {
    threshold = Number(args[++i]);
    if (!Number.isFinite(threshold) || threshold < 0) fail("--threshold takes a non-negative number (percent)");
  } else files.push(args[i]);
}
if (files.length !== 2) fail("two result files are needed");

function load(file) {
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    fail(`cannot read ${file}: ${error.message}`);
  }
  if (!parsed || !Array.isArray(parsed.results)) fail(`${file} is not a bench result file (no "results" list)`);
  return parsed;
}

const [before, after] = files.map(load);
const key = (r) => `${r.group} · ${r.name}`;
const oldByKey = new Map(before.results.map((r) => [key(r), r]));
const newByKey = new Map(after.results.map((r) => [key(r), r]));
const keys = [...new Set([...oldByKey.keys(), ...newByKey.keys()])];

const figure = (r) => (r ? `${r.value >= 100 ? Math.round(r.value).toLocaleString("en-US") : r.value.toFixed(2)} ${r.unit}` : "-");
const targetCell = (r) => (r?.target ? (r.target.met ? "met" : "missed") : "");

let regressions = 0;
const rows = keys.map((k) => {
  const o = oldByKey.get(k);
  const n = newByKey.get(k);
  let change = "";
  let verdict = o ? "removed" : "new";
  if (o && n) {
    if (o.unit !== n.unit) {
      verdict = "unit changed";
    } else {
      const pct = o.value === 0 ? 0 : ((n.value - o.value) / o.value) * 100;
      change = `${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%`;
      const improved = n.better === "higher" ? pct > 0 : pct < 0;
      verdict = Math.abs(pct) <= threshold ? "same" : improved ? "better" : "worse";
    }
    if (verdict === "worse") regressions++;
    if (o.target?.met && n.target && !n.target.met) {
      verdict += ", target now missed";
      if (!verdict.startsWith("worse")) regressions++;
    }
  }
  return [k, figure(o), figure(n), change, `${targetCell(o)} → ${targetCell(n)}`.replace(/^ → $/, ""), verdict];
});

const header = ["figure", "old", "new", "change", "target", "verdict"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
console.log(`old: ${before.commit ?? "?"} at ${before.date ?? "?"}; new: ${after.commit ?? "?"} at ${after.date ?? "?"}; threshold ±${threshold}%`);
console.log(line(header));
console.log(`|${widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`);
for (const r of rows) console.log(line(r));
if (regressions > 0) {
  console.log(`${regressions} figure(s) got worse beyond ±${threshold}% or missed a target the old run met.`);
  process.exit(1);
}
