import { useApolloClient } from "@apollo/client/react";
import { useCallback, useRef, useState } from "react";
import type { TestRunStatus } from "../../../components/badges";
import { RunsRunLogPageDocument, RunsTestRunEventsDocument, type RunsLogEventFragment } from "../../../gql/graphql";
import { useRunEvents, type RunEventStream, type StreamSource } from "../../../lib/useRunEvents";

export type LogStreamName = NonNullable<RunsLogEventFragment["stream"]>;

export interface LogLine {
  seq: number;
  stream: LogStreamName;
  text: string;
}

/** Where the lines on screen come from. */
export type LogSource = StreamSource;

export interface RunLogSnapshot extends RunEventStream<TestRunStatus> {
  /** Mutated in place (appends); `revision` changes when earlier lines move. */
  lines: LogLine[];
  lineCount: number;
  stderrCount: number;
  revision: number;
}

/**
 * A test run's log: its LOG events as lines, kept in seq order without re-rendering per line (the
 * array grows in place; one render per animation frame).
 */
export function useRunLogStream(runId: string, onStatus: (status: TestRunStatus) => void): RunLogSnapshot {
  const client = useApolloClient();
  const linesRef = useRef<LogLine[]>([]);
  const [counts, setCounts] = useState({ lineCount: 0, stderrCount: 0, revision: 0 });

  const onEvents = useCallback((events: RunsLogEventFragment[]) => {
    const lines = linesRef.current;
    let moved = false;
    let stderrAdded = 0;
    for (const event of events) {
      if (event.kind !== "LOG") continue;
      const line: LogLine = { seq: event.seq, stream: event.stream ?? "STDOUT", text: event.text ?? "" };
      if (line.stream === "STDERR") stderrAdded += 1;
      const last = lines.at(-1);
      if (!last || last.seq < line.seq) {
        lines.push(line);
      } else {
        // Only the stored-log fallback can deliver lines out of order; keep the log in seq order.
        lines.splice(
          lines.findIndex((existing) => existing.seq > line.seq),
          0,
          line,
        );
        moved = true;
      }
    }
    setCounts((prev) => ({ lineCount: lines.length, stderrCount: prev.stderrCount + stderrAdded, revision: moved ? prev.revision + 1 : prev.revision }));
  }, []);

  const stream = useRunEvents({
    subscription: RunsTestRunEventsDocument,
    variables: { testRunId: runId },
    eventOf: (data) => data.testRunEvents,
    storedPage: async (after) => {
      const result = await client.query({ query: RunsRunLogPageDocument, variables: { id: runId, after }, fetchPolicy: "no-cache" });
      const logs = result.data?.testRun?.logs;
      return logs ? { events: logs.edges.map((edge) => edge.node), next: logs.pageInfo.hasNextPage ? logs.pageInfo.endCursor : null } : null;
    },
    onEvents,
    onStatus,
  });
  return { ...stream, lines: linesRef.current, ...counts };
}
