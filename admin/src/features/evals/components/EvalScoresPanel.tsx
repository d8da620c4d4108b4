import { LineChart } from "@mantine/charts";
import { Anchor, Paper, Stack, Table, Text, Title } from "@mantine/core";
import { Link } from "react-router";
import { EmptyState } from "../../../components/QueryState";
import type { EvalsVersionScoreFragment } from "../../../gql/graphql";
import { formatScore } from "../eval-format";
import { evalRunPath } from "../evals-url";
import { EvalScoreBadge, EvalStatusBadge } from "./EvalBadges";

/** What the panel needs of each version: its number, when it was uploaded, its newest eval run. */
export interface VersionScore {
  id: string;
  version: string;
  createdAt: string;
  latestEvalRun: EvalsVersionScoreFragment | null;
}

interface Point {
  version: string;
  score: number | null;
  minimum: number;
}

/** The versions that ran their evals, in the order they were published (oldest first). */
export function scoredInPublishOrder(versions: readonly VersionScore[]): (VersionScore & { latestEvalRun: EvalsVersionScoreFragment })[] {
  return versions
    .filter((version): version is VersionScore & { latestEvalRun: EvalsVersionScoreFragment } => version.latestEvalRun !== null)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * Each version's eval score (0-1) in publish order, with the minimum as a reference line (a dashed
 * series instead when versions had different minimums). The numbers follow as a table, which is
 * also what screen readers read.
 */
function ScoreChart({ points }: { points: Point[] }) {
  const minimums = new Set(points.map((point) => point.minimum));
  const oneMinimum = minimums.size === 1 ? (points[0]?.minimum ?? null) : null;
  return (
    <LineChart
      h={240}
      data={points}
      dataKey="version"
      series={[
        { name: "score", label: "Eval score", color: "indigo.6" },
        ...(oneMinimum === null ? [{ name: "minimum", label: "Minimum", color: "red.6", strokeDasharray: "5 5", curveType: "stepAfter" as const }] : []),
      ]}
      referenceLines={oneMinimum === null ? [] : [{ y: oneMinimum, label: `minimum ${formatScore(oneMinimum)}`, color: "red.6", strokeDasharray: "5 5" }]}
      curveType="linear"
      connectNulls={false}
      valueFormatter={(value) => formatScore(value)}
      yAxisProps={{ domain: [0, 1], ticks: [0, 0.25, 0.5, 0.75, 1], width: 40 }}
      xAxisProps={{ interval: "preserveStartEnd", minTickGap: 8 }}
      lineProps={{ isAnimationActive: false }}
      aria-hidden
      data-testid="eval-score-chart"
      data-points={points.map((point) => `${point.version}=${point.score === null ? "" : formatScore(point.score)}`).join(",")}
      data-minimum={oneMinimum ?? ""}
    />
  );
}

export function EvalScoresPanel({ versions }: { versions: readonly VersionScore[] }) {
  const scored = scoredInPublishOrder(versions);
  if (scored.length === 0) {
    return <EmptyState title="No eval scores yet">None of the versions shown ships an eval suite (evals/suite.yaml), or none has been scored yet.</EmptyState>;
  }
  const points: Point[] = scored.map((version) => ({ version: version.version, score: version.latestEvalRun.score, minimum: version.latestEvalRun.minScore }));
  return (
    <Stack gap="md" data-testid="eval-scores">
      <Paper withBorder p="md">
        <Stack gap="xs">
          <Title order={3} size="h5">
            Eval score by version
          </Title>
          <Text size="sm" c="dimmed">
            Each version's newest run of its own suite, oldest version first. 1 is every case at full marks.
          </Text>
          <ScoreChart points={points} />
        </Stack>
      </Paper>
      <Table.ScrollContainer minWidth={480}>
        <Table verticalSpacing="xs" data-testid="eval-scores-table">
          <caption style={{ captionSide: "top", textAlign: "left" }}>
            <Text size="sm" c="dimmed" span>
              Eval scores by version, oldest first
            </Text>
          </caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Version</Table.Th>
              <Table.Th>Score</Table.Th>
              <Table.Th>Run</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {scored.map((version) => (
              <Table.Tr
                key={version.id}
                data-testid="eval-score-row"
                data-version={version.version}
                data-score={version.latestEvalRun.score ?? ""}
                data-min-score={version.latestEvalRun.minScore}
                data-status={version.latestEvalRun.status}
              >
                <Table.Td>
                  <Text ff="monospace" fw={600} size="sm">
                    {version.version}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <EvalScoreBadge score={version.latestEvalRun.score} minScore={version.latestEvalRun.minScore} size="sm" />
                </Table.Td>
                <Table.Td>
                  <Anchor
                    component={Link}
                    to={evalRunPath(version.latestEvalRun.id)}
                    underline="never"
                    aria-label={`Eval run of ${version.version}: ${version.latestEvalRun.status.toLowerCase()}`}
                    data-testid="eval-score-run-link"
                  >
                    <EvalStatusBadge status={version.latestEvalRun.status} size="sm" />
                  </Anchor>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
