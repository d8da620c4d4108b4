import { Badge, Box, Code, Group, Stack, Text, type MantineColor } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { RISK_COLOR, RISK_ORDER, RiskBadge } from "../../../components/badges";
import { EmptyState } from "../../../components/QueryState";
import type { ReviewRequestDetailFragment } from "../../../gql/graphql";

type PermissionChange = ReviewRequestDetailFragment["permissionDiff"][number];

const CHANGE_LABEL: Record<string, { label: string; color: MantineColor; order: number }> = {
  ADDED: { label: "added", color: "blue", order: 0 },
  WIDENED: { label: "widened", color: "violet", order: 0 },
  UNCHANGED: { label: "unchanged", color: "gray", order: 1 },
  REMOVED: { label: "removed", color: "gray", order: 2 },
};

function changeStyle(change: string) {
  return CHANGE_LABEL[change] ?? { label: change.toLowerCase(), color: "gray", order: 1 };
}

/** New or wider access at HIGH or CRITICAL risk: what a reviewer must not miss. */
function isEscalation(change: PermissionChange): boolean {
  return (change.change === "ADDED" || change.change === "WIDENED") && RISK_ORDER[change.risk] >= RISK_ORDER.HIGH;
}

/** New and widened first, riskiest first within each group; removed last. */
function byImportance(a: PermissionChange, b: PermissionChange): number {
  return changeStyle(a.change).order - changeStyle(b.change).order || RISK_ORDER[b.risk] - RISK_ORDER[a.risk] || a.name.localeCompare(b.name);
}

export function PermissionDiffSummary({ changes }: { changes: readonly PermissionChange[] }) {
  const widened = changes.filter((c) => c.change === "ADDED" || c.change === "WIDENED");
  const risky = changes.filter(isEscalation);
  const removed = changes.filter((c) => c.change === "REMOVED");
  const unchanged = changes.length - widened.length - removed.length;
  return (
    <>
      {widened.length} new or widened
      {risky.length > 0 && (
        <Text span c="red" fw={600}>
          {" "}
          ({risky.length} high risk or above)
        </Text>
      )}
      {` · ${unchanged} unchanged · ${removed.length} removed`}
    </>
  );
}

/** The version's permissions against the previous published version, each row coloured by risk. */
export function PermissionDiffList({ changes, comparedWith }: { changes: readonly PermissionChange[]; comparedWith: string | null }) {
  if (changes.length === 0) {
    return <EmptyState title="No permissions">Neither this version nor {comparedWith ?? "a previous version"} requests any permission.</EmptyState>;
  }
  return (
    <Stack gap={6} component="ul" p={0} m={0} style={{ listStyle: "none" }} data-testid="permission-diff">
      {[...changes].sort(byImportance).map((change) => {
        const style = changeStyle(change.change);
        const escalation = isEscalation(change);
        const removed = change.change === "REMOVED";
        return (
          <Box
            component="li"
            key={`${change.change}:${change.name}`}
            px="sm"
            py={8}
            bg={escalation ? `var(--mantine-color-${RISK_COLOR[change.risk]}-light)` : undefined}
            style={{
              borderLeft: `4px solid var(--mantine-color-${RISK_COLOR[change.risk]}-${escalation ? 7 : 4})`,
              borderRadius: "var(--mantine-radius-sm)",
            }}
            data-testid="permission-diff-row"
            data-permission={change.name}
            data-change={change.change}
            data-risk={change.risk}
          >
            <Group justify="space-between" gap="xs" wrap="wrap">
              <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
                {escalation && <IconAlertTriangle size={18} color={`var(--mantine-color-${RISK_COLOR[change.risk]}-8)`} aria-label="New high-risk access" />}
                <Stack gap={0} style={{ minWidth: 0 }}>
                  <Code
                    fw={escalation ? 700 : undefined}
                    td={removed ? "line-through" : undefined}
                    c={removed ? "dimmed" : undefined}
                    style={{ overflowWrap: "anywhere" }}
                  >
                    {change.name}
                  </Code>
                  {change.previous && change.change === "WIDENED" && (
                    <Text size="xs" c="dimmed" data-testid="permission-diff-previous">
                      was <Code fz="xs">{change.previous}</Code>
                    </Text>
                  )}
                  {change.previous && change.change === "UNCHANGED" && (
                    <Text size="xs" c="dimmed">
                      covered by <Code fz="xs">{change.previous}</Code>
                    </Text>
                  )}
                </Stack>
              </Group>
              <Group gap={6} wrap="nowrap">
                <Badge color={style.color} variant={style.order === 0 ? "filled" : "outline"} data-testid="permission-change">
                  {style.label}
                </Badge>
                <RiskBadge risk={change.risk} />
              </Group>
            </Group>
          </Box>
        );
      })}
    </Stack>
  );
}
