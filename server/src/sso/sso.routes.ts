import express, { type NextFunction, type Request, type Response, Router } from "express";
import { SkillyardError } from "@skillyard/core";
import { toGlobalId } from "../common/global-id";
import { readCookie, SESSION_COOKIE, setCookie, SIGN_IN_COOKIE } from "./cookies";
import type { SessionService } from "./session.service";
import { SIGN_IN_TTL_SECONDS, type SignInService, type SignInStart } from "./sign-in.service";

type Handler = (req: Request, res: Response) => Promise<void>;

const route = (handler: Handler) => (req: Request, res: Response, next: NextFunction) => handler(req, res).catch(next);

export interface SsoRoutesDeps {
  signIn: SignInService;
  sessions: SessionService;
  /** The provider's issuer; null without single sign-on. */
  issuer: string | null;
  /** Set the Secure attribute on cookies (see cookies.ts secureCookies). */
  secureCookies: boolean;
}

/** The raw query of a request: its parameters exactly as sent (no nested-object parsing). */
function queryOf(req: Request): URLSearchParams {
  return new URL(req.originalUrl, "http://skillyard.invalid").searchParams;
}

function bodyOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/**
 * Sign-in and sessions under /auth: the provider's code flow for the console (a session cookie),
 * the session itself and sign-out, and the CLI's device and loopback flows (an API token). Every
 * answer is `Cache-Control: no-store`. Errors are `{"error":{"code","message"}}`, except where a
 * browser is on its way through the sign-in: there they redirect to `/admin/?signInError=<CODE>`.
 */
export function ssoRoutes(deps: SsoRoutesDeps): Router {
  const router = Router();
  const json = express.json({ limit: "16kb" });
  const { signIn, sessions } = deps;
  const cookie = (name: string, value: string, path: string, maxAge: number) => setCookie(name, value, { path, maxAge, secure: deps.secureCookies });
  const clearSession = (res: Response) => res.append("Set-Cookie", cookie(SESSION_COOKIE, "", "/", 0));
  const toProvider = (res: Response, start: SignInStart) => {
    res.append("Set-Cookie", cookie(SIGN_IN_COOKIE, start.browserSecret, "/auth", SIGN_IN_TTL_SECONDS));
    res.redirect(302, start.redirect);
  };

  router.use((_req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    next();
  });

  router.get("/config", (_req, res) => {
    res.json({ oidc: { enabled: deps.issuer !== null, issuer: deps.issuer } });
  });

  router.get(
    "/oidc/login",
    route(async (req, res) => {
      try {
        toProvider(res, await signIn.startConsole(queryOf(req).get("returnTo") ?? undefined, readCookie(req.headers.cookie, SIGN_IN_COOKIE)));
      } catch (error) {
        if (!(error instanceof SkillyardError)) throw error;
        res.redirect(302, `/admin/?signInError=${error.code}`);
      }
    }),
  );

  router.get(
    "/oidc/callback",
    route(async (req, res) => {
      const outcome = await signIn.callback(queryOf(req), readCookie(req.headers.cookie, SIGN_IN_COOKIE));
      if (outcome.session) {
        const maxAge = Math.max(0, Math.floor((outcome.session.expiresAt.getTime() - Date.now()) / 1000));
        res.append("Set-Cookie", cookie(SESSION_COOKIE, outcome.session.secret, "/", maxAge));
      }
      res.redirect(302, outcome.redirect);
    }),
  );

  router.get(
    "/session",
    route(async (req, res) => {
      const live = await sessions.authenticate(readCookie(req.headers.cookie, SESSION_COOKIE));
      if (!live) throw new SkillyardError("UNAUTHENTICATED", "No console session: sign in.");
      const { user, session } = live;
      res.json({
        user: { id: toGlobalId("User", user.id), handle: user.handle, name: user.name, email: user.email, roles: user.roles },
        csrfToken: session.csrfToken,
        expiresAt: session.expiresAt.toISOString(),
        idleExpiresAt: live.idleExpiresAt.toISOString(),
      });
    }),
  );

  router.post(
    "/logout",
    route(async (req, res) => {
      const live = await sessions.authenticate(readCookie(req.headers.cookie, SESSION_COOKIE));
      if (!live) {
        clearSession(res);
        throw new SkillyardError("UNAUTHENTICATED", "No console session: already signed out.");
      }
      if (!sessions.csrfMatches(live.session, req.headers["x-csrf-token"])) {
        throw new SkillyardError("CSRF_INVALID", "Signing out needs the session's X-CSRF-Token header.");
      }
      const { endSessionUrl } = await signIn.signOut(live.session.id);
      clearSession(res);
      res.json({ endSessionUrl });
    }),
  );

  router.post(
    "/device",
    route(async (_req, res) => {
      res.json(await signIn.startDevice());
    }),
  );

  router.post(
    "/device/token",
    json,
    route(async (req, res) => {
      const body = bodyOf(req);
      const issued = await signIn.pollDevice({ deviceCode: body.deviceCode, tokenName: body.tokenName });
      res.json({ ...issued, expiresAt: issued.expiresAt.toISOString() });
    }),
  );

  router.get(
    "/cli/login",
    route(async (req, res) => {
      const query = queryOf(req);
      const params = { port: query.get("port") ?? undefined, state: query.get("state") ?? undefined, codeChallenge: query.get("codeChallenge") ?? undefined };
      toProvider(res, await signIn.startCli(params, readCookie(req.headers.cookie, SIGN_IN_COOKIE)));
    }),
  );

  router.post(
    "/cli/exchange",
    json,
    route(async (req, res) => {
      const body = bodyOf(req);
      const issued = await signIn.exchangeCliCode({ code: body.code, codeVerifier: body.codeVerifier, tokenName: body.tokenName });
      res.json({ ...issued, expiresAt: issued.expiresAt.toISOString() });
    }),
  );

  return router;
}
