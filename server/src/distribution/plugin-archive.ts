import { generatedSkillMd, type SkillManifest } from "@skillyard/core";
import { ZipFile } from "yazl";

/** One file to put in an archive: a POSIX path inside it, its bytes, and whether it is executable. */
export interface ArchiveEntry {
  path: string;
  bytes: Buffer;
  executable: boolean;
}

/**
 * DOS timestamps have no zone and yazl reads the Date's local fields, so a local-time constructor
 * gives 1980-01-01 00:00 (the earliest DOS date) in every time zone.
 */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
const FILE_MODE = 0o100644;
const EXECUTABLE_MODE = 0o100755;

/**
 * A zip with the same bytes for the same entries, whatever order they come in: entries sorted by
 * path (byte order), one fixed timestamp without the extended-time field, fixed modes, no comment,
 * deflate at one fixed level (zlib ships inside Node, so one Node version always deflates alike;
 * Skillyard builds each archive once and keeps its bytes, so a newer zlib never changes a served one).
 */
export function deterministicZip(entries: readonly ArchiveEntry[]): Promise<Buffer> {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].path === sorted[i - 1].path) throw new Error(`Two archive entries at ${sorted[i].path}`);
  }
  const zip = new ZipFile();
  for (const entry of sorted) {
    zip.addBuffer(entry.bytes, entry.path, {
      mtime: FIXED_MTIME,
      forceDosTimestamp: true,
      mode: entry.executable ? EXECUTABLE_MODE : FILE_MODE,
      compressionLevel: 9,
    });
  }
  zip.end();
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on("data", (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on("error", reject);
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

/** `.claude-plugin/plugin.json`: what Claude Code shows for the plugin and compares for updates (`version`). */
export function pluginJson(manifest: SkillManifest): string {
  const plugin: Record<string, unknown> = {
    name: manifest.name,
    version: manifest.version,
    description: manifest.description,
  };
  if (manifest.author) plugin.author = { name: manifest.author };
  if (manifest.license) plugin.license = manifest.license;
  if (manifest.tags.length > 0) plugin.keywords = manifest.tags;
  return `${JSON.stringify(plugin, null, 2)}\n`;
}

/**
 * The Claude Code plugin for one skill version: `.claude-plugin/plugin.json` and the package's files
 * under `skills/<name>/` (the folder name is the skill name, which is SKILL.md's `name`), with a
 * generated SKILL.md when the package has none.
 */
export function pluginEntries(manifest: SkillManifest, files: readonly ArchiveEntry[]): ArchiveEntry[] {
  const folder = `skills/${manifest.name}`;
  const entries: ArchiveEntry[] = [
    { path: ".claude-plugin/plugin.json", bytes: Buffer.from(pluginJson(manifest)), executable: false },
    ...files.map((f) => ({ ...f, path: `${folder}/${f.path}` })),
  ];
  if (!files.some((f) => f.path === "SKILL.md")) {
    const paths = files.map((f) => f.path);
    entries.push({ path: `${folder}/SKILL.md`, bytes: Buffer.from(generatedSkillMd(manifest, paths)), executable: false });
  }
  return entries;
}
