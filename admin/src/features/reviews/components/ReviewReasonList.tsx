import { Anchor, Code, Group, List, Text } from "@mantine/core";
import { Link } from "react-router";
import { RiskBadge } from "../../../components/badges";
import { formatScore, formatScoreChange } from "../../evals/eval-format";
import { evalRunPath } from "../../evals/evals-url";
import { casesWords, parseReviewReasons, weeklyWords, type ReviewReason } from "../review-reasons";

/** The eval run a reason refers to (reasons carry the run's raw uuid). */
function EvalRunLink({ evalRunId, children }: { evalRunId: string; children: string }) {
  return (
    <Anchor component={Link} to={evalRunPath(evalRunId)} size="sm" data-testid="review-reason-eval-link">
      {children}
    </Anchor>
  );
}

function CaseNames({ names }: { names: readonly string[] }) {
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
    case "EVALS_MISSING":
      return (
        <Text size="sm" data-testid="review-reason-evals-missing" data-tier={reason.tier}>
          <b>No eval suite</b>: {reason.tier.toLowerCase()}-tier skills must ship one (<Code>evals/suite.yaml</Code>), and this version does not, so nothing
          scored its answers. Try it yourself before approving.
        </Text>
      );
    case "EVALS_NOT_SCORED":
      return (
        <Text size="sm" data-testid="review-reason-evals-not-scored" data-cases={reason.cases.join(",")}>
          <b>{casesWords(reason.cases.length)} not scored</b>: the judge gave no score for <CaseNames names={reason.cases} /> ({reason.why}). Read{" "}
          {reason.cases.length === 1 ? "its output" : "their outputs"} and judge {reason.cases.length === 1 ? "it" : "them"} yourself.{" "}
          <EvalRunLink evalRunId={reason.evalRunId}>Open the eval run</EvalRunLink>
        </Text>
      );
    case "EVAL_REGRESSION":
      return (
        <Text
          size="sm"
          component="div"
          data-testid="review-reason-eval-regression"
          data-score={reason.score}
          data-baseline-score={reason.baselineScore}
          data-baseline-version={reason.baselineVersion}
        >
          <b>Evals got worse</b>: this version scores <b>{formatScore(reason.score)}</b> where {reason.baselineVersion} (on latest today) scores{" "}
          <b>{formatScore(reason.baselineScore)}</b> on the same cases. Approving accepts the drop, so it needs a written reason.
          {reason.worse.length > 0 && (
            <List size="sm" spacing={2} mt={4} data-testid="review-reason-worse-cases">
              {reason.worse.map((change) => (
                <List.Item key={change.name} data-case={change.name} style={{ overflowWrap: "anywhere" }}>
                  <Code>{change.name}</Code> {formatScore(change.before)} → {formatScore(change.after)} ({formatScoreChange(change.before, change.after)})
                </List.Item>
              ))}
            </List>
          )}
          <Group gap="sm" mt={4}>
            <EvalRunLink evalRunId={reason.evalRunId}>This version's run</EvalRunLink>
            <EvalRunLink evalRunId={reason.baselineRunId}>{`${reason.baselineVersion}'s run`}</EvalRunLink>
          </Group>
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
