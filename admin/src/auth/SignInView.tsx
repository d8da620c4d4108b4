import { Alert, Anchor, Button, Center, Code, Paper, PasswordInput, Stack, Text, Title } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { useSessionState } from "./session";

export function SignInView() {
  const { signIn, endedBecause } = useSessionState();
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
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper component="form" onSubmit={submit} withBorder shadow="sm" p="xl" radius="md" w="100%" maw={440} data-testid="sign-in-form">
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
          <Text size="xs" c="dimmed">
            No token? An admin creates one on the Tokens page; the first admin's token is printed once when the server first starts
            (<Code>npm run up</Code>). <Anchor href="/readyz">Server status</Anchor>
          </Text>
        </Stack>
      </Paper>
    </Center>
  );
}
