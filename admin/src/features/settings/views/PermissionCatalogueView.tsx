import { Alert, Button, Center, Code, Divider, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@apollo/client/react";
import { IconPencil, IconPlus } from "@tabler/icons-react";
import { Fragment, useState } from "react";
import { useSession } from "../../../auth/session";
import { RISK_ORDER, RiskBadge, type PermissionRisk } from "../../../components/badges";
import { appendEdges, LoadMoreButton } from "../../../components/LoadMore";
import { PageHeader } from "../../../components/PageHeader";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { SettingsPermissionsDocument, type SettingsPermissionFieldsFragment } from "../../../gql/graphql";
import { AdminsOnly } from "../components/AdminsOnly";
import { PermissionFormModal } from "../components/PermissionFormModal";
import { riskMeaning, RISKS } from "../components/permission-rules";

type Permission = SettingsPermissionFieldsFragment;

// Riskiest first: those are the entries that decide reviews.
const RISKS_DESCENDING = [...RISKS].sort((a, b) => RISK_ORDER[b] - RISK_ORDER[a]);

export function PermissionCatalogueView() {
  const session = useSession();
  if (!session.isAdmin) {
    return (
      <AdminsOnly title="Permission catalogue">
        Only admins can see and edit the permission catalogue. Reviewers see each version's permissions and their risk on the review page.
      </AdminsOnly>
    );
  }
  return <PermissionCatalogue />;
}

type FormState = { mode: "closed" } | { mode: "add" } | { mode: "edit"; permission: Permission };

function PermissionCatalogue() {
  const { data, error, refetch, fetchMore } = useQuery(SettingsPermissionsDocument, { variables: { first: 100 } });
  const [form, setForm] = useState<FormState>({ mode: "closed" });
  const [saved, setSaved] = useState<{ name: string; risk: PermissionRisk; created: boolean } | null>(null);

  const permissions = data?.permissions.edges.map((edge) => edge.node) ?? [];
  const names = new Set(permissions.map((p) => p.name));

  const loadMore = (after: string) =>
    fetchMore({
      variables: { after },
      updateQuery: (previous, { fetchMoreResult }) => ({ ...previous, permissions: appendEdges(previous.permissions, fetchMoreResult.permissions) }),
    });

  return (
    <>
      <PageHeader
        title="Permission catalogue"
        subtitle="Every permission a skill may request, and how risky it is."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setForm({ mode: "add" })} data-testid="permission-add">
            Add permission
          </Button>
        }
      />
      {data?.reviewPolicy && (
        <Text size="sm" mb="md" data-testid="risk-explainer">
          Risk decides review: a version requesting a permission at or above{" "}
          <Text span fw={600}>
            {data.reviewPolicy.riskThreshold.toLowerCase()}
          </Text>{" "}
          risk waits for a reviewer, and a critical one needs {data.reviewPolicy.criticalApprovals} distinct approvers.
        </Text>
      )}
      {saved && (
        <Alert color="green" mb="md" withCloseButton onClose={() => setSaved(null)} data-testid="permission-saved">
          {saved.created ? "Added" : "Saved"} <Code>{saved.name}</Code> as {saved.risk.toLowerCase()} risk.
        </Alert>
      )}
      <QueryState data={data} error={error} refetch={() => void refetch()}>
        {({ permissions: connection, reviewPolicy }) => {
          if (permissions.length === 0) {
            return (
              <EmptyState title="The catalogue is empty">Publishing a skill that requests any permission fails until its permission is added here.</EmptyState>
            );
          }
          const endCursor = connection.pageInfo.endCursor;
          return (
            <Stack gap="lg">
              {RISKS_DESCENDING.map((risk) => {
                const group = permissions.filter((p) => p.risk === risk).sort((a, b) => a.name.localeCompare(b.name));
                if (group.length === 0) return null;
                return (
                  <section key={risk} aria-labelledby={`risk-${risk}`} data-testid="permission-group" data-risk={risk}>
                    <Group gap="xs" mb={4} wrap="wrap">
                      <Title order={3} size="h4" id={`risk-${risk}`}>
                        {risk.charAt(0) + risk.slice(1).toLowerCase()} risk
                      </Title>
                      <Text size="sm" c="dimmed">
                        {group.length} {group.length === 1 ? "permission" : "permissions"}
                      </Text>
                    </Group>
                    <Text size="xs" c="dimmed" mb="xs">
                      {riskMeaning(risk, reviewPolicy)}
                    </Text>
                    <Paper withBorder>
                      {group.map((permission, index) => (
                        <Fragment key={permission.name}>
                          {index > 0 && <Divider />}
                          <PermissionRow permission={permission} onEdit={() => setForm({ mode: "edit", permission })} />
                        </Fragment>
                      ))}
                    </Paper>
                  </section>
                );
              })}
              {connection.pageInfo.hasNextPage && endCursor && (
                <Center>
                  <LoadMoreButton label="Load more permissions" variant="light" size="sm" onLoadMore={() => loadMore(endCursor)} />
                </Center>
              )}
            </Stack>
          );
        }}
      </QueryState>
      {form.mode !== "closed" && data && (
        <PermissionFormModal
          editing={form.mode === "edit" ? form.permission : null}
          policy={data.reviewPolicy}
          existingNames={names}
          onClose={() => setForm({ mode: "closed" })}
          onSaved={(permission, created) => {
            setForm({ mode: "closed" });
            setSaved({ name: permission.name, risk: permission.risk, created });
            // Edits update the cached entry by name; a new entry has to be fetched into the list.
            if (created) void refetch();
          }}
        />
      )}
    </>
  );
}

function PermissionRow({ permission, onEdit }: { permission: Permission; onEdit: () => void }) {
  return (
    <Group p="sm" justify="space-between" wrap="nowrap" align="flex-start" gap="sm" data-testid="permission-row" data-name={permission.name}>
      <Stack gap={4} style={{ minWidth: 0 }}>
        <Group gap="xs" wrap="wrap">
          <Code fw={600} data-testid="permission-name">
            {permission.name}
          </Code>
          <RiskBadge risk={permission.risk} />
        </Group>
        <Text size="sm" c="dimmed" style={{ overflowWrap: "anywhere" }} data-testid="permission-description">
          {permission.description}
        </Text>
      </Stack>
      <Button
        variant="subtle"
        size="compact-sm"
        leftSection={<IconPencil size={14} />}
        onClick={onEdit}
        aria-label={`Edit ${permission.name}`}
        data-testid="permission-edit"
        style={{ flexShrink: 0 }}
      >
        Edit
      </Button>
    </Group>
  );
}
