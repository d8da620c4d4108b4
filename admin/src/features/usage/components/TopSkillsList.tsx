import { BarsList } from "@mantine/charts";
import { Anchor, Box, Group, Text } from "@mantine/core";
import { Link } from "react-router";
import type { UsageOverviewQuery } from "../../../gql/graphql";
import { formatCount, plural } from "../usage-format";
import { skillUsagePath, type UsageWindow } from "../usage-url";
import { UsageTierBadge } from "./UsageTierBadge";

type TopSkill = UsageOverviewQuery["usageOverview"]["topSkills"][number];

const USERS_WIDTH = 84;
const TIER_WIDTH = 112;

/**
 * The most-invoked Skillyard skills, as bars against the busiest one: each bar opens the skill's
 * usage, with the people who used it and its tier beside it.
 */
export function TopSkillsList({ skills, weeks }: { skills: readonly TopSkill[]; weeks: UsageWindow }) {
  const byName = new Map(skills.map((entry) => [entry.skill.name, entry]));
  return (
    <Box data-testid="top-skills">
      <Group gap="sm" wrap="nowrap" pb={6} c="dimmed" fz="xs" fw={600} tt="uppercase" aria-hidden>
        <Group justify="space-between" style={{ flex: 1 }}>
          <span>Skill</span>
          <span>Invocations</span>
        </Group>
        <Text w={USERS_WIDTH} ta="right" inherit>
          People
        </Text>
        <Box w={TIER_WIDTH} visibleFrom="sm">
          Tier
        </Box>
      </Group>
      <BarsList
        data={skills.map((entry) => ({ name: entry.skill.name, value: entry.invocations }))}
        valueFormatter={formatCount}
        barHeight={30}
        barGap={6}
        variant="light"
        styles={{ barLabel: { whiteSpace: "nowrap", overflow: "visible" } }}
        renderBar={(item, bar) => {
          const entry = byName.get(item.name);
          if (!entry) return bar;
          return (
            <Group
              gap="sm"
              wrap="nowrap"
              data-testid="top-skill"
              data-skill={entry.skill.name}
              data-invocations={entry.invocations}
              data-users={entry.distinctUsers}
            >
              <Anchor
                component={Link}
                to={skillUsagePath(entry.skill.name, weeks)}
                underline="never"
                c="inherit"
                style={{ flex: 1, minWidth: 0 }}
                aria-label={`${entry.skill.name}: ${plural(entry.invocations, "invocation")} by ${plural(entry.distinctUsers, "person", "people")}`}
                data-testid="top-skill-link"
              >
                {bar}
              </Anchor>
              <Text w={USERS_WIDTH} ta="right" size="sm" c="dimmed" style={{ flexShrink: 0 }}>
                {plural(entry.distinctUsers, "person", "people")}
              </Text>
              <Box w={TIER_WIDTH} visibleFrom="sm" style={{ flexShrink: 0 }}>
                <UsageTierBadge tier={entry.skill.usageTier} />
              </Box>
            </Group>
          );
        }}
      />
    </Box>
  );
}
