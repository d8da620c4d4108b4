import { SkillyardError, type ErrorCode } from "@skillyard/core";
import * as oidc from "openid-client";
import type { Logger } from "../common/logger";
import type { OidcConfig } from "../config";

/** What Skillyard needs to know about the person who signed in, from the ID token and userinfo. */
export interface DirectoryClaims {
  issuer: string;
  subject: string;
  email: string | null;
  /** True only when the provider says so (email_verified, or Entra ID's xms_edov): only then may the email link a local user. */
  emailVerified: boolean;
  name: string | null;
  preferredUsername: string | null;
  /** The groups claim (OIDC_GROUPS_CLAIM); [] when the provider sends none. */
  groups: string[];
}

export interface ProviderSignIn {
  claims: DirectoryClaims;
  /** For id_token_hint at sign-out. */
  idToken: string | null;
}

/** One poll of a device sign-in: done, or why not yet (the caller maps these to the CLI's error codes). */
export type DevicePoll = { kind: "signed-in"; signIn: ProviderSignIn } | { kind: "pending" } | { kind: "slow-down" };

const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** Every request to the provider gives up after this many seconds. */
const PROVIDER_TIMEOUT_SECONDS = 10;

/**
 * Skillyard's confidential client at the identity provider (openid-client 6). Discovery runs once, at
 * start, without being awaited: a provider that is down fails sign-ins (SSO_UNAVAILABLE) and the
 * next sign-in discovers again, while /readyz and everything else keep working. Requests to an
 * http:// issuer are allowed only on a loopback address (config says so; tests run one there).
 */
export class OidcClient {
  private discovering: Promise<oidc.Configuration> | null = null;

  constructor(
    private readonly config: OidcConfig,
    /** `${PUBLIC_URL}/auth/oidc/callback`, registered at the provider. */
    readonly redirectUri: string,
    private readonly logger: Logger,
  ) {}

  get issuer(): string {
    return this.config.issuer;
  }

  /** Starts discovery in the background (start-up); a failure is logged and retried by the next sign-in. */
  warmUp(): void {
    this.configuration().catch(() => undefined);
  }

  private configuration(): Promise<oidc.Configuration> {
    this.discovering ??= oidc
      .discovery(new URL(this.config.issuer), this.config.clientId, this.config.clientSecret, undefined, {
        execute: this.config.insecureLoopback ? [oidc.allowInsecureRequests] : [],
        timeout: PROVIDER_TIMEOUT_SECONDS,
      })
      .catch((error: unknown) => {
        // Forget the failure so the next sign-in discovers again (the provider may be back by then).
        this.discovering = null;
        this.logger.warn("OpenID provider discovery failed; single sign-on is unavailable until it succeeds", {
          issuer: this.config.issuer,
          message: describeError(error),
        });
        throw new SkillyardError("SSO_UNAVAILABLE", "The identity provider cannot be reached; try again in a moment.");
      });
    return this.discovering;
  }

  /** The provider's authorization endpoint with a code request: PKCE S256, state and nonce. */
  async authorizationUrl(checks: { state: string; nonce: string; codeChallenge: string }): Promise<string> {
    const config = await this.configuration();
    return oidc
      .buildAuthorizationUrl(config, {
        redirect_uri: this.redirectUri,
        scope: this.config.scopes,
        response_type: "code",
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: checks.codeChallenge,
        code_challenge_method: "S256",
      })
      .toString();
  }

  /**
   * Checks the authorization response in `callbackUrl` (state, provider errors), exchanges its code
   * with the PKCE verifier, checks the ID token (signature by the provider's keys, issuer, audience,
   * expiry, nonce) and reads the claims, userinfo included.
   */
  async exchangeCode(callbackUrl: URL, checks: { state: string; nonce: string; codeVerifier: string }): Promise<ProviderSignIn> {
    const config = await this.configuration();
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        pkceCodeVerifier: checks.codeVerifier,
        idTokenExpected: true,
      });
      return await this.signInFrom(config, tokens);
    } catch (error) {
      throw this.refusal(error, "the authorization code exchange");
    }
  }

  /** RFC 8628 at the provider; DEVICE_FLOW_UNSUPPORTED when it has no device authorization endpoint. */
  async startDeviceAuthorization(): Promise<oidc.DeviceAuthorizationResponse> {
    const config = await this.configuration();
    if (!config.serverMetadata().device_authorization_endpoint) {
      throw new SkillyardError("DEVICE_FLOW_UNSUPPORTED", "The identity provider does not offer the device authorization grant; use the loopback sign-in.");
    }
    try {
      return await oidc.initiateDeviceAuthorization(config, { scope: this.config.scopes });
    } catch (error) {
      throw this.refusal(error, "the device authorization request");
    }
  }

  /** One token request for a device code (never a loop: the CLI polls Skillyard, Skillyard asks the provider once per poll). */
  async pollDevice(deviceCode: string): Promise<DevicePoll> {
    const config = await this.configuration();
    try {
      const tokens = await oidc.genericGrantRequest(config, DEVICE_CODE_GRANT, { device_code: deviceCode });
      return { kind: "signed-in", signIn: await this.signInFrom(config, tokens) };
    } catch (error) {
      if (error instanceof oidc.ResponseBodyError) {
        if (error.error === "authorization_pending") return { kind: "pending" };
        if (error.error === "slow_down") return { kind: "slow-down" };
        if (error.error === "access_denied") throw new SkillyardError("ACCESS_DENIED", "The sign-in was declined at the identity provider.");
        if (error.error === "expired_token") throw new SkillyardError("DEVICE_CODE_EXPIRED", "The device code expired; start the sign-in again.");
      }
      throw this.refusal(error, "the device token request");
    }
  }

  /**
   * The provider's end-session URL for RP-initiated logout (id_token_hint, post_logout_redirect_uri),
   * or null when it has no end_session_endpoint or cannot be reached.
   */
  async endSessionUrl(idToken: string | null, postLogoutRedirectUri: string): Promise<string | null> {
    const config = await this.configuration().catch(() => null);
    if (!config?.serverMetadata().end_session_endpoint) return null;
    const parameters: Record<string, string> = { post_logout_redirect_uri: postLogoutRedirectUri, client_id: this.config.clientId };
    if (idToken) parameters.id_token_hint = idToken;
    return oidc.buildEndSessionUrl(config, parameters).toString();
  }

  private async signInFrom(config: oidc.Configuration, tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): Promise<ProviderSignIn> {
    const idClaims = tokens.claims();
    if (!idClaims) throw new SkillyardError("SSO_SIGN_IN_FAILED", "The identity provider sent no ID token.");
    // Many providers put profile, email and group claims only in userinfo; it must be about the same subject.
    const userinfo: Record<string, unknown> = config.serverMetadata().userinfo_endpoint
      ? await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub)
      : {};
    const merged: Record<string, unknown> = { ...idClaims, ...userinfo };
    const text = (key: string): string | null => {
      const value = merged[key];
      return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
    };
    // The groups claim may be absent from userinfo and present in the ID token (Entra ID, Okta): take either.
    const rawGroups = userinfo[this.config.groupsClaim] ?? idClaims[this.config.groupsClaim];
    const groups = Array.isArray(rawGroups) ? rawGroups : typeof rawGroups === "string" ? [rawGroups] : [];
    return {
      claims: {
        issuer: idClaims.iss,
        subject: idClaims.sub,
        email: text("email"),
        // Entra ID sends no email_verified; its optional claim xms_edov says the email's domain is the tenant's own.
        emailVerified: [merged.email_verified, merged.xms_edov].some((v) => v === true || v === "true"),
        name: text("name"),
        preferredUsername: text("preferred_username"),
        groups: [...new Set(groups.filter((g): g is string => typeof g === "string" && g !== ""))],
      },
      idToken: tokens.id_token ?? null,
    };
  }

  /** A provider or validation failure as the catalogue error the sign-in ends with; the details go to the log only. */
  private refusal(error: unknown, during: string): SkillyardError {
    if (error instanceof SkillyardError) return error;
    let code: ErrorCode = "SSO_SIGN_IN_FAILED";
    if (error instanceof oidc.AuthorizationResponseError && error.error === "access_denied") code = "ACCESS_DENIED";
    else if (error instanceof TypeError || (error instanceof oidc.ClientError && error.code === "OAUTH_TIMEOUT")) code = "SSO_UNAVAILABLE";
    this.logger.warn(`single sign-on: ${during} was refused`, { code, message: describeError(error) });
    const messages: Partial<Record<ErrorCode, string>> = {
      ACCESS_DENIED: "The sign-in was declined at the identity provider.",
      SSO_UNAVAILABLE: "The identity provider cannot be reached; try again in a moment.",
    };
    return new SkillyardError(code, messages[code] ?? "The identity provider's answer failed Skillyard's checks; sign in again.");
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const detail = (error as { error_description?: unknown; error?: unknown }).error_description ?? (error as { error?: unknown }).error;
  return typeof detail === "string" ? `${error.message} (${detail})` : error.message;
}
