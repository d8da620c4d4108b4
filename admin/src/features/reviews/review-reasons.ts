import { RISK_ORDER, type PermissionRisk } from "../../components/badges";

/** Why a version waits for review, as the server's review policy records it (ReviewRequest.reasons). */
export type ReviewReason =
  | { kind: "RISK"; permission: string; risk: PermissionRisk }
  | { kind: "ESCALATION"; added: string[] }
  | { kind: "TREE_ESCALATION"; added: string[] }
  /** A reason this SPA does not know yet: shown as the server sent it rather than dropped. */
  | { kind: "OTHER"; raw: Record<string, unknown> };

function isRisk(value: unknown): value is PermissionRisk {
  return typeof value === "string" && Object.hasOwn(RISK_ORDER, value);
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((item) => typeof item === "string") ? value : null;
}

/** RISK reasons riskiest first, then the escalations, then anything unknown. */
function reasonRank(reason: ReviewReason): number {
  if (reason.kind === "RISK") return -RISK_ORDER[reason.risk];
  return reason.kind === "OTHER" ? 3 : reason.kind === "ESCALATION" ? 1 : 2;
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
  return { kind: "OTHER", raw };
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
    case "OTHER":
      return JSON.stringify(reason.raw);
  }
}

/** The riskiest of the given risks, or null when there are none. */
export function highestRisk(risks: readonly PermissionRisk[]): PermissionRisk | null {
  return risks.reduce<PermissionRisk | null>((highest, risk) => (highest === null || RISK_ORDER[risk] > RISK_ORDER[highest] ? risk : highest), null);
}
