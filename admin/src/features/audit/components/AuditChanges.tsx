import { Badge, Code, Group, Stack, Table, Text } from "@mantine/core";
import type { AuditEventFieldsFragment } from "../../../gql/graphql";

type State = Record<string, unknown> | null;

interface FieldChange {
  key: string;
  before: unknown;
  after: unknown;
  changed: boolean;
}

/**
 * Every key of either state, after's order first, marking those whose value differs. With no earlier
 * state (a creation) nothing is marked: every field would be.
 */
function compareStates(before: State, after: State): FieldChange[] {
  const keys = [...new Set([...Object.keys(after ?? {}), ...Object.keys(before ?? {})])];
  return keys.map((key) => {
    const b = before?.[key];
    const a = after?.[key];
    return { key, before: b, after: a, changed: before !== null && JSON.stringify(b) !== JSON.stringify(a) };
  });
}

function Value({ value, present }: { value: unknown; present: boolean }) {
  if (!present)
    return (
      <Text size="xs" c="dimmed">
        —
      </Text>
    );
  if (value !== null && typeof value === "object") {
    return (
      <Code block style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
        {JSON.stringify(value, null, 2)}
      </Code>
    );
  }
  return <Code style={{ overflowWrap: "anywhere" }}>{JSON.stringify(value)}</Code>;
}

/** The event's before and after states side by side; changed fields are highlighted. */
export function AuditChanges({ event }: { event: AuditEventFieldsFragment }) {
  const fields = compareStates(event.before, event.after);
  const changedCount = fields.filter((f) => f.changed).length;
  const hasBefore = event.before !== null;
  return (
    <Stack gap="xs" data-testid="audit-changes">
      <Group gap="xs" wrap="wrap">
        <Text size="xs" c="dimmed">
          Target
        </Text>
        <Code style={{ overflowWrap: "anywhere" }}>
          {event.targetType} {event.targetId}
        </Code>
        {!hasBefore && (
          <Badge size="xs" variant="outline" color="gray">
            no earlier state recorded
          </Badge>
        )}
      </Group>
      {fields.length === 0 ? (
        <Text size="sm" c="dimmed">
          This event recorded no state.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={420}>
          <Table withTableBorder withColumnBorders verticalSpacing={4} fz="xs" layout="fixed">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w="22%">Field</Table.Th>
                {hasBefore && <Table.Th>Before</Table.Th>}
                <Table.Th>{hasBefore ? "After" : "Recorded value"}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {fields.map((f) => (
                <Table.Tr key={f.key} bg={f.changed ? "var(--mantine-color-yellow-light)" : undefined} data-testid="audit-change-row" data-changed={f.changed}>
                  <Table.Td>
                    <Text size="xs" fw={f.changed ? 600 : 400} style={{ overflowWrap: "anywhere" }}>
                      {f.key}
                    </Text>
                  </Table.Td>
                  {event.before !== null && (
                    <Table.Td>
                      <Value value={f.before} present={Object.hasOwn(event.before, f.key)} />
                    </Table.Td>
                  )}
                  <Table.Td>
                    <Value value={f.after} present={event.after !== null && Object.hasOwn(event.after, f.key)} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {fields.length > 0 && hasBefore && (
        <Text size="xs" c="dimmed">
          {changedCount === 0 ? "No field changed value." : `${changedCount} of ${fields.length} field(s) changed (highlighted).`}
        </Text>
      )}
    </Stack>
  );
}
