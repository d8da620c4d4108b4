import { useQuery } from "@apollo/client/react";
import { Alert, Code, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { IconCheck } from "@tabler/icons-react";
import { useState, type ReactNode } from "react";
import { useSession } from "../../../auth/session";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { UsageSkillDocument, type UsageSkillReportFragment, type UsageTier } from "../../../gql/graphql";
import { formatCount, formatRate, formatWeekly, teamLabel, TIER_INFO, weekLabel } from "../usage-format";
import type { UsageWindow } from "../usage-url";
import { QualityReviewStatus } from "./QualityReviewStatus";
import { RecordReviewModal, recordedNotice } from "./RecordReviewModal";
import { UsageTierBadge } from "./UsageTierBadge";
import { WeeklyUsageChart } from "./WeeklyUsageChart";
import { WindowPicker } from "./WindowPicker";

type Report = UsageSkillReportFragment;

/**
 * The skill page's Usage tab: what Claude Code reported about the skill over the chosen window
 * (invocations per week stacked by team, people, success rate, versions), its usage tier, and its
 * quality review schedule; reviewers record a review from here.
 */
export function SkillUsagePanel({ skillName, weeks, onWeeksChange }: { skillName: string; weeks: UsageWindow; onWeeksChange: (weeks: UsageWindow) => void }) {
  const session = useSession();
  const { data, error, refetch } = useQuery(UsageSkillDocument, { variables: { name: skillName, weeks } });
  const [recording, setRecording] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  // While another window loads, the previous one stays on screen (Apollo keeps the old data).
  const shownWeeks = data?.skill?.usage?.weeks ?? weeks;

  return (
    <QueryState data={data} error={error} refetch={() => void refetch()}>
      {({ skill }) =>
        !skill ? (
          <EmptyState title={`No skill named “${skillName}”`} />
        ) : (
          <Stack gap="md" data-testid="usage-panel" data-weeks={shownWeeks}>
            <Group justify="space-between" gap="sm" wrap="wrap">
              <Text size="sm" c="dimmed" maw={640}>
                What Claude Code reported over the last {shownWeeks} weeks
                {skill.usage && <> (since {weekLabel(skill.usage.from)}, this week so far included)</>}, from the machines whose managed settings send telemetry
                to Skillyard.
              </Text>
              <WindowPicker value={weeks} onChange={onWeeksChange} testId="usage-window" />
            </Group>
            {notice && (
              <Alert color="green" icon={<IconCheck size={18} />} withCloseButton onClose={() => setNotice(null)} data-testid="usage-notice">
                {notice}
              </Alert>
            )}
            <UsageStats tier={skill.usageTier} weekly={skill.usageWeeklyInvocations} report={skill.usage} />
            {!skill.usage || skill.usage.invocations === 0 ? (
              <Paper withBorder p="md" data-testid="usage-empty">
                <EmptyState title={`No usage reported in the last ${shownWeeks} weeks`}>
                  Invocations appear here once Claude Code runs the skill on machines with Skillyard’s managed settings (they send its telemetry with the team’s
                  ingest token), or a longer window holds some.
                </EmptyState>
              </Paper>
            ) : (
              <>
                <Paper withBorder p="md">
                  <Stack gap="xs">
                    <Title order={3} size="h5">
                      Invocations per week, by team
                    </Title>
                    <WeeklyUsageChart byWeek={skill.usage.byWeek} />
                  </Stack>
                </Paper>
                <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
                  <ByTeam report={skill.usage} />
                  <ByVersion report={skill.usage} />
                </SimpleGrid>
              </>
            )}
            <QualityReviewStatus tier={skill.usageTier} status={skill.qualityReview} onRecord={session.isReviewer ? () => setRecording(true) : undefined} />
            {recording && (
              <RecordReviewModal
                skillName={skill.name}
                onClose={() => setRecording(false)}
                onRecorded={(review) => {
                  setRecording(false);
                  setNotice(recordedNotice(review));
                }}
              />
            )}
          </Stack>
        )
      }
    </QueryState>
  );
}

function Stat({ label, value, caption, testId, raw }: { label: string; value: ReactNode; caption: ReactNode; testId: string; raw: string | number }) {
  return (
    <Paper withBorder p="sm" data-testid="usage-stat" data-stat={testId} data-value={raw}>
      <Stack gap={2}>
        <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
          {label}
        </Text>
        <Text size="xl" fw={700} lh={1.3} component="div" data-testid="usage-stat-value">
          {value}
        </Text>
        <Text size="xs" c="dimmed">
          {caption}
        </Text>
      </Stack>
    </Paper>
  );
}

function UsageStats({ tier, weekly, report }: { tier: UsageTier; weekly: number; report: Report | null }) {
  const rate = formatRate(report?.successRate ?? null);
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }} spacing="sm" verticalSpacing="sm">
      <Stat label="Usage tier" testId="tier" raw={tier} value={<UsageTierBadge tier={tier} size="lg" />} caption={TIER_INFO[tier].cadence} />
      <Stat
        label="A week on average"
        testId="weekly"
        raw={weekly}
        value={formatWeekly(weekly)}
        caption="invocations over the last full weeks (sets the tier)"
      />
      <Stat
        label="Invocations"
        testId="invocations"
        raw={report?.invocations ?? 0}
        value={formatCount(report?.invocations ?? 0)}
        caption={`in the last ${report?.weeks ?? "?"} weeks`}
      />
      <Stat label="People" testId="users" raw={report?.distinctUsers ?? 0} value={formatCount(report?.distinctUsers ?? 0)} caption="distinct users" />
      <Stat
        label="Success rate"
        testId="success"
        raw={report?.successRate ?? ""}
        value={rate ?? "—"}
        caption={rate ? "of Skill tool calls that reported an outcome" : "no call reported an outcome"}
      />
    </SimpleGrid>
  );
}

/** A titled card with one breakdown table: a label column, then right-aligned figures. */
function BreakdownCard({
  title,
  testId,
  headers,
  children,
  footer,
}: {
  title: string;
  testId: string;
  headers: string[];
  children: ReactNode;
  footer?: ReactNode;
}) {
  return (
    <Paper withBorder p="md">
      <Stack gap="xs">
        <Title order={3} size="h5">
          {title}
        </Title>
        <Table.ScrollContainer minWidth={320}>
          <Table verticalSpacing={6} data-testid={testId}>
            <Table.Thead>
              <Table.Tr>
                {headers.map((header, i) => (
                  <Table.Th key={header} ta={i === 0 ? undefined : "right"}>
                    {header}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>{children}</Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {footer}
      </Stack>
    </Paper>
  );
}

function ByTeam({ report }: { report: Report }) {
  return (
    <BreakdownCard title="By team" testId="usage-by-team" headers={["Team", "Invocations", "People"]}>
      {report.byTeam.map((entry) => (
        <Table.Tr key={entry.team} data-testid="usage-team-row" data-team={entry.team} data-invocations={entry.invocations} data-users={entry.distinctUsers}>
          <Table.Td>
            <Text size="sm" fw={500} c={entry.team === "" ? "dimmed" : undefined}>
              {teamLabel(entry.team)}
            </Text>
          </Table.Td>
          <Table.Td ta="right">{formatCount(entry.invocations)}</Table.Td>
          <Table.Td ta="right">{formatCount(entry.distinctUsers)}</Table.Td>
        </Table.Tr>
      ))}
    </BreakdownCard>
  );
}

function ByVersion({ report }: { report: Report }) {
  const unknown = report.byVersion.some((entry) => entry.version === "");
  return (
    <BreakdownCard
      title="By version"
      testId="usage-by-version"
      headers={["Version", "Invocations", "Success rate"]}
      footer={
        unknown && (
          <Text size="xs" c="dimmed">
            Unknown: run as a user or project skill, or from a catalog that no longer serves the version the session loaded.
          </Text>
        )
      }
    >
      {report.byVersion.map((entry) => (
        <Table.Tr
          key={entry.version}
          data-testid="usage-version-row"
          data-version={entry.version}
          data-invocations={entry.invocations}
          data-success={entry.successRate ?? ""}
        >
          <Table.Td>
            {entry.version ? (
              <Code>{entry.version}</Code>
            ) : (
              <Text size="sm" c="dimmed">
                unknown
              </Text>
            )}
          </Table.Td>
          <Table.Td ta="right">{formatCount(entry.invocations)}</Table.Td>
          <Table.Td ta="right">{formatRate(entry.successRate) ?? "—"}</Table.Td>
        </Table.Tr>
      ))}
    </BreakdownCard>
  );
}
