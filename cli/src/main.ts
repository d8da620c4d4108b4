import { readFileSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { registerChannel } from "./commands/channel";
import { reportError } from "./commands/common";
import { registerEval } from "./commands/eval";
import { registerInfo } from "./commands/info";
import { registerInstall } from "./commands/install";
import { registerLogin } from "./commands/login";
import { registerPublish } from "./commands/publish";
import { registerRate } from "./commands/rate";
import { registerReview } from "./commands/review";
import { registerSearch } from "./commands/search";
import { registerSeedDir } from "./commands/seed-dir";
import { registerSettings } from "./commands/settings";
import { registerToken } from "./commands/token";
import { registerTop } from "./commands/top";
import { registerUsage } from "./commands/usage";
import { registerYank } from "./commands/yank";
import { configPath } from "./config";
import { usageError } from "./errors";
import { endOutputOnClosedPipe } from "./output";

function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export function buildProgram(argv: readonly string[]): Command {
  const json = argv.includes("--json");
  const program = new Command("skillyard");
  program
    .description("Skillyard: publish, find and install AI-agent skills from your company's registry.")
    .version(cliVersion(), "-V, --version")
    .exitOverride()
    .configureOutput({
      // Usage errors become the same one-line (or JSON) error as every other failure.
      outputError: (message) => reportError(usageError(message.replace(/^error:\s*/i, "").trim()), json),
    })
    .showSuggestionAfterError(true);

  registerLogin(program);
  registerToken(program);
  registerPublish(program);
  registerEval(program);
  registerSearch(program);
  registerInfo(program);
  registerInstall(program);
  registerRate(program);
  registerReview(program);
  registerYank(program);
  registerChannel(program);
  registerSettings(program);
  registerSeedDir(program);
  registerUsage(program);
  registerTop(program);

  program.addHelpText(
    "after",
    `
Configuration: ${configPath()} holds {"registry", "token"} (written by login, mode 0600; login --sso adds "tokenExpiresAt");
SKILLYARD_URL and SKILLYARD_TOKEN override it, and --registry / --token override those.
Every command takes --json; failures print one line "error CODE: message" (exit 1, or 2 for usage).

Examples:
  $ skillyard login --registry http://127.0.0.1:4000 --token sky_…
  $ skillyard token create --name ci --scope publish --team data --expires 30d   # a narrow token for CI
  $ skillyard publish ./pdf-extract
  $ skillyard eval ./pdf-extract --outputs recorded.json   # check evals/suite.yaml and grade outputs locally
  $ skillyard search pdf --sort downloads
  $ skillyard install pdf-extract@^1 --target claude   # into .claude/skills/pdf-extract/
  $ skillyard install                 # reinstall exactly what skills/skillyard.lock says
  $ skillyard settings managed --channel stable --team data > managed-settings.json
  $ skillyard seed-dir --channel stable --team data build/claude
  $ skillyard review list
  $ skillyard usage pdf-extract --weeks 4   # invocations by week, version and team (signed in)
  $ skillyard top --limit 5
`,
  );
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  endOutputOnClosedPipe();
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version exit 0; usage errors were already reported by outputError.
      process.exitCode = error.code === "commander.helpDisplayed" || error.code === "commander.version" ? 0 : 2;
      return;
    }
    reportError(error, argv.includes("--json"));
  }
}

// bin/skillyard.js requires this file; loading it runs the CLI.
void main();
