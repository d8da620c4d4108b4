import { Button, Checkbox, Group, Input, Modal, SegmentedControl, Stack, Text, TextInput } from "@mantine/core";
import { useMutation } from "@apollo/client/react";
import { useState, type FormEvent } from "react";
import {
  SettingsCreateUserDocument,
  SettingsUsersDocument,
  type GlobalRole,
  type SettingsUserSummaryFieldsFragment,
  type UserKind,
} from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { ActionError } from "../../../components/ErrorMessage";
import { emailProblem, handleProblem } from "@skillyard/core/src/input-rules";
import { GLOBAL_ROLES, USER_KINDS } from "./user-rules";

const isUserKind = (value: string): value is UserKind => USER_KINDS.some((k) => k.kind === value);

/** Creates a person (handle, email, optional global roles) or a service account (no roles). Rendered only while open. */
export function CreateUserModal({ onClose, onCreated }: { onClose: () => void; onCreated: (user: SettingsUserSummaryFieldsFragment) => void }) {
  const [handle, setHandle] = useState("");
  const [email, setEmail] = useState("");
  const [kind, setKind] = useState<UserKind>("PERSON");
  const [roles, setRoles] = useState<GlobalRole[]>([]);
  const [showErrors, setShowErrors] = useState(false);
  const [serverError, setServerError] = useState<DescribedError | null>(null);
  const [createUser, { loading }] = useMutation(SettingsCreateUserDocument, { refetchQueries: [SettingsUsersDocument] });

  const handleError = handleProblem(handle.trim());
  const emailError = emailProblem(email.trim());

  async function submit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if (handleError || emailError) return;
    setServerError(null);
    try {
      // A service account holds no role: roles ticked before switching to it are not sent.
      const input = { handle: handle.trim(), email: email.trim(), kind, roles: kind === "PERSON" ? roles : [] };
      const result = await createUser({ variables: { input } });
      if (result.data) onCreated(result.data.createUser);
    } catch (error) {
      setServerError(describeError(error));
    }
  }

  return (
    <Modal opened onClose={onClose} title="Create a user" data-testid="create-user-form">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Handle"
            description="Lowercase letters, digits and '-'; how they appear everywhere in Skillyard."
            placeholder="alice"
            value={handle}
            onChange={(event) => setHandle(event.currentTarget.value)}
            error={showErrors ? handleError : null}
            required
            autoFocus
            data-testid="create-user-handle"
          />
          <TextInput
            label="Email"
            type="email"
            placeholder="alice@example.com"
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
            error={showErrors ? emailError : null}
            required
            data-testid="create-user-email"
          />
          <Input.Wrapper label="Kind" description={USER_KINDS.find((k) => k.kind === kind)?.description} id="create-user-kind">
            <SegmentedControl
              fullWidth
              mt={6}
              value={kind}
              onChange={(value) => {
                if (isUserKind(value)) setKind(value);
              }}
              data={USER_KINDS.map((k) => ({ value: k.kind, label: k.label }))}
              aria-labelledby="create-user-kind-label"
              data-testid="create-user-kind"
            />
          </Input.Wrapper>
          {kind === "PERSON" && (
            <Checkbox.Group
              label="Global roles"
              description="Leave both empty for someone who publishes and installs skills."
              value={roles}
              onChange={(value) => setRoles(GLOBAL_ROLES.map((r) => r.role).filter((r) => value.includes(r)))}
            >
              <Stack gap="xs" mt="xs">
                {GLOBAL_ROLES.map(({ role, label, description }) => (
                  <Checkbox key={role} value={role} label={label} description={description} data-testid={`create-user-role-${role}`} />
                ))}
              </Stack>
            </Checkbox.Group>
          )}
          {serverError && <ActionError title="Not created" error={serverError} testId="create-user-error" />}
          <Text size="xs" c="dimmed">
            {kind === "PERSON"
              ? "They cannot sign in yet: on their page next, create an invitation and hand them its one-time code."
              : "On its page next, create the token the automation signs in with."}
          </Text>
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={loading} data-testid="create-user-submit">
              Create user
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
