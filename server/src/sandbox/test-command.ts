import type { ReportMarkers } from "./report-markers";
import type { SandboxLanguage } from "./types";

/** Where test runners write JUnit XML inside the container (a tmpfs, gone when the container ends). */
export const JUNIT_REPORT_PATH = "/tmp/skillyard-junit.xml";

/** The runtime's test command when the manifest names none. Both write JUnit XML to JUNIT_REPORT_PATH. */
export const DEFAULT_TEST_COMMANDS: Readonly<Record<SandboxLanguage, readonly string[]>> = Object.freeze({
  // -s (no capture): test output streams live, stdout and stderr stay apart, and a test printing
  // a lot hits the stored-log cap instead of filling pytest's capture file in the 64 MiB /tmp.
  python: ["python3", "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s", "-rA", `--junitxml=${JUNIT_REPORT_PATH}`],
  // Node 20.20's test runner has a junit reporter; two reporters: human-readable to stdout, JUnit to the file.
  node: [
    "node",
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=junit",
    `--test-reporter-destination=${JUNIT_REPORT_PATH}`,
  ],
});

/** pytest's exit status when it collected no tests. */
export const PYTEST_NO_TESTS_EXIT_CODE = 5;

/**
 * The container's command: `sh -c SCRIPT skillyard-test ARGV...`. The script runs the test command
 * exactly as given (`"$@"`, no re-parsing by the shell), then, because the container's /tmp
 * disappears with it, prints the JUnit file (if any) to stdout between the run's marker lines and
 * exits with the test command's status. Before that, if the container's memory cgroup counted an
 * OOM kill, it prints the OOM marker line. When `cat` is missing or cannot be forked
 * (a fork bomb's leftovers can hold every pid), shell built-ins print the file instead. Any text on the line before the begin marker
 * is a partial last line of the test output; the collector gives it back to the log.
 */
export function wrapTestCommand(argv: readonly string[], markers: ReportMarkers): string[] {
  const script = [
    '"$@"',
    "rc=$?",
    // Docker's State.OOMKilled is not always set when the kernel kills a process of the container
    // for memory (seen with cgroup v1 here): ask the container's own memory cgroup (v2, then v1),
    // with shell built-ins only, while it still exists.
    "oom=0",
    "for f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do",
    '  [ -r "$f" ] || continue',
    '  while read -r key value; do [ "$key" = oom_kill ] && oom=$value; done < "$f"',
    "  break",
    "done",
    `[ "$oom" = 0 ] || printf '%s\\n' '${markers.oomKilled}'`,
    `if [ -f ${JUNIT_REPORT_PATH} ]; then`,
    `  printf '%s\\n' '${markers.begin}'`,
    // `cat` is fast but needs a fork, which fails while leftover processes hold the pids limit.
    `  cat ${JUNIT_REPORT_PATH} 2>/dev/null ||`,
    `    while IFS= read -r line || [ -n "$line" ]; do printf '%s\\n' "$line"; done < ${JUNIT_REPORT_PATH}`,
    `  printf '%s\\n' '${markers.end}'`,
    "fi",
    'exit "$rc"',
  ].join("\n");
  return ["/bin/sh", "-c", script, "skillyard-test", ...argv];
}
