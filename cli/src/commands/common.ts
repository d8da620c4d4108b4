import { readFile } from "node:fs/promises";
import { isValidSkillName } from "@skillyard/core";
import type { Command } from "commander";
import { RegistryClient } from "../client";
import { resolveSettings } from "../config";
import { CliError, explained, toCliError, usageError } from "../errors";
import { SkillVersionsDocument, type VersionStatus } from "../gql/graphql";
import { colorsFor, jsonText, Output, terminalText } from "../output";

/** Options every command accepts. */
export interface CommonOptions {
  json?: boolean;
  registry?: string;
  token?: string;
}

export interface Context {
  registry: string;
  token: string | null;
  json: boolean;
  client: RegistryClient;
  out: Output;
}

export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option("--json", "print machine-readable JSON on stdout (errors too)")
    .option("--registry <url>", "registry URL (default: $SKILLYARD_URL, then the config file, then http://127.0.0.1:4000)")
    .option("--token <token>", "API token (default: $SKILLYARD_TOKEN, then the one stored by login)");
}

/** Adds an "Examples:" block to a command's --help. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText("after", `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`);
}

/**
 * Runs a command body with its context and turns the outcome into an exit code: the body returns
 * one (0 by default); a thrown error prints one line (or `{"error":{…}}` with --json).
 */
export async function run(options: CommonOptions, body: (ctx: Context) => Promise<number | void>): Promise<void> {
  const json = Boolean(options.json);
  try {
    const settings = await resolveSettings(options);
    const ctx: Context = { ...settings, json, client: new RegistryClient(settings.registry, settings.token), out: new Output(json) };
    try {
      const code = await body(ctx);
      process.exitCode = code ?? 0;
    } finally {
      ctx.out.status.clear();
    }
  } catch (error) {
    reportError(error, json);
  }
}

/**
 * Runs a command body that needs no registry (`eval`): the settings are not read, so --registry and
 * --token are ignored and a broken config file does not matter. Exit code and errors as `run`.
 */
export async function runLocal(options: CommonOptions, body: (out: Output) => Promise<number | void>): Promise<void> {
  const json = Boolean(options.json);
  const out = new Output(json);
  try {
    try {
      process.exitCode = (await body(out)) ?? 0;
    } finally {
      out.status.clear();
    }
  } catch (error) {
    reportError(error, json);
  }
}

export function reportError(error: unknown, json: boolean): void {
  const err = toCliError(error);
  const message = explained(err);
  if (json) {
    process.stdout.write(`${jsonText({ error: { code: err.code, message } })}\n`);
  } else {
    const c = colorsFor(process.stderr);
    process.stderr.write(`${terminalText(`${c.red(`error ${err.code}:`)} ${oneLine(message)}`)}\n`);
  }
  process.exitCode = err.exitCode;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

export function requireToken(ctx: Context, what: string): void {
  if (!ctx.token) {
    throw new CliError("UNAUTHENTICATED", `${what} needs an API token: run \`skillyard login\` or set SKILLYARD_TOKEN.`);
  }
}

/** `name@version` with an exact version (approve, reject, yank). */
export function parseExactSpec(spec: string): { name: string; version: string } {
  const at = spec.indexOf("@");
  const name = at < 0 ? spec : spec.slice(0, at);
  const version = at < 0 ? "" : spec.slice(at + 1);
  if (!isValidSkillName(name) || version === "") throw usageError(`expected <name>@<version>, e.g. pdf-extract@1.2.0; got ${JSON.stringify(spec)}.`);
  return { name, version };
}

/** `name`, `name@range` or `name@channel` (install). */
export function parseInstallSpec(spec: string): { name: string; range: string | null } {
  const at = spec.indexOf("@");
  const name = at < 0 ? spec : spec.slice(0, at);
  const range = at < 0 ? null : spec.slice(at + 1);
  if (!isValidSkillName(name)) throw usageError(`${JSON.stringify(name)} is not a skill name (lowercase letters, digits and hyphens).`);
  if (range !== null && range.trim() === "") throw usageError(`nothing after "@" in ${JSON.stringify(spec)}; use e.g. ${name}@^1.2 or ${name}@stable.`);
  return { name, range };
}

export function assertSkillName(name: string): void {
  if (!isValidSkillName(name)) throw usageError(`${JSON.stringify(name)} is not a skill name (lowercase letters, digits and hyphens).`);
}

/** Maps name@version to the version's global id. */
export async function findVersionId(ctx: Context, name: string, version: string): Promise<{ id: string; status: VersionStatus }> {
  const data = await ctx.client.gql(SkillVersionsDocument, { name });
  if (!data.skill) throw new CliError("NOT_FOUND", `There is no skill named "${name}".`);
  const found = data.skill.versions.edges.find((e) => e.node.version === version);
  if (!found) throw new CliError("NOT_FOUND", `${name} has no version ${version} (or it is not visible to you).`);
  return found.node;
}

/** Edges to nodes. */
export function nodes<T>(connection: { edges: { node: T }[] }): T[] {
  return connection.edges.map((e) => e.node);
}

/** A file's text, or undefined when it does not exist (skill.yaml, SKILL.md, evals/suite.yaml). */
export async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
