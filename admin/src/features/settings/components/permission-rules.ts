import { RISK_ORDER, type PermissionRisk } from "../../../components/badges";

// The server's rule and message (server/src/identity/identity.service.ts, the same pattern as
// core/src/manifest.ts), checked here first so a typo is caught before the round trip.
const PERMISSION_NAME = /^[a-z][a-z0-9-]*(:[a-z0-9*][a-z0-9_-]*){1,3}$/;

export function permissionNameError(name: string): string | null {
  return PERMISSION_NAME.test(name) ? null : `"${name}" is not a permission name like database:read.`;
}

export function permissionDescriptionError(description: string): string | null {
  return description.trim() ? null : "A permission needs a description.";
}

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
