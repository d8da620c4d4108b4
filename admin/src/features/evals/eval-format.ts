import type { MantineColor } from "@mantine/core";
import type { EvalCaseFieldsFragment, EvalRunPurpose, EvalRunStatus } from "../../gql/graphql";

export const EVAL_STATUS_COLOR: Record<EvalRunStatus, MantineColor> = {
  QUEUED: "gray",
  RUNNING: "blue",
  PASSED: "green",
  FAILED: "red",
  ERROR: "red",
  INFRA_ERROR: "grape",
};

/** What each status means for the version, in a reviewer's words. */
export const EVAL_STATUS_INFO: Record<EvalRunStatus, string> = {
  QUEUED: "waiting for a sandbox",
  RUNNING: "running",
  PASSED: "scored at or above its minimum",
  FAILED: "scored below its minimum",
  ERROR: "no case could be scored",
  INFRA_ERROR: "the sandbox failed (not the author's fault)",
};

export const EVAL_PURPOSE_INFO: Record<EvalRunPurpose, { label: string; description: string }> = {
  GATE: { label: "gate", description: "Its score decides whether the version goes on." },
  INFORMATIONAL: { label: "informational", description: "Scored and shown; it never blocks the version." },
  BASELINE: { label: "baseline", description: "A newer version's suite run against the version latest pointed to, for comparison." },
  REEVALUATION: { label: "re-evaluation", description: "The latest version scored again on today's platform, to catch drift." },
};

export function isFinalEvalStatus(status: EvalRunStatus): boolean {
  return status !== "QUEUED" && status !== "RUNNING";
}

/** Scores are 0-1: "0.86". Null ones (not scored) read "—". */
export function formatScore(score: number | null): string {
  return score === null ? "—" : score.toFixed(2);
}

/** "−0.14" / "+0.02": how far a score moved. */
export function formatScoreChange(before: number, after: number): string {
  const change = after - before;
  return `${change < 0 ? "−" : "+"}${Math.abs(change).toFixed(2)}`;
}

/** Green at or above the minimum, red below it, grey when there is no score. */
export function scoreColor(score: number | null, minScore: number): MantineColor {
  if (score === null) return "gray";
  return score >= minScore ? "green" : "red";
}

type EvalCase = EvalCaseFieldsFragment;

/**
 * Why a case lost points, one line each: the graders that failed (with their message), the judge's
 * reason for a rubric case it scored low or not at all, a timeout or a crash. Empty when it got
 * full marks.
 */
export function caseProblems(evalCase: EvalCase): string[] {
  const problems: string[] = [];
  if (evalCase.output === null) problems.push(evalCase.reason ?? "The case never ran.");
  if (evalCase.timedOut) problems.push("Timed out.");
  else if (evalCase.exitCode !== null && evalCase.exitCode !== 0) problems.push(`Exited with code ${evalCase.exitCode}.`);
  for (const grader of evalCase.graders) {
    if (!grader.passed) problems.push(`${grader.grader}: ${grader.message ?? "failed"}`);
  }
  if (evalCase.rubric !== null && evalCase.judgeReason !== null && (!evalCase.scored || (evalCase.judgeScore ?? 1) < 1)) {
    problems.push(`${evalCase.scored ? "Judge" : "Not scored"}: ${evalCase.judgeReason}`);
  }
  if (problems.length === 0 && evalCase.reason && evalCase.score !== 1) problems.push(evalCase.reason);
  return problems;
}

/** Failing and unscored cases first (what a reader came for), then the rest, in suite order within each. */
export function sortCasesForReading<T extends Pick<EvalCase, "index" | "passed" | "scored">>(cases: readonly T[]): T[] {
  const rank = (c: T) => (!c.scored ? 0 : c.passed ? 2 : 1);
  return [...cases].sort((a, b) => rank(a) - rank(b) || a.index - b.index);
}
