import { useQuery } from "@apollo/client/react";
import { Anchor, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { Link, useParams } from "react-router";
import { isFinalRunStatus, TestRunStatusBadge, VersionStatusBadge } from "../../../components/badges";
import { appendEdges, LoadMoreButton } from "../../../components/LoadMore";
import { PageHeader } from "../../../components/PageHeader";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { RelativeTime } from "../../../components/RelativeTime";
import { RunsTestRunDocument, type RunsTestRunQuery } from "../../../gql/graphql";
import { formatDuration, formatPassRate } from "../components/format";
import { RunLog } from "../components/RunLog";
import { TestCasesTable } from "../components/TestCasesTable";

type Run = NonNullable<RunsTestRunQuery["testRun"]>;

export function TestRunView() {
  const { runId = "" } = useParams();
  const { data, error, refetch, fetchMore } = useQuery(RunsTestRunDocument, { variables: { id: runId } });
  const loadMoreTests = (after: string) =>
    fetchMore({
      variables: { testsAfter: after },
      updateQuery: (previous, { fetchMoreResult }) =>
        previous.testRun && fetchMoreResult.testRun
          ? { ...previous, testRun: { ...previous.testRun, tests: appendEdges(previous.testRun.tests, fetchMoreResult.testRun.tests) } }
          : previous,
    });

  return (
    <QueryState data={data} error={error} refetch={() => void refetch()}>
      {({ testRun }) =>
        testRun ? (
          <Stack gap="lg">
            <RunHeader run={testRun} />
            <Stack gap="xs">
              <Title order={3} size="h4">
                Test cases
                {testRun.tests.totalCount !== null && testRun.tests.edges.length > 0 && (
                  <Text span c="dimmed" size="sm" ml="xs" fw={400}>
                    {testRun.tests.totalCount}
                  </Text>
                )}
              </Title>
              {testRun.tests.edges.length === 0 ? (
                <EmptyState title={isFinalRunStatus(testRun.status) ? "No test results" : "No test results yet"}>
                  {isFinalRunStatus(testRun.status)
                    ? "The run produced no JUnit report: see the output below for why."
                    : "Results appear when the run finishes."}
                </EmptyState>
              ) : (
                <TestCasesTable cases={testRun.tests.edges.map((edge) => edge.node)} />
              )}
              {testRun.tests.pageInfo.hasNextPage && testRun.tests.pageInfo.endCursor && (
                <LoadMoreButton label="Load more test cases" onLoadMore={() => loadMoreTests(testRun.tests.pageInfo.endCursor ?? "")} />
              )}
            </Stack>
            <Stack gap="xs">
              <Title order={3} size="h4">
                Output
              </Title>
              <RunLog runId={testRun.id} onFinished={() => void refetch()} />
            </Stack>
          </Stack>
        ) : (
          <EmptyState title="No such test run">
            The run does not exist, or it belongs to a version you cannot see.{" "}
            <Anchor component={Link} to="/skills">
              Browse the catalog
            </Anchor>
            .
          </EmptyState>
        )
      }
    </QueryState>
  );
}

function RunHeader({ run }: { run: Run }) {
  const { skill, version } = run.version;
  return (
    <Stack gap="md">
      <PageHeader
        title={
          <>
            Test run of{" "}
            <Anchor component={Link} to={`/skills/${encodeURIComponent(skill.name)}`} inherit data-testid="run-skill-link">
              {skill.name}
            </Anchor>
            @{version}
          </>
        }
        subtitle={
          <Group gap="xs">
            <span>Version status</span>
            <VersionStatusBadge status={run.version.status} />
          </Group>
        }
        actions={
          <span data-testid="run-header-status">
            <TestRunStatusBadge status={run.status} />
          </span>
        }
      />
      <Card withBorder padding="sm">
        <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="md" verticalSpacing="sm">
          <Fact label="Attempts">{run.attempts}</Fact>
          <Fact label="Started">{run.startedAt ? <RelativeTime iso={run.startedAt} /> : "not yet"}</Fact>
          <Fact label="Finished">{run.finishedAt ? <RelativeTime iso={run.finishedAt} /> : "not yet"}</Fact>
          <Fact label="Duration">{runDuration(run)}</Fact>
          <Fact label="Exit code">{run.exitCode ?? "—"}</Fact>
          <Fact label="Pass rate" testId="run-pass-rate">
            {formatPassRate(run.passRate)}
            {run.passed + run.failed > 0 && (
              <Text span size="xs" c="dimmed" ml={6}>
                {run.passed}/{run.passed + run.failed}
              </Text>
            )}
          </Fact>
        </SimpleGrid>
      </Card>
    </Stack>
  );
}

function runDuration(run: Run): string {
  if (!run.startedAt) return "—";
  if (!run.finishedAt) return "running";
  return formatDuration(new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime());
}

function Fact({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <Stack gap={0} data-testid={testId}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </Stack>
  );
}
