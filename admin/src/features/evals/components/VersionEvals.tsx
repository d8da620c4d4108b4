import { Alert, Anchor, Code, Group, Loader, Stack, Text } from "@mantine/core";
import { IconExternalLink, IconHelpCircle } from "@tabler/icons-react";
import { useEffect, useRef } from "react";
import { Link } from "react-router";
import type { EvalsReviewRunFragment, EvalsSuiteSummaryFragment } from "../../../gql/graphql";
import { formatDuration } from "../../runs/components/format";
import { isFinalEvalStatus } from "../eval-format";
import { evalRunPath } from "../evals-url";
import { EvalPurposeBadge, EvalScoreBadge, EvalStatusBadge } from "./EvalBadges";
import { EvalCasesTable } from "./EvalCasesTable";
import { EvalRegression } from "./EvalRegression";
import { useEvalRunStream } from "./useEvalRunStream";

/** Watches a run in flight and says when it is final, so the page refetches its score and cases. */
function RefreshWhenFinished({ runId, total, onFinished }: { runId: string; total: number; onFinished: () => void }) {
  const stream = useEvalRunStream(runId);
  const finished = stream.status !== null && isFinalEvalStatus(stream.status);
  const onFinishedRef = useRef(onFinished);
  useEffect(() => {
    onFinishedRef.current = onFinished;
  });
  useEffect(() => {
    if (finished) onFinishedRef.current();
  }, [finished]);
  return (
    <Group gap="xs" data-testid="eval-in-flight">
      <Loader size="xs" />
      <Text size="sm">
        {stream.status === "QUEUED" || stream.status === null ? "Waiting for a sandbox" : "Scoring"}: {stream.cases.size} of {total}{" "}
        {total === 1 ? "case" : "cases"} so far
      </Text>
    </Group>
  );
}

function suiteWords(suite: NonNullable<EvalsSuiteSummaryFragment["evalSuite"]>): string {
  const rubric = suite.rubricCases > 0 ? `, ${suite.rubricCases} scored by a judge against a rubric` : "";
  return `${suite.caseCount} ${suite.caseCount === 1 ? "case" : "cases"}${rubric}`;
}

/**
 * The review page's evals: the score against the minimum, a regression's cases side by side with
 * the baseline's, and every case with why it lost points. `suiteRequired`: the skill's tier needs a
 * suite (the review reasons say EVALS_MISSING).
 */
export function VersionEvals({
  version,
  suite,
  run,
  suiteRequired,
  onRunFinished,
}: {
  /** The version's number, e.g. 1.1.0. */
  version: string;
  suite: EvalsSuiteSummaryFragment["evalSuite"];
  run: EvalsReviewRunFragment | null;
  suiteRequired: boolean;
  onRunFinished: () => void;
}) {
  if (!suite) {
    return (
      <Stack gap="xs" data-testid="version-evals" data-state="no-suite">
        <Text size="sm">
          This version ships no eval suite (<Code>evals/suite.yaml</Code>): nothing scored its answers.
        </Text>
        {suiteRequired && (
          <Alert color="orange" icon={<IconHelpCircle size={18} />} data-testid="evals-required">
            Its skill is used enough that every version must ship one. Try the skill yourself before approving, and ask the team to add evals.
          </Alert>
        )}
      </Stack>
    );
  }
  if (!run) {
    return (
      <Text size="sm" c="dimmed" data-testid="version-evals" data-state="no-run">
        The suite ({suiteWords(suite)}) has not run yet.
      </Text>
    );
  }
  const cases = run.cases.edges.map((edge) => edge.node);
  const total = run.cases.totalCount ?? cases.length;
  const final = isFinalEvalStatus(run.status);
  const duration = run.startedAt && run.finishedAt ? new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime() : null;
  return (
    <Stack gap="sm" data-testid="version-evals" data-state={run.status} data-regressed={run.regressed}>
      <Group justify="space-between" gap="xs" wrap="wrap">
        <Group gap="sm" wrap="wrap">
          <EvalScoreBadge score={run.score} minScore={run.minScore} size="lg" pending={!final} />
          <EvalStatusBadge status={run.status} />
          <EvalPurposeBadge purpose={run.purpose} />
          <Text size="sm" c="dimmed">
            {suiteWords(suite)}
            {duration !== null && ` · in ${formatDuration(duration)}`}
          </Text>
        </Group>
        <Anchor component={Link} to={evalRunPath(run.id)} size="sm" data-testid="open-eval-run">
          <Group gap={4} wrap="nowrap">
            Open eval run <IconExternalLink size={14} />
          </Group>
        </Anchor>
      </Group>
      {!final && <RefreshWhenFinished runId={run.id} total={run.caseCount} onFinished={onRunFinished} />}
      {run.reason && (
        <Text size="sm" c="dimmed" style={{ overflowWrap: "anywhere" }} data-testid="eval-run-reason">
          {run.reason}
        </Text>
      )}
      {run.regressed && run.baseline && <EvalRegression run={run} version={version} />}
      {cases.length === 0 ? (
        <Text size="sm" c="dimmed">
          {final ? "No case was recorded: see the run's log." : "Cases appear as they are scored."}
        </Text>
      ) : (
        <Stack gap={4}>
          <EvalCasesTable cases={cases} />
          {total > cases.length && (
            <Text size="xs" c="dimmed">
              Showing {cases.length} of {total} cases:{" "}
              <Anchor component={Link} to={evalRunPath(run.id)}>
                open the run
              </Anchor>{" "}
              for all of them.
            </Text>
          )}
        </Stack>
      )}
    </Stack>
  );
}
