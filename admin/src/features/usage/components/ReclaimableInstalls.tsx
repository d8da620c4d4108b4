import { Anchor, Badge, Group, Paper, SimpleGrid, Stack, Text } from "@mantine/core";
import { Link } from "react-router";
import { RelativeTime } from "../../../components/RelativeTime";
import type { UsageOverviewQuery } from "../../../gql/graphql";
import { plural } from "../usage-format";

type Reclaimable = UsageOverviewQuery["usageOverview"]["reclaimableInstalls"][number];

/** The installs grouped by team, teams with the most installs to reclaim first, each team's skills by name. */
function byTeam(installs: readonly Reclaimable[]): { team: string; installs: Reclaimable[]; total: number }[] {
  const groups = new Map<string, Reclaimable[]>();
  for (const install of installs) groups.set(install.team.name, [...(groups.get(install.team.name) ?? []), install]);
  return [...groups.entries()]
    .map(([team, list]) => ({
      team,
      installs: list.sort((a, b) => (a.skill.name < b.skill.name ? -1 : 1)),
      total: list.reduce((sum, install) => sum + install.installs, 0),
    }))
    .sort((a, b) => b.total - a.total || (a.team < b.team ? -1 : 1));
}

/**
 * Skills a team installed by name and has never invoked (as far as telemetry reaches): seats to
 * reclaim, or skills the team may not know how to use. One card per team.
 */
export function ReclaimableInstalls({ installs }: { installs: readonly Reclaimable[] }) {
  if (installs.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="reclaimable-none">
        Every team uses the skills it installed.
      </Text>
    );
  }
  return (
    // Two columns while the section is full width; one beside the most used skills (lg and up).
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 1 }} spacing="sm" data-testid="reclaimable-installs">
      {byTeam(installs).map((group) => (
        <Paper key={group.team} withBorder p="sm" data-testid="reclaimable-team" data-team={group.team}>
          <Stack gap="xs">
            <Group justify="space-between" gap="xs" wrap="nowrap">
              <Text fw={600} size="sm" style={{ overflowWrap: "anywhere" }}>
                {group.team}
              </Text>
              <Badge variant="light" color="yellow" tt="none" miw="max-content">
                {plural(group.installs.length, "skill")} unused
              </Badge>
            </Group>
            <Stack gap={6}>
              {group.installs.map((install) => (
                <Group
                  key={install.skill.id}
                  justify="space-between"
                  gap="xs"
                  wrap="nowrap"
                  align="flex-start"
                  data-testid="reclaimable-install"
                  data-team={group.team}
                  data-skill={install.skill.name}
                  data-installs={install.installs}
                >
                  <Stack gap={0} style={{ minWidth: 0 }}>
                    <Anchor component={Link} to={`/skills/${encodeURIComponent(install.skill.name)}`} size="sm" fw={500}>
                      {install.skill.name}
                    </Anchor>
                    <Text size="xs" c="dimmed" lineClamp={1}>
                      {install.skill.description}
                    </Text>
                  </Stack>
                  <Stack gap={0} align="flex-end" style={{ flexShrink: 0 }}>
                    <Text size="sm">{plural(install.installs, "install")}</Text>
                    <Text size="xs" c="dimmed">
                      last <RelativeTime iso={install.lastInstalledAt} />
                    </Text>
                  </Stack>
                </Group>
              ))}
            </Stack>
          </Stack>
        </Paper>
      ))}
    </SimpleGrid>
  );
}
