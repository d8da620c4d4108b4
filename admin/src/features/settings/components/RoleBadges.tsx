import { Badge, Group } from "@mantine/core";
import type { GlobalRole, UserKind } from "../../../gql/graphql";

const ROLE_COLOR: Record<GlobalRole, string> = { ADMIN: "grape", REVIEWER: "teal" };

export function RoleBadges({ roles }: { roles: readonly GlobalRole[] }) {
  if (roles.length === 0) return null;
  return (
    <Group gap={4} wrap="wrap">
      {roles.map((role) => (
        <Badge key={role} size="sm" variant="light" color={ROLE_COLOR[role]} data-testid="role-badge" data-role={role}>
          {role.toLowerCase()}
        </Badge>
      ))}
    </Group>
  );
}

/** "person" or "service account". */
export function UserKindBadge({ kind }: { kind: UserKind }) {
  return (
    <Badge size="sm" variant="outline" color={kind === "SERVICE" ? "cyan" : "gray"} data-testid="user-kind" data-kind={kind}>
      {kind === "SERVICE" ? "service account" : "person"}
    </Badge>
  );
}
