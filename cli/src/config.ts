import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CliError, usageError } from "./errors";

export const DEFAULT_REGISTRY = "http://127.0.0.1:4000";

/** What `~/.config/skillyard/config.json` holds; every field optional. */
export interface StoredConfig {
  registry?: string;
  token?: string;
  /** When the stored token stops working (ISO 8601), for tokens `login --sso` made; absent when unknown. */
  tokenExpiresAt?: string;
}

export interface Settings {
  registry: string;
  token: string | null;
}

/** `$XDG_CONFIG_HOME/skillyard/config.json`, else `~/.config/skillyard/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".config");
  return path.join(base, "skillyard", "config.json");
}

export async function readConfig(file = configPath()): Promise<StoredConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError("CONFIG_INVALID", `${file} is not valid JSON; fix it or run skillyard login again.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CliError("CONFIG_INVALID", `${file} must hold a JSON object like {"registry": "...", "token": "..."}.`);
  }
  const record = parsed as Record<string, unknown>;
  const config: StoredConfig = {};
  for (const key of ["registry", "token", "tokenExpiresAt"] as const) {
    const value = record[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string") throw new CliError("CONFIG_INVALID", `${file}: "${key}" must be a string.`);
    config[key] = value;
  }
  return config;
}

/** Writes the file with mode 0600 (its folder 0700), replacing it atomically. */
export async function writeConfig(config: StoredConfig, file = configPath()): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.config.json.${randomBytes(6).toString("hex")}`);
  try {
    await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    await chmod(temp, 0o600);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Normalises a registry URL (http or https, no trailing slash) or refuses it as a usage error. */
export function normalizeRegistry(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`${source} is not a URL: ${JSON.stringify(raw)} (expected e.g. ${DEFAULT_REGISTRY}).`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usageError(`${source} must be an http:// or https:// URL, not ${JSON.stringify(raw)}.`);
  }
  return url.toString().replace(/\/+$/, "");
}

/**
 * Precedence: flags, then SKILLYARD_URL / SKILLYARD_TOKEN, then the config file, then the default
 * registry. The stored token is only sent to the registry it was stored for, so pointing the CLI at
 * another registry never leaks it.
 */
export async function resolveSettings(flags: { registry?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): Promise<Settings> {
  const stored = await readConfig(configPath(env));
  const registry = flags.registry
    ? normalizeRegistry(flags.registry, "--registry")
    : env.SKILLYARD_URL
      ? normalizeRegistry(env.SKILLYARD_URL, "SKILLYARD_URL")
      : stored.registry
        ? normalizeRegistry(stored.registry, configPath(env))
        : DEFAULT_REGISTRY;
  const storedRegistry = stored.registry ? normalizeRegistry(stored.registry, configPath(env)) : DEFAULT_REGISTRY;
  const storedToken = stored.token && storedRegistry === registry ? stored.token : null;
  const token = flags.token || env.SKILLYARD_TOKEN || storedToken;
  return { registry, token };
}
