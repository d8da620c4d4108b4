import type { ErrorLike } from "@apollo/client";
import { useApolloClient, useSubscription } from "@apollo/client/react";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import type { TestRunStatus } from "../../../components/badges";
import { RunsRunLogPageDocument, RunsTestRunEventsDocument, type RunsLogEventFragment, type RunsRunLogPageQuery } from "../../../gql/graphql";

export type LogStreamName = NonNullable<RunsLogEventFragment["stream"]>;

export interface LogLine {
  seq: number;
  stream: LogStreamName;
  text: string;
}

/** Where the lines on screen come from. */
export type LogSource =
  /** Subscribed; the replay has not started arriving yet. */
  | "connecting"
  /** Replayed and live from the subscription. */
  | "live"
  /** The subscription completed (the run is final): nothing more will come. */
  | "complete"
  /** The subscription failed or is slow: the stored log was read page by page instead. */
  | "stored";

export interface RunLogSnapshot {
  /** Mutated in place (appends); `revision` changes when earlier lines move. */
  lines: LogLine[];
  lineCount: number;
  stderrCount: number;
  revision: number;
  /** The newest status event's status, null before the first one arrives. */
  status: TestRunStatus | null;
  /** The newest status event's explanation. */
  statusText: string | null;
  source: LogSource;
  /** Why live output is unavailable, when it is. */
  liveError: ErrorLike | null;
  /** Why the stored log could not be read either, when it could not. */
  storedError: unknown;
  /** Re-subscribes after a failure. */
  reconnect: () => void;
}

/** If not even the replay's first event arrived by then, the socket is probably not getting through. */
const CONNECT_PATIENCE_MS = 4000;

/**
 * Accumulates a run's events without re-rendering per line: events land in a queue, and one
 * animation frame folds the whole batch into the line array and triggers a single render.
 * Events are deduplicated by seq, so a replay after a reconnect or the stored-log fallback can
 * overlap the live stream freely.
 */
export function useRunLogStream(runId: string, onStatus: (status: TestRunStatus) => void): RunLogSnapshot {
  const client = useApolloClient();
  const linesRef = useRef<LogLine[]>([]);
  const seenRef = useRef(new Set<number>());
  const pendingRef = useRef<RunsLogEventFragment[]>([]);
  const frameRef = useRef<number | null>(null);
  const statusSeqRef = useRef(0);
  const receivedRef = useRef(false);
  const disposedRef = useRef(false);
  const storedLoadRef = useRef<Promise<void> | null>(null);
  const onStatusRef = useRef(onStatus);
  useLayoutEffect(() => {
    onStatusRef.current = onStatus;
  });

  const [counts, setCounts] = useState({ lineCount: 0, stderrCount: 0, revision: 0 });
  const [status, setStatus] = useState<{ status: TestRunStatus; text: string | null } | null>(null);
  const [source, setSource] = useState<LogSource>("connecting");
  const [liveError, setLiveError] = useState<ErrorLike | null>(null);
  const [storedError, setStoredError] = useState<unknown>(null);

  const flush = useCallback(() => {
    frameRef.current = null;
    if (disposedRef.current) return;
    const batch = pendingRef.current;
    pendingRef.current = [];
    const lines = linesRef.current;
    const seen = seenRef.current;
    let moved = false;
    let stderrAdded = 0;
    let newestStatus: RunsLogEventFragment | null = null;
    for (const event of batch) {
      if (seen.has(event.seq)) continue;
      seen.add(event.seq);
      if (event.kind === "STATUS") {
        if (event.status && event.seq > statusSeqRef.current) {
          statusSeqRef.current = event.seq;
          newestStatus = event;
        }
        continue;
      }
      const line: LogLine = { seq: event.seq, stream: event.stream ?? "STDOUT", text: event.text ?? "" };
      if (line.stream === "STDERR") stderrAdded += 1;
      const last = lines.at(-1);
      if (!last || last.seq < line.seq) {
        lines.push(line);
      } else {
        // Only the stored-log fallback can deliver lines out of order; keep the log in seq order.
        const at = lines.findIndex((existing) => existing.seq > line.seq);
        lines.splice(at, 0, line);
        moved = true;
      }
    }
    setCounts((prev) => ({
      lineCount: lines.length,
      stderrCount: prev.stderrCount + stderrAdded,
      revision: moved ? prev.revision + 1 : prev.revision,
    }));
    if (newestStatus?.status) {
      const next = newestStatus.status;
      setStatus({ status: next, text: newestStatus.text });
      onStatusRef.current(next);
    }
  }, []);

  const enqueue = useCallback(
    (events: RunsLogEventFragment[]) => {
      pendingRef.current.push(...events);
      frameRef.current ??= requestAnimationFrame(flush);
    },
    [flush],
  );

  const loadStoredLog = useCallback((): Promise<void> => {
    storedLoadRef.current ??= (async () => {
      setSource((prev) => (prev === "complete" ? prev : "stored"));
      try {
        let after: string | null = null;
        do {
          const result: { data?: RunsRunLogPageQuery } = await client.query({
            query: RunsRunLogPageDocument,
            variables: { id: runId, after },
            fetchPolicy: "no-cache",
          });
          const logs = result.data?.testRun?.logs;
          if (!logs || disposedRef.current) break;
          enqueue(logs.edges.map((edge) => edge.node));
          after = logs.pageInfo.hasNextPage ? logs.pageInfo.endCursor : null;
        } while (after);
      } catch (error) {
        if (!disposedRef.current) setStoredError(error);
      }
    })();
    return storedLoadRef.current;
  }, [client, runId, enqueue]);

  const { restart } = useSubscription(RunsTestRunEventsDocument, {
    variables: { testRunId: runId },
    fetchPolicy: "no-cache",
    // The hook's own result would re-render per event; the events are folded in by frame instead.
    ignoreResults: true,
    onData: ({ data }) => {
      if (!data.data) return;
      if (!receivedRef.current) {
        receivedRef.current = true;
        // Also after the stored-log fallback began: the socket got through late, and live it is.
        setSource((prev) => (prev === "complete" ? prev : "live"));
      }
      enqueue([data.data.testRunEvents]);
    },
    onError: (error) => {
      setLiveError(error);
      void loadStoredLog();
    },
    onComplete: () => setSource("complete"),
  });

  // A socket that cannot connect is retried for a long while before it errors: show the stored
  // log meanwhile, so a finished run's output is readable even without a websocket.
  useEffect(() => {
    const timer = setTimeout(() => {
      if (!receivedRef.current) void loadStoredLog();
    }, CONNECT_PATIENCE_MS);
    return () => clearTimeout(timer);
  }, [loadStoredLog]);

  useEffect(() => {
    disposedRef.current = false;
    return () => {
      disposedRef.current = true;
      if (frameRef.current !== null) cancelAnimationFrame(frameRef.current);
      frameRef.current = null;
    };
  }, []);

  const reconnect = useCallback(() => {
    setLiveError(null);
    setStoredError(null);
    storedLoadRef.current = null;
    receivedRef.current = false;
    setSource("connecting");
    restart();
  }, [restart]);

  return {
    lines: linesRef.current,
    ...counts,
    status: status?.status ?? null,
    statusText: status?.text ?? null,
    source,
    liveError,
    storedError,
    reconnect,
  };
}
