import { useApolloClient } from "@apollo/client/react";
import { useCallback, useState } from "react";
import {
  EvalsEvalRunEventsDocument,
  EvalsEvalRunLogPageDocument,
  type EvalCaseFieldsFragment,
  type EvalRunStatus,
  type EvalsEvalRunEventsSubscription,
  type EvalsRunEventFragment,
  type LogStream,
} from "../../../gql/graphql";
import { useRunEvents, type RunEventStream } from "../../../lib/useRunEvents";

export interface EvalLogLine {
  seq: number;
  stream: LogStream;
  text: string;
}

export interface EvalRunSnapshot extends RunEventStream<EvalRunStatus> {
  /** The log lines (the entry point's stderr, and the harness's notes), in seq order. */
  lines: readonly EvalLogLine[];
  /** Cases announced by CASE events, by their index in the suite. */
  cases: ReadonlyMap<number, EvalCaseFieldsFragment>;
}

/** A live event carries its scored case; a stored one (the fallback reads logs only) does not. */
type EvalEvent = EvalsEvalRunEventsSubscription["evalRunEvents"] | EvalsRunEventFragment;

/**
 * Follows an eval run: LOG events become log lines, CASE events carry the scored case (so the case
 * table fills in as the suite runs), STATUS events move the status.
 */
export function useEvalRunStream(runId: string, onStatus?: (status: EvalRunStatus) => void): EvalRunSnapshot {
  const client = useApolloClient();
  const [lines, setLines] = useState<readonly EvalLogLine[]>([]);
  const [cases, setCases] = useState<ReadonlyMap<number, EvalCaseFieldsFragment>>(new Map());

  const onEvents = useCallback((events: EvalEvent[]) => {
    const newLines: EvalLogLine[] = [];
    const newCases: EvalCaseFieldsFragment[] = [];
    for (const event of events) {
      if (event.kind === "CASE") {
        if ("case" in event && event.case) newCases.push(event.case);
      } else if (event.kind === "LOG") {
        newLines.push({ seq: event.seq, stream: event.stream ?? "STDERR", text: event.text ?? "" });
      }
    }
    if (newLines.length > 0) setLines((prev) => [...prev, ...newLines].sort((a, b) => a.seq - b.seq));
    if (newCases.length > 0) {
      setCases((prev) => {
        const next = new Map(prev);
        for (const evalCase of newCases) next.set(evalCase.index, evalCase);
        return next;
      });
    }
  }, []);

  const stream = useRunEvents<EvalsEvalRunEventsSubscription, { evalRunId: string }, EvalEvent, EvalRunStatus>({
    subscription: EvalsEvalRunEventsDocument,
    variables: { evalRunId: runId },
    eventOf: (data) => data.evalRunEvents,
    storedPage: async (after) => {
      const result = await client.query({ query: EvalsEvalRunLogPageDocument, variables: { id: runId, after }, fetchPolicy: "no-cache" });
      const logs = result.data?.evalRun?.logs;
      return logs ? { events: logs.edges.map((edge) => edge.node), next: logs.pageInfo.hasNextPage ? logs.pageInfo.endCursor : null } : null;
    },
    onEvents,
    onStatus,
  });
  return { ...stream, lines, cases };
}
