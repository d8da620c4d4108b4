import { Anchor, Badge, Button, Code, Divider, Group, Paper, Stack, Text } from "@mantine/core";
import { Fragment, useState } from "react";
import { Link } from "react-router";
import { useSessionState } from "../../../auth/session";
import type { TokenFieldsFragment } from "../../../gql/graphql";
import { RevokeTokenModal } from "../../settings/components/RevokeTokenModal";
import { userTokensPath } from "../../settings/settings-url";
import { ScopeBadges, TokenExpiry, TokenUsageFacts } from "./TokenFacts";

/** A token as listed; `user` names its owner where the list mixes owners (expiring soon). */
export type ListedToken = TokenFieldsFragment & { user?: { id: string; handle: string } };

/** True for the token this tab is signed in with (a session by cookie has none). */
function useSignedInWith(): (token: ListedToken) => boolean {
  const { credential } = useSessionState();
  const secret = credential?.kind === "token" ? credential.token : null;
  return (token) => secret !== null && secret.startsWith(token.prefix);
}

function TokenRow({ token, isCurrent, onRevoke }: { token: ListedToken; isCurrent: boolean; onRevoke: () => void }) {
  const revoked = token.revokedAt !== null;
  return (
    <Group p="sm" justify="space-between" align="flex-start" wrap="nowrap" gap="sm" data-testid="api-token-row" data-name={token.name} data-revoked={revoked}>
      <Stack gap={6} style={{ minWidth: 0 }}>
        <Group gap="xs" wrap="wrap">
          <Text fw={600} size="sm" td={revoked ? "line-through" : undefined} style={{ overflowWrap: "anywhere" }}>
            {token.name}
          </Text>
          <Code data-testid="token-prefix">{token.prefix}…</Code>
          {token.user && (
            <Anchor component={Link} to={userTokensPath(token.user.id)} size="sm" data-testid="token-owner">
              {token.user.handle}
            </Anchor>
          )}
          {isCurrent && (
            <Badge size="sm" variant="outline" data-testid="token-current">
              you are signed in with this
            </Badge>
          )}
        </Group>
        <ScopeBadges scopes={token.scopes} />
        <TokenUsageFacts token={token} />
      </Stack>
      <Stack gap={6} align="flex-end" style={{ flexShrink: 0 }}>
        {revoked ? (
          <Badge color="gray" variant="light" data-testid="token-status" data-status="REVOKED">
            revoked
          </Badge>
        ) : (
          <>
            <TokenExpiry expiresAt={token.expiresAt} />
            <Button size="compact-sm" variant="light" color="red" onClick={onRevoke} aria-label={`Revoke ${token.name}`} data-testid="token-revoke">
              Revoke
            </Button>
          </>
        )}
      </Stack>
    </Group>
  );
}

/** Tokens with their scopes, limits and expiry; revoking one asks first. Tokens without a `user` are the viewer's. */
export function TokenList({ tokens, viewerHandle, testId }: { tokens: readonly ListedToken[]; viewerHandle: string; testId: string }) {
  const [revoking, setRevoking] = useState<ListedToken | null>(null);
  const isCurrent = useSignedInWith();
  return (
    <>
      <Paper withBorder data-testid={testId}>
        {tokens.map((token, index) => (
          <Fragment key={token.id}>
            {index > 0 && <Divider />}
            <TokenRow token={token} isCurrent={isCurrent(token)} onRevoke={() => setRevoking(token)} />
          </Fragment>
        ))}
      </Paper>
      {revoking && (
        <RevokeTokenModal
          token={revoking}
          owner={revoking.user?.handle ?? viewerHandle}
          isCurrentSession={isCurrent(revoking)}
          onClose={() => setRevoking(null)}
          onRevoked={() => setRevoking(null)}
        />
      )}
    </>
  );
}
