import { Button, Group, Input, Modal, SegmentedControl, Stack, Text, TextInput } from "@mantine/core";
import { useMutation } from "@apollo/client/react";
import { useState, type FormEvent } from "react";
import { ActionError } from "../../../components/ErrorMessage";
import { TeamPicker, type TeamGroup } from "../../distribution/components/TeamPicker";
import { DirectoryGroupMappingsDocument, DirectorySetGroupMappingDocument, type GroupMappingFieldsFragment } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { emptyMappingDraft, MAPPED_ROLES, mappingInput, mappingProblems, TEAM_ROLES, type MappingDraft } from "../mapping-rules";

const isTarget = (value: string): value is MappingDraft["target"] => value === "team" || value === "role";

/** Adds a mapping: a directory group, then either a team and the role in it, or a global role. Rendered only while open. */
export function AddMappingModal({
  knownTeams,
  onClose,
  onAdded,
}: {
  knownTeams: readonly TeamGroup[];
  onClose: () => void;
  onAdded: (mapping: GroupMappingFieldsFragment) => void;
}) {
  const [draft, setDraft] = useState<MappingDraft>(emptyMappingDraft);
  const [showErrors, setShowErrors] = useState(false);
  const [serverError, setServerError] = useState<DescribedError | null>(null);
  const [setMapping, { loading }] = useMutation(DirectorySetGroupMappingDocument, { refetchQueries: [DirectoryGroupMappingsDocument] });
  const problems = mappingProblems(draft);
  const update = (change: Partial<MappingDraft>) => setDraft((previous) => ({ ...previous, ...change }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if (problems.group || problems.team) return;
    setServerError(null);
    try {
      const result = await setMapping({ variables: { input: mappingInput(draft) } });
      if (result.data) onAdded(result.data.setGroupMapping);
    } catch (error) {
      setServerError(describeError(error));
    }
  }

  return (
    <Modal opened onClose={onClose} title="Map a directory group" data-testid="add-mapping-dialog">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Directory group"
            description="Exactly as your identity provider sends it in the groups claim."
            placeholder="eng-data"
            value={draft.group}
            onChange={(event) => update({ group: event.currentTarget.value })}
            error={showErrors ? problems.group : null}
            required
            autoFocus
            spellCheck={false}
            data-testid="mapping-group-input"
          />
          <Input.Wrapper label="Its members get" id="mapping-target">
            <SegmentedControl
              fullWidth
              mt={6}
              value={draft.target}
              onChange={(value) => isTarget(value) && update({ target: value })}
              data={[
                { value: "team", label: "A team membership" },
                { value: "role", label: "A global role" },
              ]}
              aria-labelledby="mapping-target-label"
              data-testid="mapping-target"
            />
          </Input.Wrapper>
          {draft.target === "team" ? (
            <>
              <Stack gap={4}>
                <TeamPicker
                  value={draft.team}
                  onChange={(team) => update({ team })}
                  everyone={false}
                  groups={knownTeams}
                  allowOther
                  label="Team"
                  description="Type the team's name if it is not offered."
                  testId="mapping-team-input"
                />
                {showErrors && problems.team && (
                  <Text size="xs" c="red" data-testid="mapping-team-error">
                    {problems.team}
                  </Text>
                )}
              </Stack>
              <Input.Wrapper label="Role in the team" id="mapping-team-role">
                <SegmentedControl
                  fullWidth
                  mt={6}
                  value={draft.teamRole}
                  onChange={(value) => update({ teamRole: TEAM_ROLES.find((r) => r.value === value)?.value ?? "MEMBER" })}
                  data={TEAM_ROLES}
                  aria-labelledby="mapping-team-role-label"
                  data-testid="mapping-team-role"
                />
              </Input.Wrapper>
            </>
          ) : (
            <Input.Wrapper label="Global role" id="mapping-role">
              <SegmentedControl
                fullWidth
                mt={6}
                value={draft.role}
                onChange={(value) => update({ role: MAPPED_ROLES.find((r) => r.value === value)?.value ?? "REVIEWER" })}
                data={MAPPED_ROLES}
                aria-labelledby="mapping-role-label"
                data-testid="mapping-role"
              />
            </Input.Wrapper>
          )}
          <Text size="xs" c="dimmed">
            It applies to each member at their next sign-in through the identity provider.
          </Text>
          {serverError && <ActionError title="Not mapped" error={serverError} testId="mapping-error" />}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={loading} data-testid="mapping-submit">
              Add mapping
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
