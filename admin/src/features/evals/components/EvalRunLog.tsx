import { Text } from "@mantine/core";
import { useLayoutEffect, useRef } from "react";
import classes from "../../runs/components/RunLog.module.css";
import type { EvalLogLine } from "./useEvalRunStream";

/** How close to the bottom (px) still counts as reading the end: new lines then scroll into view. */
const BOTTOM_SLACK = 16;

/**
 * What the entry point wrote to stderr while the cases ran (stdout is each case's output, shown with
 * the case). Keeps to the end while the reader is there; scrolling up stops it.
 */
export function EvalRunLog({ lines, emptyText }: { lines: readonly EvalLogLine[]; emptyText: string }) {
  const viewportRef = useRef<HTMLDivElement>(null);
  const atBottomRef = useRef(true);

  useLayoutEffect(() => {
    const viewport = viewportRef.current;
    if (viewport && atBottomRef.current) viewport.scrollTop = viewport.scrollHeight;
  }, [lines]);

  return (
    <div
      ref={viewportRef}
      className={classes.viewport}
      style={{ height: lines.length === 0 ? "auto" : "clamp(120px, 40vh, 420px)" }}
      role="log"
      aria-label="Eval log (stderr)"
      tabIndex={0}
      onScroll={(event) => {
        const viewport = event.currentTarget;
        atBottomRef.current = viewport.scrollHeight - viewport.scrollTop - viewport.clientHeight <= BOTTOM_SLACK;
      }}
      data-testid="eval-log"
      data-count={lines.length}
    >
      {lines.length === 0 ? (
        <Text size="sm" c="dimmed" px="sm" py="xs" data-testid="eval-log-empty">
          {emptyText}
        </Text>
      ) : (
        lines.map((line, index) => {
          const stderr = line.stream === "STDERR";
          return (
            <div key={line.seq} className={stderr ? `${classes.line} ${classes.stderr}` : classes.line} data-testid="eval-log-line" data-stream={line.stream}>
              <span className={classes.number}>{index + 1}</span>
              <span className={classes.marker}>{stderr ? "err" : ""}</span>
              <span className={classes.text}>{line.text}</span>
            </div>
          );
        })
      )}
    </div>
  );
}
