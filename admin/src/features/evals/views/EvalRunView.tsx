import { useApolloClient, useMutation, useQuery } from "@apollo/client/react";
import { Alert, Anchor, Button, Card, Group, Loader, Progress, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { IconCircleCheck, IconCircleX, IconRefresh, IconScissors } from "@tabler/icons-react";
import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { useSession } from "../../../auth/session";
import { VersionStatusBadge } from "../../../components/badges";
import { ActionError } from "../../../components/ErrorMessage";
import { LiveUnavailable } from "../../../components/LiveUnavailable";
import { appendEdges, LoadMoreButton } from "../../../components/LoadMore";
import { PageHeader } from "../../../components/PageHeader";
import { EmptyState, ErrorState, QueryState } from "../../../components/QueryState";
import { RelativeTime } from "../../../components/RelativeTime";
import { EvalsEvalRunDocument, EvalsRerunEvalsDocument, type EvalRunStatus, type EvalsEvalRunQuery } from "../../../gql/graphql";
import { describeError } from "../../../lib/errors";
import { formatDuration } from "../../runs/components/format";
import { EvalPurposeBadge, EvalScoreBadge, EvalStatusBadge } from "../components/EvalBadges";
import { EvalCasesTable, type EvalCase } from "../components/EvalCasesTable";
import { EvalRunLog } from "../components/EvalRunLog";
import { useEvalRunStream, type EvalRunSnapshot } from "../components/useEvalRunStream";
import { EVAL_STATUS_COLOR, EVAL_STATUS_INFO, formatScore, isFinalEvalStatus } from "../eval-format";
import { evalRunPath } from "../evals-url";

type Run = NonNullable<EvalsEvalRunQuery["evalRun"]>;

/** One eval run (the route param is the EvalRun global id): score, cases filling in live, and the log. */
export function EvalRunView() {
  const { runId = "" } = useParams();
  // Another run is another stream: start from fresh state rather than carry the last one's over.
  return <EvalRun key={runId} runId={runId} />;
}

function EvalRun({ runId }: { runId: string }) {
  const client = useApolloClient();
  const { data, error, refetch, fetchMore } = useQuery(EvalsEvalRunDocument, { variables: { id: runId } });
  const loadMoreCases = (after: string) =>
    fetchMore({
      variables: { casesAfter: after },
      updateQuery: (previous, { fetchMoreResult }) =>
        previous.evalRun && fetchMoreResult.evalRun
          ? { ...previous, evalRun: { ...previous.evalRun, cases: appendEdges(previous.evalRun.cases, fetchMoreResult.evalRun.cases) } }
          : previous,
    });

  // QUEUED → RUNNING goes into the cache, so every view of this run moves with it; a final status
  // refetches the page, which brings the score, the reason and every case with it.
  const onStatus = useCallback(
    (next: EvalRunStatus) => {
      if (isFinalEvalStatus(next)) return;
      client.cache.modify({
        id: client.cache.identify({ __typename: "EvalRun", id: runId }),
        fields: { status: (existing: EvalRunStatus) => (isFinalEvalStatus(existing) ? existing : next) },
      });
    },
    [client, runId],
  );
  const stream = useEvalRunStream(runId, onStatus);
  const storedStatus = data?.evalRun?.status ?? null;
  const finalSeen = stream.status !== null && isFinalEvalStatus(stream.status);
  useEffect(() => {
    if (finalSeen && storedStatus !== null && !isFinalEvalStatus(storedStatus)) void refetch();
  }, [finalSeen, storedStatus, refetch]);

  return (
    <QueryState data={data} error={error} refetch={() => void refetch()}>
      {({ evalRun }) =>
        evalRun ? (
          <RunPage run={evalRun} stream={stream} onLoadMoreCases={loadMoreCases} onRerun={() => void refetch()} />
        ) : (
          <EmptyState title="No such eval run">
            The run does not exist, or it belongs to a version you cannot see.{" "}
            <Anchor component={Link} to="/skills">
              Browse the catalog
            </Anchor>
            .
          </EmptyState>
        )
      }
    </QueryState>
  );
}

function RunPage({
  run,
  stream,
  onLoadMoreCases,
  onRerun,
}: {
  run: Run;
  stream: EvalRunSnapshot;
  onLoadMoreCases: (after: string) => Promise<unknown>;
  onRerun: () => void;
}) {
  // The stored cases, and those the live stream announced since the page loaded (by suite index).
  const cases = useMemo(() => {
    const byIndex = new Map<number, EvalCase>(stream.cases);
    for (const edge of run.cases.edges) byIndex.set(edge.node.index, edge.node);
    return [...byIndex.values()];
  }, [run.cases.edges, stream.cases]);
  const status = run.status;
  const final = isFinalEvalStatus(status);

  return (
    <Stack gap="lg" data-testid="eval-run" data-status={status} data-purpose={run.purpose}>
      <RunHeader run={run} />
      {final ? <Outcome run={run} /> : <Progressing run={run} scored={cases.length} statusText={stream.statusText} />}
      <RerunEvals run={run} onRerun={onRerun} />
      <Stack gap="xs" component="section" aria-labelledby="eval-cases-heading">
        <Title order={3} size="h4" id="eval-cases-heading">
          Cases
          <Text span c="dimmed" size="sm" ml="xs" fw={400} data-testid="eval-cases-count" data-scored={cases.length} data-total={run.caseCount}>
            {cases.length} of {run.caseCount}
          </Text>
        </Title>
        {cases.length === 0 ? (
          <EmptyState title={final ? "No case was recorded" : "No case scored yet"}>
            {final ? "The suite ended before any case ran: see the reason above and the log below." : "Cases appear here one by one as they are scored."}
          </EmptyState>
        ) : (
          <EvalCasesTable cases={cases} />
        )}
        {run.cases.pageInfo.hasNextPage && run.cases.pageInfo.endCursor && (
          <LoadMoreButton label="Load more cases" onLoadMore={() => onLoadMoreCases(run.cases.pageInfo.endCursor ?? "")} />
        )}
      </Stack>
      <Stack gap="xs" component="section" aria-labelledby="eval-log-heading">
        <Title order={3} size="h4" id="eval-log-heading">
          Log
        </Title>
        <Text size="sm" c="dimmed">
          What the entry point wrote to stderr while the cases ran; each case's stdout is its output, under “Show output”.
        </Text>
        <StreamNotices stream={stream} />
        {run.logTruncated && (
          <Alert color="orange" icon={<IconScissors size={18} />} data-testid="eval-log-truncated">
            The log went over the sandbox's limit: the rest of it was not stored.
          </Alert>
        )}
        <EvalRunLog
          lines={stream.lines}
          emptyText={final ? "Nothing was written to stderr." : stream.source === "connecting" ? "Connecting…" : "Nothing yet."}
        />
      </Stack>
    </Stack>
  );
}

function RunHeader({ run }: { run: Run }) {
  const { skill, version } = run.version;
  const ownSuite = run.suiteVersion.id === run.version.id;
  return (
    <Stack gap="md">
      <PageHeader
        title={
          <>
            {run.purpose === "BASELINE" ? "Baseline eval run of " : run.purpose === "REEVALUATION" ? "Re-evaluation of " : "Eval run of "}
            <Anchor component={Link} to={`/skills/${encodeURIComponent(skill.name)}`} inherit data-testid="eval-run-skill-link">
              {skill.name}
            </Anchor>
            @{version}
          </>
        }
        subtitle={
          <Group gap="xs" wrap="wrap">
            <EvalPurposeBadge purpose={run.purpose} />
            {!ownSuite && <span>with the suite of {run.suiteVersion.version}</span>}
            <span>Version status</span>
            <Anchor
              component={Link}
              to={`/reviews/${run.version.id}`}
              underline="never"
              aria-label={`${skill.name}@${version}: ${run.version.status.toLowerCase()}`}
            >
              <VersionStatusBadge status={run.version.status} />
            </Anchor>
          </Group>
        }
        actions={
          <span data-testid="eval-run-header-status">
            <EvalStatusBadge status={run.status} size="lg" />
          </span>
        }
      />
      <Card withBorder padding="sm">
        <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="md" verticalSpacing="sm">
          <Fact label="Score" testId="eval-run-score">
            <EvalScoreBadge score={run.score} minScore={run.minScore} pending={!isFinalEvalStatus(run.status)} />
          </Fact>
          <Fact label="Cases">
            {run.caseCount}
            {run.unscoredCases > 0 && (
              <Text span size="xs" c="orange.8" ml={6} data-testid="eval-run-unscored">
                {run.unscoredCases} not scored
              </Text>
            )}
          </Fact>
          <Fact label="Compared with" testId="eval-run-comparison">
            <Comparison run={run} />
          </Fact>
          <Fact label="Judge calls">{run.judgeCalls}</Fact>
          <Fact label="Started">{run.startedAt ? <RelativeTime iso={run.startedAt} /> : "not yet"}</Fact>
          <Fact label="Duration">{duration(run)}</Fact>
        </SimpleGrid>
      </Card>
    </Stack>
  );
}

/** A gate run's baseline, or a re-evaluation's earlier score; nothing for the others. */
function Comparison({ run }: { run: Run }) {
  if (run.baseline) {
    return (
      <>
        <Anchor component={Link} to={evalRunPath(run.baseline.id)} size="sm" data-testid="eval-run-baseline-link">
          {run.baseline.version.version}
        </Anchor>
        {run.baselineScore !== null && (
          <Text span size="sm" c={run.regressed ? "red.8" : undefined}>
            {" "}
            scored {formatScore(run.baselineScore)}
          </Text>
        )}
      </>
    );
  }
  if (run.previousScore !== null) {
    return (
      <Text span size="sm" c={run.regressed ? "red.8" : undefined}>
        {formatScore(run.previousScore)} before
      </Text>
    );
  }
  return <>—</>;
}

function duration(run: Run): string {
  if (!run.startedAt) return "—";
  if (!run.finishedAt) return "running";
  return formatDuration(new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime());
}

function Outcome({ run }: { run: Run }) {
  const passed = run.status === "PASSED";
  const title = passed ? (run.regressed ? "Passed its minimum, but scores lower than before" : "Passed") : `Ended: ${EVAL_STATUS_INFO[run.status]}`;
  return (
    <Alert
      color={passed && run.regressed ? "orange" : EVAL_STATUS_COLOR[run.status]}
      icon={passed ? <IconCircleCheck size={18} /> : <IconCircleX size={18} />}
      title={title}
      data-testid="eval-run-outcome"
      data-status={run.status}
      data-regressed={run.regressed}
    >
      <Text size="sm">
        Score <b>{formatScore(run.score)}</b> against a minimum of <b>{formatScore(run.minScore)}</b>
        {run.baselineScore !== null && (
          <>
            ; {formatScore(run.baselineScore)} for {run.baseline?.version.version ?? "the baseline"} on the same cases
          </>
        )}
        {run.previousScore !== null && <>; {formatScore(run.previousScore)} before</>}.
      </Text>
      {run.reason && (
        <Text size="sm" mt={6} style={{ overflowWrap: "anywhere" }} data-testid="eval-run-reason">
          {run.reason}
        </Text>
      )}
    </Alert>
  );
}

function Progressing({ run, scored, statusText }: { run: Run; scored: number; statusText: string | null }) {
  // The worker's first RUNNING note only repeats the case count; later ones (waiting for a sandbox, a retry) say something.
  const note = statusText && statusText !== `${run.caseCount} cases.` && statusText !== `${run.caseCount} case.` ? statusText : null;
  return (
    <Card withBorder padding="sm" data-testid="eval-run-progress" aria-live="polite">
      <Stack gap={6}>
        <Group gap="xs">
          <Loader size="xs" />
          <Text size="sm">
            {run.status === "QUEUED" ? "Waiting for a sandbox" : "Running"}: {scored} of {run.caseCount} {run.caseCount === 1 ? "case" : "cases"} scored
            {note && ` · ${note}`}
          </Text>
        </Group>
        <Progress value={run.caseCount === 0 ? 0 : (scored / run.caseCount) * 100} size="sm" aria-hidden />
      </Stack>
    </Card>
  );
}

/** After an infrastructure failure the version waits in EVALUATING: its team (or an admin) runs the evals again. */
function RerunEvals({ run, onRerun }: { run: Run; onRerun: () => void }) {
  const session = useSession();
  const [rerun, { loading }] = useMutation(EvalsRerunEvalsDocument);
  const [failure, setFailure] = useState<unknown>(null);
  const [newRunId, setNewRunId] = useState<string | null>(null);
  const member = session.isAdmin || session.viewer.teams.edges.some((edge) => edge.node.team.name === run.version.skill.owner.name);
  if (run.status !== "INFRA_ERROR" || run.version.status !== "EVALUATING" || run.suiteVersion.id !== run.version.id || !member) return null;

  const onClick = async () => {
    setFailure(null);
    try {
      const { data } = await rerun({ variables: { versionId: run.version.id } });
      if (data) setNewRunId(data.rerunEvals.id);
      onRerun();
    } catch (error) {
      setFailure(error);
    }
  };
  return (
    <Stack gap="xs">
      {newRunId ? (
        <Alert color="blue" data-testid="eval-rerun-started">
          The evals run again:{" "}
          <Anchor component={Link} to={evalRunPath(newRunId)}>
            follow the new run
          </Anchor>
          .
        </Alert>
      ) : (
        <Group>
          <Button leftSection={<IconRefresh size={16} />} onClick={() => void onClick()} loading={loading} data-testid="eval-rerun">
            Run the evals again
          </Button>
        </Group>
      )}
      {failure !== null && <ActionError title="The evals were not re-run" error={describeError(failure)} testId="eval-rerun-error" />}
    </Stack>
  );
}

function StreamNotices({ stream }: { stream: EvalRunSnapshot }) {
  const liveError = stream.liveError ? describeError(stream.liveError) : null;
  return (
    <>
      {liveError && <LiveUnavailable error={liveError} what="output" onReconnect={stream.reconnect} testId="eval-live-error" />}
      {stream.storedError !== null && <ErrorState error={stream.storedError} onRetry={stream.reconnect} />}
    </>
  );
}

function Fact({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm" component="div" data-testid={testId}>
        {children}
      </Text>
    </Stack>
  );
}
