import { Anchor, Button, Collapse, Group, Stack, Text, type MantineColor } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconChevronDown, IconChevronRight, IconExternalLink } from "@tabler/icons-react";
import { Link } from "react-router";
import { isFinalRunStatus, TestRunStatusBadge } from "../../../components/badges";
import { EmptyState } from "../../../components/QueryState";
import type { ReviewTestRunFragment } from "../../../gql/graphql";
import { RunLog } from "../../runs/components/RunLog";
import { formatDuration, formatPassRate } from "../../runs/components/format";
import { TestCasesTable } from "../../runs/components/TestCasesTable";

function Count({ value, label, color }: { value: number; label: string; color?: MantineColor }) {
  return (
    <Text size="sm" data-testid={`test-${label}`}>
      <Text span fw={700} c={value > 0 ? color : undefined}>
        {value}
      </Text>{" "}
      {label}
    </Text>
  );
}

/** The newest test run of the version: outcome, per-test results and (on request) the full log. */
export function TestResults({ run, onRunFinished }: { run: ReviewTestRunFragment | null; onRunFinished: () => void }) {
  const running = run !== null && !isFinalRunStatus(run.status);
  // A finished run's log is opened on request; a running one streams straight away.
  const [logOpen, log] = useDisclosure(running);
  if (!run) return <EmptyState title="No test run">This version has no runtime, so nothing ran in the sandbox.</EmptyState>;

  const cases = run.tests.edges.map((edge) => edge.node);
  const total = run.tests.totalCount ?? cases.length;
  const duration = run.startedAt && run.finishedAt ? new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime() : null;

  return (
    <Stack gap="sm" data-testid="test-results">
      <Group justify="space-between" gap="xs" wrap="wrap">
        <Group gap="md" wrap="wrap">
          <TestRunStatusBadge status={run.status} />
          <Count value={run.passed} label="passed" color="green" />
          <Count value={run.failed} label="failed" color="red" />
          <Count value={run.skipped} label="skipped" />
          <Text size="sm" data-testid="test-pass-rate">
            <Text span fw={700}>
              {formatPassRate(run.passRate)}
            </Text>{" "}
            pass rate
          </Text>
          {duration !== null && (
            <Text size="sm" c="dimmed">
              in {formatDuration(duration)}
            </Text>
          )}
        </Group>
        <Anchor component={Link} to={`/runs/${run.id}`} size="sm" data-testid="open-run">
          <Group gap={4} wrap="nowrap">
            Open run <IconExternalLink size={14} />
          </Group>
        </Anchor>
      </Group>
      {run.reason && (
        <Text size="sm" c="dimmed" data-testid="test-run-reason">
          {run.reason}
        </Text>
      )}

      {cases.length === 0 ? (
        <Text size="sm" c="dimmed">
          {running ? "Per-test results appear when the run finishes." : "The run reported no individual tests."}
        </Text>
      ) : (
        <Stack gap={4}>
          <TestCasesTable cases={cases} />
          {total > cases.length && (
            <Text size="xs" c="dimmed">
              Showing {cases.length} of {total} tests:{" "}
              <Anchor component={Link} to={`/runs/${run.id}`}>
                open the run
              </Anchor>{" "}
              for all of them.
            </Text>
          )}
        </Stack>
      )}

      <div>
        <Button
          variant="subtle"
          size="compact-sm"
          leftSection={logOpen ? <IconChevronDown size={16} /> : <IconChevronRight size={16} />}
          onClick={log.toggle}
          aria-expanded={logOpen}
          data-testid="test-log-toggle"
        >
          {logOpen ? "Hide" : "Show"} the full log
        </Button>
        <Collapse expanded={logOpen} keepMounted={false}>
          <div style={{ marginTop: "var(--mantine-spacing-xs)" }}>
            <RunLog runId={run.id} onFinished={onRunFinished} />
          </div>
        </Collapse>
      </div>
    </Stack>
  );
}
