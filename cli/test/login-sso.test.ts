import "reflect-metadata";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort } from "../../server/src/db/free-port";
import { Browser } from "../../server/test/support/browser";
import { TestOidcProvider } from "../../server/test/support/oidc-provider";
import { startTestServer, type TestServer } from "../../server/test/support/test-server";
import { waitFor } from "../../server/test/support/wait";
import { BIN, cliEnv } from "./support/cli";

/** A running `skillyard` subprocess whose output the test reads while it runs (it waits on the person signing in). */
interface LiveCli {
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function startCli(args: string[], registry: string, home: string): LiveCli {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(registry, home), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    exited: new Promise((resolve) =>
      child.on("close", (code) => {
        clearTimeout(killer);
        resolve(code);
      }),
    ),
  };
}

/** One Skillyard with its own test OpenID provider (device flow on or off). */
async function startWithProvider(deviceFlow: boolean): Promise<{ server: TestServer; provider: TestOidcProvider }> {
  const port = await freePort();
  const provider = await TestOidcProvider.start({ relyingParty: `http://127.0.0.1:${port}`, deviceFlow });
  const server = await startTestServer({ ...provider.env(), CLI_TOKEN_TTL_DAYS: "14" }, { port });
  await server.seed.team("data").entity();
  return { server, provider };
}

/**
 * `skillyard login --sso` as a person runs it: a subprocess that prints what to open, while the
 * test signs in on the provider's own pages, as the person would in a browser.
 */
describe("skillyard login --sso", () => {
  let scratch: string;
  before(() => {
    assert.ok(existsSync(path.join(__dirname, "..", "dist", "src", "main.js")), "build the CLI first: npm run build -w cli");
    scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-cli-sso-"));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  describe("with a provider that has the device flow", () => {
    let server: TestServer;
    let provider: TestOidcProvider;
    before(
      async () => {
        ({ server, provider } = await startWithProvider(true));
      },
      { timeout: 60_000 },
    );
    after(async () => {
      await server?.close();
      await provider?.close();
    });

    test("prints the verification URL and user code, waits while the person approves, and stores a token with its expiry (mode 0600)", async () => {
      provider.setAccount({ sub: "uma", email: "uma@corp.test", name: "Uma", groups: [] });
      const home = mkdtempSync(path.join(scratch, "device-"));
      const cli = startCli(["login", "--sso", "--token-name", "uma's laptop"], server.url, home);
      const instructions = await waitFor(
        async () => /open (\S+) and confirm the code ([A-Z]{4}-[A-Z]{4})/.exec(cli.stderr()),
        "the CLI to print the verification URL and code",
        20_000,
      );
      const [, verificationUrl, userCode] = instructions;
      assert.ok(verificationUrl.startsWith(`${provider.issuer}/device`), verificationUrl);
      const approved = await provider.approveDevice(new Browser(), `${provider.issuer}/device`, userCode, "uma");
      assert.match(approved.body, /Sign-in Success/);
      const code = await cli.exited;
      assert.equal(code, 0, `${cli.stdout()}\n${cli.stderr()}`);
      assert.match(cli.stdout(), /✓ logged in to http:\/\/127\.0\.0\.1:\d+ as uma\n {2}token saved in .*; it expires \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      const file = path.join(home, ".config", "skillyard", "config.json");
      const stored = JSON.parse(readFileSync(file, "utf8")) as { registry: string; token: string; tokenExpiresAt: string };
      assert.equal(stored.registry, server.url);
      assert.ok(Math.abs(Date.parse(stored.tokenExpiresAt) - Date.now() - 14 * 86400_000) < 120_000, "CLI_TOKEN_TTL_DAYS");
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const viewer = await server.gql<{ viewer: { handle: string; apiTokens: { edges: { node: { name: string; origin: string } }[] } } }>(
        `{ viewer { handle apiTokens { edges { node { name origin } } } } }`,
        {},
        stored.token,
      );
      assert.deepEqual(viewer.data?.viewer, { handle: "uma", apiTokens: { edges: [{ node: { name: "uma's laptop", origin: "SSO" } }] } });
    });

    test("--sso with --token is a usage error", async () => {
      const cli = startCli(["login", "--sso", "--token", "sky_x"], server.url, mkdtempSync(path.join(scratch, "usage-")));
      assert.equal(await cli.exited, 2);
      assert.match(cli.stderr(), /^error BAD_USER_INPUT: --sso makes a new token/);
    });
  });

  describe("with a provider without the device flow (DEVICE_FLOW_UNSUPPORTED)", () => {
    let server: TestServer;
    let provider: TestOidcProvider;
    before(
      async () => {
        ({ server, provider } = await startWithProvider(false));
      },
      { timeout: 60_000 },
    );
    after(async () => {
      await server?.close();
      await provider?.close();
    });

    test("falls back to the loopback redirect: the browser comes back to the CLI on 127.0.0.1, which exchanges the code with its PKCE verifier", async () => {
      const device = await fetch(`${server.url}/auth/device`, { method: "POST" });
      assert.deepEqual([device.status, ((await device.json()) as { error: { code: string } }).error.code], [400, "DEVICE_FLOW_UNSUPPORTED"]);
      provider.setAccount({ sub: "vic", email: "vic@corp.test", name: "Vic", groups: [] });
      const home = mkdtempSync(path.join(scratch, "loopback-"));
      const cli = startCli(["login", "--sso", "--json"], server.url, home);
      const [signInUrl] = await waitFor(
        async () => /http:\/\/127\.0\.0\.1:\d+\/auth\/cli\/login\?\S+/.exec(cli.stderr()),
        "the CLI to print the sign-in URL",
        20_000,
      );
      const browser = new Browser();
      const start = await browser.request(signInUrl);
      const back = await provider.authorize(browser, start.location!, "vic");
      const toCli = await browser.request(back.location!);
      assert.match(toCli.location ?? "", /^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
      // A request without the sign-in's state is refused by the CLI's listener.
      const forged = new URL(toCli.location!);
      forged.searchParams.set("state", "forged");
      assert.equal((await fetch(forged)).status, 400);
      const landing = await browser.request(toCli.location!);
      assert.match(landing.body, /Signed in/);
      assert.equal(await cli.exited, 0, cli.stderr());
      const result = JSON.parse(cli.stdout()) as { handle: string; expiresAt: string };
      assert.equal(result.handle, "vic");
      assert.ok(Date.parse(result.expiresAt) > Date.now() + 13 * 86400_000);
      const stored = JSON.parse(readFileSync(path.join(home, ".config", "skillyard", "config.json"), "utf8")) as { token: string; tokenExpiresAt: string };
      assert.equal(stored.tokenExpiresAt, result.expiresAt);
      assert.equal((await server.gql<{ viewer: { handle: string } }>(`{ viewer { handle } }`, {}, stored.token)).data?.viewer.handle, "vic");
    });
  });
});
