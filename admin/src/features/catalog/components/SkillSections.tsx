import { useQuery } from "@apollo/client/react";
import { Anchor, Badge, Button, Code, Group, Paper, Rating, Stack, Table, Text, Title } from "@mantine/core";
import { Link } from "react-router";
import { VersionStatusBadge } from "../../../components/badges";
import { appendEdges, LoadMoreButton } from "../../../components/LoadMore";
import { EmptyState, ErrorState, LoadingState } from "../../../components/QueryState";
import { RelativeTime } from "../../../components/RelativeTime";
import { CatalogSkillDependentsDocument, CatalogSkillRatingsDocument } from "../../../gql/graphql";
import { SkillResultRow } from "./SkillResultRow";
import { SkillRating } from "./SkillStats";
import type { SkillChannel, SkillDependency, TenantInstalls } from "./skillTypes";

export function ChannelsTable({ channels, onMove, onCreate }: { channels: SkillChannel[]; onMove?: (channel: SkillChannel) => void; onCreate?: () => void }) {
  return (
    <Stack gap="sm">
      {onCreate && (
        <Group justify="flex-end">
          <Button size="xs" variant="light" onClick={onCreate} data-testid="channel-create">
            New channel…
          </Button>
        </Group>
      )}
      {channels.length === 0 ? (
        <EmptyState title="No channels">
          <Code>latest</Code> appears once a version is published.
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table verticalSpacing="sm" data-testid="channels-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Channel</Table.Th>
                <Table.Th>Points at</Table.Th>
                <Table.Th>Last moved</Table.Th>
                {onMove && <Table.Th w={110} />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {channels.map((channel) => (
                <Table.Tr key={channel.name} data-testid="channel-row" data-channel={channel.name} data-version={channel.version?.version ?? ""}>
                  <Table.Td>
                    <Text fw={600} size="sm">
                      {channel.name}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {channel.version ? (
                      <Group gap="xs">
                        <Text ff="monospace" size="sm">
                          {channel.version.version}
                        </Text>
                        {channel.version.status !== "PUBLISHED" && <VersionStatusBadge status={channel.version.status} />}
                      </Group>
                    ) : (
                      <Text size="sm" c="dimmed">
                        nothing installable yet
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {channel.name === "latest" ? (
                      <Text size="sm" c="dimmed">
                        follows the highest published version
                      </Text>
                    ) : channel.movedAt ? (
                      <Text size="sm">
                        <RelativeTime iso={channel.movedAt} />
                        {channel.movedBy && ` by ${channel.movedBy.handle}`}
                      </Text>
                    ) : (
                      "—"
                    )}
                  </Table.Td>
                  {onMove && (
                    <Table.Td>
                      {channel.name === "latest" ? (
                        <Text size="xs" c="dimmed">
                          moves by itself
                        </Text>
                      ) : (
                        <Button size="xs" variant="default" onClick={() => onMove(channel)} data-testid="channel-move">
                          Move…
                        </Button>
                      )}
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

export function InstallsTable({ installs }: { installs: TenantInstalls[] }) {
  if (installs.length === 0) return <EmptyState title="No installs yet">No team has installed any version of this skill.</EmptyState>;
  return (
    <Table.ScrollContainer minWidth={520}>
      <Table verticalSpacing="sm" data-testid="installs-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Team</Table.Th>
            <Table.Th ta="right">Installs</Table.Th>
            <Table.Th>Versions installed</Table.Th>
            <Table.Th>Last installed</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {installs.map((entry) => (
            <Table.Tr key={entry.team.id} data-testid="tenant-install-row" data-team={entry.team.name} data-installs={entry.installs}>
              <Table.Td>
                <Text fw={600} size="sm">
                  {entry.team.name}
                </Text>
              </Table.Td>
              <Table.Td ta="right">{entry.installs.toLocaleString()}</Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {entry.versions.map((version) => (
                    <Badge key={version} variant="outline" color="gray" tt="none" ff="monospace">
                      {version}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>
                <RelativeTime iso={entry.lastInstalledAt} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function RatingsSection({ skillName }: { skillName: string }) {
  const { data, loading, error, refetch, fetchMore } = useQuery(CatalogSkillRatingsDocument, { variables: { name: skillName } });
  const skill = data?.skill;
  if (!skill) return error ? <ErrorState error={error} onRetry={() => void refetch()} /> : loading ? <LoadingState /> : <EmptyState title="No such skill" />;
  const { ratings } = skill;
  return (
    <Stack gap="sm" data-testid="ratings-section">
      <SkillRating rating={skill.rating} reviewCount={skill.reviewCount} size="md" />
      {ratings.edges.length === 0 ? (
        <EmptyState title="No ratings yet">
          Teams rate a skill with <Code>skillyard rate</Code> after using it.
        </EmptyState>
      ) : (
        ratings.edges.map(({ node: rating }) => (
          <Paper key={rating.id} withBorder p="sm" data-testid="rating">
            <Group justify="space-between" gap="xs" wrap="wrap">
              <Group gap="xs">
                <Text fw={600} size="sm">
                  {rating.author.handle}
                </Text>
                <Rating value={rating.rating} readOnly size="xs" aria-label={`${rating.rating} out of 5`} />
              </Group>
              <Text size="xs" c="dimmed">
                <RelativeTime iso={rating.updatedAt} />
                {rating.updatedAt !== rating.createdAt && " (edited)"}
              </Text>
            </Group>
            {rating.text ? (
              <Text size="sm" mt={6} style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
                {rating.text}
              </Text>
            ) : (
              <Text size="sm" mt={6} c="dimmed">
                Rated without a comment.
              </Text>
            )}
          </Paper>
        ))
      )}
      {ratings.pageInfo.hasNextPage && ratings.pageInfo.endCursor && (
        <LoadMoreButton
          label="Load more"
          onLoadMore={() =>
            fetchMore({
              variables: { after: ratings.pageInfo.endCursor },
              updateQuery: (previous, { fetchMoreResult }) =>
                previous.skill && fetchMoreResult.skill
                  ? { skill: { ...previous.skill, ratings: appendEdges(previous.skill.ratings, fetchMoreResult.skill.ratings) } }
                  : previous,
            })
          }
        />
      )}
    </Stack>
  );
}

export function DependenciesSection({ skillName, version, dependencies }: { skillName: string; version: string | null; dependencies: SkillDependency[] }) {
  return (
    <Stack gap="lg">
      <Stack gap="xs">
        <Title order={3} size="h5">
          Dependencies{version && ` of ${version}`}
        </Title>
        {version === null ? (
          <Text size="sm" c="dimmed">
            No published version yet.
          </Text>
        ) : dependencies.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="dependencies-empty">
            {skillName}@{version} depends on no other skill.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={480}>
            <Table verticalSpacing="xs" data-testid="dependencies-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Skill</Table.Th>
                  <Table.Th>Range</Table.Th>
                  <Table.Th>Resolves to</Table.Th>
                  <Table.Th>Its latest</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {dependencies.map((dependency) => (
                  <Table.Tr key={dependency.name} data-testid="dependency-row" data-name={dependency.name}>
                    <Table.Td>
                      {dependency.skill ? (
                        <Anchor component={Link} to={`/skills/${encodeURIComponent(dependency.name)}`} size="sm">
                          {dependency.name}
                        </Anchor>
                      ) : (
                        <Text size="sm" title="This skill has no version you may see.">
                          {dependency.name}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Text ff="monospace" size="sm">
                        {dependency.range}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {dependency.resolved ? (
                        <Text ff="monospace" size="sm" data-testid="dependency-resolved">
                          {dependency.resolved.version}
                        </Text>
                      ) : (
                        <Text size="sm" c="red" data-testid="dependency-resolved">
                          nothing matches: installs fail
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Text ff="monospace" size="sm" c="dimmed">
                        {dependency.skill?.latestVersion?.version ?? "none installable"}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
      <DependentsList skillName={skillName} />
    </Stack>
  );
}

function DependentsList({ skillName }: { skillName: string }) {
  const { data, loading, error, refetch, fetchMore } = useQuery(CatalogSkillDependentsDocument, { variables: { name: skillName } });
  const dependents = data?.skill?.dependents;
  return (
    <Stack gap="xs">
      <Title order={3} size="h5">
        Dependents{dependents?.totalCount ? ` (${dependents.totalCount})` : ""}
      </Title>
      {!dependents ? (
        error ? (
          <ErrorState error={error} onRetry={() => void refetch()} />
        ) : loading ? (
          <LoadingState />
        ) : null
      ) : dependents.edges.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="dependents-empty">
          No skill depends on {skillName}.
        </Text>
      ) : (
        <Stack gap="xs" data-testid="dependents">
          {dependents.edges.map(({ node }) => (
            <SkillResultRow key={node.id} skill={node} />
          ))}
          {dependents.pageInfo.hasNextPage && dependents.pageInfo.endCursor && (
            <LoadMoreButton
              label="Load more"
              onLoadMore={() =>
                fetchMore({
                  variables: { after: dependents.pageInfo.endCursor },
                  updateQuery: (previous, { fetchMoreResult }) =>
                    previous.skill && fetchMoreResult.skill
                      ? { skill: { ...previous.skill, dependents: appendEdges(previous.skill.dependents, fetchMoreResult.skill.dependents) } }
                      : previous,
                })
              }
            />
          )}
        </Stack>
      )}
    </Stack>
  );
}
