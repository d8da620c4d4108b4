import { Group, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";

/** Title, optional subtitle and actions: the top of every page. */
export function PageHeader({ title, subtitle, actions }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <Group justify="space-between" align="flex-start" mb="md" gap="sm">
      <Stack gap={2} style={{ minWidth: 0 }}>
        <Title order={2} data-testid="page-title" style={{ overflowWrap: "anywhere" }}>
          {title}
        </Title>
        {subtitle && (
          <Text c="dimmed" size="sm" component="div">
            {subtitle}
          </Text>
        )}
      </Stack>
      {actions && <Group gap="xs">{actions}</Group>}
    </Group>
  );
}
