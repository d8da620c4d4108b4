import { Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useId, type ReactNode } from "react";

/** One titled block of evidence on the review page. */
export function ReviewSection({
  title,
  description,
  aside,
  testId,
  children,
}: {
  title: string;
  description?: ReactNode;
  /** Shown to the right of the title (counts, links). */
  aside?: ReactNode;
  testId: string;
  children: ReactNode;
}) {
  const headingId = useId();
  return (
    <Paper withBorder radius="md" p={{ base: "sm", sm: "md" }} component="section" aria-labelledby={headingId} data-testid={testId}>
      <Group justify="space-between" align="flex-start" gap="xs" mb="sm" wrap="wrap">
        <Stack gap={2} style={{ minWidth: 0 }}>
          <Title order={3} size="h4" id={headingId}>
            {title}
          </Title>
          {description && (
            <Text size="sm" c="dimmed" component="div">
              {description}
            </Text>
          )}
        </Stack>
        {aside}
      </Group>
      {children}
    </Paper>
  );
}
