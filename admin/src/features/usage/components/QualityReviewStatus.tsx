import { Badge, Blockquote, Button, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { IconClipboardCheck } from "@tabler/icons-react";
import { RelativeTime } from "../../../components/RelativeTime";
import type { UsageQualityReviewFragment, UsageSkillQuery, UsageTier } from "../../../gql/graphql";
import { OUTCOME_INFO, TIER_INFO } from "../usage-format";

type Status = NonNullable<UsageSkillQuery["skill"]>["qualityReview"];

export function OutcomeBadge({ outcome }: { outcome: UsageQualityReviewFragment["outcome"] }) {
  const info = OUTCOME_INFO[outcome];
  return (
    <Badge color={info.color} variant="light" tt="none" miw="max-content" data-testid="review-outcome-badge" data-outcome={outcome}>
      {info.label}
    </Badge>
  );
}

/** "Pass · 1.2.0 · by rita, 3 days ago", for queues and the skill page. */
export function LastReviewLine({ review }: { review: UsageQualityReviewFragment }) {
  return (
    <Group gap={6} wrap="wrap" data-testid="last-review" data-outcome={review.outcome} data-version={review.version.version}>
      <OutcomeBadge outcome={review.outcome} />
      <Text size="sm" span>
        of <b>{review.version.version}</b>
        {review.reviewer && ` by ${review.reviewer.handle}`}, <RelativeTime iso={review.createdAt} />
      </Text>
    </Group>
  );
}

/** When the skill's next quality review is due, and why; the last review with its notes. */
export function QualityReviewStatus({ tier, status, onRecord }: { tier: UsageTier; status: Status; onRecord?: () => void }) {
  const due = status.dueAt !== null && new Date(status.dueAt).getTime() <= Date.now();
  return (
    <Paper withBorder p="md" data-testid="quality-review-status" data-due={due} data-due-at={status.dueAt ?? ""}>
      <Stack gap="sm">
        <Group justify="space-between" gap="sm" wrap="wrap">
          <Title order={3} size="h5">
            Quality review
          </Title>
          {onRecord && (
            <Button size="xs" variant="light" leftSection={<IconClipboardCheck size={14} />} onClick={onRecord} data-testid="record-review">
              Record a review…
            </Button>
          )}
        </Group>
        <Group gap="xs" wrap="wrap" data-testid="review-due">
          {status.dueAt === null ? (
            <Text size="sm">
              Not scheduled: {TIER_INFO[tier].label} skills are {TIER_INFO[tier].cadence}
              {tier === "LOW" ? ", and no platform update has been marked since its last review." : "."}
            </Text>
          ) : due ? (
            <>
              <Badge color="red" variant="light">
                due
              </Badge>
              <Text size="sm">
                since <RelativeTime iso={status.dueAt} />
                {status.reason && <> ({status.reason})</>}
              </Text>
            </>
          ) : (
            <Text size="sm">
              Next review <RelativeTime iso={status.dueAt} />
              {status.reason && <> ({status.reason})</>}
            </Text>
          )}
        </Group>
        {status.lastReview ? (
          <Stack gap={6}>
            <Group gap={6} wrap="wrap">
              <Text size="sm" c="dimmed">
                Last review:
              </Text>
              <LastReviewLine review={status.lastReview} />
            </Group>
            <Blockquote p="xs" pl="md" color={OUTCOME_INFO[status.lastReview.outcome].color} data-testid="last-review-notes">
              <Text size="sm" style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
                {status.lastReview.notes}
              </Text>
            </Blockquote>
          </Stack>
        ) : (
          <Text size="sm" c="dimmed" data-testid="last-review-none">
            Never reviewed: the schedule counts from its first publication.
          </Text>
        )}
      </Stack>
    </Paper>
  );
}
