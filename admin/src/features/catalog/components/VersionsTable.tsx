import { Anchor, Badge, Button, Group, Menu, Paper, Stack, Table, Text } from "@mantine/core";
import { IconAlertTriangle, IconArrowBackUp, IconChevronDown, IconGitBranch } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { statusLabel, TestRunStatusBadge, VersionStatusBadge } from "../../../components/badges";
import { RelativeTime } from "../../../components/RelativeTime";
import { formatPassRate } from "../../runs/components/format";
import { EvalScoreBadge } from "../../evals/components/EvalBadges";
import { evalRunPath } from "../../evals/evals-url";
import type { MaintainerAction } from "./MaintainerModals";
import { useWideScreen } from "../../../components/useWideScreen";
import type { SkillVersionRow } from "./skillTypes";

const INSTALLABLE = new Set(["PUBLISHED", "DEPRECATED"]);

interface VersionsTableProps {
  skillName: string;
  versions: SkillVersionRow[];
  latestVersionId: string | null;
  /** Channel names per version id, to show which versions channels point at. */
  channelsByVersion: ReadonlyMap<string, string[]>;
  /** Present only for maintainers: they get an actions menu per version. */
  onAction?: (action: MaintainerAction) => void;
}

/** A table on wide screens; on phones one card per version, so status and actions stay in view. */
export function VersionsTable(props: VersionsTableProps) {
  const narrow = !useWideScreen("48em");
  return narrow ? <VersionCards {...props} /> : <VersionRows {...props} />;
}

function VersionRows({ skillName, versions, latestVersionId, channelsByVersion, onAction }: VersionsTableProps) {
  return (
    <Table.ScrollContainer minWidth={860}>
      <Table verticalSpacing="sm" data-testid="versions-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Version</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Published</Table.Th>
            <Table.Th>Tests</Table.Th>
            <Table.Th>Evals</Table.Th>
            <Table.Th ta="right">Installs</Table.Th>
            {onAction && <Table.Th w={120}>Actions</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {versions.map((version) => (
            <Table.Tr key={version.id} data-testid="version-row" data-version={version.version} data-status={version.status}>
              <Table.Td>
                <VersionLabel version={version} channels={channelsByVersion.get(version.id) ?? []} latest={version.id === latestVersionId} />
              </Table.Td>
              <Table.Td maw={340}>
                <Stack gap={4} align="flex-start">
                  <VersionStatusBadge status={version.status} />
                  <StatusDetail version={version} />
                </Stack>
              </Table.Td>
              <Table.Td>
                <Published version={version} />
              </Table.Td>
              <Table.Td>
                <TestRunLink version={version} />
              </Table.Td>
              <Table.Td>
                <EvalRunLink version={version} />
              </Table.Td>
              <Table.Td ta="right">
                <Text size="sm">{version.downloads.toLocaleString()}</Text>
              </Table.Td>
              {onAction && (
                <Table.Td>
                  <VersionActions skillName={skillName} version={version} onAction={onAction} />
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function VersionCards({ skillName, versions, latestVersionId, channelsByVersion, onAction }: VersionsTableProps) {
  return (
    <Stack gap="xs" data-testid="versions-table">
      {versions.map((version) => (
        <Paper key={version.id} withBorder p="sm" data-testid="version-row" data-version={version.version} data-status={version.status}>
          <Stack gap="xs">
            <Group justify="space-between" align="flex-start" wrap="nowrap">
              <VersionLabel version={version} channels={channelsByVersion.get(version.id) ?? []} latest={version.id === latestVersionId} />
              <VersionStatusBadge status={version.status} />
            </Group>
            <StatusDetail version={version} />
            <Group justify="space-between" gap="xs">
              <Published version={version} />
              <TestRunLink version={version} />
            </Group>
            {version.latestEvalRun && (
              <Group justify="flex-end" gap="xs">
                <EvalRunLink version={version} />
              </Group>
            )}
            <Group justify="space-between" gap="xs">
              <Text size="sm" c="dimmed">
                {version.downloads.toLocaleString()} {version.downloads === 1 ? "install" : "installs"}
              </Text>
              {onAction && <VersionActions skillName={skillName} version={version} onAction={onAction} />}
            </Group>
          </Stack>
        </Paper>
      ))}
    </Stack>
  );
}

function VersionLabel({ version, channels, latest }: { version: SkillVersionRow; channels: string[]; latest: boolean }) {
  return (
    <Stack gap={4} align="flex-start">
      <Text ff="monospace" fw={600} size="sm">
        {version.version}
      </Text>
      <Group gap={4}>
        {channels.map((channel) => (
          <Badge key={channel} size="xs" variant="light" color={channel === "latest" ? "indigo" : "cyan"} tt="none" leftSection={<IconGitBranch size={10} />}>
            {channel}
          </Badge>
        ))}
        {latest && !channels.includes("latest") && (
          <Badge size="xs" variant="light" color="indigo" tt="none">
            latest
          </Badge>
        )}
      </Group>
    </Stack>
  );
}

function Published({ version }: { version: SkillVersionRow }) {
  return (
    <div>
      <Text size="sm">{version.publishedAt ? <RelativeTime iso={version.publishedAt} /> : "not published"}</Text>
      <Text size="xs" c="dimmed">
        uploaded by {version.publishedBy.handle}
      </Text>
    </div>
  );
}

function TestRunLink({ version }: { version: SkillVersionRow }) {
  if (!version.latestTestRun) {
    return (
      <Text size="sm" c="dimmed">
        no test run
      </Text>
    );
  }
  return (
    <Anchor
      component={Link}
      to={`/runs/${encodeURIComponent(version.latestTestRun.id)}`}
      underline="never"
      data-testid="version-test-run-link"
      aria-label={`Test run of ${version.version}: ${version.latestTestRun.status.toLowerCase()}`}
    >
      <Group gap={6} wrap="nowrap">
        <TestRunStatusBadge status={version.latestTestRun.status} />
        <Text size="xs" c="dimmed">
          {formatPassRate(version.latestTestRun.passRate)}
        </Text>
      </Group>
    </Anchor>
  );
}

function EvalRunLink({ version }: { version: SkillVersionRow }) {
  const run = version.latestEvalRun;
  if (!run) {
    return (
      <Text size="sm" c="dimmed">
        no evals
      </Text>
    );
  }
  return (
    <Anchor
      component={Link}
      to={evalRunPath(run.id)}
      underline="never"
      data-testid="version-eval-run-link"
      aria-label={`Eval run of ${version.version}: ${run.status.toLowerCase()}, score ${run.score === null ? "none" : run.score.toFixed(2)}`}
    >
      <EvalScoreBadge score={run.score} minScore={run.minScore} size="sm" />
    </Anchor>
  );
}

/** Why the version is in its status, in words, with the links a reader needs next. */
function StatusDetail({ version }: { version: SkillVersionRow }) {
  switch (version.status) {
    case "DEPRECATED":
      return version.deprecation ? (
        <Text size="xs" data-testid="version-deprecation" style={{ overflowWrap: "anywhere" }}>
          {version.deprecation.message}
          {version.deprecation.replacement && (
            <>
              {" "}
              Use{" "}
              <Anchor component={Link} to={`/skills/${encodeURIComponent(version.deprecation.replacement.name)}`} size="xs">
                {version.deprecation.replacement.name}
              </Anchor>{" "}
              instead.
            </>
          )}
        </Text>
      ) : null;
    case "AWAITING_REVIEW":
      return (
        <Anchor component={Link} to={`/reviews/${encodeURIComponent(version.id)}`} size="xs" data-testid="version-review-link">
          Open the review
        </Anchor>
      );
    case "TESTING":
    case "UPLOADED":
      return (
        <Text size="xs" c="dimmed">
          Tests are running; the version is not installable yet.
        </Text>
      );
    case "EVALUATING":
      return (
        <Stack gap={2}>
          {version.statusReason && (
            <Text size="xs" data-testid="version-status-reason" style={{ overflowWrap: "anywhere" }}>
              {version.statusReason}
            </Text>
          )}
          {version.latestEvalRun ? (
            <Anchor component={Link} to={evalRunPath(version.latestEvalRun.id)} size="xs" data-testid="version-evaluating-link">
              Follow its eval run
            </Anchor>
          ) : (
            <Text size="xs" c="dimmed">
              Its evals are being scored; the version is not installable yet.
            </Text>
          )}
        </Stack>
      );
    case "YANKED":
    case "REJECTED":
      return version.statusReason ? (
        <Text size="xs" c={version.status === "REJECTED" ? "red.8" : undefined} data-testid="version-status-reason" style={{ overflowWrap: "anywhere" }}>
          {version.statusReason}
        </Text>
      ) : null;
    case "PUBLISHED":
      return null;
  }
}

function ActionItem({ icon, label, reason, onClick, testId }: { icon: ReactNode; label: string; reason: string | null; onClick: () => void; testId: string }) {
  return (
    <Menu.Item leftSection={icon} disabled={reason !== null} onClick={onClick} data-testid={testId}>
      <Text size="sm">{label}</Text>
      {reason && (
        <Text size="xs" c="dimmed">
          {reason}
        </Text>
      )}
    </Menu.Item>
  );
}

function VersionActions({ skillName, version, onAction }: { skillName: string; version: SkillVersionRow; onAction: (action: MaintainerAction) => void }) {
  const installable = INSTALLABLE.has(version.status);
  const notInstallable = `Only published or deprecated versions (this one is ${statusLabel(version.status)}).`;
  return (
    <Menu position="bottom-end" withinPortal shadow="md" width={280}>
      <Menu.Target>
        <Button
          size="xs"
          variant="default"
          rightSection={<IconChevronDown size={14} />}
          data-testid="version-actions"
          aria-label={`Actions for ${skillName}@${version.version}`}
        >
          Actions
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <ActionItem
          icon={<IconGitBranch size={16} />}
          label="Point a channel here…"
          reason={installable ? null : notInstallable}
          onClick={() => onAction({ kind: "channel", channel: null, version: version.version })}
          testId="action-channel"
        />
        <ActionItem
          icon={<IconAlertTriangle size={16} />}
          label={version.status === "DEPRECATED" ? "Update deprecation…" : "Deprecate…"}
          reason={installable ? null : notInstallable}
          onClick={() => onAction({ kind: "deprecate", version })}
          testId="action-deprecate"
        />
        <ActionItem
          icon={<IconArrowBackUp size={16} />}
          label="Yank…"
          reason={installable ? null : version.status === "YANKED" ? "Already yanked." : notInstallable}
          onClick={() => onAction({ kind: "yank", version })}
          testId="action-yank"
        />
      </Menu.Dropdown>
    </Menu>
  );
}
