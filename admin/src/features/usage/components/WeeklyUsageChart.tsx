import { BarChart } from "@mantine/charts";
import { Table, VisuallyHidden } from "@mantine/core";
import type { UsageSkillReportFragment } from "../../../gql/graphql";
import { formatCount, teamLabel, weekLabel, weeklyChart } from "../usage-format";

type Week = UsageSkillReportFragment["byWeek"][number];

/**
 * Invocations per week, each bar stacked by team (the teams with most invocations get their own
 * colour). The same numbers follow as a table for screen readers, week by week and team by team.
 */
export function WeeklyUsageChart({ byWeek }: { byWeek: readonly Week[] }) {
  const chart = weeklyChart(byWeek);
  return (
    <>
      <BarChart
        h={280}
        data={chart.data}
        dataKey="week"
        type="stacked"
        series={chart.series}
        withLegend
        legendProps={{ verticalAlign: "bottom", height: 40 }}
        valueFormatter={formatCount}
        tickLine="y"
        maxBarWidth={44}
        yAxisProps={{ allowDecimals: false, width: 48 }}
        xAxisProps={{ interval: "preserveStartEnd", minTickGap: 8 }}
        // Drawn at once: the numbers are what matters, and pictures of the page show them whole.
        barProps={{ isAnimationActive: false }}
        aria-hidden
        data-testid="usage-chart"
        data-series={chart.series.map((series) => series.label).join(",")}
      />
      <VisuallyHidden>
        <Table data-testid="usage-weeks">
          <caption>Invocations per week, by team</caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Week of</Table.Th>
              <Table.Th>Invocations</Table.Th>
              <Table.Th>By team</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {byWeek.map((week) => (
              <Table.Tr
                key={week.weekStart}
                data-testid="usage-week"
                data-week={week.weekStart}
                data-invocations={week.invocations}
                data-teams={week.teams.map((entry) => `${entry.team}=${entry.invocations}`).join(",")}
              >
                <Table.Td>{weekLabel(week.weekStart)}</Table.Td>
                <Table.Td>{formatCount(week.invocations)}</Table.Td>
                <Table.Td>{week.teams.map((entry) => `${teamLabel(entry.team)}: ${formatCount(entry.invocations)}`).join(", ") || "none"}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </VisuallyHidden>
    </>
  );
}
