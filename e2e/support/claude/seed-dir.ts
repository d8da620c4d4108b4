import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pluginFiles, type PluginFixture } from "./fixtures";

export interface SeedDirOptions {
  /** The marketplace name (the catalog's `name`). */
  marketplace: string;
  /** Must equal the source the settings declare for that marketplace, `headers` included, or Claude Code ignores the seed. */
  source: { source: "url"; url: string; headers?: Record<string, string> };
  /** The catalog text, stored as `marketplaces/<marketplace>`. */
  catalog: string;
  /** Plugins laid out as `cache/<marketplace>/<name>/<version>/`. */
  plugins: PluginFixture[];
  /** Where to write; a new temporary folder when left out. */
  dir?: string;
}

export interface SeedDir {
  dir: string;
  /** `<dir>/cache/<marketplace>/<plugin>/<version>`: where Claude Code reads a seeded plugin from, in place. */
  pluginDir(plugin: string, version: string): string;
  remove(): void;
}

/**
 * Writes a CLAUDE_CODE_PLUGIN_SEED_DIR as Claude Code 2.1.332 reads it:
 * `known_marketplaces.json` ({"<name>": {source, installLocation, lastUpdated}}: installLocation and lastUpdated must both be
 * present, though the catalog is read from the seed's own `marketplaces/<name>`), the catalog file, and the plugins' files.
 */
export function createSeedDir(options: SeedDirOptions): SeedDir {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), "skillyard-seed-"));
  const known = {
    [options.marketplace]: {
      source: options.source,
      installLocation: path.join(dir, "marketplaces", options.marketplace),
      lastUpdated: new Date().toISOString(),
    },
  };
  mkdirSync(path.join(dir, "marketplaces"), { recursive: true });
  writeFileSync(path.join(dir, "known_marketplaces.json"), `${JSON.stringify(known, null, 2)}\n`);
  writeFileSync(path.join(dir, "marketplaces", options.marketplace), options.catalog);
  const pluginDir = (plugin: string, version: string) => path.join(dir, "cache", options.marketplace, plugin, version);
  for (const plugin of options.plugins) {
    for (const file of pluginFiles(plugin)) {
      const target = path.join(pluginDir(plugin.name, plugin.version), file.path);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, file.content);
    }
  }
  return { dir, pluginDir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
