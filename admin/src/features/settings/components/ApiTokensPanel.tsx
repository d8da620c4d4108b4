import { Alert, Badge, Button, Code, Divider, Group, Paper, Stack, Text, TextInput } from "@mantine/core";
import { useMutation } from "@apollo/client/react";
import { IconKey } from "@tabler/icons-react";
import { Fragment, useState, type FormEvent } from "react";
import { readToken } from "../../../auth/token-storage";
import { CopyableValue } from "../../../components/CopyableValue";
import { EmptyState } from "../../../components/QueryState";
import { RelativeTime } from "../../../components/RelativeTime";
import { SettingsCreateApiTokenDocument, SettingsUserDocument, type SettingsApiTokenFieldsFragment } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { ActionError } from "../../../components/ErrorMessage";
import { ScopeBadges, TokenExpiry } from "../../tokens/components/TokenFacts";
import { RevokeTokenModal } from "./RevokeTokenModal";
import { tokenOriginWords } from "./user-rules";
import { tokenNameProblem } from "@skillyard/core/src/input-rules";

type ApiToken = SettingsApiTokenFieldsFragment;

/** The secret of a token just created: the only time anyone sees it. */
function NewTokenSecret({ name, secret, onDismiss }: { name: string; secret: string; onDismiss: () => void }) {
  return (
    <Alert color="yellow" icon={<IconKey size={18} />} title={`Copy “${name}” now: it is shown only this once`} data-testid="token-secret-box">
      <Stack gap="xs">
        <Text size="sm">
          Skillyard keeps only a hash of it, so nobody can show it again. Put it straight where it is used (your CLI, a CI secret); if it is lost, revoke it and
          create another.
        </Text>
        <CopyableValue value={secret} what="token" testId="token-secret" />
        <Group>
          <Button size="xs" variant="light" color="yellow" onClick={onDismiss} data-testid="token-secret-dismiss">
            I have copied it: hide it
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

function CreateTokenForm({ handle, onCreated }: { handle: string; onCreated: (created: CreatedToken) => void }) {
  const [name, setName] = useState("");
  const [showErrors, setShowErrors] = useState(false);
  const [serverError, setServerError] = useState<DescribedError | null>(null);
  // no-cache: the payload carries the secret, which must not linger in the Apollo cache.
  const [createToken, { loading }] = useMutation(SettingsCreateApiTokenDocument, {
    fetchPolicy: "no-cache",
    refetchQueries: [SettingsUserDocument],
  });
  const nameProblem = tokenNameProblem(name);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if (nameProblem) return;
    setServerError(null);
    try {
      const result = await createToken({ variables: { input: { user: handle, name: name.trim() } } });
      if (result.data) {
        onCreated({ name: result.data.createApiToken.apiToken.name, secret: result.data.createApiToken.token });
        setName("");
        setShowErrors(false);
      }
    } catch (error) {
      setServerError(describeError(error));
    }
  }

  return (
    <Stack gap="xs">
      <form onSubmit={submit} noValidate>
        <Group gap="xs" align="flex-end" wrap="wrap">
          <TextInput
            label="New token name"
            placeholder="e.g. laptop, ci-publisher"
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            error={showErrors ? nameProblem : null}
            style={{ flex: "1 1 200px" }}
            data-testid="token-name-input"
          />
          <Button type="submit" loading={loading} data-testid="token-create">
            Create token
          </Button>
        </Group>
      </form>
      {serverError && <ActionError title="No token created" error={serverError} testId="token-create-error" />}
    </Stack>
  );
}

function TokenRow({ token, isCurrentSession, onRevoke }: { token: ApiToken; isCurrentSession: boolean; onRevoke: () => void }) {
  const revoked = token.revokedAt !== null;
  return (
    <Group
      p="sm"
      justify="space-between"
      wrap="nowrap"
      gap="sm"
      data-testid="token-row"
      data-name={token.name}
      data-revoked={revoked}
      data-origin={token.origin ?? "UNKNOWN"}
    >
      <Stack gap={4} style={{ minWidth: 0 }}>
        <Group gap="xs" wrap="wrap">
          <Text fw={600} size="sm" td={revoked ? "line-through" : undefined} style={{ overflowWrap: "anywhere" }}>
            {token.name}
          </Text>
          <Code>{token.prefix}…</Code>
          {isCurrentSession && (
            <Badge size="sm" variant="outline" data-testid="token-current">
              you are signed in with this
            </Badge>
          )}
        </Group>
        <ScopeBadges scopes={token.scopes} />
        <Text size="xs" c="dimmed" component="div">
          <span data-testid="token-origin">{tokenOriginWords(token.origin)}</span>
          {" · "}created <RelativeTime iso={token.createdAt} />
          {token.revokedAt && (
            <>
              {" · "}revoked <RelativeTime iso={token.revokedAt} />
            </>
          )}
        </Text>
      </Stack>
      {revoked ? (
        <Badge color="gray" variant="light" data-testid="token-status" data-status="REVOKED" style={{ flexShrink: 0 }}>
          revoked
        </Badge>
      ) : (
        <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
          <TokenExpiry expiresAt={token.expiresAt} />
          <Button size="compact-sm" variant="light" color="red" onClick={onRevoke} aria-label={`Revoke ${token.name}`} data-testid="token-revoke">
            Revoke
          </Button>
        </Group>
      )}
    </Group>
  );
}

/** A token just created, with the secret its owner must copy now. */
export type CreatedToken = { name: string; secret: string };

/**
 * A user's API tokens: create one (its secret shown once) where that is allowed (for yourself, or
 * for a service account), list them with how each came to be, revoke one. The page owns the created
 * secret, so the panel can be remounted by a refetch without losing it.
 */
export function ApiTokensPanel({
  handle,
  isSelf,
  canCreate,
  emptyHint,
  tokens,
  hasMore,
  created,
  onCreated,
  onSecretDismissed,
  onRevoked,
}: {
  handle: string;
  isSelf: boolean;
  canCreate: boolean;
  /** What having no token means for this user, for the empty list. */
  emptyHint: string;
  tokens: ApiToken[];
  hasMore: boolean;
  created: CreatedToken | null;
  onCreated: (created: CreatedToken) => void;
  onSecretDismissed: () => void;
  onRevoked: () => void;
}) {
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const signedInWith = isSelf ? readToken() : null;
  const isCurrentSession = (token: ApiToken) => signedInWith !== null && signedInWith.startsWith(token.prefix);
  // Tokens in use first (newest first, as the server lists them), revoked ones after.
  const ordered = [...tokens.filter((t) => t.revokedAt === null), ...tokens.filter((t) => t.revokedAt !== null)];

  return (
    <Stack gap="sm" data-testid="api-tokens">
      {canCreate && <CreateTokenForm handle={handle} onCreated={onCreated} />}
      {created && <NewTokenSecret name={created.name} secret={created.secret} onDismiss={onSecretDismissed} />}
      {ordered.length === 0 ? (
        <EmptyState title="No tokens">{emptyHint}</EmptyState>
      ) : (
        <Paper withBorder data-testid="token-list">
          {ordered.map((token, index) => (
            <Fragment key={token.id}>
              {index > 0 && <Divider />}
              <TokenRow token={token} isCurrentSession={isCurrentSession(token)} onRevoke={() => setRevoking(token)} />
            </Fragment>
          ))}
        </Paper>
      )}
      {hasMore && (
        <Text size="xs" c="dimmed">
          Showing the newest 100 tokens.
        </Text>
      )}
      {revoking && (
        <RevokeTokenModal
          token={revoking}
          owner={handle}
          isCurrentSession={isCurrentSession(revoking)}
          onClose={() => setRevoking(null)}
          onRevoked={() => {
            setRevoking(null);
            onRevoked();
          }}
        />
      )}
    </Stack>
  );
}
