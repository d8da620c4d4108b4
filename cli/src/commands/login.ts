import os from "node:os";
import type { Command } from "commander";
import { RegistryClient } from "../client";
import { configPath, readConfig, writeConfig } from "../config";
import { CliError, usageError } from "../errors";
import { ViewerDocument } from "../gql/graphql";
import { signInWithSso } from "./login-sso";
import { examples, run, withCommonOptions, type CommonOptions, type Context } from "./common";

interface LoginOptions extends CommonOptions {
  sso?: boolean;
  tokenName?: string;
  browser?: boolean;
}

export function registerLogin(program: Command): void {
  const cmd = program
    .command("login")
    .description(
      "store a token for the registry in the config file: an API token you give (checked first), or with --sso one the registry makes after you sign in at its identity provider",
    )
    .option("--sso", "sign in through the registry's identity provider (device code, or a browser on this machine) and store the token it makes")
    .option("--token-name <name>", "with --sso: a name for the new token, as the console lists it (default: skillyard CLI on <host>)")
    .option("--no-browser", "with --sso: do not try to open a browser; only print the URL");
  withCommonOptions(cmd).action((options: LoginOptions) => run(options, (ctx) => (options.sso ? loginSso(ctx, options) : login(ctx, options.token))));
  examples(cmd, [
    "skillyard login --registry https://skills.example.com --token sky_…",
    'echo "$TOKEN" | skillyard login',
    "skillyard login            # prompts for the token on a terminal",
    "skillyard login --sso --registry https://skills.example.com",
  ]);
}

async function login(ctx: Context, flagToken: string | undefined): Promise<void> {
  const token = (flagToken ?? (process.stdin.isTTY ? await promptHidden("API token: ") : await readStdin())).trim();
  if (!token) throw usageError("no token given: pass --token, pipe it on stdin, or type it at the prompt.");
  await store(ctx, token, null);
}

async function loginSso(ctx: Context, options: LoginOptions): Promise<void> {
  if (options.token) throw usageError("--sso makes a new token: leave out --token.");
  const tokenName = options.tokenName?.trim() || `skillyard CLI on ${os.hostname()}`;
  // Only on a terminal: a script or CI job has nobody to look at a browser.
  const openBrowser = options.browser !== false && Boolean(process.stdout.isTTY);
  const signedIn = await signInWithSso(ctx, tokenName, openBrowser);
  await store(ctx, signedIn.token, signedIn.expiresAt);
}

/** Checks the token against the registry and stores it (with its expiry, when known) for this registry. */
async function store(ctx: Context, token: string, expiresAt: string | null): Promise<void> {
  const client = new RegistryClient(ctx.registry, token);
  const { viewer } = await client.gql(ViewerDocument, {});
  if (!viewer) throw new CliError("UNAUTHENTICATED", `${ctx.registry} did not accept the token.`);
  const file = configPath();
  const stored = await readConfig(file);
  await writeConfig({ ...stored, registry: ctx.registry, token, tokenExpiresAt: expiresAt ?? undefined }, file);
  const teams = viewer.teams.edges.map((e) => e.node.team.name);
  if (ctx.json) {
    ctx.out.printJson({ registry: ctx.registry, handle: viewer.handle, roles: viewer.roles, teams, config: file, expiresAt });
    return;
  }
  const c = ctx.out.out;
  ctx.out.line(`${c.green("✓")} logged in to ${ctx.registry} as ${c.bold(viewer.handle)}${teams.length ? ` (teams: ${teams.join(", ")})` : ""}`);
  ctx.out.line(c.dim(`  token saved in ${file}${expiresAt ? `; it expires ${new Date(expiresAt).toISOString().slice(0, 16).replace("T", " ")} UTC` : ""}`));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let value = "";
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n" || char === "\u0004") return done();
        if (char === "\u0003") return done(usageError("cancelled."));
        if (char === "\u007f" || char === "\b") value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on("data", onData);
  });
}
