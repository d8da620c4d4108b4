import { createHash, randomBytes } from "node:crypto";
import { SkillyardError, tokenNameProblem, type ErrorCode } from "@skillyard/core";
import * as oidc from "openid-client";
import { type DataSource, type EntityManager, LessThan } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import type { Logger } from "../common/logger";
import { sameSecret } from "../common/same-secret";
import { ApiTokenOrigin } from "../identity/api-token.entity";
import { sessionScopes } from "../identity/viewer";
import { type ApiTokenService, hashSecret } from "../identity/api-token.service";
import { User } from "../identity/user.entity";
import { CliSignInCode, DeviceSignIn } from "./cli-sign-in.entities";
import type { DirectoryProvisioning } from "./directory-provisioning";
import type { DevicePoll, OidcClient, ProviderSignIn } from "./oidc-client";
import type { SessionService } from "./session.service";
import { SignInKind, SignInRequest } from "./sign-in-request.entity";

/** How long a sign-in may take at the provider (and the browser-binding cookie lives). */
export const SIGN_IN_TTL_SECONDS = 600;
/** How long the CLI has to exchange its loopback code. */
const CLI_CODE_TTL_MS = 120_000;
/** RFC 8628: a poll answered slow_down adds this many seconds to the interval. */
const SLOW_DOWN_SECONDS = 5;
const BROWSER_SECRET = /^[A-Za-z0-9_-]{43}$/;
/** The CLI's loopback parameters: its own state and an S256 challenge (base64url of 32 bytes). */
const CLI_STATE = /^[A-Za-z0-9._~-]{16,128}$/;
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** Where a sign-in goes first, and the browser-binding secret to (re)set as a cookie. */
export interface SignInStart {
  redirect: string;
  browserSecret: string;
}

/** Where the callback sends the browser, and the session it created (console sign-ins that worked). */
export interface CallbackOutcome {
  redirect: string;
  session: { secret: string; expiresAt: Date } | null;
}

/** A token for the CLI, shown once. */
export interface CliToken {
  token: string;
  expiresAt: Date;
  user: { handle: string };
}

export interface DeviceStart {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string | null;
  expiresIn: number;
  interval: number;
}

/**
 * The sign-in flows through the identity provider: the console's authorization-code flow with PKCE
 * (a session), the CLI's loopback flow (a one-time code, then a token) and the CLI's device flow
 * (RFC 8628, brokered with Skillyard's confidential client; a token). What the provider's answer
 * is checked against (state, nonce, PKCE verifier) stays server-side, bound to the browser that
 * started the sign-in, used once and for minutes only.
 */
export class SignInService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly oidc: OidcClient | null,
    private readonly provisioning: DirectoryProvisioning,
    private readonly sessions: SessionService,
    private readonly apiTokens: ApiTokenService,
    private readonly audit: AuditService,
    private readonly logger: Logger,
    private readonly options: { publicUrl: string; cliTokenTtlDays: number },
  ) {}

  private client(): OidcClient {
    if (!this.oidc) throw new SkillyardError("SSO_NOT_CONFIGURED", "This Skillyard has no identity provider configured; sign in with an API token.");
    return this.oidc;
  }

  /** The console's sign-in: to the provider, back to `returnTo` (a path under /admin) with a session. */
  startConsole(returnTo: string | undefined, browserSecret: string | undefined): Promise<SignInStart> {
    const path = consoleReturnPath(returnTo, this.options.publicUrl);
    return this.start(browserSecret, { kind: SignInKind.CONSOLE, returnTo: path });
  }

  /** The CLI's loopback sign-in: to the provider, back to http://127.0.0.1:<port>/callback with a one-time code. */
  startCli(
    params: { port: string | undefined; state: string | undefined; codeChallenge: string | undefined },
    browserSecret: string | undefined,
  ): Promise<SignInStart> {
    const port = Number(params.port);
    if (!/^\d{1,5}$/.test(params.port ?? "") || port < 1024 || port > 65535) {
      throw new SkillyardError("BAD_USER_INPUT", "port must be the CLI's loopback port (1024-65535).", { argument: "port" });
    }
    if (!CLI_STATE.test(params.state ?? "")) throw new SkillyardError("BAD_USER_INPUT", "state must be 16-128 URL-safe characters.", { argument: "state" });
    if (!CODE_CHALLENGE.test(params.codeChallenge ?? "")) {
      throw new SkillyardError("BAD_USER_INPUT", "codeChallenge must be an S256 PKCE challenge (43 base64url characters).", { argument: "codeChallenge" });
    }
    return this.start(browserSecret, { kind: SignInKind.CLI, cliPort: port, cliState: params.state!, cliCodeChallenge: params.codeChallenge! });
  }

  private async start(
    browserSecret: string | undefined,
    target: { kind: SignInKind.CONSOLE; returnTo: string } | { kind: SignInKind.CLI; cliPort: number; cliState: string; cliCodeChallenge: string },
  ): Promise<SignInStart> {
    const client = this.client();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    // Asked first: when the provider is down nothing is stored.
    const redirect = await client.authorizationUrl({ state, nonce, codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier) });
    // A browser keeps its binding across sign-ins, so two tabs signing in at once both come back.
    const known = browserSecret !== undefined && BROWSER_SECRET.test(browserSecret);
    const browser = known ? browserSecret : randomBytes(32).toString("base64url");
    const now = Date.now();
    await this.dataSource.transaction(async (em) => {
      await em.delete(SignInRequest, { expiresAt: LessThan(new Date(now)) });
      await em.save(
        em.create(SignInRequest, {
          stateSha256: hashSecret(state),
          browserSha256: hashSecret(browser),
          nonce,
          codeVerifier,
          kind: target.kind,
          returnTo: target.kind === SignInKind.CONSOLE ? target.returnTo : null,
          cliPort: target.kind === SignInKind.CLI ? target.cliPort : null,
          cliState: target.kind === SignInKind.CLI ? target.cliState : null,
          cliCodeChallenge: target.kind === SignInKind.CLI ? target.cliCodeChallenge : null,
          expiresAt: new Date(now + SIGN_IN_TTL_SECONDS * 1000),
        }),
      );
    });
    return { redirect, browserSecret: browser };
  }

  /**
   * The provider's redirect back. The sign-in it belongs to is looked up by state and deleted before
   * anything else, so a callback works once; it must come from the browser that started it, within
   * SIGN_IN_TTL_SECONDS. openid-client then checks the response (state, provider errors), exchanges
   * the code with the PKCE verifier and checks the ID token with the nonce. Every failure ends in a
   * redirect that names the error code and creates nothing.
   */
  async callback(query: URLSearchParams, browserSecret: string | undefined): Promise<CallbackOutcome> {
    const state = query.get("state") ?? "";
    const request = state ? await this.consume(hashSecret(state)) : null;
    const fromThisBrowser = request !== null && browserSecret !== undefined && sameSecret(hashSecret(browserSecret), request.browserSha256);
    if (!request || !fromThisBrowser || request.expiresAt.getTime() <= Date.now()) {
      return { redirect: consoleError("SSO_STATE_INVALID"), session: null };
    }
    try {
      const callbackUrl = new URL(this.client().redirectUri);
      callbackUrl.search = query.toString();
      const signIn = await this.client().exchangeCode(callbackUrl, { state, nonce: request.nonce, codeVerifier: request.codeVerifier });
      if (request.kind === SignInKind.CONSOLE) return await this.consoleSignIn(signIn, request.returnTo ?? "/admin/");
      return { redirect: await this.cliSignIn(signIn, request), session: null };
    } catch (error) {
      const code = this.failureCode(error);
      return { redirect: request.kind === SignInKind.CLI ? cliRedirect(request, { error: code }) : consoleError(code), session: null };
    }
  }

  /** The CLI exchanges its loopback code with the PKCE verifier it kept: a token, once. */
  async exchangeCliCode(input: { code: unknown; codeVerifier: unknown; tokenName: unknown }): Promise<CliToken> {
    const tokenName = checkedTokenName(input.tokenName);
    const refused = new SkillyardError("CLI_CODE_INVALID", "This sign-in code is not valid (unknown, expired, used, or not yours); sign in again.");
    if (typeof input.code !== "string" || typeof input.codeVerifier !== "string") throw refused;
    // Consumed in a transaction of its own: a wrong verifier uses the code up too.
    const row = await this.dataSource.transaction(async (em) => {
      const found = await em.findOne(CliSignInCode, { where: { codeSha256: hashSecret(input.code as string) }, lock: { mode: "pessimistic_write" } });
      if (found) await em.delete(CliSignInCode, { id: found.id });
      return found;
    });
    const challenge = createHash("sha256").update(input.codeVerifier).digest("base64url");
    if (!row || row.expiresAt.getTime() <= Date.now() || !sameSecret(challenge, row.codeChallenge)) throw refused;
    return this.dataSource.transaction(async (em) => {
      const user = await em.findOneByOrFail(User, { id: row.userId });
      if (user.deactivatedAt) throw new SkillyardError("ACCOUNT_DISABLED", "Your Skillyard account is deactivated; ask an admin.");
      return this.issueCliToken(em, user, tokenName);
    });
  }

  /** Starts a device sign-in at the provider; the CLI shows the user code and polls with `deviceCode`. */
  async startDevice(): Promise<DeviceStart> {
    const response = await this.client().startDeviceAuthorization();
    const deviceCode = `syd_${randomBytes(32).toString("base64url")}`;
    const interval = response.interval ?? 5;
    const now = Date.now();
    await this.dataSource.transaction(async (em) => {
      await em.delete(DeviceSignIn, { expiresAt: LessThan(new Date(now)) });
      await em.save(
        em.create(DeviceSignIn, {
          deviceCodeSha256: hashSecret(deviceCode),
          providerDeviceCode: response.device_code,
          intervalSeconds: interval,
          nextPollAt: new Date(now),
          expiresAt: new Date(now + response.expires_in * 1000),
        }),
      );
    });
    return {
      deviceCode,
      userCode: response.user_code,
      verificationUri: response.verification_uri,
      verificationUriComplete: response.verification_uri_complete ?? null,
      expiresIn: response.expires_in,
      interval,
    };
  }

  /**
   * One poll of a device sign-in: at most one token request to the provider, and none sooner than
   * the interval after the previous one (SLOW_DOWN). Answers the token once the person approved.
   */
  async pollDevice(input: { deviceCode: unknown; tokenName: unknown }): Promise<CliToken> {
    const tokenName = checkedTokenName(input.tokenName);
    const client = this.client();
    const expired = new SkillyardError("DEVICE_CODE_EXPIRED", "This device code is unknown, expired or already used; start the sign-in again.");
    if (typeof input.deviceCode !== "string") throw expired;
    const row = await this.dataSource.getRepository(DeviceSignIn).findOneBy({ deviceCodeSha256: hashSecret(input.deviceCode) });
    const now = new Date();
    if (!row || row.expiresAt <= now) {
      if (row) await this.dataSource.getRepository(DeviceSignIn).delete(row.id);
      throw expired;
    }
    // Claims this poll: one conditional UPDATE, so concurrent polls cannot both reach the provider.
    const claimed = await this.dataSource
      .createQueryBuilder()
      .update(DeviceSignIn)
      .set({ nextPollAt: new Date(now.getTime() + row.intervalSeconds * 1000) })
      .where("id = :id AND nextPollAt <= :now", { id: row.id, now })
      .execute();
    if (!claimed.affected) throw slowDown(row.intervalSeconds);
    let poll: DevicePoll;
    try {
      poll = await client.pollDevice(row.providerDeviceCode);
    } catch (error) {
      if (error instanceof SkillyardError && (error.code === "ACCESS_DENIED" || error.code === "DEVICE_CODE_EXPIRED")) {
        await this.dataSource.getRepository(DeviceSignIn).delete(row.id);
      }
      throw error;
    }
    if (poll.kind === "pending") throw new SkillyardError("AUTHORIZATION_PENDING", "Waiting for you to approve the sign-in at the identity provider.");
    if (poll.kind === "slow-down") {
      const interval = row.intervalSeconds + SLOW_DOWN_SECONDS;
      await this.dataSource.getRepository(DeviceSignIn).update(row.id, { intervalSeconds: interval, nextPollAt: new Date(Date.now() + interval * 1000) });
      throw slowDown(interval);
    }
    const { signIn } = poll;
    await this.dataSource.getRepository(DeviceSignIn).delete(row.id);
    return this.dataSource.transaction(async (em) => this.issueCliToken(em, await this.provisioning.signIn(em, signIn.claims), tokenName));
  }

  /** Revokes the session and answers the provider's end-session URL (null when it has none). */
  async signOut(sessionId: string): Promise<{ endSessionUrl: string | null }> {
    const revoked = await this.dataSource.transaction((em) => this.sessions.revoke(em, sessionId));
    const endSessionUrl = this.oidc ? await this.oidc.endSessionUrl(revoked?.idToken ?? null, `${this.options.publicUrl}/admin/`) : null;
    return { endSessionUrl };
  }

  private async consume(stateSha256: string): Promise<SignInRequest | null> {
    return this.dataSource.transaction(async (em) => {
      // The row lock makes a concurrent second use of the same state wait, then find it gone.
      const request = await em.findOne(SignInRequest, { where: { stateSha256 }, lock: { mode: "pessimistic_write" } });
      if (request) await em.delete(SignInRequest, { id: request.id });
      return request;
    });
  }

  private consoleSignIn(signIn: ProviderSignIn, returnTo: string): Promise<CallbackOutcome> {
    return this.dataSource.transaction(async (em) => {
      const user = await this.provisioning.signIn(em, signIn.claims);
      const { session, secret } = await this.sessions.create(em, user, signIn.idToken);
      return { redirect: returnTo, session: { secret, expiresAt: session.expiresAt } };
    });
  }

  private async cliSignIn(signIn: ProviderSignIn, request: SignInRequest): Promise<string> {
    const code = `syc_${randomBytes(32).toString("base64url")}`;
    await this.dataSource.transaction(async (em) => {
      const user = await this.provisioning.signIn(em, signIn.claims);
      await em.delete(CliSignInCode, { expiresAt: LessThan(new Date()) });
      await em.save(
        em.create(CliSignInCode, {
          codeSha256: hashSecret(code),
          userId: user.id,
          codeChallenge: request.cliCodeChallenge!,
          expiresAt: new Date(Date.now() + CLI_CODE_TTL_MS),
        }),
      );
    });
    return cliRedirect(request, { code });
  }

  private async issueCliToken(em: EntityManager, user: User, name: string): Promise<CliToken> {
    const expiresAt = new Date(Date.now() + this.options.cliTokenTtlDays * 86400_000);
    // Everything the person's roles allow, as the console session they just had; it expires.
    const scopes = [...sessionScopes(user)];
    const { token, secret } = await this.apiTokens.issue(em, { userId: user.id, name, origin: ApiTokenOrigin.SSO, createdById: user.id, scopes, expiresAt });
    await this.audit.record(em, {
      actorId: user.id,
      action: AuditAction.TOKEN_CREATE,
      targetType: "ApiToken",
      targetId: token.id,
      after: { user: user.handle, name, prefix: token.prefix, origin: ApiTokenOrigin.SSO, scopes, expiresAt: expiresAt.toISOString() },
    });
    return { token: secret, expiresAt, user: { handle: user.handle } };
  }

  private failureCode(error: unknown): ErrorCode {
    if (error instanceof SkillyardError) return error.code;
    this.logger.error("single sign-on callback failed", { message: error instanceof Error ? error.message : String(error) });
    return "INTERNAL_SERVER_ERROR";
  }
}

/**
 * A path under /admin on this Skillyard, or RETURN_TO_INVALID: never another origin (an open
 * redirect after sign-in), nor a scheme-relative `//host` or backslash trick that browsers read as one.
 */
export function consoleReturnPath(returnTo: string | undefined, publicUrl: string): string {
  if (returnTo === undefined || returnTo === "") return "/admin/";
  const refused = new SkillyardError("RETURN_TO_INVALID", "returnTo must be a path under /admin on this Skillyard.", { argument: "returnTo" });
  // eslint-disable-next-line no-control-regex
  if (!returnTo.startsWith("/") || returnTo.startsWith("//") || /[\\\u0000-\u001f\u007f]/.test(returnTo)) throw refused;
  const base = new URL(publicUrl);
  const url = new URL(returnTo, base);
  if (url.origin !== base.origin || !(url.pathname === "/admin" || url.pathname.startsWith("/admin/"))) throw refused;
  return `${url.pathname}${url.search}${url.hash}`;
}

function consoleError(code: ErrorCode): string {
  return `/admin/?signInError=${encodeURIComponent(code)}`;
}

function cliRedirect(request: SignInRequest, params: Record<string, string>): string {
  const url = new URL(`http://127.0.0.1:${request.cliPort}/callback`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  url.searchParams.set("state", request.cliState ?? "");
  return url.toString();
}

function slowDown(interval: number): SkillyardError {
  return new SkillyardError("SLOW_DOWN", `Polled too soon: wait ${interval} seconds between polls.`, { interval });
}

function checkedTokenName(raw: unknown): string {
  const name = typeof raw === "string" && raw.trim() !== "" ? raw : "skillyard login --sso";
  const problem = tokenNameProblem(name);
  if (problem) throw new SkillyardError("BAD_USER_INPUT", problem, { argument: "tokenName" });
  return name.trim();
}
