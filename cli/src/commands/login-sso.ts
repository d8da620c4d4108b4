import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CliError } from "../errors";
import type { Context } from "./common";

/** What the registry answers for a token made by single sign-on. */
export interface SsoToken {
  token: string;
  expiresAt: string;
  user: { handle: string };
}

interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string | null;
  expiresIn: number;
  interval: number;
}

/** How long the loopback flow waits for the browser to come back (the registry's sign-in lasts 10 minutes). */
const LOOPBACK_TIMEOUT_MS = 10 * 60_000;
/** RFC 8628: slow_down adds 5 seconds to the interval. */
const SLOW_DOWN_SECONDS = 5;

/**
 * Signs in through the registry's identity provider and answers a token for this machine: the
 * device flow (RFC 8628: a code to confirm in any browser) when the provider offers it, else a
 * loopback redirect (a browser on this machine comes back to a one-shot listener on 127.0.0.1,
 * with PKCE between the CLI and the registry). Instructions go to stderr, so --json keeps stdout
 * for the result.
 */
export async function signInWithSso(ctx: Context, tokenName: string, openBrowser: boolean): Promise<SsoToken> {
  let device: DeviceAuthorization;
  try {
    device = await ctx.client.postJson<DeviceAuthorization>("/auth/device", {});
  } catch (error) {
    if (error instanceof CliError && error.code === "DEVICE_FLOW_UNSUPPORTED") return loopbackFlow(ctx, tokenName, openBrowser);
    throw error;
  }
  return deviceFlow(ctx, device, tokenName, openBrowser);
}

async function deviceFlow(ctx: Context, device: DeviceAuthorization, tokenName: string, openBrowser: boolean): Promise<SsoToken> {
  const c = ctx.out.err;
  const url = device.verificationUriComplete ?? device.verificationUri;
  instruct(ctx, `To sign in, open ${c.bold(url)} and confirm the code ${c.bold(device.userCode)}`);
  if (openBrowser) openInBrowser(url);
  const started = Date.now();
  const deadline = started + device.expiresIn * 1000;
  let interval = device.interval;
  try {
    for (;;) {
      const waited = Math.round((Date.now() - started) / 1000);
      ctx.out.status.spin(`waiting for you to approve ${device.userCode} at your identity provider… ${waited}s`);
      await sleep(interval * 1000);
      if (Date.now() > deadline) throw new CliError("DEVICE_CODE_EXPIRED", "The sign-in was not approved in time; run skillyard login --sso again.");
      try {
        return await ctx.client.postJson<SsoToken>("/auth/device/token", { deviceCode: device.deviceCode, tokenName });
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        if (error.code === "SLOW_DOWN") interval += SLOW_DOWN_SECONDS;
        else if (error.code !== "AUTHORIZATION_PENDING") throw error;
      }
    }
  } finally {
    ctx.out.status.clear();
  }
}

async function loopbackFlow(ctx: Context, tokenName: string, openBrowser: boolean): Promise<SsoToken> {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const state = randomBytes(24).toString("base64url");
  const callback = await listenForCallback(state);
  try {
    const url = `${ctx.registry}/auth/cli/login?port=${callback.port}&state=${state}&codeChallenge=${challenge}`;
    instruct(ctx, `Your identity provider has no device sign-in; open this URL in a browser on this machine to sign in:\n  ${ctx.out.err.bold(url)}`);
    if (openBrowser) openInBrowser(url);
    ctx.out.status.spin("waiting for the browser to come back…");
    const code = await callback.code;
    ctx.out.status.clear();
    return await ctx.client.postJson<SsoToken>("/auth/cli/exchange", { code, codeVerifier: verifier, tokenName });
  } finally {
    ctx.out.status.clear();
    callback.close();
  }
}

/**
 * A one-shot listener on 127.0.0.1 (a port the system picks) for the registry's redirect back:
 * `GET /callback?code=…&state=…`, or `?error=CODE&state=…`. Anything without this sign-in's state
 * is answered 400 and ignored, so another page cannot feed the CLI a code.
 */
async function listenForCallback(state: string): Promise<{ port: number; code: Promise<string>; close(): void }> {
  let resolveCode!: (code: string) => void;
  let rejectCode!: (error: Error) => void;
  const code = new Promise<string>((resolve, reject) => {
    resolveCode = resolve;
    rejectCode = reject;
  });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/callback" || url.searchParams.get("state") !== state) {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("Not a sign-in this skillyard command started.\n");
      return;
    }
    const error = url.searchParams.get("error");
    const given = url.searchParams.get("code");
    res
      .writeHead(200, { "content-type": "text/plain; charset=utf-8" })
      .end(error ? `Sign-in failed (${error}); see your terminal.\n` : "Signed in. You can close this window and return to your terminal.\n");
    if (error) rejectCode(new CliError(error, `The sign-in failed at the registry (${error}).`));
    else if (given) resolveCode(given);
    else rejectCode(new CliError("BAD_RESPONSE", "The registry came back without a code."));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const timer = setTimeout(
    () => rejectCode(new CliError("CLI_CODE_INVALID", "The browser did not come back within 10 minutes; run skillyard login --sso again.")),
    LOOPBACK_TIMEOUT_MS,
  );
  timer.unref();
  return {
    port: (server.address() as AddressInfo).port,
    code,
    close() {
      clearTimeout(timer);
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Instructions the person must see even with --json (stdout then carries only the result): on stderr. */
function instruct(ctx: Context, text: string): void {
  ctx.out.status.print(process.stderr, text);
}

/** Opens `url` with the desktop's opener; best effort (a server or a container has none, and the URL is printed anyway). */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === "darwin" ? ["open", [url]] : process.platform === "win32" ? ["cmd", ["/c", "start", "", url]] : ["xdg-open", [url]];
  const child = spawn(command, args, { stdio: "ignore", detached: true });
  child.on("error", () => undefined);
  child.unref();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
