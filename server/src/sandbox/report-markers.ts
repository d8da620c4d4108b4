import { randomBytes } from "node:crypto";

/**
 * The lines that frame the test report the wrapper prints after the test command (and the line
 * that says the memory cgroup killed a process). The nonce is
 * fresh per run so ordinary test output cannot end the block or start one by accident.
 *
 * This is not a security boundary: the author's code runs inside the test process and can read
 * the wrapper's command line (/proc/1/cmdline) or simply write any JUnit file it likes, so a
 * determined author can forge a passing report. The test gate protects against broken code;
 * human reviewers protect against malicious code.
 */
export class ReportMarkers {
  readonly begin: string;
  readonly end: string;
  /** Printed by the wrapper when the container's memory cgroup counted an OOM kill. */
  readonly oomKilled: string;

  constructor(readonly nonce: string) {
    if (!/^[0-9a-f]{16,64}$/.test(nonce)) throw new Error("report nonce must be 16-64 lowercase hex digits");
    this.begin = `__SKILLYARD_REPORT_${nonce}_BEGIN__`;
    this.end = `__SKILLYARD_REPORT_${nonce}_END__`;
    this.oomKilled = `__SKILLYARD_REPORT_${nonce}_OOM_KILLED__`;
  }

  static random(): ReportMarkers {
    return new ReportMarkers(randomBytes(16).toString("hex"));
  }
}
