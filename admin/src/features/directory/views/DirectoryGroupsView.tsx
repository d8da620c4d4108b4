import { useQuery } from "@apollo/client/react";
import { Badge, Button, Code, Divider, Group, Paper, Stack, Text } from "@mantine/core";
import { IconArrowRight, IconPlus } from "@tabler/icons-react";
import { Fragment, useState } from "react";
import { useSession } from "../../../auth/session";
import { appendEdges, LoadMoreButton } from "../../../components/LoadMore";
import { PageHeader } from "../../../components/PageHeader";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { RelativeTime } from "../../../components/RelativeTime";
import { DirectoryGroupMappingsDocument, type GroupMappingFieldsFragment } from "../../../gql/graphql";
import type { TeamGroup } from "../../distribution/components/TeamPicker";
import { AdminsOnly } from "../../settings/components/AdminsOnly";
import { AddMappingModal } from "../components/AddMappingModal";
import { DeleteMappingModal } from "../components/DeleteMappingModal";
import { grantWords } from "../mapping-rules";

const PAGE_SIZE = 50;

function MappingRow({ mapping, onDelete }: { mapping: GroupMappingFieldsFragment; onDelete: () => void }) {
  return (
    <Group
      p="sm"
      justify="space-between"
      wrap="nowrap"
      gap="sm"
      data-testid="mapping-row"
      data-group={mapping.group}
      data-team={mapping.team?.name ?? ""}
      data-team-role={mapping.teamRole ?? ""}
      data-role={mapping.role ?? ""}
    >
      <Stack gap={4} style={{ minWidth: 0 }}>
        <Group gap="xs" wrap="wrap">
          <Code style={{ overflowWrap: "anywhere" }}>{mapping.group}</Code>
          <IconArrowRight size={14} aria-label="gives" />
          {mapping.team ? (
            <Text size="sm" fw={600}>
              team {mapping.team.name}
            </Text>
          ) : (
            <Text size="sm" fw={600}>
              global role
            </Text>
          )}
          <Badge size="sm" variant="light" color={mapping.role ? "grape" : "gray"}>
            {(mapping.teamRole ?? mapping.role ?? "").toLowerCase()}
          </Badge>
        </Group>
        <Text size="xs" c="dimmed">
          added <RelativeTime iso={mapping.createdAt} />
        </Text>
      </Stack>
      <Button
        size="compact-sm"
        variant="light"
        color="red"
        onClick={onDelete}
        aria-label={`Delete the mapping of ${mapping.group} to ${grantWords(mapping)}`}
        data-testid="mapping-delete"
        style={{ flexShrink: 0 }}
      >
        Delete
      </Button>
    </Group>
  );
}

function DirectoryGroups() {
  const session = useSession();
  const { data, error, refetch, fetchMore } = useQuery(DirectoryGroupMappingsDocument, { variables: { first: PAGE_SIZE } });
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<GroupMappingFieldsFragment | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const mappings = data?.groupMappings.edges.map((edge) => edge.node) ?? [];
  // There is no list of every team: offer the ones already mapped and the admin's own.
  const knownTeams: TeamGroup[] = [
    { label: "Mapped teams", teams: [...new Set(mappings.flatMap((m) => (m.team ? [m.team.name] : [])))].sort() },
    { label: "Your teams", teams: session.viewer.teams.edges.map((edge) => edge.node.team.name).sort() },
  ].filter((group) => group.teams.length > 0);

  const loadMore = (after: string) =>
    fetchMore({
      variables: { after },
      updateQuery: (previous, { fetchMoreResult }) => ({ groupMappings: appendEdges(previous.groupMappings, fetchMoreResult.groupMappings) }),
    });

  return (
    <>
      <PageHeader
        title="Directory groups"
        subtitle="Who gets which team and role when they sign in through your identity provider: at each sign-in, a person's memberships and roles follow the groups the provider sends."
        actions={
          <Button
            leftSection={<IconPlus size={16} />}
            onClick={() => {
              setNotice(null);
              setAdding(true);
            }}
            data-testid="mapping-add"
          >
            Add mapping
          </Button>
        }
      />
      {notice && (
        <Text size="sm" c="teal.8" mb="sm" role="status" data-testid="mapping-notice">
          {notice}
        </Text>
      )}
      <QueryState data={data} error={error} refetch={() => void refetch()}>
        {({ groupMappings }) => {
          if (groupMappings.edges.length === 0) {
            return (
              <EmptyState title="No group is mapped">
                People who sign in through the identity provider get no team and no role until a mapping gives them one, e.g. group eng-data → team data as
                member.
              </EmptyState>
            );
          }
          const { hasNextPage, endCursor } = groupMappings.pageInfo;
          return (
            <Stack gap="xs">
              <Paper withBorder data-testid="mapping-list">
                {groupMappings.edges.map(({ node }, index) => (
                  <Fragment key={node.id}>
                    {index > 0 && <Divider />}
                    <MappingRow mapping={node} onDelete={() => setDeleting(node)} />
                  </Fragment>
                ))}
              </Paper>
              {hasNextPage && endCursor && <LoadMoreButton label="Show more mappings" onLoadMore={() => loadMore(endCursor)} />}
            </Stack>
          );
        }}
      </QueryState>
      {adding && (
        <AddMappingModal
          knownTeams={knownTeams}
          onClose={() => setAdding(false)}
          onAdded={(mapping) => {
            setAdding(false);
            setNotice(`Mapped ${mapping.group} to ${grantWords(mapping)}.`);
          }}
        />
      )}
      {deleting && (
        <DeleteMappingModal
          mapping={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setNotice(`Deleted the mapping of ${deleting.group} to ${grantWords(deleting)}.`);
            setDeleting(null);
          }}
        />
      )}
    </>
  );
}

/** Settings → Directory groups: admins map the identity provider's groups to teams and roles. */
export function DirectoryGroupsView() {
  const session = useSession();
  if (!session.isAdmin) {
    return (
      <AdminsOnly title="Directory groups">
        Only admins map directory groups to teams and roles. Your own teams and roles come from your groups each time you sign in.
      </AdminsOnly>
    );
  }
  return <DirectoryGroups />;
}
