import { Button, Grid, Paper } from "@mantine/core";
import { IconArrowLeft, IconUserPlus } from "@tabler/icons-react";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { useSession } from "../../../auth/session";
import { PageHeader } from "../../../components/PageHeader";
import { EmptyState } from "../../../components/QueryState";
import { AdminsOnly } from "../components/AdminsOnly";
import { CreateUserModal } from "../components/CreateUserModal";
import type { CreatedToken } from "../components/ApiTokensPanel";
import type { CreatedInvitation } from "../components/InvitationModal";
import { UserDetail } from "../components/UserDetail";
import { useWideScreen } from "../../../components/useWideScreen";
import { UserList } from "../components/UserList";

export function UsersAndTokensView() {
  const session = useSession();
  if (!session.isAdmin) {
    return (
      <AdminsOnly title="Users & tokens">
        Only admins can manage users, their roles and their API tokens. Lost your token? Ask an admin to revoke it and invite you again.
      </AdminsOnly>
    );
  }
  return <UsersAndTokens />;
}

function UsersAndTokens() {
  // The selected user is in the URL (?user=<id>) so a user's page can be linked and survives reloads.
  const [params, setParams] = useSearchParams();
  const selectedId = params.get("user");
  const [creating, setCreating] = useState(false);
  // The secret of the token just created, for the user it belongs to. Kept here, above the detail
  // pane and its query, so no refetch or remount can drop it before it is copied; only in memory.
  const [createdToken, setCreatedToken] = useState<(CreatedToken & { userId: string }) | null>(null);
  // Likewise the code of the invitation just created for them.
  const [createdInvitation, setCreatedInvitation] = useState<(CreatedInvitation & { userId: string }) | null>(null);
  if (createdToken && createdToken.userId !== selectedId) {
    // Leaving the user (by click, link or back button) hides their secret for good.
    setCreatedToken(null);
  }
  if (createdInvitation && createdInvitation.userId !== selectedId) {
    setCreatedInvitation(null);
  }
  const wide = useWideScreen("62em");
  const select = (id: string | null) => setParams(id ? { user: id } : {});

  const list = <UserList selectedId={selectedId} onSelect={(user) => select(user.id)} />;
  const detail = selectedId ? (
    <UserDetail
      key={selectedId}
      userId={selectedId}
      createdToken={createdToken}
      onTokenCreated={(created) => setCreatedToken({ ...created, userId: selectedId })}
      onSecretDismissed={() => setCreatedToken(null)}
      createdInvitation={createdInvitation}
      onInvitationCreated={(created) => setCreatedInvitation({ ...created, userId: selectedId })}
      onInvitationDismissed={() => setCreatedInvitation(null)}
    />
  ) : (
    <Paper withBorder p="md">
      <EmptyState title="Select a user">Their roles and API tokens appear here.</EmptyState>
    </Paper>
  );

  return (
    <>
      <PageHeader
        title="Users & tokens"
        subtitle="People and service accounts, their global roles and teams, and the API tokens they sign in with."
        actions={
          <Button leftSection={<IconUserPlus size={16} />} onClick={() => setCreating(true)} data-testid="create-user">
            Create user
          </Button>
        }
      />
      {wide ? (
        <Grid>
          <Grid.Col span={5}>{list}</Grid.Col>
          <Grid.Col span={7}>{detail}</Grid.Col>
        </Grid>
      ) : selectedId ? (
        // Narrow screens show one pane at a time: the list, or the chosen user with a way back.
        <>
          <Button variant="subtle" leftSection={<IconArrowLeft size={16} />} onClick={() => select(null)} mb="sm" px={0} data-testid="back-to-users">
            All users
          </Button>
          {detail}
        </>
      ) : (
        list
      )}
      {creating && (
        <CreateUserModal
          onClose={() => setCreating(false)}
          onCreated={(user) => {
            setCreating(false);
            select(user.id);
          }}
        />
      )}
    </>
  );
}
