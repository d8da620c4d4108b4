import { Writable } from "node:stream";
import { LogLineSplitter, type SplitLine } from "./log-line-splitter";
import type { ReportMarkers } from "./report-markers";
import type { LogStream } from "./types";

export interface RunOutputLimits {
  /** Stored-log cap: once reached, onLog is not called any more (the streams are still drained). */
  maxLogBytes: number;
  /** Longer log lines are cut to this many bytes and marked. */
  maxLineBytes: number;
  /** Bigger test reports are dropped (the run is then judged without one). */
  maxReportBytes: number;
}

/** absent: never started; complete: begin and end seen; incomplete: output ended inside it; too-large: over maxReportBytes. */
export type ReportStatus = "absent" | "complete" | "incomplete" | "too-large";

/**
 * The sink for one container's demultiplexed output. Splits each stream into lines, hands them to
 * onLog up to the stored-log cap, and cuts the test-report block (between the run's marker lines)
 * out of stdout so it never reaches the log but is kept for parsing, as is the wrapper's OOM line. When several blocks appear the
 * last complete one wins: the wrapper prints its block after the test command has ended.
 */
export class RunOutputCollector {
  readonly stdout: Writable;
  readonly stderr: Writable;
  logBytes = 0;
  logTruncated = false;
  /** The first exception thrown by onLog; delivery stops after it and the runner rethrows it. */
  consumerError: unknown = null;
  /** The wrapper said the container's memory cgroup killed a process (its OOM marker line). */
  oomKilled = false;

  private readonly stdoutLines: LogLineSplitter;
  private readonly stderrLines: LogLineSplitter;
  private readonly begin: Buffer;
  private readonly end: Buffer;
  private readonly oom: Buffer;
  private inReport = false;
  private reportParts: Buffer[] = [];
  private reportBytes = 0;
  private reportTooLarge = false;
  private completedReport: string | null = null;
  private completedTooLarge = false;
  private finished = false;

  constructor(
    markers: ReportMarkers,
    private readonly limits: RunOutputLimits,
    private readonly onLog: (stream: LogStream, line: string) => void,
  ) {
    this.begin = Buffer.from(markers.begin);
    this.end = Buffer.from(markers.end);
    this.oom = Buffer.from(markers.oomKilled);
    this.stdoutLines = new LogLineSplitter(limits.maxLineBytes, (line) => this.onStdoutLine(line));
    this.stderrLines = new LogLineSplitter(limits.maxLineBytes, (line) => this.deliver("STDERR", line.head, line.totalBytes));
    this.stdout = this.sink(this.stdoutLines);
    this.stderr = this.sink(this.stderrLines);
  }

  /** Flushes final partial lines; call once both streams have ended. Later output is ignored. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stdoutLines.end();
    this.stderrLines.end();
  }

  get reportStatus(): ReportStatus {
    if (this.completedReport !== null) return "complete";
    if (this.inReport) return this.reportTooLarge ? "too-large" : "incomplete";
    return this.completedTooLarge ? "too-large" : "absent";
  }

  /** The last complete report block, or null. */
  get report(): string | null {
    return this.completedReport;
  }

  private sink(splitter: LogLineSplitter): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        if (!this.finished) splitter.push(chunk);
        callback();
      },
    });
  }

  private onStdoutLine(line: SplitLine): void {
    const whole = line.totalBytes === line.head.length;
    const last = whole ? line.head : line.tail;
    if (this.inReport) {
      if (endsWith(last, this.end)) {
        if (whole) this.appendReport(line.head.subarray(0, line.head.length - this.end.length), false);
        else this.reportTooLarge = true;
        this.closeReport();
      } else {
        this.appendReport(line.head, !whole);
        if (line.terminated) this.appendReport(NEWLINE, false);
      }
      return;
    }
    const marker = endsWith(last, this.oom) ? this.oom : endsWith(last, this.begin) ? this.begin : null;
    if (marker !== null) {
      // Output that did not end with a newline before the marker is still an ordinary log line.
      const prefixBytes = line.totalBytes - marker.length;
      if (prefixBytes > 0) this.deliver("STDOUT", line.head.subarray(0, Math.min(prefixBytes, line.head.length)), prefixBytes);
      if (marker === this.oom) this.oomKilled = true;
      else this.openReport();
      return;
    }
    this.deliver("STDOUT", line.head, line.totalBytes);
  }

  private openReport(): void {
    this.inReport = true;
    this.reportParts = [];
    this.reportBytes = 0;
    this.reportTooLarge = false;
    // Report lines (long XML attributes) must not be cut like log lines.
    this.stdoutLines.maxLineBytes = this.limits.maxReportBytes + 1;
  }

  private closeReport(): void {
    this.inReport = false;
    this.stdoutLines.maxLineBytes = this.limits.maxLineBytes;
    this.completedTooLarge = this.reportTooLarge;
    this.completedReport = this.reportTooLarge ? null : Buffer.concat(this.reportParts, this.reportBytes).toString("utf8");
    this.reportParts = [];
    this.reportBytes = 0;
  }

  private appendReport(bytes: Buffer, cut: boolean): void {
    if (cut) this.reportTooLarge = true;
    if (this.reportTooLarge) return;
    if (this.reportBytes + bytes.length > this.limits.maxReportBytes) {
      this.reportTooLarge = true;
      this.reportParts = [];
      return;
    }
    this.reportParts.push(bytes);
    this.reportBytes += bytes.length;
  }

  private deliver(stream: LogStream, head: Buffer, totalBytes: number): void {
    if (this.logTruncated || this.consumerError !== null) return;
    let text = head.toString("utf8");
    if (totalBytes > head.length) text += ` … [line cut: ${totalBytes} bytes in total]`;
    const bytes = Buffer.byteLength(text) + 1;
    if (this.logBytes + bytes > this.limits.maxLogBytes) {
      this.logTruncated = true;
      return;
    }
    this.logBytes += bytes;
    try {
      this.onLog(stream, text);
    } catch (error) {
      this.consumerError = error;
    }
  }
}

const NEWLINE = Buffer.from("\n");

function endsWith(buffer: Buffer, suffix: Buffer): boolean {
  return buffer.length >= suffix.length && buffer.subarray(buffer.length - suffix.length).equals(suffix);
}
