import { Alert, Anchor, Button, Center, Code, Paper, PasswordInput, Stack, Tabs, Text, Title } from "@mantine/core";
import { IconKey, IconMailOpened } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";
import { RedeemedTokenSecret, RedeemInvitationForm, type RedeemedToken } from "./RedeemInvitation";
import { useSessionState } from "./session";

function TokenSignInForm() {
  const { signIn } = useSessionState();
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const candidate = token.trim();
    if (!candidate) {
      setError("Paste an API token to sign in.");
      return;
    }
    setPending(true);
    setError(await signIn(candidate));
    setPending(false);
  }

  return (
    <form onSubmit={submit} data-testid="sign-in-form">
      <Stack>
        <PasswordInput
          label="API token"
          description="Kept for this browser tab only; closing the tab signs you out."
          placeholder="sky_…"
          value={token}
          onChange={(event) => setToken(event.currentTarget.value)}
          error={error}
          autoFocus
          data-testid="token-input"
        />
        <Button type="submit" loading={pending} data-testid="sign-in-button">
          Sign in
        </Button>
      </Stack>
    </form>
  );
}

/**
 * Two ways in: an API token you already hold, or an invitation code an admin gave you, which is
 * redeemed (without a token) for your first token, shown once, and then signs you in.
 */
export function SignInView() {
  const { signIn, endedBecause } = useSessionState();
  // The redeemed token's secret lives only here, in memory, until the person continues with it.
  const [redeemed, setRedeemed] = useState<RedeemedToken | null>(null);

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" p={{ base: "md", xs: "xl" }} radius="md" w="100%" maw={440} data-testid="sign-in">
        <Stack>
          <div>
            <Title order={2}>Skillyard admin</Title>
            <Text c="dimmed" size="sm">
              Review permissions, watch test runs and manage the catalogue.
            </Text>
          </div>
          {endedBecause && (
            <Alert color="yellow" data-testid="session-ended">
              {endedBecause}
            </Alert>
          )}
          {redeemed ? (
            <RedeemedTokenSecret redeemed={redeemed} onContinue={() => signIn(redeemed.secret)} />
          ) : (
            <Tabs defaultValue="token">
              <Tabs.List grow aria-label="How to sign in" mb="md">
                <Tabs.Tab value="token" leftSection={<IconKey size={16} />} data-testid="sign-in-tab-token">
                  API token
                </Tabs.Tab>
                <Tabs.Tab value="invitation" leftSection={<IconMailOpened size={16} />} data-testid="sign-in-tab-invitation">
                  I have an invitation
                </Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="token">
                <TokenSignInForm />
              </Tabs.Panel>
              <Tabs.Panel value="invitation">
                <RedeemInvitationForm onRedeemed={setRedeemed} />
              </Tabs.Panel>
            </Tabs>
          )}
          <Text size="xs" c="dimmed">
            No token? Ask an admin for an invitation. The first admin's token is printed once when the server first starts (<Code>npm run up</Code>).{" "}
            <Anchor href="/readyz">Server status</Anchor>
          </Text>
        </Stack>
      </Paper>
    </Center>
  );
}
