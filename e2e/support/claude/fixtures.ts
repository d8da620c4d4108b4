import { createHash } from "node:crypto";
import { createZip, type ZipEntry } from "./zip";

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export interface SkillFixture {
  /** Folder name under skills/ and the SKILL.md `name` (Claude Code offers it as `<plugin>:<name>`). */
  name: string;
  description: string;
  /** Markdown after the front matter. */
  body?: string;
}

export interface PluginFixture {
  name: string;
  version: string;
  description: string;
  skills: SkillFixture[];
  /** Extra files (e.g. `hooks/policy.sh`, `hooks/hooks.json`). */
  files?: ZipEntry[];
  /** Extra fields for .claude-plugin/plugin.json. */
  manifest?: Record<string, unknown>;
}

export function skillMarkdown(skill: SkillFixture): string {
  return `---\nname: ${skill.name}\ndescription: ${skill.description}\n---\n\n${skill.body ?? `# ${skill.name}\n\n${skill.description}\n`}`;
}

/** The files of a plugin as Claude Code expects them in an `archive` source: `.claude-plugin/plugin.json` and `skills/<name>/SKILL.md`. */
export function pluginFiles(plugin: PluginFixture): ZipEntry[] {
  return [
    {
      path: ".claude-plugin/plugin.json",
      content: `${JSON.stringify({ name: plugin.name, version: plugin.version, description: plugin.description, ...plugin.manifest }, null, 2)}\n`,
    },
    ...plugin.skills.map((skill) => ({ path: `skills/${skill.name}/SKILL.md`, content: skillMarkdown(skill) })),
    ...(plugin.files ?? []),
  ];
}

export function pluginZip(plugin: PluginFixture): Buffer {
  return createZip(pluginFiles(plugin));
}

/** A marketplace entry with an `archive` source for a zip served at `url`. */
export function archiveEntry(plugin: PluginFixture, zip: Buffer, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: plugin.name, version: plugin.version, description: plugin.description, source: { source: "archive", url, sha256: sha256(zip) }, ...extra };
}

export function marketplaceJson(name: string, plugins: Record<string, unknown>[], extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ name, owner: { name: "Skillyard e2e" }, plugins, ...extra }, null, 2)}\n`;
}

/** Something that serves fixtures (the HTTPS front). */
export interface FixtureServer {
  url(path: string): string;
  serve(pathAndQuery: string, fixture: Buffer | string): void;
}

/**
 * Zips `plugin`, serves it at `<prefix>/plugins/<name>-<version>.zip` and returns the zip and its marketplace entry
 * (archive source with that URL and the zip's sha256).
 */
export function servePlugin(
  server: FixtureServer,
  plugin: PluginFixture,
  prefix = "",
  extra: Record<string, unknown> = {},
): { zip: Buffer; url: string; entry: Record<string, unknown> } {
  const zip = pluginZip(plugin);
  const path = `${prefix}/plugins/${plugin.name}-${plugin.version}.zip`;
  server.serve(path, zip);
  const url = server.url(path);
  return { zip, url, entry: archiveEntry(plugin, zip, url, extra) };
}
