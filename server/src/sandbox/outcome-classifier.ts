import { JunitReportError, JunitReportParser } from "./junit-report-parser";
import type { ReportStatus } from "./run-output-collector";
import { PYTEST_NO_TESTS_EXIT_CODE } from "./test-command";
import type { SandboxLanguage, SandboxRunResult, TestCaseResult } from "./types";

/** What the runner saw of one finished container. */
export interface RunObservation {
  language: SandboxLanguage;
  /** The manifest's own test command ran (not the runtime default). */
  customCommand: boolean;
  /** The argv that ran, for the synthetic test of a custom command. */
  command: readonly string[];
  exitCode: number | null;
  oomKilled: boolean;
  timedOut: boolean;
  timeoutSeconds: number;
  memoryMb: number;
  reportStatus: ReportStatus;
  report: string | null;
  passThreshold: number;
}

export type Verdict = Pick<SandboxRunResult, "outcome" | "reason" | "passed" | "failed" | "skipped" | "passRate" | "tests">;

/** Most per-test results kept in a verdict (failed ones first); the counts always cover every test. */
export const MAX_TEST_RESULTS = 5000;

/** pytest's message for a test file that could not be imported. */
const COLLECTION_FAILURE = "collection failure";

/**
 * Turns what happened in the container into an outcome and one sentence for the skill author.
 * Order: memory kill, timeout kill, a readable report, the exit code.
 */
export class OutcomeClassifier {
  private readonly parser = new JunitReportParser();

  classify(run: RunObservation): Verdict {
    let tests: TestCaseResult[] | null = null;
    let reportProblem: string | null = null;
    if (run.reportStatus === "complete" && run.report !== null) {
      try {
        tests = this.parser.parse(run.report);
      } catch (error) {
        if (!(error instanceof JunitReportError)) throw error;
        reportProblem = error.message;
      }
    } else if (run.reportStatus === "too-large") {
      reportProblem = "the test report was too large to read";
    } else if (run.reportStatus === "incomplete") {
      reportProblem = "the test report was cut off";
    }
    const counted = count(tests ?? []);

    if (run.oomKilled) {
      return { ...counted, outcome: "MEMORY_LIMIT", reason: `killed: exceeded ${run.memoryMb} MiB memory (memory_mb)` };
    }
    if (run.timedOut) {
      return { ...counted, outcome: "TIMEOUT", reason: `killed after ${run.timeoutSeconds} s (timeout_seconds)` };
    }
    if (tests !== null) return this.judge(counted, run.passThreshold);
    if (run.language === "python" && !run.customCommand && run.exitCode === PYTEST_NO_TESTS_EXIT_CODE) {
      return { ...counted, outcome: "ERROR", reason: "no tests were found" };
    }
    if (run.exitCode === 126 || run.exitCode === 127) {
      const what = run.customCommand ? "the test command" : "the test runner";
      return { ...counted, outcome: "ERROR", reason: `${what} could not be started (exit code ${run.exitCode}: command not found or not executable)` };
    }
    if (run.customCommand) {
      const passed = run.exitCode === 0;
      const synthetic: TestCaseResult = {
        name: run.command.join(" ").slice(0, 200),
        classname: "test_command",
        status: passed ? "passed" : "failed",
        message: passed ? null : `exited with code ${run.exitCode ?? "unknown"}`,
        durationMs: null,
      };
      const verdict = this.judge(count([synthetic]), run.passThreshold);
      if (passed) return { ...verdict, reason: "the test command exited with code 0" };
      return { ...verdict, reason: `the test command exited with code ${run.exitCode ?? "unknown"}${reportProblem ? ` (${reportProblem})` : ""}` };
    }
    return {
      ...counted,
      outcome: "ERROR",
      reason: `the test runner exited with code ${run.exitCode ?? "unknown"} without a usable test report${reportProblem ? ` (${reportProblem})` : ""}`,
    };
  }

  private judge(counted: Verdict, threshold: number): Verdict {
    const { passed, failed, skipped, passRate, tests } = counted;
    if (tests.length === 0) return { ...counted, outcome: "ERROR", reason: "no tests were found" };
    if (passRate === null) return { ...counted, outcome: "ERROR", reason: `no tests ran: all ${skipped} were skipped` };
    const ran = passed + failed;
    const skippedNote = skipped ? `, ${skipped} skipped` : "";
    const summary = `${passed} of ${ran} tests passed (${percent(passRate)}${skippedNote})`;
    const uncollected = tests.filter((t) => t.status === "failed" && t.message === COLLECTION_FAILURE).map(collectedFile);
    if (uncollected.length > 0) {
      const files = uncollected.length <= 3 ? uncollected.join(", ") : `${uncollected.slice(0, 3).join(", ")} and ${uncollected.length - 3} more`;
      const others = ran - uncollected.length;
      return {
        ...counted,
        outcome: "FAILED",
        reason: `${files} could not be imported (syntax or import error), so ${others === 0 ? "no tests ran" : `only ${passed} of ${others} other tests passed`}`,
      };
    }
    if (passRate >= threshold) return { ...counted, outcome: "PASSED", reason: summary };
    return { ...counted, outcome: "FAILED", reason: `${summary}, below the ${percent(threshold)} threshold` };
  }
}

/** pytest names an uncollectable module by its dotted path ("tests.test_x" → "tests/test_x.py"). */
function collectedFile(test: TestCaseResult): string {
  const name = test.classname ? `${test.classname}.${test.name}` : test.name;
  return name.endsWith(".py") || name.includes("/") ? name : `${name.replace(/\./g, "/")}.py`;
}

function count(tests: TestCaseResult[]): Verdict {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const t of tests) {
    if (t.status === "passed") passed++;
    else if (t.status === "failed") failed++;
    else skipped++;
  }
  const ran = passed + failed;
  const kept =
    tests.length <= MAX_TEST_RESULTS
      ? tests
      : [...tests.filter((t) => t.status === "failed"), ...tests.filter((t) => t.status !== "failed")].slice(0, MAX_TEST_RESULTS);
  return { outcome: "ERROR", reason: "", passed, failed, skipped, passRate: ran === 0 ? null : passed / ran, tests: kept };
}

/** 0.75 → "75%", 2/3 → "66.6%" (rounded down, so a rate below the threshold never prints as equal to it). */
function percent(rate: number): string {
  const tenths = Math.floor(rate * 1000 + 1e-9);
  return `${tenths % 10 === 0 ? tenths / 10 : (tenths / 10).toFixed(1)}%`;
}
