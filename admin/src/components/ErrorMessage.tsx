import { Alert, Text } from "@mantine/core";
import type { DescribedError } from "../lib/errors";

/** What failed, in the server's words, followed by its machine-readable code. */
export function ErrorMessage({ error }: { error: DescribedError }) {
  return (
    <>
      {error.message}
      {error.code && (
        <Text span c="dimmed" size="xs" ml="xs" data-testid="error-code">
          ({error.code})
        </Text>
      )}
    </>
  );
}

/** A failed mutation, next to the action that failed. */
export function ActionError({ title, error, testId }: { title: string; error: DescribedError; testId: string }) {
  return (
    <Alert color="red" title={title} data-testid={testId} data-code={error.code ?? undefined}>
      <ErrorMessage error={error} />
    </Alert>
  );
}
