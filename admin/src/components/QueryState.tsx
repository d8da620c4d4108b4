import { Alert, Button, Center, Group, Loader, Stack, Text } from "@mantine/core";
import { IconAlertTriangle, IconInbox } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { ErrorMessage } from "./ErrorMessage";
import { describeError } from "../lib/errors";

/** A load that failed: says what happened, with the server's code, and offers a retry. */
export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const described = describeError(error);
  return (
    <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Could not load this" data-testid="error-state">
      <Stack gap="xs">
        <Text size="sm">
          <ErrorMessage error={described} />
        </Text>
        {onRetry && (
          <Group>
            <Button size="xs" variant="light" color="red" onClick={onRetry}>
              Try again
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

export function LoadingState({ label = "Loading…" }: { label?: string }) {
  return (
    <Center py="xl" data-testid="loading-state">
      <Group gap="sm">
        <Loader size="sm" />
        <Text c="dimmed" size="sm">
          {label}
        </Text>
      </Group>
    </Center>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Center py="xl" data-testid="empty-state">
      <Stack align="center" gap={4}>
        <IconInbox size={32} stroke={1.5} color="var(--mantine-color-gray-5)" />
        <Text fw={500}>{title}</Text>
        {children && (
          <Text c="dimmed" size="sm" ta="center" maw={420}>
            {children}
          </Text>
        )}
      </Stack>
    </Center>
  );
}

/**
 * The three states every query view has. Data already on screen stays while a refetch runs; a
 * failed refetch (Apollo keeps the old data and sets the error) shows above it, and an error with
 * no data replaces the view.
 */
export function QueryState<T>({
  data,
  error,
  refetch,
  children,
}: {
  data: T | undefined;
  error: unknown;
  refetch?: () => void;
  children: (data: T) => ReactNode;
}) {
  if (data !== undefined && data !== null) {
    return (
      <>
        {error ? <ErrorState error={error} onRetry={refetch} /> : null}
        {children(data)}
      </>
    );
  }
  if (error) return <ErrorState error={error} onRetry={refetch} />;
  return <LoadingState />;
}
