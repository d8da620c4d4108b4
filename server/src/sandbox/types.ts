/** How one sandboxed test run ended. */
export type TestOutcome = "PASSED" | "FAILED" | "TIMEOUT" | "MEMORY_LIMIT" | "ERROR" | "INFRA_ERROR";

export type LogStream = "STDOUT" | "STDERR";

export type SandboxLanguage = "python" | "node";

export interface SandboxRunRequest {
  /** Used in container/volume names and labels: letters, digits, '_', '.', '-' (a UUID fits). */
  runId: string;
  versionId: string;
  /** Host folder with the extracted, already-validated package. */
  packageDir: string;
  runtime: { language: SandboxLanguage; version: string } | null;
  /** From the manifest; null → config defaults; always capped by the config maxima. */
  memoryMb: number | null;
  timeoutSeconds: number | null;
  /** Manifest override (argv, run without a shell), else the runtime's default test command. */
  testCommand: string[] | null;
  /** Every complete line (without "\n"), in order per stream; a final partial line is flushed at the end. */
  onLog(stream: LogStream, line: string): void;
  /** Told the test container's id as soon as it runs (observability); not awaited, so it cannot stretch the run. */
  onStarted?(containerId: string): void;
}

export interface TestCaseResult {
  name: string;
  classname: string;
  status: "passed" | "failed" | "skipped";
  message: string | null;
  durationMs: number | null;
}

export interface SandboxRunResult {
  outcome: TestOutcome;
  /** One sentence a skill author understands. */
  reason: string;
  passed: number;
  failed: number;
  skipped: number;
  /** passed / (passed + failed); null when no test ran. */
  passRate: number | null;
  tests: TestCaseResult[];
  exitCode: number | null;
  oomKilled: boolean;
  durationMs: number;
  /** Bytes handed to onLog (each line counted with its newline). */
  logBytes: number;
  /** The stored-log cap was reached: later lines were drained but not passed to onLog. */
  logTruncated: boolean;
}

/** The counts and details of a run in which no test ran (errors before or instead of a report). */
export const NO_TESTS_RAN: Pick<SandboxRunResult, "passed" | "failed" | "skipped" | "passRate" | "tests" | "exitCode" | "oomKilled"> = Object.freeze({
  passed: 0,
  failed: 0,
  skipped: 0,
  passRate: null,
  tests: [],
  exitCode: null,
  oomKilled: false,
});

/** One managed container, as found by its labels. */
export interface SandboxContainerRef {
  id: string;
  runId: string;
  versionId: string;
}
