import { accessSync, constants, existsSync } from "node:fs";
import path from "node:path";

/** The Claude Code release the harness is written against (pinned in e2e/package.json). */
export const CLAUDE_CODE_VERSION = "2.1.332";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/**
 * The native Claude Code binary from `@anthropic-ai/claude-code-linux-x64` (an optional dependency of
 * `@anthropic-ai/claude-code`). Its wrapper's postinstall only hard-links the same file to
 * `@anthropic-ai/claude-code/bin/claude.exe`, so the platform package's file is used directly and works
 * whether or not install scripts ran.
 */
export function claudeBinary(): string {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`the Claude Code harness runs the linux-x64 binary; this is ${process.platform}-${process.arch}`);
  }
  const candidates = [
    path.join(REPO_ROOT, "node_modules", "@anthropic-ai", "claude-code-linux-x64", "claude"),
    path.join(REPO_ROOT, "e2e", "node_modules", "@anthropic-ai", "claude-code-linux-x64", "claude"),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new Error(
      `Claude Code ${CLAUDE_CODE_VERSION} is not installed: none of ${candidates.join(", ")} exists. ` +
        "Run `npm ci` at the repository root (e2e/package.json pins @anthropic-ai/claude-code; npm must not be run with --omit=optional).",
    );
  }
  try {
    accessSync(found, constants.X_OK);
  } catch {
    throw new Error(`${found} exists but is not executable (chmod +x it, or reinstall with \`npm ci\`)`);
  }
  return found;
}
