import { Code, Group, List, Text } from "@mantine/core";
import { RiskBadge } from "../../../components/badges";
import { parseReviewReasons, weeklyWords, type ReviewReason } from "../review-reasons";

function PermissionNames({ names }: { names: readonly string[] }) {
  return (
    <>
      {names.map((name, index) => (
        <span key={name}>
          {index > 0 && ", "}
          <Code>{name}</Code>
        </span>
      ))}
    </>
  );
}

function ReasonText({ reason }: { reason: ReviewReason }) {
  switch (reason.kind) {
    case "RISK":
      return (
        <Group gap={6} wrap="wrap">
          <Text size="sm" span>
            Requests <Code>{reason.permission}</Code>
          </Text>
          <RiskBadge risk={reason.risk} />
        </Group>
      );
    case "ESCALATION":
      return (
        <Text size="sm">
          Adds <PermissionNames names={reason.added} /> over the previous version
        </Text>
      );
    case "TREE_ESCALATION":
      return (
        <Text size="sm">
          Its dependencies add <PermissionNames names={reason.added} />
        </Text>
      );
    case "USAGE_TIER":
      return (
        <Text size="sm" data-testid="review-reason-usage" data-tier={reason.tier} data-weekly={reason.weeklyInvocations}>
          Popular skill: <b>{reason.tier}</b> tier, {weeklyWords(reason.weeklyInvocations)} — every update needs a reviewer
        </Text>
      );
    case "OTHER":
      return <Code>{JSON.stringify(reason.raw)}</Code>;
  }
}

/** Why the review policy held the version back, one line per reason. */
export function ReviewReasonList({ reasons }: { reasons: readonly Record<string, unknown>[] }) {
  const parsed = parseReviewReasons(reasons);
  if (parsed.length === 0)
    return (
      <Text size="sm" c="dimmed">
        The server recorded no reason.
      </Text>
    );
  return (
    <List spacing={6} size="sm" data-testid="review-reasons">
      {parsed.map((reason, index) => (
        <List.Item key={index} data-testid="review-reason" data-kind={reason.kind} style={{ overflowWrap: "anywhere" }}>
          <ReasonText reason={reason} />
        </List.Item>
      ))}
    </List>
  );
}
