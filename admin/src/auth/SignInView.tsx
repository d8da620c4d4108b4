import { Alert, Anchor, Button, Center, Code, Divider, Paper, PasswordInput, Stack, Tabs, Text, Title } from "@mantine/core";
import { IconKey, IconLogin2, IconMailOpened } from "@tabler/icons-react";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useHref, useLocation, useSearchParams } from "react-router";
import { LoadingState } from "../components/QueryState";
import { fetchAuthConfig, issuerHost, oidcLoginUrl, type AuthConfig } from "./auth-api";
import { RedeemedTokenSecret, RedeemInvitationForm, type RedeemedToken } from "./RedeemInvitation";
import { useSessionState } from "./session";
import { readSignInError, signInErrorMessage } from "./sign-in-errors";

type ConfigState = { state: "loading" } | { state: "loaded"; config: AuthConfig } | { state: "failed" };

/**
 * Whether the server offers single sign-on. Without an answer (a server from before single sign-on,
 * a proxy in the way) the page offers what always works: the token form.
 */
function useAuthConfig(): ConfigState {
  const [config, setConfig] = useState<ConfigState>({ state: "loading" });
  useEffect(() => {
    let current = true;
    fetchAuthConfig().then(
      (loaded) => current && setConfig({ state: "loaded", config: loaded }),
      () => current && setConfig({ state: "failed" }),
    );
    return () => {
      current = false;
    };
  }, []);
  return config;
}

/**
 * The way in through the company's identity provider: a plain link to the server, which sends the
 * browser to the provider and, once signed in there, back to the page the person was on.
 */
function SsoSignIn({ issuer }: { issuer: string | null }) {
  const location = useLocation();
  const search = new URLSearchParams(location.search);
  search.delete("signInError");
  const query = search.toString();
  // useHref adds the router's basename (/admin), so the server gets the full path to come back to.
  const returnTo = useHref({ pathname: location.pathname, search: query ? `?${query}` : "" });
  // The usual way in has focus on arrival (React's autoFocus does not apply to links).
  const button = useRef<HTMLAnchorElement>(null);
  useEffect(() => button.current?.focus(), []);
  return (
    <Stack gap="xs">
      <Button ref={button} component="a" href={oidcLoginUrl(returnTo)} size="md" leftSection={<IconLogin2 size={18} />} data-testid="sign-in-sso">
        {issuer ? `Sign in with ${issuerHost(issuer)}` : "Sign in with single sign-on"}
      </Button>
      <Text size="xs" c="dimmed" ta="center">
        Your company account: teams and roles follow your directory groups.
      </Text>
    </Stack>
  );
}

function TokenSignInForm({ autoFocus }: { autoFocus: boolean }) {
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
          autoFocus={autoFocus}
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
 * The ways in: the company's identity provider when the server has one set up, an API token you
 * already hold, or an invitation code an admin gave you, which is redeemed (without a token) for
 * your first token, shown once, and then signs you in.
 */
export function SignInView() {
  const { signIn, endedBecause, checkProblem } = useSessionState();
  const config = useAuthConfig();
  // The redeemed token's secret lives only here, in memory, until the person continues with it.
  const [redeemed, setRedeemed] = useState<RedeemedToken | null>(null);
  // Why the identity provider sign-in just failed: read once, then dropped from the address so a
  // reload or a bookmark does not say it again.
  const [params, setParams] = useSearchParams();
  const [signInError] = useState(() => readSignInError(params.toString()));
  useEffect(() => {
    if (!params.has("signInError")) return;
    const rest = new URLSearchParams(params);
    rest.delete("signInError");
    setParams(rest, { replace: true });
  }, [params, setParams]);
  const sso = config.state === "loaded" && config.config.oidc.enabled ? config.config.oidc : null;

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
          {signInError && (
            <Alert color="red" title="You are not signed in" data-testid="sign-in-error" data-code={signInError}>
              {signInErrorMessage(signInError)}
            </Alert>
          )}
          {endedBecause && (
            <Alert color="yellow" data-testid="session-ended">
              {endedBecause}
            </Alert>
          )}
          {checkProblem && (
            <Alert color="yellow" data-testid="session-check-failed">
              Could not check whether this browser is signed in: {checkProblem}
            </Alert>
          )}
          {config.state === "loading" ? (
            <LoadingState label="Loading the ways to sign in…" />
          ) : redeemed ? (
            <RedeemedTokenSecret redeemed={redeemed} onContinue={() => signIn(redeemed.secret)} />
          ) : (
            <>
              {sso && (
                <>
                  <SsoSignIn issuer={sso.issuer} />
                  <Divider label="or with an API token" labelPosition="center" />
                </>
              )}
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
                  <TokenSignInForm autoFocus={!sso} />
                </Tabs.Panel>
                <Tabs.Panel value="invitation">
                  <RedeemInvitationForm onRedeemed={setRedeemed} />
                </Tabs.Panel>
              </Tabs>
            </>
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
