import { RISK_ORDER, type PermissionRisk } from "../../components/badges";

/** Why a version waits for review, as the server's review policy records it (ReviewRequest.reasons). */
export type ReviewReason =
  | { kind: "RISK"; permission: string; risk: PermissionRisk }
  | { kind: "ESCALATION"; added: string[] }
  | { kind: "TREE_ESCALATION"; added: string[] }
  /** The skill is popular (its usage tier, e.g. HIGH): every new version of it waits for a reviewer. */
  | { kind: "USAGE_TIER"; tier: string; weeklyInvocations: number }
  /** A reason this SPA does not know yet: shown as the server sent it rather than dropped. */
  | { kind: "OTHER"; raw: Record<string, unknown> };

function isRisk(value: unknown): value is PermissionRisk {
  return typeof value === "string" && Object.hasOwn(RISK_ORDER, value);
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((item) => typeof item === "string") ? value : null;
}

const KIND_RANK: Record<Exclude<ReviewReason["kind"], "RISK">, number> = { ESCALATION: 1, TREE_ESCALATION: 2, USAGE_TIER: 3, OTHER: 4 };

/** RISK reasons riskiest first, then the escalations, then the usage tier, then anything unknown. */
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
  return { kind: "OTHER", raw };
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
    case "OTHER":
      return JSON.stringify(reason.raw);
  }
}

/** The riskiest of the given risks, or null when there are none. */
export function highestRisk(risks: readonly PermissionRisk[]): PermissionRisk | null {
  return risks.reduce<PermissionRisk | null>((highest, risk) => (highest === null || RISK_ORDER[risk] > RISK_ORDER[highest] ? risk : highest), null);
}
