export * from "./types";
export {
  SandboxRunner,
  type SandboxRunnerOptions,
  SANDBOX_LIMITS,
  PACKAGE_MOUNT,
  LABEL_MANAGED,
  LABEL_RUN,
  LABEL_VERSION,
  LABEL_ROLE,
  LABEL_SCOPE,
} from "./sandbox-runner";
export { OutcomeClassifier, type RunObservation, type Verdict } from "./outcome-classifier";
export { JunitReportParser, JunitReportError } from "./junit-report-parser";
export { RunOutputCollector, type ReportStatus, type RunOutputLimits } from "./run-output-collector";
export { LogLineSplitter, type SplitLine } from "./log-line-splitter";
export { ReportMarkers } from "./report-markers";
export { DEFAULT_TEST_COMMANDS, JUNIT_REPORT_PATH, wrapTestCommand } from "./test-command";
export { describeDockerError, isDockerUnreachable, dockerStatusCode } from "./docker-errors";
