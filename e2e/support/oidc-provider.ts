import { generateKeyPairSync, randomBytes } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Provider, type InteractionDetails } from "oidc-provider";

// A real OpenID provider (oidc-provider 9) on 127.0.0.1 standing in for a company's identity
// provider: "Corp Directory". It has its own sign-in page (login and password, checked), grants
// consent for its one first-party client by itself, and renders the device-code and sign-out pages,
// so a browser signs in, approves a CLI's device code and signs out on pages of the provider's own.

/** A person in the directory. Tests change `groups` between sign-ins. */
export interface DirectoryAccount {
  /** The login typed on the sign-in page, and the `sub` claim. */
  login: string;
  password: string;
  email: string;
  name: string;
  groups: string[];
}

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
export const DIRECTORY_NAME = "Corp Directory";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** A page of the provider: plain HTML, no external fonts or scripts (the machine has no internet). */
function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ${DIRECTORY_NAME}</title>
<style>
body{font-family:system-ui,sans-serif;background:#eef1f5;margin:0;padding:48px 16px;color:#1d2430}
main{max-width:360px;margin:0 auto;background:#fff;border-radius:8px;padding:28px;box-shadow:0 2px 8px rgba(0,0,0,.12)}
.brand{font-weight:700;color:#0b5cad;margin:0 0 4px}h1{font-size:22px;margin:0 0 16px}
label{display:block;font-size:14px;margin:12px 0 4px}input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:10px;font-size:16px;border:1px solid #b8c0cc;border-radius:4px}
button{width:100%;margin-top:16px;padding:10px;font-size:15px;font-weight:600;border:0;border-radius:4px;background:#0b5cad;color:#fff;cursor:pointer}
button.secondary{background:#e3e7ee;color:#1d2430}.error{color:#b00020}code{font-size:22px;letter-spacing:2px}
</style></head>
<body><main><p class="brand">${DIRECTORY_NAME}</p><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

function loginPage(uid: string, error: string | null, login = ""): string {
  return page(
    "Sign in",
    `${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : "<p>Use your company account.</p>"}
<form method="post" action="/interaction/${encodeURIComponent(uid)}/login" autocomplete="off">
<label for="login">Username</label><input id="login" type="text" name="login" value="${escapeHtml(login)}" autofocus required>
<label for="password">Password</label><input id="password" type="password" name="password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(html);
}

/**
 * The identity provider. Its one client is Skillyard's, confidential, registered for the
 * authorization code flow (with PKCE) and the device authorization grant, redirecting to
 * `${relyingParty}/auth/oidc/callback` and, after sign-out, to `${relyingParty}/admin/`.
 */
export class TestIdentityProvider {
  readonly clientId = "skillyard";
  readonly clientSecret = randomBytes(24).toString("base64url");
  private readonly accounts = new Map<string, DirectoryAccount>();

  private constructor(
    readonly issuer: string,
    private readonly server: http.Server,
  ) {}

  /** Starts the provider on a free loopback port. `relyingParty` is Skillyard's PUBLIC_URL. */
  static async start(relyingParty: string): Promise<TestIdentityProvider> {
    // The issuer names the port, so the provider is made once the server listens; until then it answers 503.
    let ready: { provider: Provider; handle: http.RequestListener } | null = null;
    const server = http.createServer((req, res) => {
      if (!ready) {
        send(res, 503, page("Starting", "<p>The provider is starting.</p>"));
        return;
      }
      const interaction = /^\/interaction\/([^/?]+)(\/login)?(?:\?|$)/.exec(req.url ?? "");
      if (interaction) void launched.interact(ready.provider, req, res, interaction[2] !== undefined);
      else ready.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const launched = new TestIdentityProvider(issuer, server);
    const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });

    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: launched.clientId,
          client_secret: launched.clientSecret,
          client_name: "Skillyard",
          redirect_uris: [`${relyingParty}/auth/oidc/callback`],
          post_logout_redirect_uris: [`${relyingParty}/admin/`],
          grant_types: ["authorization_code", DEVICE_GRANT],
          response_types: ["code"],
          token_endpoint_auth_method: "client_secret_basic",
        },
      ],
      findAccount: (_ctx, sub) => {
        if (!launched.accounts.has(sub)) return undefined;
        return {
          accountId: sub,
          // Read at every token and userinfo request: a changed account shows at the next sign-in.
          claims: () => {
            const account = launched.accounts.get(sub);
            if (!account) return { sub };
            return { sub, email: account.email, email_verified: true, name: account.name, preferred_username: account.login, groups: [...account.groups] };
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
        devInteractions: { enabled: false },
        deviceFlow: {
          enabled: true,
          userCodeInputSource: async (ctx, form, _out, err) => {
            const problem = err
              ? '<p class="error" role="alert">That code is not valid. Check it and try again.</p>'
              : "<p>Enter the code your device shows.</p>";
            ctx.type = "html";
            ctx.body = page("Connect a device", `${problem}${form}<button type="submit" form="op.deviceInputForm">Continue</button>`);
          },
          userCodeConfirmSource: async (ctx, form, _client, _deviceInfo, userCode) => {
            ctx.type = "html";
            ctx.body = page(
              "Confirm the device",
              `<p>${escapeHtml(ctx.oidc.client?.clientName ?? "An application")} asks to sign in as you on a device showing</p><p><code>${escapeHtml(userCode)}</code></p>${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes" class="secondary">Cancel</button>`,
            );
          },
          successSource: async (ctx) => {
            ctx.type = "html";
            ctx.body = page("Device connected", "<p>You are signed in on your device. You can close this page.</p>");
          },
        },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: async (ctx, form) => {
            ctx.type = "html";
            ctx.body = page(
              "Sign out",
              `<p>Sign out of ${DIRECTORY_NAME} on this browser?</p>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`,
            );
          },
          postLogoutSuccessSource: async (ctx) => {
            ctx.type = "html";
            ctx.body = page("Signed out", "<p>You are signed out.</p>");
          },
        },
      },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      renderError: async (ctx, out) => {
        ctx.type = "html";
        ctx.body = page(
          "Something went wrong",
          Object.entries(out)
            .map(([key, value]) => `<p><b>${escapeHtml(key)}</b>: ${escapeHtml(String(value))}</p>`)
            .join(""),
        );
      },
      // Skillyard sends S256 PKCE with every authorization request; the provider insists on it.
      pkce: { required: () => true },
      cookies: { keys: [randomBytes(32).toString("base64url")] },
      // Seconds; set so the provider does not warn that it uses its defaults.
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, DeviceCode: 600 },
      jwks: { keys: [{ ...signingKey, use: "sig", alg: "RS256", kid: "e2e" }] },
    });
    ready = { provider, handle: provider.callback() };
    return launched;
  }

  /** Adds a person to the directory (or replaces them). */
  setAccount(account: DirectoryAccount): void {
    this.accounts.set(account.login, { ...account, groups: [...account.groups] });
  }

  /** Changes a person's groups in the directory: Skillyard learns of it at their next sign-in. */
  setGroups(login: string, groups: string[]): void {
    const account = this.accounts.get(login);
    if (!account) throw new Error(`no account ${login} in the directory`);
    account.groups = [...groups];
  }

  /** The OIDC_* variables that point a Skillyard at this provider. */
  env(): Record<string, string> {
    return { OIDC_ISSUER: this.issuer, OIDC_CLIENT_ID: this.clientId, OIDC_CLIENT_SECRET: this.clientSecret };
  }

  /** Where a person types a device's user code (the device authorization's verification_uri). */
  get deviceUrl(): string {
    return `${this.issuer}/device`;
  }

  /**
   * The sign-in page (GET), its submission (POST …/login), and consent, which this first-party
   * client gets without asking: every scope and claim it requested is granted at once.
   */
  private async interact(provider: Provider, req: IncomingMessage, res: ServerResponse, submitted: boolean): Promise<void> {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === "login") {
        if (!submitted || req.method !== "POST") {
          send(res, 200, loginPage(details.uid, null, details.params["login_hint"] ?? ""));
          return;
        }
        const form = await formBody(req);
        const login = form.get("login")?.trim() ?? "";
        const account = this.accounts.get(login);
        if (!account || account.password !== form.get("password")) {
          send(res, 200, loginPage(details.uid, "Wrong username or password.", login));
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
        return;
      }
      if (details.prompt.name === "consent") {
        await provider.interactionFinished(req, res, { consent: { grantId: await this.grantAll(provider, details) } }, { mergeWithLastSubmission: true });
        return;
      }
      send(res, 501, page("Not supported", `<p>This provider does not handle the ${escapeHtml(details.prompt.name)} prompt.</p>`));
    } catch (error) {
      // An expired or unknown interaction (its cookie is gone): say so, as a provider would.
      send(
        res,
        400,
        page("Sign-in expired", `<p>${escapeHtml(error instanceof Error ? error.message : String(error))}</p><p>Start again from the application.</p>`),
      );
    }
  }

  private async grantAll(provider: Provider, details: InteractionDetails): Promise<string> {
    const accountId = details.session?.accountId;
    if (!accountId) throw new Error("consent asked before anyone signed in");
    const grant =
      (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ?? new provider.Grant({ accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(" "));
    return grant.save();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
