import { Button, Code, Group, Modal, Stack, Text } from "@mantine/core";
import { useMutation } from "@apollo/client/react";
import { useState } from "react";
import { ActionError } from "../../../components/ErrorMessage";
import { DirectoryDeleteGroupMappingDocument, DirectoryGroupMappingsDocument, type GroupMappingFieldsFragment } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { grantWords } from "../mapping-rules";

/** Confirms deleting a mapping, saying what changes and when. */
export function DeleteMappingModal({ mapping, onClose, onDeleted }: { mapping: GroupMappingFieldsFragment; onClose: () => void; onDeleted: () => void }) {
  const [serverError, setServerError] = useState<DescribedError | null>(null);
  const [deleteMapping, { loading }] = useMutation(DirectoryDeleteGroupMappingDocument, { refetchQueries: [DirectoryGroupMappingsDocument] });

  async function confirm() {
    setServerError(null);
    try {
      await deleteMapping({ variables: { input: { id: mapping.id } } });
      onDeleted();
    } catch (error) {
      setServerError(describeError(error));
    }
  }

  return (
    <Modal opened onClose={onClose} title="Delete this mapping?" data-testid="delete-mapping-dialog">
      <Stack>
        <Text size="sm">
          Members of <Code>{mapping.group}</Code> no longer get {grantWords(mapping)} from it. Each of them loses it at their next sign-in, unless another of
          their groups gives it too.
        </Text>
        {serverError && <ActionError title="Not deleted" error={serverError} testId="delete-mapping-error" />}
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={onClose} data-autofocus>
            Keep it
          </Button>
          <Button color="red" onClick={() => void confirm()} loading={loading} data-testid="delete-mapping-confirm">
            Delete mapping
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
