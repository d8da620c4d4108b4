import { RISK_ORDER, type PermissionRisk } from "../../../components/badges";

export const RISKS: PermissionRisk[] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];

/** The server's publish-gate settings (Query.reviewPolicy) that give a risk level its meaning. */
export interface ReviewThreshold {
  riskThreshold: PermissionRisk;
  criticalApprovals: number;
}

/** What a risk level means for review on this server. */
export function riskMeaning(risk: PermissionRisk, policy: ReviewThreshold): string {
  const threshold = policy.riskThreshold.toLowerCase();
  const reviewed =
    RISK_ORDER[risk] >= RISK_ORDER[policy.riskThreshold]
      ? "Versions requesting it wait for a reviewer."
      : `Below the review threshold (${threshold}): does not hold a version for review by itself.`;
  return risk === "CRITICAL" ? `${reviewed} Needs ${policy.criticalApprovals} distinct approvers.` : reviewed;
}
