import { Alert, Button, Group, Stack, Text } from "@mantine/core";
import { IconPlugConnectedX } from "@tabler/icons-react";
import type { DescribedError } from "../lib/errors";
import { ErrorMessage } from "./ErrorMessage";

/**
 * A run's live stream (test output, eval cases) could not be followed: why, that what shows is the
 * stored copy and stays still, and a way to try the socket again.
 */
export function LiveUnavailable({ error, what, onReconnect, testId }: { error: DescribedError; what: string; onReconnect: () => void; testId: string }) {
  return (
    <Alert color="yellow" icon={<IconPlugConnectedX size={18} />} title={`Live ${what} is unavailable`} data-testid={testId}>
      <Stack gap={6}>
        <Text size="sm">
          <ErrorMessage error={error} />
        </Text>
        <Text size="sm">Showing the stored {what} instead; it does not update by itself.</Text>
        <Group>
          <Button size="xs" variant="light" color="yellow" onClick={onReconnect}>
            Reconnect
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}
