import { Button, Group, Text, type ButtonProps } from "@mantine/core";
import { useState } from "react";
import { ErrorMessage } from "./ErrorMessage";
import { describeError } from "../lib/errors";

/**
 * "Load the next page" for a cursor-paginated list. It owns the request's pending and failed state:
 * the button spins while `onLoadMore` runs, and a failure is shown next to it (with the server's code)
 * while the button stays clickable to try again.
 */
export function LoadMoreButton({
  label,
  onLoadMore,
  testId,
  variant = "default",
  size = "xs",
}: {
  label: string;
  onLoadMore: () => Promise<unknown>;
  testId?: string;
  variant?: ButtonProps["variant"];
  size?: ButtonProps["size"];
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const load = async () => {
    setPending(true);
    setError(null);
    try {
      await onLoadMore();
    } catch (failure) {
      setError(failure);
    } finally {
      setPending(false);
    }
  };

  const failure = error === null ? null : describeError(error);
  return (
    <Group gap="sm">
      <Button variant={variant} size={size} loading={pending} onClick={() => void load()} data-testid={testId}>
        {label}
      </Button>
      {failure && (
        <Text size="sm" c="red" role="alert">
          <ErrorMessage error={failure} />
        </Text>
      )}
    </Group>
  );
}

/**
 * For `fetchMore`'s `updateQuery`: the next page of a connection with the edges already shown kept in front.
 * Everything but the edges (pageInfo, …) comes from the next page; a total the server counts only on
 * the first page (null later) is kept, with whether it was capped.
 */
export function appendEdges<Connection extends { edges: readonly unknown[]; totalCount?: number | null; totalCountIsCapped?: boolean }>(
  shown: Connection,
  next: Connection,
): Connection {
  const merged = { ...next, edges: [...shown.edges, ...next.edges] };
  if (!("totalCount" in next) || (next.totalCount !== null && next.totalCount !== undefined)) return merged;
  return { ...merged, totalCount: shown.totalCount, ...("totalCountIsCapped" in shown ? { totalCountIsCapped: shown.totalCountIsCapped } : {}) };
}
