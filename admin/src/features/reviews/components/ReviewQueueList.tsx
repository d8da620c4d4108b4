import { Anchor, Badge, Box, Button, Card, Group, Stack, Table, Text, VisuallyHidden } from "@mantine/core";
import { IconArrowRight, IconLock } from "@tabler/icons-react";
import { Link } from "react-router";
import { RiskBadge } from "../../../components/badges";
import { RelativeTime } from "../../../components/RelativeTime";
import type { ReviewQueueRowFragment } from "../../../gql/graphql";
import { useWideScreen } from "../../../components/useWideScreen";
import { describeReviewReason, highestRisk, parseReviewReasons } from "../review-reasons";

/** What a queue row shows, derived once from the server's fields. */
function describeRow(request: ReviewQueueRowFragment) {
  const { version } = request;
  return {
    label: `${version.skill.name}@${version.version}`,
    href: `/reviews/${version.id}`,
    // The version's own permissions (removed ones no longer count).
    risk: highestRisk(request.permissionDiff.filter((change) => change.change !== "REMOVED").map((change) => change.risk)),
    reasons: parseReviewReasons(request.reasons).map(describeReviewReason),
  };
}

function HighestRisk({ risk }: { risk: ReturnType<typeof describeRow>["risk"] }) {
  // Badges shrink with their column (ellipsis) by default; these must stay readable.
  return risk ? (
    <Box component="span" display="inline-block" miw="max-content">
      <RiskBadge risk={risk} />
    </Box>
  ) : (
    <Text size="sm" c="dimmed">
      no permissions
    </Text>
  );
}

function Approvals({ request }: { request: ReviewQueueRowFragment }) {
  return (
    <Badge
      variant="light"
      color={request.approvals > 0 ? "blue" : "gray"}
      data-testid="queue-approvals"
      data-approvals={request.approvals}
      data-required={request.requiredApprovals}
      tt="none"
      miw="max-content"
    >
      {request.approvals} of {request.requiredApprovals} {request.requiredApprovals === 1 ? "approval" : "approvals"}
    </Badge>
  );
}

/** Why the viewer cannot act on this one (their own version, already decided), so they can skip it. */
function Blocked({ reason }: { reason: string | null }) {
  if (!reason) return null;
  return (
    <Group gap={4} wrap="nowrap" data-testid="queue-cannot-decide">
      <IconLock size={14} color="var(--mantine-color-dimmed)" aria-hidden />
      <Text size="xs" c="dimmed">
        {reason}
      </Text>
    </Group>
  );
}

function Reasons({ reasons }: { reasons: readonly string[] }) {
  return (
    <Stack gap={2} data-testid="queue-reasons">
      {reasons.map((reason, index) => (
        <Text key={index} size="sm" style={{ overflowWrap: "anywhere" }}>
          {reason}
        </Text>
      ))}
    </Stack>
  );
}

function QueueTable({ requests }: { requests: readonly ReviewQueueRowFragment[] }) {
  return (
    <Table.ScrollContainer minWidth={860}>
      <Table verticalSpacing="sm" highlightOnHover data-testid="review-queue-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Version</Table.Th>
            <Table.Th>Highest risk</Table.Th>
            <Table.Th>Why it needs review</Table.Th>
            <Table.Th>Approvals</Table.Th>
            <Table.Th>Requested</Table.Th>
            <Table.Th>
              <VisuallyHidden>Open</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {requests.map((request) => {
            const row = describeRow(request);
            return (
              <Table.Tr
                key={request.id}
                data-testid="review-queue-row"
                data-skill={request.version.skill.name}
                data-version={request.version.version}
                data-risk={row.risk ?? undefined}
              >
                <Table.Td style={{ whiteSpace: "nowrap" }}>
                  <Anchor component={Link} to={row.href} fw={600} data-testid="review-queue-link">
                    {row.label}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    by {request.version.publishedBy.handle} · team {request.version.skill.owner.name}
                  </Text>
                </Table.Td>
                <Table.Td style={{ whiteSpace: "nowrap" }}>
                  <HighestRisk risk={row.risk} />
                </Table.Td>
                <Table.Td>
                  <Stack gap={4}>
                    <Reasons reasons={row.reasons} />
                    <Blocked reason={request.viewerCannotDecide} />
                  </Stack>
                </Table.Td>
                <Table.Td style={{ whiteSpace: "nowrap" }}>
                  <Approvals request={request} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm" c="dimmed" style={{ whiteSpace: "nowrap" }}>
                    <RelativeTime iso={request.createdAt} />
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Button
                    component={Link}
                    to={row.href}
                    size="xs"
                    variant="light"
                    rightSection={<IconArrowRight size={14} />}
                    aria-label={`Review ${row.label}`}
                  >
                    Review
                  </Button>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function QueueCards({ requests }: { requests: readonly ReviewQueueRowFragment[] }) {
  return (
    <Stack gap="sm" data-testid="review-queue-cards">
      {requests.map((request) => {
        const row = describeRow(request);
        return (
          <Card
            key={request.id}
            withBorder
            radius="md"
            padding="sm"
            data-testid="review-queue-row"
            data-skill={request.version.skill.name}
            data-version={request.version.version}
            data-risk={row.risk ?? undefined}
          >
            <Stack gap="xs">
              <Group justify="space-between" align="flex-start" gap="xs" wrap="nowrap">
                <Stack gap={0} style={{ minWidth: 0 }}>
                  <Anchor component={Link} to={row.href} fw={600} data-testid="review-queue-link" style={{ overflowWrap: "anywhere" }}>
                    {row.label}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    by {request.version.publishedBy.handle} · team {request.version.skill.owner.name}
                  </Text>
                </Stack>
                <HighestRisk risk={row.risk} />
              </Group>
              <Reasons reasons={row.reasons} />
              <Blocked reason={request.viewerCannotDecide} />
              <Group justify="space-between" gap="xs">
                <Group gap="xs">
                  <Approvals request={request} />
                  <Text size="xs" c="dimmed">
                    requested <RelativeTime iso={request.createdAt} />
                  </Text>
                </Group>
                <Button component={Link} to={row.href} size="xs" variant="light" rightSection={<IconArrowRight size={14} />} aria-label={`Review ${row.label}`}>
                  Review
                </Button>
              </Group>
            </Stack>
          </Card>
        );
      })}
    </Stack>
  );
}

/** The pending reviews: a table on wide screens, stacked cards on phones. */
export function ReviewQueueList({ requests }: { requests: readonly ReviewQueueRowFragment[] }) {
  // Rendered one way or the other (not both, CSS-hidden) so each row exists once on the page.
  const wide = useWideScreen("75em");
  return wide ? <QueueTable requests={requests} /> : <QueueCards requests={requests} />;
}
