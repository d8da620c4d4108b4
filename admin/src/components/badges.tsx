import { Badge, type MantineColor } from "@mantine/core";
import type { PermissionRiskFieldsFragment, TestRunStatusFieldsFragment, VersionStatusFieldsFragment } from "../gql/graphql";

export type PermissionRisk = PermissionRiskFieldsFragment["risk"];
export type VersionStatus = VersionStatusFieldsFragment["status"];
export type TestRunStatus = TestRunStatusFieldsFragment["status"];

export const RISK_COLOR: Record<PermissionRisk, MantineColor> = {
  LOW: "gray",
  MEDIUM: "yellow",
  HIGH: "orange",
  CRITICAL: "red",
};

export const RISK_ORDER: Record<PermissionRisk, number> = { LOW: 0, MEDIUM: 1, HIGH: 2, CRITICAL: 3 };

export function RiskBadge({ risk }: { risk: PermissionRisk }) {
  return (
    <Badge color={RISK_COLOR[risk]} variant={risk === "LOW" ? "outline" : "filled"} data-testid="risk-badge" data-risk={risk}>
      {risk.toLowerCase()} risk
    </Badge>
  );
}

const VERSION_STATUS_COLOR: Record<VersionStatus, MantineColor> = {
  UPLOADED: "gray",
  TESTING: "blue",
  EVALUATING: "cyan",
  AWAITING_REVIEW: "orange",
  PUBLISHED: "green",
  REJECTED: "red",
  DEPRECATED: "yellow",
  YANKED: "dark",
};

export function VersionStatusBadge({ status }: { status: VersionStatus }) {
  return (
    <Badge color={VERSION_STATUS_COLOR[status]} variant="light" data-testid="version-status" data-status={status}>
      {statusLabel(status)}
    </Badge>
  );
}

export const RUN_STATUS_COLOR: Record<TestRunStatus, MantineColor> = {
  QUEUED: "gray",
  RUNNING: "blue",
  PASSED: "green",
  FAILED: "red",
  TIMEOUT: "orange",
  MEMORY_LIMIT: "orange",
  ERROR: "red",
  INFRA_ERROR: "grape",
};

export function TestRunStatusBadge({ status }: { status: TestRunStatus }) {
  return (
    <Badge color={RUN_STATUS_COLOR[status]} variant={status === "RUNNING" ? "dot" : "filled"} data-testid="run-status" data-status={status}>
      {statusLabel(status)}
    </Badge>
  );
}

export function isFinalRunStatus(status: TestRunStatus): boolean {
  return status !== "QUEUED" && status !== "RUNNING";
}

/** An enum value as words: AWAITING_REVIEW → "awaiting review". */
export function statusLabel(status: string): string {
  return status.replaceAll("_", " ").toLowerCase();
}
