import { useApolloClient, useQuery } from "@apollo/client/react";
import { Alert, Badge, Button, Group, Loader, SegmentedControl, Stack, Text } from "@mantine/core";
import { IconAlertTriangle, IconPlayerPause, IconPlayerPlay, IconScissors } from "@tabler/icons-react";
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState, type UIEvent } from "react";
import { isFinalRunStatus, TestRunStatusBadge, type TestRunStatus } from "../../../components/badges";
import { ErrorState } from "../../../components/QueryState";
import { RunsRunLogSummaryDocument } from "../../../gql/graphql";
import { describeError } from "../../../lib/errors";
import classes from "./RunLog.module.css";
import { RunOutcome } from "./RunOutcome";
import { LiveUnavailable } from "../../../components/LiveUnavailable";
import { useRunLogStream, type LogLine, type LogStreamName } from "./useRunLogStream";

type StreamFilter = "ALL" | LogStreamName;

/** Lines are rendered in memoised chunks: a new line re-renders only the last chunk, not 10k lines. */
const CHUNK_SIZE = 200;
/** How close to the bottom (px) still counts as "at the bottom" for follow-tail. */
const BOTTOM_SLACK = 16;

/**
 * The output of one test run, live while it runs and replayed once it is finished. `onFinished`
 * is called when a run finishes while on screen: the embedding page refetches its query, which
 * brings this viewer's outcome too (RunLogSummary).
 */
export function RunLog({ runId, onFinished }: { runId: string; onFinished?: () => void }) {
  // A new run is a new log: remount rather than reset every piece of state by hand.
  return <RunLogViewer key={runId} runId={runId} onFinished={onFinished} />;
}

function RunLogViewer({ runId, onFinished }: { runId: string; onFinished?: () => void }) {
  const client = useApolloClient();
  // cache-first: the page embedding the log usually loaded these fields already (Query.testRun
  // reads TestRun:<id> from the cache, see apollo.ts).
  const summary = useQuery(RunsRunLogSummaryDocument, { variables: { id: runId }, fetchPolicy: "cache-first" });
  const run = summary.data?.testRun ?? null;

  // QUEUED → RUNNING is written into the cache so every view of this run (page header, review
  // page) moves with the log. Final statuses are not: the refetch below brings them with the counts.
  const onStatus = useCallback(
    (next: TestRunStatus) => {
      if (isFinalRunStatus(next)) return;
      client.cache.modify({
        id: client.cache.identify({ __typename: "TestRun", id: runId }),
        fields: { status: (existing: TestRunStatus) => (isFinalRunStatus(existing) ? existing : next) },
      });
    },
    [client, runId],
  );
  const stream = useRunLogStream(runId, onStatus);

  const status = stream.status ?? run?.status ?? null;
  const finalSeen = stream.status !== null && isFinalRunStatus(stream.status);
  const summaryStatus = run?.status ?? null;
  const { refetch } = summary;
  const onFinishedRef = useRef(onFinished);
  useLayoutEffect(() => {
    onFinishedRef.current = onFinished;
  });
  // The run just ended while we watched: its counts and reason come from the embedding page's
  // refresh (it spreads RunLogSummary), or from our own query when nobody embeds us.
  useEffect(() => {
    if (!finalSeen || summaryStatus === null || isFinalRunStatus(summaryStatus)) return;
    const finished = onFinishedRef.current;
    if (finished) finished();
    else void refetch();
  }, [finalSeen, summaryStatus, refetch]);

  const [filter, setFilter] = useState<StreamFilter>("ALL");
  const follow = useFollowTail(stream.lineCount, filter, stream.revision);

  const isFinal = status !== null && isFinalRunStatus(status);
  const liveError = stream.liveError ? describeError(stream.liveError) : null;
  const stderrLabel = stream.stderrCount > 0 ? `stderr (${stream.stderrCount.toLocaleString()})` : "stderr";

  return (
    <Stack gap="xs" data-testid="run-log">
      <Group justify="space-between" gap="xs" wrap="wrap">
        <Group gap="xs" wrap="wrap">
          <span data-testid="run-log-status" data-status={status ?? undefined}>
            {status ? <TestRunStatusBadge status={status} /> : <Loader size="xs" />}
          </span>
          {stream.source === "live" && !isFinal && (
            <Badge variant="light" color="blue" size="sm" data-testid="log-live">
              live
            </Badge>
          )}
          <Text size="sm" c="dimmed" data-testid="log-line-count" data-count={stream.lineCount}>
            {stream.lineCount.toLocaleString()} {stream.lineCount === 1 ? "line" : "lines"}
            {stream.stderrCount > 0 && ` · ${stream.stderrCount.toLocaleString()} on stderr`}
          </Text>
        </Group>
        <Group gap="xs" wrap="wrap">
          <SegmentedControl
            size="xs"
            aria-label="Which output to show"
            data-testid="log-filter"
            value={filter}
            onChange={(value) => setFilter(value as StreamFilter)}
            data={[
              { value: "ALL", label: "All" },
              { value: "STDOUT", label: "stdout" },
              { value: "STDERR", label: stderrLabel },
            ]}
          />
          <Button
            size="xs"
            variant={follow.following ? "light" : "default"}
            leftSection={follow.following ? <IconPlayerPause size={14} /> : <IconPlayerPlay size={14} />}
            onClick={follow.following ? follow.pause : follow.resume}
            data-testid="log-follow-toggle"
            data-following={follow.following}
            title={follow.following ? "Stop scrolling to new lines" : "Scroll to the end and keep up with new lines"}
          >
            {follow.following ? "Pause" : "Follow"}
          </Button>
        </Group>
      </Group>

      {liveError && <LiveUnavailable error={liveError} what="output" onReconnect={stream.reconnect} testId="log-live-error" />}
      {stream.source === "stored" && !liveError && (
        <Text size="xs" c="dimmed" data-testid="log-stored-notice">
          The live connection has not answered yet: showing the stored output meanwhile.
        </Text>
      )}
      {stream.storedError !== null && <ErrorState error={stream.storedError} onRetry={stream.reconnect} />}
      {run?.logTruncated && (
        <Alert color="orange" icon={<IconScissors size={18} />} data-testid="log-truncated">
          The output went over the sandbox's log limit: the rest of it was not stored, so it is not shown.
        </Alert>
      )}

      <div
        ref={follow.viewportRef}
        onScroll={follow.onScroll}
        className={classes.viewport}
        role="log"
        aria-live="off"
        aria-label="Test output"
        tabIndex={0}
        data-testid="log-viewport"
      >
        {stream.lineCount === 0 ? (
          <EmptyLog connecting={stream.source === "connecting"} finished={isFinal} />
        ) : filter === "STDERR" && stream.stderrCount === 0 ? (
          <EmptyLine text="Nothing was written to stderr." />
        ) : (
          Array.from({ length: Math.ceil(stream.lineCount / CHUNK_SIZE) }, (_, index) => (
            <LogChunk
              key={index}
              lines={stream.lines}
              start={index * CHUNK_SIZE}
              end={Math.min(stream.lineCount, (index + 1) * CHUNK_SIZE)}
              filter={filter}
              revision={stream.revision}
            />
          ))
        )}
        {!follow.following && stream.lineCount > follow.pausedAt && (
          <div className={classes.resume}>
            <Button size="xs" radius="xl" onClick={follow.resume} data-testid="log-resume">
              {(stream.lineCount - follow.pausedAt).toLocaleString()} new {stream.lineCount - follow.pausedAt === 1 ? "line" : "lines"} — resume
            </Button>
          </div>
        )}
      </div>

      {isFinal &&
        (run && isFinalRunStatus(run.status) ? (
          <RunOutcome run={run} />
        ) : (
          <Text size="sm" c="dimmed">
            Fetching the outcome…
          </Text>
        ))}
      {summary.error && !run && <ErrorState error={summary.error} onRetry={() => void refetch()} />}
      {!summary.loading && !summary.error && !run && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} data-testid="log-run-missing">
          There is no such test run, or you cannot see it.
        </Alert>
      )}
    </Stack>
  );
}

function EmptyLog({ connecting, finished }: { connecting: boolean; finished: boolean }) {
  if (finished) return <EmptyLine text="This run printed no output." />;
  if (connecting) return <EmptyLine text="Connecting to the live output…" />;
  return <EmptyLine text="No output yet" />;
}

function EmptyLine({ text }: { text: string }) {
  return (
    <Text size="sm" c="dimmed" px="sm" py="xs" data-testid="log-empty">
      {text}
    </Text>
  );
}

/** Renders lines [start, end) of the log; `revision` changes when earlier lines moved. */
const LogChunk = memo(function LogChunk({
  lines,
  start,
  end,
  filter,
}: {
  lines: LogLine[];
  start: number;
  end: number;
  filter: StreamFilter;
  revision: number;
}) {
  const rows = [];
  for (let index = start; index < end; index += 1) {
    const line = lines[index];
    if (!line || (filter !== "ALL" && line.stream !== filter)) continue;
    const stderr = line.stream === "STDERR";
    rows.push(
      <div key={line.seq} className={stderr ? `${classes.line} ${classes.stderr}` : classes.line} data-testid="log-line" data-stream={line.stream}>
        <span className={classes.number}>{index + 1}</span>
        <span className={classes.marker}>{stderr ? "err" : ""}</span>
        <span className={classes.text}>{line.text}</span>
      </div>,
    );
  }
  return <>{rows}</>;
});

/**
 * Follow-tail: while following, every new render scrolls to the bottom. Scrolling up (or Pause)
 * stops following and remembers how many lines there were; scrolling back to the bottom resumes.
 */
function useFollowTail(lineCount: number, filter: StreamFilter, revision: number) {
  const viewportRef = useRef<HTMLDivElement>(null);
  const [following, setFollowing] = useState(true);
  const [pausedAt, setPausedAt] = useState(0);
  const lineCountRef = useRef(lineCount);
  useLayoutEffect(() => {
    lineCountRef.current = lineCount;
  });

  useLayoutEffect(() => {
    const viewport = viewportRef.current;
    if (following && viewport) viewport.scrollTop = viewport.scrollHeight;
  }, [following, lineCount, filter, revision]);

  const pause = useCallback(() => {
    setFollowing(false);
    setPausedAt(lineCountRef.current);
  }, []);
  const resume = useCallback(() => setFollowing(true), []);

  const onScroll = useCallback(
    (event: UIEvent<HTMLDivElement>) => {
      const viewport = event.currentTarget;
      const atBottom = viewport.scrollHeight - viewport.scrollTop - viewport.clientHeight <= BOTTOM_SLACK;
      if (following && !atBottom) pause();
      else if (!following && atBottom && viewport.scrollHeight > viewport.clientHeight) resume();
    },
    [following, pause, resume],
  );

  return { viewportRef, following, pausedAt, pause, resume, onScroll };
}
