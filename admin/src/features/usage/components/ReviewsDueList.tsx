import { Anchor, Button, Card, Group, Stack, Table, Text } from "@mantine/core";
import { IconClipboardCheck } from "@tabler/icons-react";
import { Link } from "react-router";
import { RelativeTime } from "../../../components/RelativeTime";
import { useWideScreen } from "../../../components/useWideScreen";
import type { UsageReviewDueFragment } from "../../../gql/graphql";
import { EvalDriftBadge } from "../../evals/components/EvalDrift";
import { formatWeekly } from "../usage-format";
import { skillUsagePath } from "../usage-url";
import { LastReviewLine } from "./QualityReviewStatus";
import { UsageTierBadge } from "./UsageTierBadge";

type Due = UsageReviewDueFragment;

const rowProps = (due: Due) => ({
  "data-testid": "review-due-row",
  "data-skill": due.skill.name,
  "data-tier": due.tier,
  "data-weekly": due.weeklyInvocations,
  "data-reason": due.reason,
  "data-drift": due.skill.evalDrift !== null,
});

function SkillCell({ due }: { due: Due }) {
  return (
    <Stack gap={0} style={{ minWidth: 0 }}>
      <Anchor component={Link} to={skillUsagePath(due.skill.name)} fw={600} size="sm" style={{ overflowWrap: "anywhere" }} data-testid="review-due-link">
        {due.skill.name}
      </Anchor>
      <Text size="xs" c="dimmed">
        team {due.skill.owner.name}
        {due.skill.latestVersion && ` · latest ${due.skill.latestVersion.version}`}
      </Text>
      {due.skill.evalDrift && (
        <Group gap={4} mt={2}>
          <EvalDriftBadge skillName={due.skill.name} drift={due.skill.evalDrift} />
        </Group>
      )}
    </Stack>
  );
}

function LastReview({ due }: { due: Due }) {
  return due.lastReview ? (
    <LastReviewLine review={due.lastReview} />
  ) : (
    <Text size="sm" c="dimmed" data-testid="last-review-none">
      never reviewed
    </Text>
  );
}

function RecordButton({ due, onRecord }: { due: Due; onRecord: (due: Due) => void }) {
  return (
    <Button
      size="xs"
      variant="light"
      leftSection={<IconClipboardCheck size={14} />}
      miw="max-content"
      onClick={() => onRecord(due)}
      aria-label={`Record a quality review of ${due.skill.name}`}
      data-testid="review-due-record"
    >
      Record review
    </Button>
  );
}

/** The skills whose quality review is due, most-used first: a table on wide screens, cards on phones. */
export function ReviewsDueList({ due, onRecord }: { due: readonly Due[]; onRecord: (due: Due) => void }) {
  const wide = useWideScreen("75em");
  if (!wide) {
    return (
      <Stack gap="sm" data-testid="reviews-due">
        {due.map((entry) => (
          <Card key={entry.skill.id} withBorder padding="sm" {...rowProps(entry)}>
            <Stack gap="xs">
              <Group justify="space-between" align="flex-start" gap="xs" wrap="nowrap">
                <SkillCell due={entry} />
                <UsageTierBadge tier={entry.tier} />
              </Group>
              <Text size="sm" style={{ overflowWrap: "anywhere" }} data-testid="review-due-reason">
                Due <RelativeTime iso={entry.dueSince} />: {entry.reason}
              </Text>
              <Text size="xs" c="dimmed">
                {formatWeekly(entry.weeklyInvocations)} invocations a week
              </Text>
              <Group justify="space-between" gap="xs">
                <LastReview due={entry} />
                <RecordButton due={entry} onRecord={onRecord} />
              </Group>
            </Stack>
          </Card>
        ))}
      </Stack>
    );
  }
  return (
    <Table.ScrollContainer minWidth={960}>
      <Table verticalSpacing="sm" highlightOnHover data-testid="reviews-due">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Skill</Table.Th>
            <Table.Th>Tier</Table.Th>
            <Table.Th ta="right">A week</Table.Th>
            <Table.Th>Due since</Table.Th>
            <Table.Th>Why</Table.Th>
            <Table.Th>Last review</Table.Th>
            <Table.Th w={150} />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {due.map((entry) => (
            <Table.Tr key={entry.skill.id} {...rowProps(entry)}>
              <Table.Td>
                <SkillCell due={entry} />
              </Table.Td>
              <Table.Td>
                <UsageTierBadge tier={entry.tier} />
              </Table.Td>
              <Table.Td ta="right" style={{ whiteSpace: "nowrap" }}>
                <Text size="sm" data-testid="review-due-weekly">
                  {formatWeekly(entry.weeklyInvocations)}
                </Text>
              </Table.Td>
              <Table.Td style={{ whiteSpace: "nowrap" }}>
                <Text size="sm">
                  <RelativeTime iso={entry.dueSince} />
                </Text>
              </Table.Td>
              <Table.Td maw={320}>
                <Text size="sm" style={{ overflowWrap: "anywhere" }} data-testid="review-due-reason">
                  {entry.reason}
                </Text>
              </Table.Td>
              <Table.Td>
                <LastReview due={entry} />
              </Table.Td>
              <Table.Td>
                <RecordButton due={entry} onRecord={onRecord} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
