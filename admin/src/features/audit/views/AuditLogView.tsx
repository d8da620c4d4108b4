import { Alert, Button, Center, Stack, Text } from "@mantine/core";
import { NetworkStatus } from "@apollo/client";
import { useQuery } from "@apollo/client/react";
import { IconLock, IconRefresh } from "@tabler/icons-react";
import { useSearchParams } from "react-router";
import { useSession } from "../../../auth/session";
import { appendEdges, LoadMoreButton } from "../../../components/LoadMore";
import { PageHeader } from "../../../components/PageHeader";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { AuditLogDocument } from "../../../gql/graphql";
import { isAuditAction } from "../components/audit-actions";
import { AuditEventList } from "../components/AuditEventList";
import { AuditFilters, type AuditFilterValues } from "../components/AuditFilters";

const PAGE_SIZE = 25;

/** The filters live in the URL (?action=&actor=&skill=) so a filtered view can be shared and survives reloads. */
function useAuditFilters(): [AuditFilterValues, (values: AuditFilterValues | null) => void, string] {
  const [params, setParams] = useSearchParams();
  const action = params.get("action");
  const values: AuditFilterValues = {
    action: isAuditAction(action) ? action : null,
    actor: params.get("actor") ?? "",
    skill: params.get("skill") ?? "",
  };
  const apply = (next: AuditFilterValues | null) => {
    const query = new URLSearchParams();
    if (next?.action) query.set("action", next.action);
    if (next?.actor) query.set("actor", next.actor);
    if (next?.skill) query.set("skill", next.skill);
    setParams(query);
  };
  return [values, apply, params.toString()];
}

export function AuditLogView() {
  const session = useSession();
  if (!session.isReviewer) {
    return (
      <>
        <PageHeader title="Audit log" />
        <Alert color="gray" icon={<IconLock size={18} />} title="Reviewers and admins only" data-testid="forbidden-state">
          The audit log records who changed what across Skillyard. Ask an admin for the reviewer role if you need to read it.
        </Alert>
      </>
    );
  }
  return <AuditLog />;
}

function AuditLog() {
  const [filters, applyFilters, filterKey] = useAuditFilters();
  const { data, error, refetch, fetchMore, networkStatus } = useQuery(AuditLogDocument, {
    variables: {
      action: filters.action,
      actor: filters.actor || null,
      skill: filters.skill || null,
      first: PAGE_SIZE,
    },
  });
  const filtered = filters.action !== null || filters.actor !== "" || filters.skill !== "";

  const loadMore = (after: string) =>
    fetchMore({
      variables: { after },
      updateQuery: (previous, { fetchMoreResult }) => ({ auditLog: appendEdges(previous.auditLog, fetchMoreResult.auditLog) }),
    });

  return (
    <>
      <PageHeader
        title="Audit log"
        subtitle="Every governance action, newest first: who did it, to what, and the state before and after."
        actions={
          <Button
            variant="default"
            leftSection={<IconRefresh size={16} />}
            onClick={() => void refetch()}
            loading={networkStatus === NetworkStatus.refetch}
            data-testid="audit-refresh"
          >
            Refresh
          </Button>
        }
      />
      {/* Keyed by the URL so the text fields show the URL's values again after back/forward or "Clear". */}
      <AuditFilters key={filterKey} initial={filters} onApply={applyFilters} onClear={() => applyFilters(null)} />
      <QueryState data={data} error={error} refetch={() => void refetch()}>
        {({ auditLog }) => {
          const events = auditLog.edges.map((edge) => edge.node);
          if (events.length === 0) {
            return filtered ? (
              <EmptyState title="No events match these filters">
                Check the handle and skill name (they must match exactly), or{" "}
                <Button variant="transparent" size="compact-sm" px={0} onClick={() => applyFilters(null)}>
                  clear the filters
                </Button>
                .
              </EmptyState>
            ) : (
              <EmptyState title="No events yet">Creating users, publishing skills and reviewing versions is recorded here.</EmptyState>
            );
          }
          const endCursor = auditLog.pageInfo.endCursor;
          return (
            <Stack gap="md">
              <AuditEventList events={events} />
              <Center>
                {auditLog.pageInfo.hasNextPage && endCursor ? (
                  <LoadMoreButton label="Load older events" variant="light" size="sm" onLoadMore={() => loadMore(endCursor)} testId="audit-load-more" />
                ) : (
                  <Text size="sm" c="dimmed" data-testid="audit-end">
                    {events.length === 1 ? "1 event" : `${events.length} events`}: the beginning of the log{filtered ? " for these filters" : ""}.
                  </Text>
                )}
              </Center>
            </Stack>
          );
        }}
      </QueryState>
    </>
  );
}
