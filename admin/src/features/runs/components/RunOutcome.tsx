import { Alert, Group, Text } from "@mantine/core";
import { IconCircleCheck, IconCircleX } from "@tabler/icons-react";
import type { RunsRunLogSummaryQuery } from "../../../gql/graphql";
import { RUN_STATUS_COLOR, statusLabel } from "../../../components/badges";
import { formatPassRate } from "./format";

type RunSummary = NonNullable<RunsRunLogSummaryQuery["testRun"]>;

/** How a finished run ended: counts, pass rate and the server's reason. */
export function RunOutcome({ run }: { run: RunSummary }) {
  const passed = run.status === "PASSED";
  return (
    <Alert
      color={RUN_STATUS_COLOR[run.status]}
      icon={passed ? <IconCircleCheck size={18} /> : <IconCircleX size={18} />}
      title={passed ? "Run passed" : `Run ended: ${statusLabel(run.status)}`}
      data-testid="run-outcome"
      data-status={run.status}
    >
      <Group gap="lg" wrap="wrap">
        <Text size="sm" data-testid="run-outcome-passed">
          <b>{run.passed}</b> passed
        </Text>
        <Text size="sm" data-testid="run-outcome-failed">
          <b>{run.failed}</b> failed
        </Text>
        {run.skipped > 0 && (
          <Text size="sm">
            <b>{run.skipped}</b> skipped
          </Text>
        )}
        <Text size="sm" data-testid="run-outcome-pass-rate">
          pass rate <b>{formatPassRate(run.passRate)}</b>
        </Text>
      </Group>
      {run.reason && (
        <Text size="sm" mt={6} data-testid="run-outcome-reason" style={{ overflowWrap: "anywhere" }}>
          {run.reason}
        </Text>
      )}
    </Alert>
  );
}
