import type { ErrorLike, OperationVariables, TypedDocumentNode } from "@apollo/client";
import { useSubscription } from "@apollo/client/react";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";

/** Where the events on screen come from. */
export type StreamSource =
  /** Subscribed; the replay has not started arriving yet. */
  | "connecting"
  /** Replayed and live from the subscription. */
  | "live"
  /** The subscription completed (the run is final): nothing more will come. */
  | "complete"
  /** The subscription failed or is slow: the stored events were read page by page instead. */
  | "stored";

/** What every sandbox run's event carries (test runs and eval runs share the run-event stream). */
export interface RunEvent<S extends string> {
  seq: number;
  kind: string;
  status?: S | null;
  text?: string | null;
}

export interface RunEventStream<S extends string> {
  /** The newest STATUS event's status, null before the first one arrives. */
  status: S | null;
  /** The newest STATUS event's explanation. */
  statusText: string | null;
  source: StreamSource;
  /** Why live events are unavailable, when they are. */
  liveError: ErrorLike | null;
  /** Why the stored events could not be read either, when they could not. */
  storedError: unknown;
  /** Re-subscribes after a failure. */
  reconnect: () => void;
}

export interface RunEventOptions<TData, TVars extends OperationVariables, E extends RunEvent<S>, S extends string> {
  subscription: TypedDocumentNode<TData, TVars>;
  variables: TVars;
  /** The event in one subscription payload. */
  eventOf: (data: TData) => E;
  /** One page of stored events from `after` (null: the first), for when the socket does not get through; null when the run is gone. */
  storedPage: (after: string | null) => Promise<{ events: E[]; next: string | null } | null>;
  /** The events not seen before (each seq once, STATUS events included), a batch per animation frame. */
  onEvents: (events: E[]) => void;
  onStatus?: (status: S) => void;
}

/** If not even the replay's first event arrived by then, the socket is probably not getting through. */
const CONNECT_PATIENCE_MS = 4000;

/**
 * Follows a sandbox run's events: the subscription replays every stored event, then live ones. A
 * socket that does not get through in time (or fails) falls back to the stored events, read page
 * by page; events are deduplicated by seq, so the replay after a reconnect and the fallback may
 * overlap the live stream freely. Events land in a queue and are folded in once per animation
 * frame (`onEvents`), so a chatty run costs one render per frame, not one per line.
 */
export function useRunEvents<TData, TVars extends OperationVariables, E extends RunEvent<S>, S extends string>(
  options: RunEventOptions<TData, TVars, E, S>,
): RunEventStream<S> {
  const optionsRef = useRef(options);
  useLayoutEffect(() => {
    optionsRef.current = options;
  });
  const seenRef = useRef(new Set<number>());
  const pendingRef = useRef<E[]>([]);
  const frameRef = useRef<number | null>(null);
  const statusSeqRef = useRef(0);
  const receivedRef = useRef(false);
  const disposedRef = useRef(false);
  const storedLoadRef = useRef<Promise<void> | null>(null);

  const [status, setStatus] = useState<{ status: S; text: string | null } | null>(null);
  const [source, setSource] = useState<StreamSource>("connecting");
  const [liveError, setLiveError] = useState<ErrorLike | null>(null);
  const [storedError, setStoredError] = useState<unknown>(null);

  const flush = useCallback(() => {
    frameRef.current = null;
    if (disposedRef.current) return;
    const batch = pendingRef.current.filter((event) => !seenRef.current.has(event.seq));
    pendingRef.current = [];
    let newest: E | null = null;
    for (const event of batch) {
      seenRef.current.add(event.seq);
      if (event.kind === "STATUS" && event.status && event.seq > statusSeqRef.current) {
        statusSeqRef.current = event.seq;
        newest = event;
      }
    }
    if (batch.length > 0) optionsRef.current.onEvents(batch);
    if (newest?.status) {
      setStatus({ status: newest.status, text: newest.text ?? null });
      optionsRef.current.onStatus?.(newest.status);
    }
  }, []);

  const enqueue = useCallback(
    (events: E[]) => {
      pendingRef.current.push(...events);
      frameRef.current ??= requestAnimationFrame(flush);
    },
    [flush],
  );

  const loadStored = useCallback((): Promise<void> => {
    storedLoadRef.current ??= (async () => {
      setSource((prev) => (prev === "complete" ? prev : "stored"));
      try {
        let after: string | null = null;
        do {
          const page: { events: E[]; next: string | null } | null = await optionsRef.current.storedPage(after);
          if (!page || disposedRef.current) break;
          enqueue(page.events);
          after = page.next;
        } while (after);
      } catch (error) {
        if (!disposedRef.current) setStoredError(error);
      }
    })();
    return storedLoadRef.current;
  }, [enqueue]);

  const { restart } = useSubscription(options.subscription, {
    variables: options.variables,
    fetchPolicy: "no-cache",
    // The hook's own result would re-render per event; the events are folded in by frame instead.
    ignoreResults: true,
    onData: ({ data }) => {
      if (!data.data) return;
      if (!receivedRef.current) {
        receivedRef.current = true;
        // Also after the stored fallback began: the socket got through late, and live it is.
        setSource((prev) => (prev === "complete" ? prev : "live"));
      }
      enqueue([optionsRef.current.eventOf(data.data)]);
    },
    onError: (error) => {
      setLiveError(error);
      void loadStored();
    },
    onComplete: () => setSource("complete"),
  } as useSubscription.Options<TData, TVars>);

  // A socket that cannot connect is retried for a long while before it errors: show the stored
  // events meanwhile, so a finished run reads well even without a websocket.
  useEffect(() => {
    const timer = setTimeout(() => {
      if (!receivedRef.current) void loadStored();
    }, CONNECT_PATIENCE_MS);
    return () => clearTimeout(timer);
  }, [loadStored]);

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

  return { status: status?.status ?? null, statusText: status?.text ?? null, source, liveError, storedError, reconnect };
}
