import { useQuery } from "@apollo/client/react";
import { Button, Stack, Tabs, Text } from "@mantine/core";
import { IconPlus } from "@tabler/icons-react";
import { useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useSession, type Session } from "../../../auth/session";
import { PageHeader } from "../../../components/PageHeader";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { TokensExpiringDocument, TokensMineDocument } from "../../../gql/graphql";
import { CreateApiTokenModal } from "../components/CreateApiTokenModal";
import { TokenList } from "../components/TokenList";
import { apiTokensPath, EXPIRING_WITHIN_DAYS, isTokensTab, readTokensTab } from "../tokens-url";

function MyTokens({ session }: { session: Session }) {
  const { data, error, refetch } = useQuery(TokensMineDocument);
  return (
    <QueryState data={data} error={error} refetch={() => void refetch()}>
      {({ viewer }) => {
        const edges = viewer?.apiTokens.edges ?? [];
        // Tokens in use first (newest first, as the server lists them), revoked ones after.
        const tokens = [...edges.filter((e) => e.node.revokedAt === null), ...edges.filter((e) => e.node.revokedAt !== null)].map((e) => e.node);
        if (tokens.length === 0) {
          return <EmptyState title="No tokens yet">Create one for a script, a CI pipeline or a telemetry collector, with only the scopes it needs.</EmptyState>;
        }
        return (
          <Stack gap="xs">
            <TokenList tokens={tokens} viewerHandle={session.viewer.handle} testId="my-tokens" />
            {viewer?.apiTokens.pageInfo.hasNextPage && (
              <Text size="xs" c="dimmed">
                Showing your newest 100 tokens.
              </Text>
            )}
          </Stack>
        );
      }}
    </QueryState>
  );
}

/** Admins: everyone's tokens that stop working within two weeks, so their owners can be told in time. */
function ExpiringTokens({ session }: { session: Session }) {
  const { data, error, refetch } = useQuery(TokensExpiringDocument, { variables: { withinDays: EXPIRING_WITHIN_DAYS } });
  return (
    <QueryState data={data} error={error} refetch={() => void refetch()}>
      {({ expiringApiTokens }) =>
        expiringApiTokens.edges.length === 0 ? (
          <EmptyState title="Nothing expires soon">No token stops working in the next {EXPIRING_WITHIN_DAYS} days.</EmptyState>
        ) : (
          <Stack gap="xs">
            <TokenList tokens={expiringApiTokens.edges.map((edge) => edge.node)} viewerHandle={session.viewer.handle} testId="expiring-tokens" />
            {expiringApiTokens.pageInfo.hasNextPage && (
              <Text size="xs" c="dimmed">
                Showing the 100 that expire first.
              </Text>
            )}
          </Stack>
        )
      }
    </QueryState>
  );
}

/**
 * Settings → API tokens: the viewer's own tokens for automation, each with only the scopes it
 * needs, an expiry and optionally the networks it may be used from; admins also see every token
 * that expires soon.
 */
export function ApiTokensView() {
  const session = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  // Only admins have the second tab; anyone else reaching it by URL sees their own tokens.
  const tab = session.isAdmin ? readTokensTab(params) : "mine";

  const mine = <MyTokens session={session} />;
  return (
    <>
      <PageHeader
        title="API tokens"
        subtitle="Tokens for scripts, CI pipelines and telemetry: each with only the scopes it needs, an expiry, and optionally the networks it works from."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)} data-testid="token-create">
            Create token
          </Button>
        }
      />
      {session.isAdmin ? (
        <Tabs value={tab} onChange={(value) => isTokensTab(value) && navigate(apiTokensPath(value), { replace: true })}>
          <Tabs.List>
            <Tabs.Tab value="mine" data-testid="tab-mine">
              Your tokens
            </Tabs.Tab>
            <Tabs.Tab value="expiring" data-testid="tab-expiring">
              Expiring soon
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="mine" pt="md">
            {tab === "mine" && mine}
          </Tabs.Panel>
          <Tabs.Panel value="expiring" pt="md">
            {tab === "expiring" && <ExpiringTokens session={session} />}
          </Tabs.Panel>
        </Tabs>
      ) : (
        mine
      )}
      {creating && <CreateApiTokenModal session={session} onClose={() => setCreating(false)} />}
    </>
  );
}
