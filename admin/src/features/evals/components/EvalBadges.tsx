import { Badge, Tooltip, type MantineSize } from "@mantine/core";
import { statusLabel } from "../../../components/badges";
import type { EvalRunPurpose, EvalRunStatus } from "../../../gql/graphql";
import { EVAL_PURPOSE_INFO, EVAL_STATUS_COLOR, EVAL_STATUS_INFO, formatScore, scoreColor } from "../eval-format";

export function EvalStatusBadge({ status, size = "md" }: { status: EvalRunStatus; size?: MantineSize }) {
  return (
    <Tooltip label={EVAL_STATUS_INFO[status]} withArrow>
      <Badge
        size={size}
        color={EVAL_STATUS_COLOR[status]}
        variant={status === "RUNNING" ? "dot" : "filled"}
        miw="max-content"
        data-testid="eval-status"
        data-status={status}
      >
        {statusLabel(status)}
      </Badge>
    </Tooltip>
  );
}

/**
 * The score against the minimum it had to reach, as one badge: "0.86 · min 0.80", green at or
 * above the minimum, red below it. The words are in the badge (not only the colour).
 */
export function EvalScoreBadge({
  score,
  minScore,
  size = "md",
  pending = false,
}: {
  score: number | null;
  minScore: number;
  size?: MantineSize;
  /** The run is still going: no score yet, rather than none. */
  pending?: boolean;
}) {
  const unscored = pending ? "not scored yet" : "not scored";
  const verdict = score === null ? unscored : score >= minScore ? "meets its minimum" : "below its minimum";
  return (
    <Badge
      size={size}
      color={scoreColor(score, minScore)}
      variant="light"
      tt="none"
      miw="max-content"
      aria-label={`Eval score ${formatScore(score)}, minimum ${formatScore(minScore)}: ${verdict}`}
      data-testid="eval-score"
      data-score={score ?? ""}
      data-min-score={minScore}
      data-meets={score !== null && score >= minScore}
    >
      {score === null ? unscored : formatScore(score)} · min {formatScore(minScore)}
    </Badge>
  );
}

export function EvalPurposeBadge({ purpose }: { purpose: EvalRunPurpose }) {
  const info = EVAL_PURPOSE_INFO[purpose];
  return (
    <Tooltip label={info.description} withArrow multiline maw={280}>
      <Badge size="sm" variant="outline" color="gray" tt="none" miw="max-content" data-testid="eval-purpose" data-purpose={purpose}>
        {info.label}
      </Badge>
    </Tooltip>
  );
}
