import { Alert, Button, Code, Group, List, Modal, Stack, Text } from "@mantine/core";
import { useMutation } from "@apollo/client/react";
import { IconMailForward } from "@tabler/icons-react";
import { useState } from "react";
import { ActionError } from "../../../components/ErrorMessage";
import { CopyableValue } from "../../../components/CopyableValue";
import { RelativeTime } from "../../../components/RelativeTime";
import { SettingsCreateInvitationDocument } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";

/** An invitation just created: the only time anyone sees its code. */
export type CreatedInvitation = { handle: string; code: string; expiresAt: string };

function InvitationCode({ invitation, onDone }: { invitation: CreatedInvitation; onDone: () => void }) {
  const signInUrl = new URL("/admin/", window.location.href).toString();
  return (
    <Stack gap="sm">
      <Alert color="yellow" icon={<IconMailForward size={18} />} title={`Hand this to ${invitation.handle}; it works once`} data-testid="invitation-code-box">
        <Stack gap="xs">
          <CopyableValue value={invitation.code} what="invitation code" testId="invitation-code" autoFocus />
          <Text size="sm" data-testid="invitation-expiry">
            Expires <RelativeTime iso={invitation.expiresAt} /> ({new Date(invitation.expiresAt).toLocaleString()}).
          </Text>
        </Stack>
      </Alert>
      <Text size="sm">
        {invitation.handle} opens <Code>{signInUrl}</Code>, chooses “I have an invitation” and pastes the code. They get a token that only they see; you never
        do.
      </Text>
      <Text size="sm" c="dimmed">
        The code is shown only now: Skillyard keeps just its hash. Hand it over a private channel. If it is lost, create a new invitation; it replaces this one.
      </Text>
      <Group justify="flex-end">
        <Button onClick={onDone} data-testid="invitation-done">
          I have handed it over: hide it
        </Button>
      </Group>
    </Stack>
  );
}

/**
 * Invites a person: explains what an invitation is, creates it, then shows its code once. The page
 * owns the created invitation (in memory only), so a refetch of the user cannot drop it; closing the
 * dialog or leaving the user hides it for good.
 */
export function InvitationModal({
  handle,
  invitation,
  onCreated,
  onFailed,
  onClose,
}: {
  handle: string;
  invitation: CreatedInvitation | null;
  onCreated: (invitation: CreatedInvitation) => void;
  /** The server refused (e.g. they hold a working token the page did not know of yet): the user is reloaded. */
  onFailed: () => void;
  onClose: () => void;
}) {
  const [serverError, setServerError] = useState<DescribedError | null>(null);
  // no-cache: the payload carries the code, which must not linger in the Apollo cache.
  const [createInvitation, { loading }] = useMutation(SettingsCreateInvitationDocument, { fetchPolicy: "no-cache" });

  async function create() {
    setServerError(null);
    try {
      const result = await createInvitation({ variables: { input: { user: handle } } });
      if (result.data) {
        const created = result.data.createInvitation;
        onCreated({ handle: created.user.handle, code: created.code, expiresAt: created.expiresAt });
      }
    } catch (error) {
      setServerError(describeError(error));
      onFailed();
    }
  }

  return (
    <Modal
      opened
      onClose={onClose}
      // Once the code is on screen, a stray click beside the dialog must not hide it.
      closeOnClickOutside={invitation === null}
      title={invitation ? `Invitation for ${handle}` : `Invite ${handle}`}
      data-testid="invitation-modal"
    >
      {invitation ? (
        <InvitationCode invitation={invitation} onDone={onClose} />
      ) : (
        <Stack>
          <Text size="sm">
            An invitation is a one-time code with which {handle} creates their own API token on the sign-in page. Nobody else, you included, ever holds a token
            that acts as them.
          </Text>
          <List size="sm" spacing={4}>
            <List.Item>it works once, and expires (when is shown with the code);</List.Item>
            <List.Item>a new invitation replaces one {handle} has not redeemed yet;</List.Item>
            <List.Item>it is only for someone with no working token: whoever holds one creates more themselves.</List.Item>
          </List>
          {serverError && <ActionError title="No invitation created" error={serverError} testId="invitation-create-error" />}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button onClick={() => void create()} loading={loading} data-testid="invitation-create-confirm" data-autofocus>
              Create invitation
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
