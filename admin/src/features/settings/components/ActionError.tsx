import { Alert, Text } from "@mantine/core";
import type { DescribedError } from "../../../lib/errors";

/** A failed mutation, next to the action that failed: the server's message and its code. */
export function ActionError({ title, error, testId }: { title: string; error: DescribedError; testId: string }) {
  return (
    <Alert color="red" title={title} data-testid={testId}>
      {error.message}
      {error.code && (
        <Text span c="dimmed" size="xs" ml="xs" data-testid="error-code">
          ({error.code})
        </Text>
      )}
    </Alert>
  );
}
