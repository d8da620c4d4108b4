import { Button, Collapse, Group, Paper, Stack, Table, Text, VisuallyHidden } from "@mantine/core";
import { IconChevronDown, IconChevronRight } from "@tabler/icons-react";
import { Fragment, useState } from "react";
import { RelativeTime } from "../../../components/RelativeTime";
import type { AuditEventFieldsFragment } from "../../../gql/graphql";
import { AuditActionBadge } from "./AuditActionBadge";
import { AuditChanges } from "./AuditChanges";
import { useWideScreen } from "../../../components/useWideScreen";
import { AuditTarget } from "./AuditTarget";

type AuditEvent = AuditEventFieldsFragment;

function Actor({ event }: { event: AuditEvent }) {
  if (!event.actor) {
    return (
      <Text size="sm" c="dimmed" fs="italic" data-testid="audit-actor">
        system
      </Text>
    );
  }
  return (
    <Text size="sm" fw={500} data-testid="audit-actor" style={{ overflowWrap: "anywhere" }}>
      {event.actor.handle}
    </Text>
  );
}

function DetailsToggle({ event, expanded, onToggle }: { event: AuditEvent; expanded: boolean; onToggle: () => void }) {
  return (
    <Button
      variant="subtle"
      size="compact-sm"
      leftSection={expanded ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
      onClick={onToggle}
      aria-expanded={expanded}
      aria-controls={`audit-details-${event.id}`}
      data-testid="audit-details-toggle"
    >
      {expanded ? "Hide changes" : "Changes"}
    </Button>
  );
}

/** The events as a table on wide screens and as stacked cards on narrow ones; each expands to its changes. */
export function AuditEventList({ events }: { events: AuditEvent[] }) {
  const wide = useWideScreen("48em");
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  if (!wide) {
    return (
      <Stack gap="xs" data-testid="audit-list">
        {events.map((event) => (
          <Paper key={event.id} withBorder p="sm" data-testid="audit-row" data-action={event.action}>
            <Stack gap={6}>
              <Group justify="space-between" wrap="nowrap" gap="xs">
                <AuditActionBadge action={event.action} />
                <Text size="xs" c="dimmed">
                  <RelativeTime iso={event.at} />
                </Text>
              </Group>
              <AuditTarget event={event} />
              <Group justify="space-between" wrap="nowrap" gap="xs">
                <Group gap={4} wrap="nowrap" align="baseline" style={{ minWidth: 0 }}>
                  <Text size="xs" c="dimmed">
                    by
                  </Text>
                  <Actor event={event} />
                </Group>
                <DetailsToggle event={event} expanded={expanded.has(event.id)} onToggle={() => toggle(event.id)} />
              </Group>
              <Collapse expanded={expanded.has(event.id)} id={`audit-details-${event.id}`} keepMounted={false}>
                <AuditChanges event={event} />
              </Collapse>
            </Stack>
          </Paper>
        ))}
      </Stack>
    );
  }

  return (
    <Table highlightOnHover verticalSpacing="sm" data-testid="audit-list" layout="fixed">
      <Table.Thead>
        <Table.Tr>
          <Table.Th w={130}>When</Table.Th>
          <Table.Th w={160}>Actor</Table.Th>
          <Table.Th w={190}>Action</Table.Th>
          <Table.Th>Target</Table.Th>
          <Table.Th w={140}>
            <VisuallyHidden>Changes</VisuallyHidden>
          </Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {events.map((event) => {
          const open = expanded.has(event.id);
          return (
            <Fragment key={event.id}>
              <Table.Tr data-testid="audit-row" data-action={event.action}>
                <Table.Td>
                  <Text size="sm">
                    <RelativeTime iso={event.at} />
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Actor event={event} />
                </Table.Td>
                <Table.Td>
                  <AuditActionBadge action={event.action} />
                </Table.Td>
                <Table.Td>
                  <AuditTarget event={event} />
                </Table.Td>
                <Table.Td ta="right">
                  <DetailsToggle event={event} expanded={open} onToggle={() => toggle(event.id)} />
                </Table.Td>
              </Table.Tr>
              {open && (
                <Table.Tr id={`audit-details-${event.id}`}>
                  <Table.Td colSpan={5} bg="var(--mantine-color-gray-0)">
                    <AuditChanges event={event} />
                  </Table.Td>
                </Table.Tr>
              )}
            </Fragment>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
