import { RISK_ORDER, type PermissionRisk } from "../../components/badges";
import { formatScore } from "../evals/eval-format";

/** Why a version waits for review, as the server's review policy records it (ReviewRequest.reasons). */
export type ReviewReason =
  | { kind: "RISK"; permission: string; risk: PermissionRisk }
  | { kind: "ESCALATION"; added: string[] }
  | { kind: "TREE_ESCALATION"; added: string[] }
  /** The skill is popular (its usage tier, e.g. HIGH): every new version of it waits for a reviewer. */
  | { kind: "USAGE_TIER"; tier: string; weeklyInvocations: number }
  /** The skill's tier must ship evals, and this version has no evals/suite.yaml. */
  | { kind: "EVALS_MISSING"; tier: string }
  /** Rubric cases the judge did not score (none configured, budget spent, no valid answer): a person must judge them. */
  | { kind: "EVALS_NOT_SCORED"; evalRunId: string; cases: string[]; why: string }
  /** The suite scores lower on this version than on the one latest points to: approving accepts the drop, with a reason. */
  | {
      kind: "EVAL_REGRESSION";
      evalRunId: string;
      baselineRunId: string;
      baselineVersion: string;
      score: number;
      baselineScore: number;
      worse: EvalCaseChange[];
    }
  /** A reason this SPA does not know yet: shown as the server sent it rather than dropped. */
  | { kind: "OTHER"; raw: Record<string, unknown> };

/** One case that scored lower than on the baseline (raw uuids: run ids arrive as the server stored them). */
export interface EvalCaseChange {
  name: string;
  before: number;
  after: number;
}

function isRisk(value: unknown): value is PermissionRisk {
  return typeof value === "string" && Object.hasOwn(RISK_ORDER, value);
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((item) => typeof item === "string") ? value : null;
}

const KIND_RANK: Record<Exclude<ReviewReason["kind"], "RISK">, number> = {
  ESCALATION: 1,
  TREE_ESCALATION: 2,
  EVAL_REGRESSION: 3,
  EVALS_NOT_SCORED: 4,
  EVALS_MISSING: 5,
  USAGE_TIER: 6,
  OTHER: 7,
};

/** RISK reasons riskiest first, then the escalations, then what the evals found, then the usage tier, then anything unknown. */
function reasonRank(reason: ReviewReason): number {
  return reason.kind === "RISK" ? -RISK_ORDER[reason.risk] : KIND_RANK[reason.kind];
}

/** Reads the JSON reasons defensively (the field is a JSONObject list, not a typed union), riskiest first. */
export function parseReviewReasons(reasons: readonly Record<string, unknown>[]): ReviewReason[] {
  return reasons.map(parseReason).sort((a, b) => reasonRank(a) - reasonRank(b));
}

function parseReason(raw: Record<string, unknown>): ReviewReason {
  if (raw["kind"] === "RISK" && typeof raw["permission"] === "string" && isRisk(raw["risk"])) {
    return { kind: "RISK", permission: raw["permission"], risk: raw["risk"] };
  }
  const added = stringList(raw["added"]);
  if ((raw["kind"] === "ESCALATION" || raw["kind"] === "TREE_ESCALATION") && added) return { kind: raw["kind"], added };
  const weekly = raw["weeklyInvocations"];
  if (raw["kind"] === "USAGE_TIER" && typeof raw["tier"] === "string" && typeof weekly === "number" && Number.isFinite(weekly)) {
    return { kind: "USAGE_TIER", tier: raw["tier"], weeklyInvocations: weekly };
  }
  return parseEvalReason(raw) ?? { kind: "OTHER", raw };
}

const isScore = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

function caseChanges(value: unknown): EvalCaseChange[] | null {
  if (!Array.isArray(value)) return null;
  const changes: EvalCaseChange[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== "object" || item === null) return null;
    const { name, before, after } = item as Record<string, unknown>;
    if (typeof name !== "string" || !isScore(before) || !isScore(after)) return null;
    changes.push({ name, before, after });
  }
  return changes;
}

function parseEvalReason(raw: Record<string, unknown>): ReviewReason | null {
  if (raw["kind"] === "EVALS_MISSING" && typeof raw["tier"] === "string") return { kind: "EVALS_MISSING", tier: raw["tier"] };
  const cases = stringList(raw["cases"]);
  if (raw["kind"] === "EVALS_NOT_SCORED" && typeof raw["evalRunId"] === "string" && cases && typeof raw["why"] === "string") {
    return { kind: "EVALS_NOT_SCORED", evalRunId: raw["evalRunId"], cases, why: raw["why"] };
  }
  const worse = caseChanges(raw["worse"]);
  const { evalRunId, baselineRunId, baselineVersion, score, baselineScore } = raw;
  if (
    raw["kind"] === "EVAL_REGRESSION" &&
    typeof evalRunId === "string" &&
    typeof baselineRunId === "string" &&
    typeof baselineVersion === "string" &&
    isScore(score) &&
    isScore(baselineScore) &&
    worse
  ) {
    return { kind: "EVAL_REGRESSION", evalRunId, baselineRunId, baselineVersion, score, baselineScore, worse };
  }
  return null;
}

/** Whether approving needs a written reason: the version's evals regressed (the server refuses an empty comment). */
export function acceptsEvalRegression(reasons: readonly ReviewReason[]): Extract<ReviewReason, { kind: "EVAL_REGRESSION" }> | null {
  return reasons.find((reason): reason is Extract<ReviewReason, { kind: "EVAL_REGRESSION" }> => reason.kind === "EVAL_REGRESSION") ?? null;
}

/** "1 case", "3 cases". */
export function casesWords(n: number): string {
  return `${n} ${n === 1 ? "case" : "cases"}`;
}

/** "140 invocations a week" (rounded: the tier is an average over several weeks). */
export function weeklyWords(weekly: number): string {
  const n = Math.round(weekly);
  return `${n.toLocaleString("en")} ${n === 1 ? "invocation" : "invocations"} a week`;
}

/** One sentence per reason, for people. */
export function describeReviewReason(reason: ReviewReason): string {
  switch (reason.kind) {
    case "RISK":
      return `Requests ${reason.permission} (${reason.risk.toLowerCase()} risk)`;
    case "ESCALATION":
      return `Adds ${reason.added.join(", ")} over the previous version`;
    case "TREE_ESCALATION":
      return `Its dependencies add ${reason.added.join(", ")}`;
    case "USAGE_TIER":
      return `Popular skill: ${reason.tier} tier, ${weeklyWords(reason.weeklyInvocations)} — every update needs a reviewer`;
    case "EVALS_MISSING":
      return `Ships no eval suite, which ${reason.tier.toLowerCase()}-tier skills need — nothing scored its answers`;
    case "EVALS_NOT_SCORED":
      return `${casesWords(reason.cases.length)} of its evals could not be scored (${reason.why}) — judge ${reason.cases.length === 1 ? "it" : "them"} yourself`;
    case "EVAL_REGRESSION":
      return `Evals score ${formatScore(reason.score)}, down from ${formatScore(reason.baselineScore)} for ${reason.baselineVersion} — approving accepts the drop`;
    case "OTHER":
      return JSON.stringify(reason.raw);
  }
}

/** The riskiest of the given risks, or null when there are none. */
export function highestRisk(risks: readonly PermissionRisk[]): PermissionRisk | null {
  return risks.reduce<PermissionRisk | null>((highest, risk) => (highest === null || RISK_ORDER[risk] > RISK_ORDER[highest] ? risk : highest), null);
}
