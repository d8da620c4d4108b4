import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";
import { Browser, formsOf, type Hop } from "./browser";

/** A person in the test directory; tests change their claims (groups, email) between sign-ins. */
export interface DirectoryAccount {
  /** Also the login typed on the provider's sign-in page. */
  sub: string;
  email: string;
  email_verified?: boolean;
  name: string;
  preferred_username?: string;
  groups: string[];
}

export interface TestOidcProviderOptions {
  /** Skillyard's PUBLIC_URL: the client's redirect URI and post-logout URI are registered under it. */
  relyingParty: string;
  /** The device authorization grant (RFC 8628); on by default. */
  deviceFlow?: boolean;
}

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/**
 * A real OpenID provider (oidc-provider 9) on 127.0.0.1 for the tests, with its development
 * sign-in and consent pages: one confidential client (authorization code with PKCE, device code),
 * accounts with sub/email/name/groups claims that the test edits, RP-initiated logout.
 */
export class TestOidcProvider {
  readonly clientId = "skillyard";
  readonly clientSecret = randomBytes(24).toString("base64url");
  readonly accounts = new Map<string, DirectoryAccount>();

  private constructor(
    readonly issuer: string,
    private readonly server: http.Server,
  ) {}

  static async start(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
    let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
    const server = http.createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const launched = new TestOidcProvider(issuer, server);
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: launched.clientId,
          client_secret: launched.clientSecret,
          client_name: "Skillyard",
          redirect_uris: [`${options.relyingParty}/auth/oidc/callback`],
          post_logout_redirect_uris: [`${options.relyingParty}/admin/`],
          grant_types: options.deviceFlow === false ? ["authorization_code"] : ["authorization_code", DEVICE_GRANT],
          response_types: ["code"],
          token_endpoint_auth_method: "client_secret_basic",
        },
      ],
      findAccount: (_ctx, id) => {
        const account = launched.accounts.get(id);
        if (!account) return undefined;
        return {
          accountId: id,
          // Read at each token and userinfo request, so a changed account shows at the next sign-in.
          claims: () => {
            const current = launched.accounts.get(id) ?? account;
            return { ...current, email_verified: current.email_verified ?? true };
          },
        };
      },
      claims: {
        openid: ["sub"],
        email: ["email", "email_verified"],
        profile: ["name", "preferred_username"],
        groups: ["groups"],
      },
      features: {
        devInteractions: { enabled: true },
        deviceFlow: { enabled: options.deviceFlow !== false },
        rpInitiatedLogout: { enabled: true },
      },
      pkce: { required: () => true },
      cookies: { keys: [randomBytes(32).toString("base64url")] },
    });
    handler = provider.callback();
    return launched;
  }

  setAccount(account: DirectoryAccount): void {
    this.accounts.set(account.sub, account);
  }

  /** The OIDC_* variables that point a Skillyard at this provider. */
  env(): Record<string, string> {
    return { OIDC_ISSUER: this.issuer, OIDC_CLIENT_ID: this.clientId, OIDC_CLIENT_SECRET: this.clientSecret };
  }

  private readonly onProvider = (url: URL) => url.origin === this.issuer;

  /**
   * Signs `login` in on the provider's pages from an authorization URL (sign-in, then consent when
   * asked) and answers the redirect that leaves the provider: the authorization response.
   */
  async authorize(browser: Browser, authorizationUrl: string, login: string): Promise<Hop> {
    let hop = await browser.follow(authorizationUrl, this.onProvider);
    hop = await this.interact(browser, hop, login);
    if (!hop.location) throw new Error(`the provider did not redirect back (HTTP ${hop.status}): ${hop.body.slice(0, 500)}`);
    return hop;
  }

  /** Approves a device authorization's user code as `login` on the provider's pages; answers the final page. */
  async approveDevice(browser: Browser, verificationUri: string, userCode: string, login: string): Promise<Hop> {
    const page = await browser.follow(verificationUri, this.onProvider);
    const [input] = formsOf(page.body, page.url);
    let hop = await browser.submit(input, { user_code: userCode }, this.onProvider);
    // A code already in the URL (verification_uri_complete) first asks to confirm it.
    const confirm = formsOf(hop.body, hop.url).find((f) => "confirm" in f.fields || f.action.includes("/device"));
    if (confirm && !hop.location && !/name="login"/.test(hop.body)) hop = await browser.submit(confirm, { confirm: "yes" }, this.onProvider);
    return this.interact(browser, hop, login);
  }

  /** Answers the sign-in and consent pages until the provider stops asking. */
  private async interact(browser: Browser, first: Hop, login: string): Promise<Hop> {
    let hop = first;
    for (let i = 0; i < 4 && !(hop.location && !this.onProvider(new URL(hop.location))); i++) {
      const form = formsOf(hop.body, hop.url).find((f) => f.fields.prompt === "login" || f.fields.prompt === "consent");
      if (!form) break;
      hop = await browser.submit(form, form.fields.prompt === "login" ? { login, password: "any" } : {}, this.onProvider);
    }
    return hop;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
