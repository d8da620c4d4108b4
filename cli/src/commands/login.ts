import type { Command } from "commander";
import { RegistryClient } from "../client";
import { configPath, readConfig, writeConfig } from "../config";
import { CliError, usageError } from "../errors";
import { ViewerDocument } from "../gql/graphql";
import { examples, run, withCommonOptions, type CommonOptions, type Context } from "./common";

export function registerLogin(program: Command): void {
  const cmd = program.command("login").description("check an API token against the registry and store it (with the registry URL) in the config file");
  withCommonOptions(cmd).action((options: CommonOptions) => run(options, (ctx) => login(ctx, options.token)));
  examples(cmd, [
    "skillyard login --registry https://skills.example.com --token sky_…",
    'echo "$TOKEN" | skillyard login',
    "skillyard login            # prompts for the token on a terminal",
  ]);
}

async function login(ctx: Context, flagToken: string | undefined): Promise<void> {
  const token = (flagToken ?? (process.stdin.isTTY ? await promptHidden("API token: ") : await readStdin())).trim();
  if (!token) throw usageError("no token given: pass --token, pipe it on stdin, or type it at the prompt.");
  const client = new RegistryClient(ctx.registry, token);
  const { viewer } = await client.gql(ViewerDocument, {});
  if (!viewer) throw new CliError("UNAUTHENTICATED", `${ctx.registry} did not accept the token.`);
  const file = configPath();
  const stored = await readConfig(file);
  await writeConfig({ ...stored, registry: ctx.registry, token }, file);
  const teams = viewer.teams.edges.map((e) => e.node.team.name);
  if (ctx.json) {
    ctx.out.printJson({ registry: ctx.registry, handle: viewer.handle, roles: viewer.roles, teams, config: file });
    return;
  }
  const c = ctx.out.out;
  ctx.out.line(`${c.green("✓")} logged in to ${ctx.registry} as ${c.bold(viewer.handle)}${teams.length ? ` (teams: ${teams.join(", ")})` : ""}`);
  ctx.out.line(c.dim(`  token saved in ${file}`));
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
