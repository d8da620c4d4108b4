import { Alert, Button, Code, PasswordInput, Stack, Text, TextInput } from "@mantine/core";
import { useMutation } from "@apollo/client/react";
import { IconKey } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";
import { tokenNameProblem } from "@skillyard/core/src/input-rules";
import { ActionError } from "../components/ErrorMessage";
import { CopyableValue } from "../components/CopyableValue";
import { RedeemInvitationDocument } from "../gql/graphql";
import { describeError, type DescribedError } from "../lib/errors";

/** The token an invitation was just redeemed for: the only time anyone sees its secret. */
export type RedeemedToken = { handle: string; name: string; secret: string };

/**
 * Redeems an invitation code without a token: the server creates the invited person's first token
 * and answers its secret once.
 */
export function RedeemInvitationForm({ onRedeemed }: { onRedeemed: (redeemed: RedeemedToken) => void }) {
  const [code, setCode] = useState("");
  const [tokenName, setTokenName] = useState("admin console");
  const [showErrors, setShowErrors] = useState(false);
  const [serverError, setServerError] = useState<DescribedError | null>(null);
  // anonymous: whatever this tab holds, the code alone proves who redeems it. no-cache: the secret must not linger.
  const [redeem, { loading }] = useMutation(RedeemInvitationDocument, { fetchPolicy: "no-cache", context: { anonymous: true } });
  const codeProblem = code.trim() ? null : "Paste the invitation code an admin gave you.";
  const nameProblem = tokenNameProblem(tokenName);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setShowErrors(true);
    if (codeProblem || nameProblem) return;
    setServerError(null);
    try {
      const result = await redeem({ variables: { input: { code: code.trim(), tokenName: tokenName.trim() } } });
      if (result.data) {
        const redeemed = result.data.redeemInvitation;
        onRedeemed({ handle: redeemed.user.handle, name: redeemed.apiToken.name, secret: redeemed.token });
      }
    } catch (error) {
      setServerError(describeError(error));
    }
  }

  return (
    <form onSubmit={submit} noValidate data-testid="redeem-form">
      <Stack>
        <Text size="sm" c="dimmed">
          An admin gave you a one-time code. Redeem it here for an API token of your own: only you see it.
        </Text>
        <PasswordInput
          label="Invitation code"
          placeholder="syi_…"
          value={code}
          onChange={(event) => setCode(event.currentTarget.value)}
          error={showErrors ? codeProblem : null}
          autoComplete="off"
          data-testid="invitation-code-input"
        />
        <TextInput
          label="Name for your token"
          description="Tells your tokens apart later, e.g. the machine it is for."
          value={tokenName}
          onChange={(event) => setTokenName(event.currentTarget.value)}
          error={showErrors ? nameProblem : null}
          data-testid="invitation-token-name-input"
        />
        {serverError && <ActionError title="Invitation not redeemed" error={serverError} testId="redeem-error" />}
        <Button type="submit" loading={loading} data-testid="redeem-button">
          Redeem invitation
        </Button>
      </Stack>
    </form>
  );
}

/** The new token's secret, shown once, and the way on into the console with it. */
export function RedeemedTokenSecret({ redeemed, onContinue }: { redeemed: RedeemedToken; onContinue: () => Promise<string | null> }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function continueSignedIn() {
    setPending(true);
    setError(await onContinue());
    setPending(false);
  }

  return (
    <Stack data-testid="redeemed">
      <Text size="sm">
        Welcome, <b>{redeemed.handle}</b>. Your invitation is used up; this is your new token “{redeemed.name}”.
      </Text>
      <Alert color="yellow" icon={<IconKey size={18} />} title="Copy your token now" data-testid="redeemed-token-box">
        <Stack gap="xs">
          <CopyableValue value={redeemed.secret} what="token" testId="redeemed-token" autoFocus />
          <Text size="sm">
            Keep it: the CLI needs it too (<Code>skillyard login</Code>), and it is not shown again. Skillyard keeps only a hash of it.
          </Text>
        </Stack>
      </Alert>
      {error && (
        <Alert color="red" data-testid="redeemed-sign-in-error">
          {error}
        </Alert>
      )}
      <Button onClick={() => void continueSignedIn()} loading={pending} data-testid="redeem-continue">
        Continue signed in as {redeemed.handle}
      </Button>
    </Stack>
  );
}
