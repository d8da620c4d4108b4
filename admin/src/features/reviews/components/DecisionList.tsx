import { Badge, Group, Stack, Text } from "@mantine/core";
import { RelativeTime } from "../../../components/RelativeTime";
import type { ReviewDecisionFieldsFragment } from "../../../gql/graphql";

/** The decisions recorded on a review, oldest first, with their comments. */
export function DecisionList({ decisions, packageSha256 }: { decisions: readonly ReviewDecisionFieldsFragment[]; packageSha256: string }) {
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
        return (
          <li key={`${decision.reviewer.id}:${decision.createdAt}`} data-testid="decision-row" data-decision={decision.decision}>
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
