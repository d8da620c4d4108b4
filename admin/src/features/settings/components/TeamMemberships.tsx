import { Badge, Button, Divider, Group, Modal, Paper, Stack, Text } from "@mantine/core";
import { useMutation } from "@apollo/client/react";
import { Fragment, useState } from "react";
import { ActionError } from "../../../components/ErrorMessage";
import { SettingsRemoveTeamMemberDocument, SettingsUserDocument, SettingsUsersDocument, ViewerDocument, type TeamRole } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";

export interface Membership {
  role: TeamRole;
  team: { id: string; name: string };
}

/** Confirms taking the user out of a team, saying what that changes; the server keeps the last maintainer. */
function RemoveMemberModal({ handle, isSelf, membership, onClose }: { handle: string; isSelf: boolean; membership: Membership; onClose: () => void }) {
  const team = membership.team.name;
  const [serverError, setServerError] = useState<DescribedError | null>(null);
  const [removeMember, { loading }] = useMutation(SettingsRemoveTeamMemberDocument, {
    // The list shows each user's teams; your own teams also decide what the console lets you maintain.
    refetchQueries: isSelf ? [SettingsUserDocument, SettingsUsersDocument, ViewerDocument] : [SettingsUserDocument, SettingsUsersDocument],
    awaitRefetchQueries: true,
  });

  async function confirm() {
    setServerError(null);
    try {
      await removeMember({ variables: { input: { team, user: handle } } });
      onClose();
    } catch (error) {
      setServerError(describeError(error));
    }
  }

  return (
    <Modal opened onClose={onClose} title={`Remove ${handle} from ${team}?`} data-testid="remove-member-modal">
      <Stack>
        <Text size="sm">
          {handle} stops seeing {team}’s unreleased versions at once (open live views included) and can no longer publish its skills.
          {membership.role === "MAINTAINER" ? ` They lose the maintainer role too; a team keeps at least one maintainer.` : ""}
        </Text>
        {serverError && <ActionError title="Not removed" error={serverError} testId="remove-member-error" />}
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={onClose} data-autofocus>
            Keep {handle}
          </Button>
          <Button color="red" onClick={() => void confirm()} loading={loading} data-testid="remove-member-confirm">
            Remove from {team}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** The user's teams with their role in each; admins take them out of one after confirming. */
export function TeamMemberships({ handle, isSelf, memberships }: { handle: string; isSelf: boolean; memberships: readonly Membership[] }) {
  const [removing, setRemoving] = useState<Membership | null>(null);
  if (memberships.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="user-no-teams">
        Not in any team, so they cannot publish yet.
      </Text>
    );
  }
  return (
    <>
      <Paper withBorder data-testid="user-teams-list">
        {memberships.map((membership, index) => (
          <Fragment key={membership.team.id}>
            {index > 0 && <Divider />}
            <Group
              px="sm"
              py={6}
              justify="space-between"
              wrap="nowrap"
              gap="sm"
              data-testid="user-team"
              data-team={membership.team.name}
              data-role={membership.role}
            >
              <Group gap="xs" wrap="wrap" style={{ minWidth: 0 }}>
                <Text size="sm" fw={600} style={{ overflowWrap: "anywhere" }}>
                  {membership.team.name}
                </Text>
                <Badge size="sm" variant={membership.role === "MAINTAINER" ? "light" : "default"}>
                  {membership.role.toLowerCase()}
                </Badge>
              </Group>
              <Button
                size="compact-sm"
                variant="subtle"
                color="red"
                onClick={() => setRemoving(membership)}
                aria-label={`Remove ${handle} from ${membership.team.name}`}
                data-testid="team-member-remove"
                style={{ flexShrink: 0 }}
              >
                Remove
              </Button>
            </Group>
          </Fragment>
        ))}
      </Paper>
      {removing && <RemoveMemberModal handle={handle} isSelf={isSelf} membership={removing} onClose={() => setRemoving(null)} />}
    </>
  );
}
