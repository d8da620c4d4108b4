import { useQuery } from "@apollo/client/react";
import { Button, Center, Stack, Text } from "@mantine/core";
import { IconRefresh } from "@tabler/icons-react";
import { appendEdges, LoadMoreButton } from "../../../components/LoadMore";
import { PageHeader } from "../../../components/PageHeader";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { ReviewQueueDocument, type ReviewQueueQuery } from "../../../gql/graphql";
import { ReviewQueueList } from "../components/ReviewQueueList";

const PAGE_SIZE = 20;

type Queue = ReviewQueueQuery["reviewQueue"];

function QueueContent({ queue, onLoadMore }: { queue: Queue; onLoadMore: (after: string) => Promise<unknown> }) {
  const endCursor = queue.pageInfo.hasNextPage ? queue.pageInfo.endCursor : null;

  if (queue.edges.length === 0) {
    return (
      <EmptyState title="Nothing waiting for review">
        A version waits here when its tests pass and it asks for a high-risk permission, or for more than its previous version.
      </EmptyState>
    );
  }
  return (
    <Stack gap="md" data-testid="review-queue">
      <ReviewQueueList requests={queue.edges.map((edge) => edge.node)} />
      {endCursor && (
        <Center>
          <LoadMoreButton label="Load more" variant="light" size="sm" onLoadMore={() => onLoadMore(endCursor)} testId="review-queue-load-more" />
        </Center>
      )}
      {!endCursor && queue.edges.length > PAGE_SIZE && (
        <Text size="xs" c="dimmed" ta="center">
          That is the whole queue.
        </Text>
      )}
    </Stack>
  );
}

/** Versions waiting for a reviewer, riskiest then oldest first (the server's order). */
export function ReviewQueueView() {
  const { data, loading, error, refetch, fetchMore } = useQuery(ReviewQueueDocument, { variables: { first: PAGE_SIZE } });
  const queue = data?.reviewQueue;
  const count = queue ? (queue.totalCount ?? queue.edges.length) : null;

  const loadMore = (after: string) =>
    fetchMore({
      variables: { after },
      updateQuery: (previous, { fetchMoreResult }) => ({ reviewQueue: appendEdges(previous.reviewQueue, fetchMoreResult.reviewQueue) }),
    });

  return (
    <>
      <PageHeader
        title="Review queue"
        subtitle={
          count === null ? (
            "Versions whose permissions need a reviewer."
          ) : (
            <span data-testid="review-queue-count" data-count={count}>
              {count === 1 ? "1 version waits" : `${count} versions wait`} for a reviewer: riskiest first, then oldest.
            </span>
          )
        }
        actions={
          <Button
            variant="default"
            size="xs"
            leftSection={<IconRefresh size={14} />}
            onClick={() => void refetch()}
            loading={loading && queue !== undefined}
            data-testid="review-queue-refresh"
          >
            Refresh
          </Button>
        }
      />
      <QueryState data={queue} error={error} refetch={() => void refetch()}>
        {(connection) => <QueueContent queue={connection} onLoadMore={loadMore} />}
      </QueryState>
    </>
  );
}
