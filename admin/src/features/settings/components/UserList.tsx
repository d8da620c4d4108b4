import { Center, Divider, Group, Paper, Stack, Text, TextInput, UnstyledButton } from "@mantine/core";
import { useQuery } from "@apollo/client/react";
import { useDebouncedValue } from "@mantine/hooks";
import { IconSearch } from "@tabler/icons-react";
import { Fragment, useState } from "react";
import { appendEdges, LoadMoreButton } from "../../../components/LoadMore";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { SettingsUsersDocument, type SettingsUserSummaryFieldsFragment } from "../../../gql/graphql";
import { RoleBadges, UserKindBadge } from "./RoleBadges";

const PAGE_SIZE = 25;

type UserSummary = SettingsUserSummaryFieldsFragment;

function teamsLabel(user: UserSummary): string {
  const teams = user.teams.edges.map(({ node }) => (node.role === "MAINTAINER" ? `${node.team.name} (maintainer)` : node.team.name));
  if (teams.length === 0) return "No team";
  const more = (user.teams.totalCount ?? teams.length) - teams.length;
  return more > 0 ? `${teams.join(", ")} and ${more} more` : teams.join(", ");
}

function UserRow({ user, selected, onSelect }: { user: UserSummary; selected: boolean; onSelect: () => void }) {
  return (
    <UnstyledButton
      onClick={onSelect}
      aria-current={selected ? "true" : undefined}
      p="sm"
      w="100%"
      bg={selected ? "var(--mantine-primary-color-light)" : undefined}
      data-testid="user-row"
      data-handle={user.handle}
      data-kind={user.kind}
    >
      <Stack gap={4}>
        <Group gap="xs" justify="space-between" wrap="nowrap">
          <Text fw={600} size="sm" truncate>
            {user.handle}
          </Text>
          {user.kind === "SERVICE" ? <UserKindBadge kind={user.kind} /> : <RoleBadges roles={user.roles} />}
        </Group>
        <Text size="xs" c="dimmed" lineClamp={2} data-testid="user-teams">
          {teamsLabel(user)}
        </Text>
      </Stack>
    </UnstyledButton>
  );
}

/** Every user, narrowed by a handle search (debounced, so typing does not query per keystroke). */
export function UserList({ selectedId, onSelect }: { selectedId: string | null; onSelect: (user: UserSummary) => void }) {
  const [search, setSearch] = useState("");
  const [debounced] = useDebouncedValue(search.trim(), 300);
  const { data, error, refetch, fetchMore } = useQuery(SettingsUsersDocument, {
    variables: { query: debounced || null, first: PAGE_SIZE },
  });

  const loadMore = (after: string) =>
    fetchMore({
      variables: { after },
      updateQuery: (previous, { fetchMoreResult }) => ({ users: appendEdges(previous.users, fetchMoreResult.users) }),
    });

  return (
    <Stack gap="sm">
      <TextInput
        label="Search users"
        placeholder="Part of a handle"
        leftSection={<IconSearch size={16} />}
        value={search}
        onChange={(event) => setSearch(event.currentTarget.value)}
        data-testid="user-search"
      />
      <QueryState data={data} error={error} refetch={() => void refetch()}>
        {({ users }) => {
          if (users.edges.length === 0) {
            return (
              <EmptyState title={debounced ? "No users match" : "No users yet"}>
                {debounced ? `No handle contains “${debounced}”.` : "Create the first user with “Create user”."}
              </EmptyState>
            );
          }
          const endCursor = users.pageInfo.endCursor;
          return (
            <Stack gap="sm">
              <Paper withBorder data-testid="user-list">
                {users.edges.map(({ node }, index) => (
                  <Fragment key={node.id}>
                    {index > 0 && <Divider />}
                    <UserRow user={node} selected={node.id === selectedId} onSelect={() => onSelect(node)} />
                  </Fragment>
                ))}
              </Paper>
              {users.pageInfo.hasNextPage && endCursor && (
                <Center>
                  <LoadMoreButton label="Load more users" variant="light" onLoadMore={() => loadMore(endCursor)} />
                </Center>
              )}
            </Stack>
          );
        }}
      </QueryState>
    </Stack>
  );
}
