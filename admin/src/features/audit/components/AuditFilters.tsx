import { Button, Group, Paper, Select, SimpleGrid, TextInput } from "@mantine/core";
import { IconFilter, IconX } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";
import type { AuditAction } from "../../../gql/graphql";
import { auditActionOptions, isAuditAction } from "./audit-actions";

export interface AuditFilterValues {
  action: AuditAction | null;
  actor: string;
  skill: string;
}

const ACTION_OPTIONS = auditActionOptions();

/**
 * The filter form. The action applies as soon as it is picked; the text fields on submit (Enter or
 * the button), so typing a handle does not query for every prefix of it.
 */
export function AuditFilters({ initial, onApply, onClear }: { initial: AuditFilterValues; onApply: (values: AuditFilterValues) => void; onClear: () => void }) {
  const [actor, setActor] = useState(initial.actor);
  const [skill, setSkill] = useState(initial.skill);
  const active = initial.action !== null || initial.actor !== "" || initial.skill !== "";

  function submit(event: FormEvent) {
    event.preventDefault();
    onApply({ action: initial.action, actor: actor.trim(), skill: skill.trim() });
  }

  return (
    <Paper component="form" onSubmit={submit} withBorder p="sm" mb="md" role="search" aria-label="Filter the audit log">
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
        <Select
          label="Action"
          placeholder="Any action"
          data={ACTION_OPTIONS}
          value={initial.action}
          onChange={(value) => onApply({ action: isAuditAction(value) ? value : null, actor: actor.trim(), skill: skill.trim() })}
          clearable
          searchable
          nothingFoundMessage="No such action"
          data-testid="audit-filter-action"
        />
        <TextInput
          label="Actor"
          placeholder="User handle, e.g. alice"
          value={actor}
          onChange={(event) => setActor(event.currentTarget.value)}
          data-testid="audit-filter-actor"
        />
        <TextInput
          label="Skill"
          placeholder="Skill name, e.g. csv-tools"
          value={skill}
          onChange={(event) => setSkill(event.currentTarget.value)}
          data-testid="audit-filter-skill"
        />
      </SimpleGrid>
      <Group justify="flex-end" gap="xs" mt="sm">
        {active && (
          <Button variant="subtle" color="gray" leftSection={<IconX size={16} />} onClick={onClear} data-testid="audit-filter-clear">
            Clear filters
          </Button>
        )}
        <Button type="submit" variant="light" leftSection={<IconFilter size={16} />} data-testid="audit-filter-apply">
          Apply filters
        </Button>
      </Group>
    </Paper>
  );
}
