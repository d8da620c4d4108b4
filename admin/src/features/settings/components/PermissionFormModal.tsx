import { Alert, Button, Group, Input, Modal, SegmentedControl, Stack, Text, TextInput, Textarea } from "@mantine/core";
import { useMutation } from "@apollo/client/react";
import { useState, type FormEvent } from "react";
import type { PermissionRisk } from "../../../components/badges";
import { SettingsSetPermissionDocument, type SettingsPermissionFieldsFragment } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { ActionError } from "../../../components/ErrorMessage";
import { permissionDescriptionProblem, permissionNameProblem } from "@skillyard/core/src/input-rules";
import { riskMeaning, RISKS, type ReviewThreshold } from "./permission-rules";

type Permission = SettingsPermissionFieldsFragment;

/**
 * Adds a permission (`editing` null) or edits one's description and risk (the name is its key, so
 * it cannot change). Rendered only while open, so every opening starts from the entry's values.
 */
export function PermissionFormModal({
  editing,
  existingNames,
  policy,
  onClose,
  onSaved,
}: {
  editing: Permission | null;
  policy: ReviewThreshold;
  existingNames: ReadonlySet<string>;
  onClose: () => void;
  onSaved: (saved: Permission, created: boolean) => void;
}) {
  const [name, setName] = useState(editing?.name ?? "");
  const [description, setDescription] = useState(editing?.description ?? "");
  const [risk, setRisk] = useState<PermissionRisk>(editing?.risk ?? "MEDIUM");
  const [showErrors, setShowErrors] = useState(false);
  const [serverError, setServerError] = useState<DescribedError | null>(null);
  const [setPermission, { loading }] = useMutation(SettingsSetPermissionDocument);

  const trimmedName = name.trim();
  const nameError = editing ? null : permissionNameProblem(trimmedName);
  const descriptionError = permissionDescriptionProblem(description);
  // setPermission overwrites an entry with the same name: say so rather than surprise.
  const overwrites = !editing && existingNames.has(trimmedName);
  const unchanged = editing !== null && editing.description === description.trim() && editing.risk === risk;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if (nameError || descriptionError) return;
    setServerError(null);
    try {
      const result = await setPermission({ variables: { input: { name: trimmedName, description: description.trim(), risk } } });
      if (result.data) onSaved(result.data.setPermission, !editing && !overwrites);
    } catch (error) {
      setServerError(describeError(error));
    }
  }

  return (
    <Modal opened onClose={onClose} title={editing ? `Edit ${editing.name}` : "Add a permission"} size="lg" data-testid="permission-form">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Name"
            description={editing ? undefined : "resource:action, lowercase; scoped forms like database:read:analytics fall under database:read."}
            placeholder="database:read"
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            error={showErrors ? nameError : null}
            disabled={editing !== null}
            required
            autoFocus={!editing}
            data-testid="permission-name-input"
          />
          {overwrites && (
            <Alert color="yellow" data-testid="permission-overwrite-warning">
              {trimmedName} is already in the catalogue: saving replaces its description and risk.
            </Alert>
          )}
          <Textarea
            label="Description"
            description="What a skill holding this permission can do, for reviewers reading a version's permissions."
            value={description}
            onChange={(event) => setDescription(event.currentTarget.value)}
            error={showErrors ? descriptionError : null}
            autosize
            minRows={2}
            required
            autoFocus={editing !== null}
            data-testid="permission-description-input"
          />
          <Input.Wrapper label="Risk" description={riskMeaning(risk, policy)} id="permission-risk">
            <SegmentedControl
              fullWidth
              mt={6}
              value={risk}
              onChange={setRisk}
              data={RISKS.map((r) => ({ value: r, label: r.charAt(0) + r.slice(1).toLowerCase() }))}
              aria-labelledby="permission-risk-label"
              data-testid="permission-risk-input"
            />
          </Input.Wrapper>
          {editing && editing.risk !== risk && (
            <Text size="sm" c="dimmed" data-testid="permission-risk-change-note">
              Changing the risk applies to versions assessed from now on; versions already waiting for review keep their request.
            </Text>
          )}
          {serverError && <ActionError title="Not saved" error={serverError} testId="permission-form-error" />}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={loading} disabled={unchanged} data-testid="permission-save">
              {editing ? "Save changes" : overwrites ? "Replace entry" : "Add permission"}
            </Button>
          </Group>
          {unchanged && (
            <Text size="xs" c="dimmed" ta="right">
              Nothing to save yet: change the description or the risk.
            </Text>
          )}
        </Stack>
      </form>
    </Modal>
  );
}
