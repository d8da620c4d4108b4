import { useMutation } from "@apollo/client/react";
import type { ApolloCache } from "@apollo/client";
import { Alert, Button, Divider, Group, Paper, Progress, Stack, Text, Textarea, Title } from "@mantine/core";
import { IconAlertTriangle, IconCheck, IconCircleCheck, IconHourglass, IconLock, IconX } from "@tabler/icons-react";
import { useEffect, useId, useRef, useState } from "react";
import { VersionStatusBadge, type VersionStatus } from "../../../components/badges";
import { ReviewApproveVersionDocument, ReviewDetailDocument, ReviewRejectVersionDocument, type ReviewRequestDetailFragment } from "../../../gql/graphql";
import { describeError } from "../../../lib/errors";
import { DecisionList } from "./DecisionList";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { ReviewReasonList } from "./ReviewReasonList";
import { formatScore } from "../../evals/eval-format";
import { acceptsEvalRegression, parseReviewReasons } from "../review-reasons";

/** What the viewer's own decision did, kept on screen after the page refreshes. */
export type DecisionOutcome = { kind: "APPROVED"; published: boolean; remaining: number } | { kind: "REJECTED" };

interface ReviewedVersion {
  id: string;
  /** name@version */
  label: string;
  status: VersionStatus;
  statusReason: string | null;
}

/** The queue lists only pending reviews: drop it from the cache so its next visit fetches it afresh. */
function forgetReviewQueue(cache: ApolloCache) {
  cache.evict({ id: "ROOT_QUERY", fieldName: "reviewQueue" });
  cache.gc();
}

function OutcomeAlert({ outcome, label }: { outcome: DecisionOutcome; label: string }) {
  if (outcome.kind === "REJECTED") {
    return (
      <Alert color="red" icon={<IconX size={18} />} title="Rejected" data-testid="decision-outcome" data-outcome="REJECTED">
        {label} is now REJECTED. The author sees your reason.
      </Alert>
    );
  }
  if (outcome.published) {
    return (
      <Alert color="green" icon={<IconCircleCheck size={18} />} title="Approved" data-testid="decision-outcome" data-outcome="PUBLISHED">
        Approved — {label} is now PUBLISHED and can be installed.
      </Alert>
    );
  }
  return (
    <Alert color="blue" icon={<IconHourglass size={18} />} title="Approval recorded" data-testid="decision-outcome" data-outcome="PENDING">
      {outcome.remaining} more {outcome.remaining === 1 ? "approval" : "approvals"} needed from another reviewer before {label} publishes.
    </Alert>
  );
}

function ApprovalProgress({ approvals, required }: { approvals: number; required: number }) {
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600} data-testid="approvals-count" data-approvals={approvals} data-required={required}>
        {approvals} of {required} {required === 1 ? "approval" : "approvals"}
      </Text>
      <Progress value={(Math.min(approvals, required) / required) * 100} color={approvals >= required ? "green" : "blue"} size="sm" aria-hidden />
      <Text size="xs" c="dimmed">
        {required === 2 ? "Critical permissions need two different reviewers. " : ""}
        The publisher cannot approve their own version.
      </Text>
    </Stack>
  );
}

/** Approve or reject, with the two-person rule and the viewer's own restrictions shown up front. */
function DecisionForm({
  version,
  request,
  onDecided,
}: {
  version: ReviewedVersion;
  request: ReviewRequestDetailFragment;
  onDecided: (outcome: DecisionOutcome) => void;
}) {
  const [comment, setComment] = useState("");
  const [commentError, setCommentError] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const commentRef = useRef<HTMLTextAreaElement>(null);
  const blockedId = useId();
  const options = { refetchQueries: [ReviewDetailDocument], awaitRefetchQueries: true, update: forgetReviewQueue };
  const [approve, approving] = useMutation(ReviewApproveVersionDocument, options);
  const [reject, rejecting] = useMutation(ReviewRejectVersionDocument, options);
  const busy = approving.loading || rejecting.loading;
  const blocked = request.viewerCannotDecide;
  // Approving a version whose evals regressed accepts the drop: the server wants the reason in writing.
  const regression = acceptsEvalRegression(parseReviewReasons(request.reasons));

  // Focus goes back to the comment once the field is enabled again (it is disabled while a decision is sent).
  const focusCommentRef = useRef(false);
  useEffect(() => {
    if (!focusCommentRef.current || busy) return;
    focusCommentRef.current = false;
    commentRef.current?.focus();
  });

  function refuseOnComment(message: string) {
    setCommentError(message);
    focusCommentRef.current = true;
    if (!busy) commentRef.current?.focus();
  }

  async function onApprove() {
    setFailure(null);
    setCommentError(null);
    if (regression && !comment.trim()) {
      refuseOnComment(REGRESSION_NEEDS_REASON);
      return;
    }
    try {
      const { data } = await approve({ variables: { input: { versionId: version.id, comment: comment.trim() } } });
      const result = data?.approveVersion;
      if (!result) return;
      const review = result.version.reviewRequest;
      const remaining = review ? Math.max(0, review.requiredApprovals - review.approvals) : 0;
      setComment("");
      onDecided({ kind: "APPROVED", published: result.published, remaining });
    } catch (error) {
      // The server's refusal of the comment itself (e.g. a regression this page did not know of yet) is shown on the field.
      const described = describeError(error);
      if (described.code === "BAD_USER_INPUT" && described.argument === "comment") refuseOnComment(described.message);
      else setFailure(error);
    }
  }

  async function onReject() {
    setFailure(null);
    if (!comment.trim()) {
      setCommentError("Write a reason to reject: the author reads it.");
      commentRef.current?.focus();
      return;
    }
    setCommentError(null);
    try {
      await reject({ variables: { input: { versionId: version.id, reason: comment.trim() } } });
      setComment("");
      onDecided({ kind: "REJECTED" });
    } catch (error) {
      setFailure(error);
    }
  }

  const failed = failure === null ? null : describeError(failure);
  return (
    <Stack gap="sm">
      {blocked && (
        <Alert color="yellow" icon={<IconLock size={18} />} title="You cannot decide on this version" id={blockedId} data-testid="cannot-decide">
          {blocked}
        </Alert>
      )}
      <Textarea
        ref={commentRef}
        label={regression ? "Comment — why you accept the regression" : "Comment"}
        required={regression !== null}
        description={
          regression
            ? `Required: approving accepts its eval regression (${formatScore(regression.score)} against ${formatScore(regression.baselineScore)} for ${regression.baselineVersion}), so say why. Also required to reject (the author reads it).`
            : "Optional when approving; required to reject (the author reads it)."
        }
        placeholder={regression ? "Why the lower eval score is acceptable, or what must change" : "What you checked, or what must change"}
        autosize
        minRows={3}
        maxRows={10}
        value={comment}
        onChange={(event) => {
          setComment(event.currentTarget.value);
          if (commentError) setCommentError(null);
        }}
        error={commentError && <span data-testid="decision-comment-error">{commentError}</span>}
        disabled={blocked !== null || busy}
        data-testid="decision-comment-input"
        data-required={regression !== null}
      />
      <Group gap="xs" grow>
        <Button
          color="green"
          leftSection={<IconCheck size={16} />}
          onClick={() => void onApprove()}
          loading={approving.loading}
          disabled={blocked !== null || rejecting.loading}
          aria-describedby={blocked ? blockedId : undefined}
          data-testid="approve-button"
        >
          Approve
        </Button>
        <Button
          color="red"
          variant="outline"
          leftSection={<IconX size={16} />}
          onClick={() => void onReject()}
          loading={rejecting.loading}
          disabled={blocked !== null || approving.loading}
          aria-describedby={blocked ? blockedId : undefined}
          data-testid="reject-button"
        >
          Reject
        </Button>
      </Group>
      {failed && (
        <Alert
          color="red"
          icon={<IconAlertTriangle size={18} />}
          title="The decision was not recorded"
          data-testid="decision-error"
          data-code={failed.code ?? undefined}
        >
          <ErrorMessage error={failed} />
        </Alert>
      )}
    </Stack>
  );
}

const REGRESSION_NEEDS_REASON = "Approving this version accepts its eval regression: say why in the comment.";

/** Why a version that is not under review has no review request. */
function withoutReview(status: VersionStatus): string {
  switch (status) {
    case "UPLOADED":
    case "TESTING":
      return "No review yet: its tests have not finished. If it needs a review, it joins the queue when they pass.";
    case "EVALUATING":
      return "No review yet: its evals are being scored. If it needs a review, it joins the queue when they pass.";
    case "PUBLISHED":
    case "DEPRECATED":
    case "YANKED":
      return "It needed no review: no permission at or above the review risk threshold, and nothing beyond the previous version.";
    case "REJECTED":
      return "It never reached review.";
    case "AWAITING_REVIEW":
      return "It waits for a reviewer, but its review request could not be found.";
  }
}

/**
 * The right-hand panel of the review page. While the version awaits review it is the decision form;
 * otherwise it reports the version's status and the decisions that were made.
 */
export function DecisionPanel({
  version,
  request,
  outcome,
  onDecided,
}: {
  version: ReviewedVersion;
  request: ReviewRequestDetailFragment | null;
  outcome: DecisionOutcome | null;
  onDecided: (outcome: DecisionOutcome) => void;
}) {
  const pending = version.status === "AWAITING_REVIEW" && request !== null;
  const decisions = request?.decisions.edges.map((edge) => edge.node) ?? [];
  return (
    <Paper
      withBorder
      radius="md"
      p={{ base: "sm", sm: "md" }}
      component="section"
      aria-label={pending ? "Decision" : "Status"}
      data-testid="decision-panel"
      data-pending={pending}
    >
      <Stack gap="md">
        <Group justify="space-between" gap="xs">
          <Title order={3} size="h4">
            {pending ? "Decision" : "Status"}
          </Title>
          <VersionStatusBadge status={version.status} />
        </Group>
        {outcome && <OutcomeAlert outcome={outcome} label={version.label} />}
        {request && <ApprovalProgress approvals={request.approvals} required={request.requiredApprovals} />}
        {version.statusReason && !pending && (
          <Text size="sm" data-testid="status-reason" style={{ overflowWrap: "anywhere" }}>
            {version.statusReason}
          </Text>
        )}
        {!request && (
          <Text size="sm" c="dimmed" data-testid="no-review-request">
            {withoutReview(version.status)}
          </Text>
        )}
        {request && (
          <Stack gap={6}>
            <Text size="sm" fw={600}>
              {pending ? "Why it needs review" : "Why it needed review"}
            </Text>
            <ReviewReasonList reasons={request.reasons} />
          </Stack>
        )}
        {pending && (
          <>
            <Divider />
            <DecisionForm version={version} request={request} onDecided={onDecided} />
          </>
        )}
        {request && (
          <>
            <Divider />
            <Stack gap={6}>
              <Text size="sm" fw={600}>
                Decisions
              </Text>
              <DecisionList decisions={decisions} packageSha256={request.packageSha256} />
            </Stack>
          </>
        )}
      </Stack>
    </Paper>
  );
}
