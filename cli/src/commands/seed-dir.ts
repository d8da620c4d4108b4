import { randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_ARCHIVE_LIMITS } from "@skillyard/core";
import type { Command } from "commander";
import type { Fail } from "../checks";
import { CliError, usageError } from "../errors";
import { declaredMarketplaces, type DeclaredMarketplace } from "../managed-settings";
import { pluginsToSeed, type SeedPlugin } from "../marketplace";
import { formatBytes } from "../output";
import { makeDirectories, unpackZip } from "../plugin-zip";
import { examples, run, withCommonOptions, type CommonOptions, type Context } from "./common";
import { describeScope, fetchManagedSettings, managedSettingsText, withScopeOptions, type SettingsScope } from "./settings";

export const DEFAULT_SEED_PATH = "/opt/skillyard/claude-seed";
/** Where Claude Code reads managed settings on Linux. */
const MANAGED_SETTINGS_PATH = "/etc/claude-code/managed-settings.json";
const MAX_CATALOG_BYTES = 32 * 1024 * 1024;
/** Every file stored uncompressed, with room for each entry's headers. */
const MAX_ARCHIVE_BYTES = DEFAULT_ARCHIVE_LIMITS.maxUnpackedBytes + DEFAULT_ARCHIVE_LIMITS.maxEntries * 1024;
const FILE_MODE = 0o644;

interface SeedDirOptions extends SettingsScope, CommonOptions {
  seedPath: string;
  force?: boolean;
}

/** A marketplace with its catalog's bytes and each plugin's verified archive, all in memory until written. */
interface FetchedMarketplace {
  marketplace: DeclaredMarketplace;
  catalog: Buffer;
  plugins: { plugin: SeedPlugin; archive: Buffer }[];
}

export function registerSeedDir(program: Command): void {
  const cmd = program
    .command("seed-dir")
    .description(
      "write a dev-container seed into <out>/: managed-settings.json and plugins/, a CLAUDE_CODE_PLUGIN_SEED_DIR holding each declared marketplace's catalog and every enabled plugin with its dependencies, sha256-verified, so Claude Code in the image has them from its first run, offline",
    )
    .argument("<out>", "the folder to write (missing or empty, unless --force)");
  withScopeOptions(cmd)
    .option("--seed-path <path>", "where the image keeps <out>/plugins (installLocation in known_marketplaces.json)", DEFAULT_SEED_PATH)
    .option("--force", "replace <out> even when it is not empty");
  withCommonOptions(cmd).action((out: string, options: SeedDirOptions) => run(options, (ctx) => writeSeedDir(ctx, out, options)));
  examples(cmd, [
    "skillyard seed-dir --channel stable --team data build/claude",
    "skillyard seed-dir --team data --seed-path /srv/claude-seed build/claude --force",
  ]);
}

async function writeSeedDir(ctx: Context, outArg: string, options: SeedDirOptions): Promise<void> {
  const seedPath = checkSeedPath(options.seedPath);
  const out = path.resolve(outArg);
  const existing = await outState(out, outArg, Boolean(options.force));

  const settings = await fetchManagedSettings(ctx, options);
  const refuse: Fail = (problem) =>
    new CliError("BAD_RESPONSE", `${ctx.registry} answered managed settings that cannot be used: ${problem}; nothing was written.`);
  const fetched: FetchedMarketplace[] = [];
  for (const marketplace of declaredMarketplaces(settings, refuse)) fetched.push(await fetchMarketplace(ctx, marketplace));

  // Everything is downloaded and verified: only now is anything written, into a folder next to <out>.
  ctx.out.status.spin(`writing ${outArg}`);
  await mkdir(path.dirname(out), { recursive: true });
  const temp = await mkdtemp(path.join(path.dirname(out), `.${path.basename(out)}.seed-dir-`));
  let files: number;
  try {
    files = await writeSeed(temp, settings, fetched, seedPath);
    await moveIntoPlace(temp, out, existing);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
  ctx.out.status.clear();

  const dockerfile = dockerfileLines(outArg, seedPath);
  const plugins = fetched.flatMap((f) => f.plugins);
  if (ctx.json) {
    ctx.out.printJson({
      out,
      managedSettings: path.join(out, "managed-settings.json"),
      seedDir: path.join(out, "plugins"),
      seedPath,
      marketplaces: fetched.map(({ marketplace, catalog, plugins: list }) => ({
        name: marketplace.name,
        url: marketplace.url,
        catalogSize: catalog.length,
        plugins: list.map(({ plugin, archive }) => ({
          name: plugin.name,
          version: plugin.version,
          sha256: plugin.sha256,
          size: archive.length,
          enabled: plugin.enabled,
          requiredBy: plugin.requiredBy,
        })),
      })),
      files,
      dockerfile,
    });
    return;
  }
  const bytes = plugins.reduce((sum, p) => sum + p.archive.length, 0);
  const shown = outArg.endsWith("/") ? outArg : `${outArg}/`;
  ctx.out.note(
    `${ctx.out.err.green("✓")} wrote ${shown} ${describeScope(options)}: managed-settings.json and plugins/ (${fetched.length} marketplace${fetched.length === 1 ? "" : "s"}, ${plugins.length} plugin${plugins.length === 1 ? "" : "s"}, ${files} files from ${formatBytes(bytes)} of archives)`,
  );
  ctx.out.note(`  ${shown} is private (0700): its files hold tokens. Add to the image's Dockerfile:`);
  for (const line of dockerfile) ctx.out.line(line);
}

/** An absolute POSIX path that fits in CLAUDE_CODE_PLUGIN_SEED_DIR (":"-separated) and an ENV line. */
function checkSeedPath(raw: string): string {
  const normalized = path.posix.normalize(raw).replace(/(.)\/+$/, "$1");
  if (!normalized.startsWith("/") || normalized === "/" || /[\s:"'\\]/.test(normalized)) {
    throw usageError(
      `--seed-path must be an absolute path inside the image without spaces, quotes or ":", e.g. ${DEFAULT_SEED_PATH}; got ${JSON.stringify(raw)}.`,
    );
  }
  return normalized;
}

type OutState = "missing" | "empty" | "full";

/** What is at <out> now; refuses a file, a link, a non-empty folder without --force, and a folder that holds the current one. */
async function outState(out: string, outArg: string, force: boolean): Promise<OutState> {
  const cwd = process.cwd();
  if (cwd === out || cwd.startsWith(`${out}${path.sep}`) || out === path.parse(out).root) {
    throw usageError(`${outArg} holds the current folder; write the seed into a folder of its own.`);
  }
  const stats = await lstat(out).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (!stats) return "missing";
  if (!stats.isDirectory()) throw usageError(`${outArg} exists and is not a folder.`);
  if ((await readdir(out)).length === 0) return "empty";
  if (!force) throw usageError(`${outArg} is not empty; choose a new folder, or pass --force to replace it.`);
  return "full";
}

/** The catalog (with the declaration's headers), then each plugin it needs, each archive verified against the catalog's sha256. */
async function fetchMarketplace(ctx: Context, marketplace: DeclaredMarketplace): Promise<FetchedMarketplace> {
  ctx.out.status.spin(`fetching the catalog of ${marketplace.name}`);
  const catalog = await ctx.client.fetchFile(marketplace.url, marketplace.headers, `the catalog of ${marketplace.name}`, MAX_CATALOG_BYTES);
  ctx.out.note(`catalog ${marketplace.name} (${formatBytes(catalog.data.length)}) from ${marketplace.url}`);
  const fail: Fail = (problem) => new CliError("BAD_RESPONSE", `the catalog at ${marketplace.url} cannot be used: ${problem}; nothing was written.`);
  const needed = pluginsToSeed(catalog.data.toString("utf8"), marketplace.name, marketplace.enabled, fail);
  const origin = new URL(marketplace.url).origin;
  const plugins: FetchedMarketplace["plugins"] = [];
  for (const [i, plugin] of needed.entries()) {
    const label = `${plugin.name}@${marketplace.name} ${plugin.version}`;
    ctx.out.status.spin(`downloading ${label} (${i + 1}/${needed.length})`);
    // Claude Code sends a declaration's headers to the archives of the catalog's own origin only.
    const headers = new URL(plugin.url).origin === origin ? marketplace.headers : {};
    const { data, sha256 } = await ctx.client.fetchFile(plugin.url, headers, label, MAX_ARCHIVE_BYTES);
    if (sha256 !== plugin.sha256) {
      throw new CliError(
        "PACKAGE_CORRUPT",
        `sha256 mismatch for ${label}: the catalog pins ${plugin.sha256}, ${plugin.url} sent ${sha256}; nothing was written.`,
      );
    }
    const why = plugin.enabled ? "enabled" : `dependency of ${plugin.requiredBy.join(", ")}`;
    ctx.out.note(`plugin ${label} (${formatBytes(data.length)}, sha256 ${sha256.slice(0, 12)} verified; ${why})`);
    plugins.push({ plugin, archive: data });
  }
  return { marketplace, catalog: catalog.data, plugins };
}

/**
 * Lays out `root` (the future <out>): managed-settings.json, and plugins/ as Claude Code reads a seed:
 * known_marketplaces.json (each source exactly as declared, or Claude Code ignores the seed),
 * marketplaces/<name> (the catalog's bytes) and cache/<marketplace>/<plugin>/<version>/. Answers
 * how many plugin files it unpacked.
 */
async function writeSeed(root: string, settings: Record<string, unknown>, fetched: FetchedMarketplace[], seedPath: string): Promise<number> {
  await writeNew(path.join(root, "managed-settings.json"), managedSettingsText(settings));
  const seed = path.join(root, "plugins");
  await makeDirectories(root, ["plugins", "marketplaces"]);
  const lastUpdated = new Date().toISOString();
  const known: Record<string, { source: Record<string, unknown>; installLocation: string; lastUpdated: string }> = {};
  let files = 0;
  for (const { marketplace, catalog, plugins } of fetched) {
    known[marketplace.name] = { source: marketplace.source, installLocation: path.posix.join(seedPath, "marketplaces", marketplace.name), lastUpdated };
    await writeNew(path.join(seed, "marketplaces", marketplace.name), catalog);
    for (const { plugin, archive } of plugins) {
      await makeDirectories(seed, ["cache", marketplace.name, plugin.name]);
      // Names and versions passed the plugin-id and version-folder rules, so this stays inside the seed.
      files += (await unpackZip(archive, DEFAULT_ARCHIVE_LIMITS, path.join(seed, "cache", marketplace.name, plugin.name, plugin.version))).length;
    }
  }
  await writeNew(path.join(seed, "known_marketplaces.json"), `${JSON.stringify(known, null, 2)}\n`);
  return files;
}

async function writeNew(file: string, data: string | Buffer): Promise<void> {
  await writeFile(file, data, { flag: "wx", mode: FILE_MODE });
  await chmod(file, FILE_MODE);
}

/** Renames the finished folder to <out>; a non-empty <out> (with --force) is renamed aside first and removed last. */
async function moveIntoPlace(temp: string, out: string, existing: OutState): Promise<void> {
  if (existing !== "full") {
    // rename() replaces an empty folder, and fails if one appeared meanwhile with something in it.
    await rename(temp, out);
    return;
  }
  const aside = path.join(path.dirname(out), `.${path.basename(out)}.replaced-${randomBytes(6).toString("hex")}`);
  await rename(out, aside);
  try {
    await rename(temp, out);
  } catch (err) {
    await rename(aside, out).catch(() => undefined);
    throw err;
  }
  await rm(aside, { recursive: true, force: true });
}

/** The Dockerfile lines that put the seed and the settings into an image (JSON form when <out> has spaces or quotes). */
function dockerfileLines(outArg: string, seedPath: string): string[] {
  const source = path
    .normalize(outArg)
    .split(path.sep)
    .join("/")
    .replace(/(.)\/+$/, "$1");
  const copy = (from: string, to: string) => (/[\s"'\\]/.test(from) ? `COPY ${JSON.stringify([from, to])}` : `COPY ${from} ${to}`);
  return [copy(`${source}/plugins`, seedPath), copy(`${source}/managed-settings.json`, MANAGED_SETTINGS_PATH), `ENV CLAUDE_CODE_PLUGIN_SEED_DIR=${seedPath}`];
}
