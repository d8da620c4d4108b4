import { Button, Checkbox, Group, Stack, Text } from "@mantine/core";
import { useMutation } from "@apollo/client/react";
import { useState } from "react";
import { SettingsSetUserRolesDocument, type GlobalRole } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { ActionError } from "../../../components/ErrorMessage";
import { GLOBAL_ROLES } from "./user-rules";

function sameRoles(a: readonly GlobalRole[], b: readonly GlobalRole[]): boolean {
  return a.length === b.length && a.every((role) => b.includes(role));
}

/**
 * The user's global roles as checkboxes, saved together. Keyed by the saved roles by its parent, so
 * it starts again from the server's answer after each save.
 */
export function UserRolesEditor({ handle, roles, isSelf }: { handle: string; roles: readonly GlobalRole[]; isSelf: boolean }) {
  const [draft, setDraft] = useState<GlobalRole[]>([...roles]);
  const [serverError, setServerError] = useState<DescribedError | null>(null);
  const [setUserRoles, { loading }] = useMutation(SettingsSetUserRolesDocument);
  const changed = !sameRoles(draft, roles);

  async function save() {
    setServerError(null);
    try {
      await setUserRoles({ variables: { input: { user: handle, roles: draft } } });
    } catch (error) {
      setServerError(describeError(error));
    }
  }

  return (
    <Stack gap="sm" data-testid="user-roles">
      <Checkbox.Group label="Global roles" value={draft} onChange={(value) => setDraft(GLOBAL_ROLES.map((r) => r.role).filter((r) => value.includes(r)))}>
        <Stack gap="xs" mt="xs">
          {GLOBAL_ROLES.map(({ role, label, description }) => {
            // The server refuses this too; saying why here beats a failed save.
            const locked = isSelf && role === "ADMIN";
            return (
              <Checkbox
                key={role}
                value={role}
                label={label}
                description={locked ? "You cannot remove your own admin role: ask another admin." : description}
                disabled={locked}
                data-testid={`user-role-${role}`}
              />
            );
          })}
        </Stack>
      </Checkbox.Group>
      {serverError && <ActionError title="Roles not saved" error={serverError} testId="user-roles-error" />}
      <Group gap="xs">
        <Button size="xs" onClick={() => void save()} loading={loading} disabled={!changed} data-testid="user-roles-save">
          Save roles
        </Button>
        {changed ? (
          <Button size="xs" variant="subtle" color="gray" onClick={() => setDraft([...roles])}>
            Undo changes
          </Button>
        ) : (
          <Text size="xs" c="dimmed">
            Tick or untick a role to change it.
          </Text>
        )}
      </Group>
    </Stack>
  );
}
