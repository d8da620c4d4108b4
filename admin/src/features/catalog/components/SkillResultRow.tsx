import { Anchor, Badge, Group, Paper, Stack, Text } from "@mantine/core";
import { Link } from "react-router";
import type { CatalogSkillSummaryFragment } from "../../../gql/graphql";
import { SkillDownloads, SkillRating } from "./SkillStats";

/** One skill in a list: what it is, how current, how liked, how used, whose. */
export function SkillResultRow({ skill }: { skill: CatalogSkillSummaryFragment }) {
  return (
    <Paper withBorder p="sm" data-testid="skill-result" data-name={skill.name}>
      <Stack gap={6}>
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Group gap="xs" wrap="wrap" style={{ minWidth: 0 }}>
            <Anchor
              component={Link}
              to={`/skills/${encodeURIComponent(skill.name)}`}
              fw={600}
              data-testid="skill-result-link"
              style={{ overflowWrap: "anywhere" }}
            >
              {skill.name}
            </Anchor>
            {skill.latestVersion ? (
              <Badge variant="outline" color="gray" tt="none" data-testid="skill-result-version">
                {skill.latestVersion.version}
              </Badge>
            ) : (
              <Badge variant="light" color="gray" tt="none">
                no installable version
              </Badge>
            )}
          </Group>
          <Text size="sm" c="dimmed">
            by <b>{skill.owner.name}</b>
          </Text>
        </Group>
        <Text size="sm" lineClamp={2}>
          {skill.description}
        </Text>
        <Group gap="md" wrap="wrap">
          <SkillRating rating={skill.rating} reviewCount={skill.reviewCount} size="xs" />
          <SkillDownloads downloads={skill.downloads} size="xs" />
          <Badge variant="light" size="sm" tt="none">
            {skill.category}
          </Badge>
          {skill.tags.map((tag) => (
            <Badge key={tag} variant="dot" color="gray" size="sm" tt="none">
              {tag}
            </Badge>
          ))}
        </Group>
      </Stack>
    </Paper>
  );
}
