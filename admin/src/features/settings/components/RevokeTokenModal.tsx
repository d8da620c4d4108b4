import { Alert, Button, Code, Group, List, Modal, Stack, Text } from "@mantine/core";
import { useMutation } from "@apollo/client/react";
import { useState } from "react";
import { SettingsRevokeApiTokenDocument, type SettingsApiTokenFieldsFragment } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { ActionError } from "../../../components/ErrorMessage";

/** Confirms a revocation, saying exactly what stops working (and that revoking your own token signs you out). */
export function RevokeTokenModal({
  token,
  owner,
  isCurrentSession,
  onClose,
  onRevoked,
}: {
  token: SettingsApiTokenFieldsFragment;
  owner: string;
  isCurrentSession: boolean;
  onClose: () => void;
  onRevoked: () => void;
}) {
  const [serverError, setServerError] = useState<DescribedError | null>(null);
  const [revoke, { loading }] = useMutation(SettingsRevokeApiTokenDocument);

  async function confirm() {
    setServerError(null);
    try {
      await revoke({ variables: { id: token.id } });
      onRevoked();
    } catch (error) {
      setServerError(describeError(error));
    }
  }

  return (
    <Modal opened onClose={onClose} title={`Revoke “${token.name}”?`} data-testid="revoke-token-modal">
      <Stack>
        <Text size="sm">
          {owner}’s token <Code>{token.prefix}…</Code> stops working at once:
        </Text>
        <List size="sm" spacing={4}>
          <List.Item>every request made with it fails from then on (the CLI, scripts, CI jobs using it);</List.Item>
          <List.Item>its open live subscriptions (test output, review updates) are closed;</List.Item>
          <List.Item>it cannot be restored: create a new token if it is needed again.</List.Item>
        </List>
        {isCurrentSession && (
          <Alert color="orange" title="This is the token you are signed in with" data-testid="revoke-own-token-warning">
            Revoking it signs you out of this tab straight away. Have another admin token ready to sign in again.
          </Alert>
        )}
        {serverError && <ActionError title="Not revoked" error={serverError} testId="revoke-token-error" />}
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={onClose} data-autofocus>
            Keep it
          </Button>
          <Button color="red" onClick={() => void confirm()} loading={loading} data-testid="revoke-token-confirm">
            {isCurrentSession ? "Revoke and sign out" : "Revoke token"}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
