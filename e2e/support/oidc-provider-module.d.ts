/** The parts of oidc-provider 9 (which ships no types) that the e2e identity provider uses. */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  /** The Koa context the provider hands to its page renderers (only what they touch). */
  export interface PageContext {
    body: string;
    type: string;
    host: string;
    oidc: { client?: { clientId: string; clientName?: string } };
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Record<string, unknown> | Promise<Record<string, unknown>>;
  }

  export interface Configuration {
    clients: Record<string, unknown>[];
    findAccount: (ctx: unknown, sub: string) => Account | undefined | Promise<Account | undefined>;
    claims: Record<string, string[]>;
    features: {
      devInteractions: { enabled: boolean };
      deviceFlow: {
        enabled: boolean;
        userCodeInputSource: (ctx: PageContext, form: string, out: unknown, err: Error | undefined) => Promise<void>;
        userCodeConfirmSource: (ctx: PageContext, form: string, client: unknown, deviceInfo: unknown, userCode: string) => Promise<void>;
        successSource: (ctx: PageContext) => Promise<void>;
      };
      rpInitiatedLogout: {
        enabled: boolean;
        logoutSource: (ctx: PageContext, form: string) => Promise<void>;
        postLogoutSuccessSource: (ctx: PageContext) => Promise<void>;
      };
    };
    interactions: { url: (ctx: unknown, interaction: { uid: string }) => string };
    renderError: (ctx: PageContext, out: Record<string, string>, error: Error) => Promise<void>;
    pkce: { required: () => boolean };
    cookies: { keys: string[] };
    ttl: Record<string, number>;
    jwks: { keys: Record<string, unknown>[] };
  }

  export interface InteractionDetails {
    uid: string;
    prompt: {
      name: "login" | "consent" | string;
      details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    };
    params: Record<string, string | undefined> & { client_id: string };
    session?: { accountId: string };
    grantId?: string;
  }

  export interface InteractionResults {
    login?: { accountId: string };
    consent?: { grantId: string };
  }

  export class Grant {
    constructor(properties: { accountId: string; clientId: string });
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(indicator: string, scope: string): void;
    save(): Promise<string>;
  }

  export class Provider {
    constructor(issuer: string, configuration: Configuration);
    readonly Grant: typeof Grant & { find(id: string): Promise<Grant | undefined> };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: InteractionResults, options: { mergeWithLastSubmission: boolean }): Promise<void>;
  }
}
