import { Badge, Group, Stack, Text } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { RelativeTime } from "../../../components/RelativeTime";
import type { ReviewDecisionFieldsFragment } from "../../../gql/graphql";
import { ReviewerCredential } from "./ReviewerCredential";

type Decision = ReviewDecisionFieldsFragment;

/**
 * The other approver of the same package who created the invitation at the root of this approval's
 * token (the one redeemed, or the one behind the token the reviewer made theirs with), if any. With
 * local accounts that admin could have redeemed the invitation themselves, so the two approvals may
 * be one person: the two-person rule's remaining risk, made visible.
 */
function issuedByOtherApprover(decision: Decision, decisions: readonly Decision[]): string | null {
  const issuer = decision.credential?.invitedBy ?? null;
  if (decision.decision !== "APPROVE" || !issuer || issuer.id === decision.reviewer.id) return null;
  const otherApproval = decisions.some((d) => d.decision === "APPROVE" && d.packageSha256 === decision.packageSha256 && d.reviewer.id === issuer.id);
  return otherApproval ? issuer.handle : null;
}

/** The decisions recorded on a review, oldest first, with their comments. */
export function DecisionList({ decisions, packageSha256 }: { decisions: readonly Decision[]; packageSha256: string }) {
  if (decisions.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="no-decisions">
        No reviewer has decided yet.
      </Text>
    );
  }
  return (
    <Stack gap="xs" component="ol" p={0} m={0} style={{ listStyle: "none" }} data-testid="decisions">
      {decisions.map((decision) => {
        const approved = decision.decision === "APPROVE";
        const issuer = issuedByOtherApprover(decision, decisions);
        return (
          <li
            key={`${decision.reviewer.id}:${decision.createdAt}`}
            data-testid="decision-row"
            data-decision={decision.decision}
            data-reviewer={decision.reviewer.handle}
            data-credential-warning={issuer !== null}
            style={issuer ? { borderLeft: "3px solid var(--mantine-color-orange-6)", paddingLeft: "var(--mantine-spacing-xs)" } : undefined}
          >
            <Stack gap={2}>
              <Group gap="xs" wrap="wrap">
                <Text size="sm" fw={600} data-testid="decision-reviewer">
                  {decision.reviewer.handle}
                </Text>
                <Badge size="sm" color={approved ? "green" : "red"} variant="light">
                  {approved ? "approved" : "rejected"}
                </Badge>
                <Text size="xs" c="dimmed">
                  <RelativeTime iso={decision.createdAt} />
                </Text>
                {decision.packageSha256 !== packageSha256 && (
                  <Badge size="xs" color="gray" variant="outline" title="Approvals count only for the exact package under review">
                    earlier package
                  </Badge>
                )}
              </Group>
              <ReviewerCredential credential={decision.credential} />
              {issuer && (
                <Stack gap={2} data-testid="credential-warning">
                  <Group>
                    <Badge
                      size="sm"
                      color="orange"
                      variant="filled"
                      tt="none"
                      h="auto"
                      py={2}
                      leftSection={<IconAlertTriangle size={12} />}
                      // The whole warning must be read: it wraps on a narrow panel instead of being cut short.
                      styles={{ root: { maxWidth: "100%" }, label: { whiteSpace: "normal", overflow: "visible" } }}
                    >
                      credential issued by {issuer}, the other approver
                    </Badge>
                  </Group>
                  <Text size="xs" c="orange.9">
                    {issuer} created the invitation this token came from, so these two approvals may not be two people. Check with {decision.reviewer.handle} in
                    person before relying on them.
                  </Text>
                </Stack>
              )}
              {decision.comment ? (
                <Text size="sm" style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }} data-testid="decision-comment">
                  {decision.comment}
                </Text>
              ) : (
                <Text size="sm" c="dimmed" fs="italic">
                  No comment
                </Text>
              )}
            </Stack>
          </li>
        );
      })}
    </Stack>
  );
}
