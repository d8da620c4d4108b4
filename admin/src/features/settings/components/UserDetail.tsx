import { Badge, Button, Divider, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@apollo/client/react";
import { IconMailForward } from "@tabler/icons-react";
import { useId, useState } from "react";
import { useSession } from "../../../auth/session";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { RelativeTime } from "../../../components/RelativeTime";
import { SettingsUserDocument } from "../../../gql/graphql";
import { ApiTokensPanel, type CreatedToken } from "./ApiTokensPanel";
import { InvitationModal, type CreatedInvitation } from "./InvitationModal";
import { RoleBadges, UserKindBadge } from "./RoleBadges";
import { TeamMemberships } from "./TeamMemberships";
import { UserRolesEditor } from "./UserRolesEditor";

interface PendingInvitation {
  createdAt: string;
  expiresAt: string;
  createdBy: { handle: string } | null;
}

/** How another person gets a credential: not from the admin, but from an invitation they redeem. */
function InviteSection({
  handle,
  hasWorkingToken,
  pending,
  onInvite,
}: {
  handle: string;
  hasWorkingToken: boolean;
  pending: PendingInvitation | null;
  onInvite: () => void;
}) {
  const notNeededId = useId();
  return (
    <Stack gap="xs">
      <Text size="sm" c="dimmed">
        Nobody can create a token that acts as {handle}, admins included. Invite them instead: they redeem a one-time code on the sign-in page and get a token
        only they see; further tokens they create themselves.
      </Text>
      {pending && (
        <Text size="sm" data-testid="invitation-pending">
          An invitation is waiting for {handle}: created {pending.createdBy ? `by ${pending.createdBy.handle} ` : ""}
          <RelativeTime iso={pending.createdAt} />, it expires <RelativeTime iso={pending.expiresAt} />. A new one replaces it.
        </Text>
      )}
      {hasWorkingToken && (
        <Text size="sm" id={notNeededId} data-testid="invitation-not-needed">
          {handle} already holds a working token, so an invitation cannot be made for them. If they lost it, revoke it below first.
        </Text>
      )}
      <Group>
        <Button
          variant="light"
          leftSection={<IconMailForward size={16} />}
          onClick={onInvite}
          // The server decides; this only saves a refused click when the page already knows of a working token.
          disabled={hasWorkingToken}
          aria-describedby={hasWorkingToken ? notNeededId : undefined}
          data-testid="invitation-create"
        >
          Create invitation
        </Button>
      </Group>
    </Stack>
  );
}

/** One user: who they are, their kind, teams, global roles and API tokens (or, for another person, their invitation). */
export function UserDetail({
  userId,
  createdToken,
  onTokenCreated,
  onSecretDismissed,
  createdInvitation,
  onInvitationCreated,
  onInvitationDismissed,
}: {
  userId: string;
  createdToken: CreatedToken | null;
  onTokenCreated: (created: CreatedToken) => void;
  onSecretDismissed: () => void;
  createdInvitation: CreatedInvitation | null;
  onInvitationCreated: (created: CreatedInvitation) => void;
  onInvitationDismissed: () => void;
}) {
  const session = useSession();
  const { data, error, refetch } = useQuery(SettingsUserDocument, { variables: { id: userId } });
  const [inviting, setInviting] = useState(false);

  return (
    <QueryState data={data} error={error} refetch={() => void refetch()}>
      {({ node: user }) => {
        if (user?.__typename !== "User") {
          return <EmptyState title="No such user">The link may be out of date: pick a user from the list.</EmptyState>;
        }
        const isSelf = user.id === session.viewer.id;
        const isService = user.kind === "SERVICE";
        const tokens = user.apiTokens.edges.map((edge) => edge.node);
        const invitable = !isSelf && !isService;
        return (
          <Paper withBorder p="md" data-testid="user-detail" data-handle={user.handle} data-kind={user.kind}>
            <Stack gap="md">
              <Stack gap={4}>
                <Group gap="xs" wrap="wrap">
                  <Title order={3} style={{ overflowWrap: "anywhere" }} data-testid="user-detail-handle">
                    {user.handle}
                  </Title>
                  <UserKindBadge kind={user.kind} />
                  <RoleBadges roles={user.roles} />
                  {isSelf && (
                    <Badge size="sm" variant="outline" color="gray">
                      you
                    </Badge>
                  )}
                </Group>
                <Text size="sm" c="dimmed" component="div" style={{ overflowWrap: "anywhere" }}>
                  {user.email ?? "No email visible"} · joined <RelativeTime iso={user.createdAt} />
                </Text>
              </Stack>
              <Stack gap="xs">
                <Title order={4}>Teams</Title>
                <TeamMemberships handle={user.handle} isSelf={isSelf} memberships={user.memberships.edges.map((edge) => edge.node)} />
              </Stack>
              <Divider />
              {isService ? (
                <Text size="sm" c="dimmed" data-testid="service-account-roles">
                  A service account holds no global role and can never review or administer.
                </Text>
              ) : (
                <UserRolesEditor key={`${user.id}:${user.roles.join(",")}`} handle={user.handle} roles={user.roles} isSelf={isSelf} />
              )}
              <Divider />
              <Stack gap="xs">
                <Title order={4}>API tokens</Title>
                <Text size="sm" c="dimmed">
                  {isSelf
                    ? "A token signs you in here, in the CLI and in scripts, with your roles. Create more for yourself here."
                    : isService
                      ? `The tokens ${user.handle} runs with (CI, scripts). Admins create them; each secret is shown once.`
                      : `A token signs ${user.handle} in here, in the CLI and in scripts, with their roles.`}
                </Text>
              </Stack>
              {invitable && (
                <InviteSection
                  handle={user.handle}
                  hasWorkingToken={tokens.some((token) => token.revokedAt === null)}
                  pending={user.pendingInvitation}
                  onInvite={() => setInviting(true)}
                />
              )}
              <ApiTokensPanel
                key={user.id}
                handle={user.handle}
                isSelf={isSelf}
                canCreate={!invitable}
                emptyHint={
                  isService
                    ? `${user.handle} cannot sign in or use the CLI until it has a token.`
                    : `${user.handle} cannot sign in or use the CLI until they redeem an invitation.`
                }
                tokens={tokens}
                hasMore={user.apiTokens.pageInfo.hasNextPage}
                created={createdToken}
                onCreated={onTokenCreated}
                onSecretDismissed={onSecretDismissed}
                // Refetching also proves the session: after revoking your own token this request is refused and signs you out.
                onRevoked={() => void refetch()}
              />
              {invitable && (inviting || createdInvitation) && (
                <InvitationModal
                  handle={user.handle}
                  invitation={createdInvitation}
                  onCreated={(created) => {
                    onInvitationCreated(created);
                    // Shows the invitation as waiting once the dialog is closed.
                    void refetch();
                  }}
                  onClose={() => {
                    setInviting(false);
                    onInvitationDismissed();
                  }}
                  onFailed={() => void refetch()}
                />
              )}
            </Stack>
          </Paper>
        );
      }}
    </QueryState>
  );
}
