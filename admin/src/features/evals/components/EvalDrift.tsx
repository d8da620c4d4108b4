import { Alert, Anchor, Badge, Tooltip } from "@mantine/core";
import { IconTrendingDown } from "@tabler/icons-react";
import { Link } from "react-router";
import { RelativeTime } from "../../../components/RelativeTime";
import type { EvalsSkillDriftFragment } from "../../../gql/graphql";
import { formatScore } from "../eval-format";
import { evalRunPath } from "../evals-url";

type Drift = NonNullable<EvalsSkillDriftFragment["evalDrift"]>;

/** "0.70, was 0.90". */
function driftWords(drift: Drift): string {
  return drift.previousScore === null ? formatScore(drift.score) : `${formatScore(drift.score)}, was ${formatScore(drift.previousScore)}`;
}

/**
 * The skill's latest version scores lower than it used to when scored again on today's platform
 * (a runtime image, a model, a dependency changed under it): the skill page's warning.
 */
export function EvalDriftAlert({ skillName, drift }: { skillName: string; drift: Drift }) {
  return (
    <Alert
      color="orange"
      icon={<IconTrendingDown size={18} />}
      title="Eval score drifting"
      data-testid="eval-drift-alert"
      data-score={drift.score ?? ""}
      data-previous-score={drift.previousScore ?? ""}
    >
      {skillName}@{drift.version.version} (the latest version) now scores <b data-testid="eval-drift-score">{formatScore(drift.score)}</b>
      {drift.previousScore !== null && (
        <>
          , down from <b data-testid="eval-drift-previous">{formatScore(drift.previousScore)}</b>
        </>
      )}
      , re-evaluated <RelativeTime iso={drift.createdAt} />. The same code answers worse on today's platform: worth a quality review.{" "}
      <Anchor component={Link} to={evalRunPath(drift.id)} size="sm" data-testid="eval-drift-link">
        Open the re-evaluation
      </Anchor>
    </Alert>
  );
}

/** A compact "drift" marker for lists (the quality reviews queue), linking to the re-evaluation. */
export function EvalDriftBadge({ skillName, drift }: { skillName: string; drift: Drift }) {
  return (
    <Tooltip label={`Eval score drifting: ${driftWords(drift)}`} withArrow>
      <Anchor
        component={Link}
        to={evalRunPath(drift.id)}
        underline="never"
        aria-label={`${skillName}: eval score drifting, ${driftWords(drift)}. Open the re-evaluation`}
        data-testid="eval-drift-badge"
        data-score={drift.score ?? ""}
        data-previous-score={drift.previousScore ?? ""}
      >
        <Badge color="orange" variant="light" tt="none" miw="max-content" leftSection={<IconTrendingDown size={12} />}>
          drift {driftWords(drift)}
        </Badge>
      </Anchor>
    </Tooltip>
  );
}
