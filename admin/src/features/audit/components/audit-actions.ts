import type { MantineColor } from "@mantine/core";
import type { AuditAction } from "../../../gql/graphql";

export type AuditKind = "Access" | "Catalogue" | "Publishing" | "Review" | "Lifecycle" | "Distribution" | "Usage" | "Webhooks";

interface AuditActionInfo {
  label: string;
  kind: AuditKind;
  color: MantineColor;
}

// A Record over the generated union, so a new server action fails the type check until it is named here.
export const AUDIT_ACTIONS: Record<AuditAction, AuditActionInfo> = {
  USER_CREATE: { label: "User created", kind: "Access", color: "grape" },
  TEAM_CREATE: { label: "Team created", kind: "Access", color: "grape" },
  MEMBER_ADD: { label: "Member added", kind: "Access", color: "grape" },
  MEMBER_REMOVE: { label: "Member removed", kind: "Access", color: "red" },
  ROLE_CHANGE: { label: "Role changed", kind: "Access", color: "grape" },
  TOKEN_CREATE: { label: "Token created", kind: "Access", color: "grape" },
  TOKEN_REVOKE: { label: "Token revoked", kind: "Access", color: "red" },
  TOKEN_EXPIRING: { label: "Token expiring", kind: "Access", color: "orange" },
  INVITATION_CREATE: { label: "Invitation created", kind: "Access", color: "grape" },
  INVITATION_REDEEM: { label: "Invitation redeemed", kind: "Access", color: "grape" },
  USER_PROVISION: { label: "User provisioned", kind: "Access", color: "grape" },
  USER_LINK: { label: "User linked to directory", kind: "Access", color: "grape" },
  USER_UPDATE: { label: "User updated by directory", kind: "Access", color: "grape" },
  USER_DEACTIVATE: { label: "User deactivated", kind: "Access", color: "red" },
  USER_REACTIVATE: { label: "User reactivated", kind: "Access", color: "grape" },
  GROUP_MAPPING_SET: { label: "Group mapped", kind: "Access", color: "grape" },
  GROUP_MAPPING_DELETE: { label: "Group mapping deleted", kind: "Access", color: "red" },
  DIRECTORY_GROUP_CHANGE: { label: "Directory group changed", kind: "Access", color: "grape" },
  PERMISSION_EDIT: { label: "Permission edited", kind: "Catalogue", color: "violet" },
  PUBLISH: { label: "Version uploaded", kind: "Publishing", color: "blue" },
  TEST_OUTCOME: { label: "Tests finished", kind: "Publishing", color: "cyan" },
  VERSION_TESTING: { label: "Waiting for tests", kind: "Publishing", color: "cyan" },
  VERSION_EVALUATING: { label: "Waiting for evals", kind: "Publishing", color: "cyan" },
  EVAL_OUTCOME: { label: "Evals scored", kind: "Publishing", color: "cyan" },
  REVIEW_REQUESTED: { label: "Review requested", kind: "Review", color: "orange" },
  APPROVE: { label: "Approved", kind: "Review", color: "green" },
  REJECT: { label: "Rejected", kind: "Review", color: "red" },
  VERSION_PUBLISHED: { label: "Version published", kind: "Lifecycle", color: "green" },
  VERSION_REJECTED: { label: "Version rejected", kind: "Lifecycle", color: "red" },
  CHANNEL_MOVE: { label: "Channel moved", kind: "Lifecycle", color: "indigo" },
  YANK: { label: "Version yanked", kind: "Lifecycle", color: "dark" },
  DEPRECATE: { label: "Version deprecated", kind: "Lifecycle", color: "yellow" },
  REQUIRED_SKILL_ADD: { label: "Skill required", kind: "Distribution", color: "teal" },
  REQUIRED_SKILL_REMOVE: { label: "Skill no longer required", kind: "Distribution", color: "teal" },
  RUNTIME_POLICY_SET: { label: "Runtime policy changed", kind: "Distribution", color: "pink" },
  USAGE_TIER_CHANGE: { label: "Usage tier changed", kind: "Usage", color: "grape" },
  QUALITY_REVIEW_DUE: { label: "Quality review due", kind: "Usage", color: "orange" },
  QUALITY_REVIEW: { label: "Quality review", kind: "Usage", color: "teal" },
  PLATFORM_UPDATE: { label: "Platform update", kind: "Usage", color: "cyan" },
  EVAL_DRIFT: { label: "Eval score drifted", kind: "Usage", color: "orange" },
  WEBHOOK_CREATE: { label: "Webhook created", kind: "Webhooks", color: "gray" },
  WEBHOOK_DELETE: { label: "Webhook deleted", kind: "Webhooks", color: "gray" },
};

export function isAuditAction(value: string | null): value is AuditAction {
  return value !== null && Object.hasOwn(AUDIT_ACTIONS, value);
}

/** Every action, grouped by kind, as Select options. */
export function auditActionOptions(): { group: AuditKind; items: { value: AuditAction; label: string }[] }[] {
  const groups = new Map<AuditKind, { value: AuditAction; label: string }[]>();
  for (const [value, info] of Object.entries(AUDIT_ACTIONS) as [AuditAction, AuditActionInfo][]) {
    const items = groups.get(info.kind) ?? [];
    items.push({ value, label: info.label });
    groups.set(info.kind, items);
  }
  return [...groups].map(([group, items]) => ({ group, items }));
}
