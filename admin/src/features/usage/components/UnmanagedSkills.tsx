import { Alert, Badge, Code, Group, Paper, Stack, Table, Text } from "@mantine/core";
import { IconShieldExclamation } from "@tabler/icons-react";
import { RelativeTime } from "../../../components/RelativeTime";
import { useWideScreen } from "../../../components/useWideScreen";
import type { UsageOverviewQuery } from "../../../gql/graphql";
import { formatCount, plural, sourceLabel, teamLabel } from "../usage-format";

type Unmanaged = UsageOverviewQuery["usageOverview"]["unmanagedSkills"][number];

/** Where the skill came from: the plugin and its marketplace, or the user's or project's own folder. */
function Origin({ skill }: { skill: Unmanaged }) {
  if (skill.plugin || skill.marketplace) {
    return (
      <Code style={{ overflowWrap: "anywhere" }} data-testid="unmanaged-origin">
        {skill.plugin ?? "?"}@{skill.marketplace ?? "?"}
      </Code>
    );
  }
  return (
    <Text size="sm" c="dimmed" data-testid="unmanaged-origin">
      {skill.source === "userSettings" ? "~/.claude/skills" : skill.source === "projectSettings" ? ".claude/skills in a project" : "not reported"}
    </Text>
  );
}

function Teams({ teams }: { teams: readonly string[] }) {
  if (teams.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {teamLabel("")}
      </Text>
    );
  }
  return (
    <Group gap={4} data-testid="unmanaged-teams">
      {teams.map((team) => (
        <Badge key={team} variant="light" color="gray" tt="none">
          {team}
        </Badge>
      ))}
    </Group>
  );
}

function SourceBadge({ source }: { source: string }) {
  return (
    <Badge variant="outline" color={source === "plugin" ? "orange" : "red"} tt="none" miw="max-content">
      {sourceLabel(source)}
    </Badge>
  );
}

const rowProps = (skill: Unmanaged) => ({
  "data-testid": "unmanaged-skill",
  "data-name": skill.name,
  "data-source": skill.source,
  "data-marketplace": skill.marketplace ?? "",
  "data-invocations": skill.invocations,
  "data-users": skill.distinctUsers,
  "data-teams": skill.teams.join(","),
});

/**
 * Skills Claude Code ran that Skillyard does not distribute (plugins from other marketplaces, users'
 * and projects' own skills): nobody reviewed what they may touch, so they are a security signal.
 */
export function UnmanagedSkills({ skills, weeks }: { skills: readonly Unmanaged[]; weeks: number }) {
  const wide = useWideScreen("62em");
  const marketplaces = [...new Set(skills.flatMap((skill) => (skill.marketplace ? [skill.marketplace] : [])))].sort();
  const own = skills.filter((skill) => !skill.marketplace).length;
  return (
    <Stack gap="sm" data-testid="unmanaged-skills" data-count={skills.length}>
      {skills.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="unmanaged-none">
          Every skill Claude Code reported in the last {weeks} weeks is distributed by Skillyard.
        </Text>
      ) : (
        <Alert color="orange" variant="light" icon={<IconShieldExclamation size={18} />} title="Security signal: skills Skillyard does not govern">
          <Text size="sm">
            {plural(skills.length, "skill")} ran in the last {weeks} weeks without Skillyard’s review: nobody checked what they may touch, their tests never
            ran, and Skillyard cannot yank them.
            {marketplaces.length > 0 && (
              <>
                {" "}
                Plugins came from <b>{marketplaces.join(", ")}</b>.
              </>
            )}
            {own > 0 && <> {own === 1 ? "One is a user’s or a project’s own skill." : `${own} are users’ or projects’ own skills.`}</>} Ask their authors to
            publish the useful ones to Skillyard, where they are reviewed, tested and versioned.
          </Text>
        </Alert>
      )}
      {skills.length > 0 && (wide ? <UnmanagedTable skills={skills} /> : <UnmanagedCards skills={skills} />)}
    </Stack>
  );
}

function UnmanagedTable({ skills }: { skills: readonly Unmanaged[] }) {
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table verticalSpacing="sm" data-testid="unmanaged-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Skill</Table.Th>
            <Table.Th>Comes from</Table.Th>
            <Table.Th>Teams</Table.Th>
            <Table.Th ta="right">Invocations</Table.Th>
            <Table.Th ta="right">People</Table.Th>
            <Table.Th>First seen</Table.Th>
            <Table.Th>Last seen</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {skills.map((skill) => (
            <Table.Tr key={`${skill.source}:${skill.plugin ?? ""}@${skill.marketplace ?? ""}:${skill.name}`} {...rowProps(skill)}>
              <Table.Td>
                <Stack gap={4} align="flex-start">
                  <Text size="sm" fw={600} style={{ overflowWrap: "anywhere" }}>
                    {skill.name}
                  </Text>
                  <SourceBadge source={skill.source} />
                </Stack>
              </Table.Td>
              <Table.Td>
                <Origin skill={skill} />
              </Table.Td>
              <Table.Td>
                <Teams teams={skill.teams} />
              </Table.Td>
              <Table.Td ta="right">{formatCount(skill.invocations)}</Table.Td>
              <Table.Td ta="right">{formatCount(skill.distinctUsers)}</Table.Td>
              <Table.Td style={{ whiteSpace: "nowrap" }}>
                <Text size="sm">
                  <RelativeTime iso={skill.firstSeenAt} />
                </Text>
              </Table.Td>
              <Table.Td style={{ whiteSpace: "nowrap" }}>
                <Text size="sm">
                  <RelativeTime iso={skill.lastSeenAt} />
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function UnmanagedCards({ skills }: { skills: readonly Unmanaged[] }) {
  return (
    <Stack gap="xs" data-testid="unmanaged-table">
      {skills.map((skill) => (
        <Paper key={`${skill.source}:${skill.plugin ?? ""}@${skill.marketplace ?? ""}:${skill.name}`} withBorder p="sm" {...rowProps(skill)}>
          <Stack gap={6}>
            <Group justify="space-between" gap="xs" wrap="nowrap" align="flex-start">
              <Text size="sm" fw={600} style={{ overflowWrap: "anywhere" }}>
                {skill.name}
              </Text>
              <SourceBadge source={skill.source} />
            </Group>
            <Origin skill={skill} />
            <Teams teams={skill.teams} />
            <Text size="sm">
              {plural(skill.invocations, "invocation")} by {plural(skill.distinctUsers, "person", "people")}
            </Text>
            <Text size="xs" c="dimmed">
              first seen <RelativeTime iso={skill.firstSeenAt} />, last seen <RelativeTime iso={skill.lastSeenAt} />
            </Text>
          </Stack>
        </Paper>
      ))}
    </Stack>
  );
}
