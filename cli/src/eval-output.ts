/**
 * How eval results read in the terminal, for `skillyard eval` (local grading) and `skillyard
 * publish` (the registry's eval run): one line per case with a mark, the score to two decimals,
 * and why it lost points.
 */
import type { Colors } from "./output";

/** How a case came out: scored and passed or failed, a rubric case with no score, or never graded. */
export type CaseVerdict = "passed" | "failed" | "unscored" | "missing";

/** The mark in front of a case line: ✔ passed, ✖ failed, ○ not scored, · nothing to grade. */
export function caseMark(c: Colors, verdict: CaseVerdict): string {
  switch (verdict) {
    case "passed":
      return c.green("✔");
    case "failed":
      return c.red("✖");
    case "unscored":
      return c.yellow("○");
    case "missing":
      return c.dim("·");
  }
}

/** 0.9166 → "0.92"; null → "–". */
export function formatScore(score: number | null): string {
  return score === null ? "–" : score.toFixed(2);
}

/** 212 → "212 ms", 1520 → "1.5 s", 61000 → "61 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}

/** `1 case`, `6 cases`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** A reason without the "not scored: " the registry puts in front of an unscored case's reason (the line says so already). */
export function unscoredReason(reason: string | null): string | null {
  return reason === null ? null : reason.replace(/^not scored:\s*/, "");
}

/** A command line for display: each word as is when it is plain, else single-quoted for a POSIX shell. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((word) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(" ");
}
