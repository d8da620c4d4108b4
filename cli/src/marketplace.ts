/**
 * A Claude Code marketplace catalog as Skillyard serves it (GET /marketplace.json[?channel=]), read
 * for `seed-dir`: which plugins a machine needs (the enabled ones and, through `dependencies`, bare
 * names in the same marketplace, everything they pull in), and where each archive is and its sha256.
 */
import { type Fail, isHttpUrl, list, record, str } from "./checks";
import { CliError } from "./errors";
import { isPluginIdPart } from "./managed-settings";

/** One plugin a seed needs, from its catalog entry. */
export interface SeedPlugin {
  name: string;
  /** The entry's version: the folder under cache/<marketplace>/<name>/. */
  version: string;
  url: string;
  sha256: string;
  /** Whether the settings enable it (else only a dependency pulls it in). */
  enabled: boolean;
  /** The plugins whose `dependencies` name it, sorted. */
  requiredBy: string[];
}

/** A version is a folder name: letters, digits, ".", "_", "-" and "+", starting with a letter or digit. */
const VERSION_FOLDER = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/**
 * The plugins to seed from the catalog `text` of marketplace `marketplace`: each of `enabled` and
 * every plugin reachable through their dependencies, sorted by name. A catalog with another name,
 * a malformed entry, or an enabled or required plugin the catalog does not list is refused.
 */
export function pluginsToSeed(text: string, marketplace: string, enabled: readonly string[], fail: Fail): SeedPlugin[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw fail("the catalog is not JSON");
  }
  const catalog = record(parsed, "the catalog", fail);
  if (catalog.name !== marketplace) throw fail(`the catalog is named ${JSON.stringify(catalog.name)}, not ${JSON.stringify(marketplace)}`);
  const entries = new Map<string, Record<string, unknown>>();
  list(catalog.plugins, "plugins", fail).forEach((item, i) => {
    const entry = record(item, `plugins[${i}]`, fail);
    const name = str(entry.name, `plugins[${i}].name`, fail);
    if (entries.has(name)) throw fail(`plugins[${i}].name ${JSON.stringify(name)} appears twice`);
    entries.set(name, entry);
  });

  const seeded = new Map<string, SeedPlugin>();
  const visit = (name: string, requiredBy: string | null): void => {
    const known = seeded.get(name);
    if (known) {
      if (requiredBy !== null && !known.requiredBy.includes(requiredBy)) known.requiredBy.push(requiredBy);
      return;
    }
    const entry = entries.get(name);
    if (!entry) {
      const why = requiredBy === null ? "the settings enable it" : `${requiredBy} depends on it`;
      throw new CliError(
        "PLUGIN_NOT_FOUND",
        `${name}@${marketplace}: ${why}, but the catalog does not list it (it changed since the settings were made?); nothing was written.`,
      );
    }
    seeded.set(name, { ...archiveOf(entry, name, fail), enabled: enabled.includes(name), requiredBy: requiredBy === null ? [] : [requiredBy] });
    for (const dependency of dependencies(entry, name, fail)) visit(dependency, name);
  };
  for (const name of enabled) visit(name, null);
  const plugins = [...seeded.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const p of plugins) p.requiredBy.sort();
  return plugins;
}

/** The entry's version and archive, checked: the name and version become folder names, the URL is fetched. */
function archiveOf(entry: Record<string, unknown>, name: string, fail: Fail): Pick<SeedPlugin, "name" | "version" | "url" | "sha256"> {
  const at = `the entry of ${JSON.stringify(name)}`;
  if (!isPluginIdPart(name)) throw fail(`${at}: the name is not a plugin name`);
  const version = str(entry.version, `${at}: version`, fail);
  if (!VERSION_FOLDER.test(version)) throw fail(`${at}: version ${JSON.stringify(version)} cannot be a folder name`);
  const source = record(entry.source, `${at}: source`, fail);
  if (source.source !== "archive") throw fail(`${at}: source.source is ${JSON.stringify(source.source)}, not "archive"`);
  const url = str(source.url, `${at}: source.url`, fail);
  if (!isHttpUrl(url)) throw fail(`${at}: source.url is not an http(s) URL`);
  const sha256 = str(source.sha256, `${at}: source.sha256`, fail);
  if (!/^[0-9a-fA-F]{64}$/.test(sha256)) throw fail(`${at}: source.sha256 is not 64 hex digits`);
  return { name, version, url, sha256: sha256.toLowerCase() };
}

/** Skillyard lists dependencies as bare plugin names of the same marketplace. */
function dependencies(entry: Record<string, unknown>, name: string, fail: Fail): string[] {
  if (entry.dependencies === undefined) return [];
  const at = `the entry of ${JSON.stringify(name)}: dependencies`;
  return list(entry.dependencies, at, fail).map((d, i) => {
    const dependency = str(d, `${at}[${i}]`, fail);
    if (!isPluginIdPart(dependency)) throw fail(`${at}[${i}] ${JSON.stringify(dependency)} is not a plugin name of this marketplace`);
    return dependency;
  });
}
