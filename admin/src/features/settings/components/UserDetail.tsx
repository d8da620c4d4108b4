import { Badge, Divider, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@apollo/client/react";
import { useSession } from "../../../auth/session";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { RelativeTime } from "../../../components/RelativeTime";
import { SettingsUserDocument } from "../../../gql/graphql";
import { ApiTokensPanel, type CreatedToken } from "./ApiTokensPanel";
import { RoleBadges } from "./RoleBadges";
import { UserRolesEditor } from "./UserRolesEditor";

/** One user: who they are, their global roles and their API tokens. */
export function UserDetail({
  userId,
  createdToken,
  onTokenCreated,
  onSecretDismissed,
}: {
  userId: string;
  createdToken: CreatedToken | null;
  onTokenCreated: (created: CreatedToken) => void;
  onSecretDismissed: () => void;
}) {
  const session = useSession();
  const { data, error, refetch } = useQuery(SettingsUserDocument, { variables: { id: userId } });

  return (
    <QueryState data={data} error={error} refetch={() => void refetch()}>
      {({ node: user }) => {
        if (user?.__typename !== "User") {
          return <EmptyState title="No such user">The link may be out of date: pick a user from the list.</EmptyState>;
        }
        const isSelf = user.id === session.viewer.id;
        return (
          <Paper withBorder p="md" data-testid="user-detail" data-handle={user.handle}>
            <Stack gap="md">
              <Stack gap={4}>
                <Group gap="xs" wrap="wrap">
                  <Title order={3} style={{ overflowWrap: "anywhere" }} data-testid="user-detail-handle">
                    {user.handle}
                  </Title>
                  <RoleBadges roles={user.roles} />
                  {isSelf && (
                    <Badge size="sm" variant="outline" color="gray">
                      you
                    </Badge>
                  )}
                </Group>
                <Text size="sm" c="dimmed" component="div" style={{ overflowWrap: "anywhere" }}>
                  {user.email ?? "No email visible"} · joined <RelativeTime iso={user.createdAt} />
                </Text>
                <Group gap={4} wrap="wrap" mt={4}>
                  {user.memberships.edges.length === 0 ? (
                    <Text size="sm" c="dimmed">
                      Not in any team, so they cannot publish yet.
                    </Text>
                  ) : (
                    user.memberships.edges.map(({ node }) => (
                      <Badge key={node.team.id} variant="default" data-testid="user-team">
                        {node.team.name} · {node.role.toLowerCase()}
                      </Badge>
                    ))
                  )}
                </Group>
              </Stack>
              <Divider />
              <UserRolesEditor key={`${user.id}:${user.roles.join(",")}`} handle={user.handle} roles={user.roles} isSelf={isSelf} />
              <Divider />
              <Stack gap="xs">
                <Title order={4}>API tokens</Title>
                <Text size="sm" c="dimmed">
                  A token signs {isSelf ? "you" : user.handle} in here, in the CLI and in scripts, with {isSelf ? "your" : "their"} roles.
                </Text>
              </Stack>
              <ApiTokensPanel
                key={user.id}
                handle={user.handle}
                isSelf={isSelf}
                tokens={user.apiTokens.edges.map((edge) => edge.node)}
                hasMore={user.apiTokens.pageInfo.hasNextPage}
                created={createdToken}
                onCreated={onTokenCreated}
                onSecretDismissed={onSecretDismissed}
                // Refetching also proves the session: after revoking your own token this request is refused and signs you out.
                onRevoked={() => void refetch()}
              />
            </Stack>
          </Paper>
        );
      }}
    </QueryState>
  );
}
