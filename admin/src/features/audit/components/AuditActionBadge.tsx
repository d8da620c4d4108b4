import { Badge } from "@mantine/core";
import type { AuditAction } from "../../../gql/graphql";
import { AUDIT_ACTIONS } from "./audit-actions";

export function AuditActionBadge({ action }: { action: AuditAction }) {
  const info = AUDIT_ACTIONS[action];
  return (
    <Badge color={info.color} variant="light" data-testid="audit-action" data-action={action} style={{ flexShrink: 0 }}>
      {info.label}
    </Badge>
  );
}
