import { Alert, Button, Checkbox, Group, Modal, MultiSelect, NumberInput, Stack, Text, Textarea, TextInput } from "@mantine/core";
import { useMutation } from "@apollo/client/react";
import { IconKey } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";
import type { Session } from "../../../auth/session";
import { CopyableValue } from "../../../components/CopyableValue";
import { ActionError } from "../../../components/ErrorMessage";
import { TokensCreateDocument, TokensMineDocument } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { allowedScopes, CREATABLE_SCOPES, createInput, DEFAULT_EXPIRY_DAYS, draftProblems, emptyDraft, withScopes, type TokenDraft } from "../token-rules";

/** The token just created: its name and its secret, which exists only in this dialog's memory. */
type Created = { name: string; secret: string };

function CreatedSecret({ created, onDone }: { created: Created; onDone: () => void }) {
  return (
    <Stack gap="sm" data-testid="token-created">
      <Alert color="yellow" icon={<IconKey size={18} />} title={`Copy “${created.name}” now: it is shown only this once`} data-testid="token-secret-box">
        <Stack gap="xs">
          <CopyableValue value={created.secret} what="token" testId="token-secret" autoFocus />
          <Text size="sm">
            Skillyard keeps only a hash of it, so nobody can show it again. Put it straight where it is used (a CI secret, your CLI); if it is lost, revoke it
            and create another.
          </Text>
        </Stack>
      </Alert>
      <Group justify="flex-end">
        <Button onClick={onDone} data-testid="token-secret-dismiss">
          I have copied it: close
        </Button>
      </Group>
    </Stack>
  );
}

function TokenForm({ session, onCancel, onCreated }: { session: Session; onCancel: () => void; onCreated: (created: Created) => void }) {
  const [draft, setDraft] = useState<TokenDraft>(emptyDraft);
  const [showErrors, setShowErrors] = useState(false);
  const [serverError, setServerError] = useState<DescribedError | null>(null);
  // no-cache: the payload carries the secret, which must not linger in the Apollo cache.
  const [createToken, { loading }] = useMutation(TokensCreateDocument, { fetchPolicy: "no-cache", refetchQueries: [TokensMineDocument] });
  const allowed = allowedScopes(session);
  const problems = draftProblems(draft);
  const teams = session.viewer.teams.edges.map((edge) => edge.node.team.name).sort();
  const update = (change: Partial<TokenDraft>) => setDraft((previous) => ({ ...previous, ...change }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if (problems.name || problems.scopes || problems.expiresInDays) return;
    setServerError(null);
    try {
      const result = await createToken({ variables: { input: createInput(draft) } });
      if (result.data) onCreated({ name: result.data.createApiToken.apiToken.name, secret: result.data.createApiToken.token });
    } catch (error) {
      setServerError(describeError(error));
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput
          label="Name"
          description="Tells your tokens apart later: what or where it is for."
          placeholder="e.g. ci-publisher, grafana-reader"
          value={draft.name}
          onChange={(event) => update({ name: event.currentTarget.value })}
          error={showErrors ? problems.name : null}
          required
          autoFocus
          data-testid="token-name-input"
        />
        <Checkbox.Group
          label="Scopes"
          description="What the token may do. It never does more than your roles allow."
          value={draft.scopes}
          onChange={(ticked) => update({ scopes: withScopes(draft.scopes, ticked) })}
          error={showErrors ? problems.scopes : null}
        >
          <Stack gap="xs" mt="xs">
            {CREATABLE_SCOPES.filter(({ scope }) => allowed.has(scope)).map(({ scope, label, description }) => (
              <Checkbox key={scope} value={scope} label={label} description={description} data-testid={`token-scope-${scope}`} />
            ))}
          </Stack>
        </Checkbox.Group>
        {draft.scopes.includes("PUBLISH") && (
          <MultiSelect
            label="Publish to"
            description={
              teams.length > 0 ? "Only these of your teams; none picked: every team you publish to." : "You are in no team yet, so it cannot publish anything."
            }
            placeholder={draft.publishTeams.length === 0 ? "All your teams" : undefined}
            data={teams}
            value={draft.publishTeams}
            onChange={(publishTeams) => update({ publishTeams })}
            disabled={teams.length === 0}
            searchable
            clearable
            comboboxProps={{ withinPortal: false }}
            data-testid="token-publish-teams-input"
          />
        )}
        <NumberInput
          label="Expires after (days)"
          description={`${DEFAULT_EXPIRY_DAYS} days unless you choose otherwise; the server sets the maximum.`}
          value={draft.expiresInDays}
          onChange={(expiresInDays) => update({ expiresInDays })}
          min={1}
          allowDecimal={false}
          allowNegative={false}
          error={showErrors ? problems.expiresInDays : null}
          w={220}
          data-testid="token-expiry-input"
        />
        <Textarea
          label="Allowed networks (optional)"
          description="CIDR ranges, one per line (e.g. 10.20.0.0/16). Requests from anywhere else are refused; empty: any address."
          placeholder={"10.20.0.0/16\n2001:db8::/48"}
          value={draft.allowedCidrs}
          onChange={(event) => update({ allowedCidrs: event.currentTarget.value })}
          autosize
          minRows={2}
          spellCheck={false}
          data-testid="token-cidrs-input"
        />
        {serverError && <ActionError title="No token created" error={serverError} testId="token-create-error" />}
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={loading} data-testid="token-create-submit">
            Create token
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/**
 * Creates an API token of the viewer's own: its scopes (those the viewer's roles allow), the teams
 * it publishes to, its expiry and the networks it works from. The secret is shown here once; closing
 * the dialog forgets it. Rendered only while open.
 */
export function CreateApiTokenModal({ session, onClose }: { session: Session; onClose: () => void }) {
  const [created, setCreated] = useState<Created | null>(null);
  return (
    <Modal
      opened
      onClose={onClose}
      title={created ? "Token created" : "Create an API token"}
      size="lg"
      // A stray click or Escape must not lose a secret that has not been copied yet: "close" does.
      closeOnClickOutside={!created}
      closeOnEscape={!created}
      data-testid="create-token-dialog"
    >
      {created ? <CreatedSecret created={created} onDone={onClose} /> : <TokenForm session={session} onCancel={onClose} onCreated={setCreated} />}
    </Modal>
  );
}
