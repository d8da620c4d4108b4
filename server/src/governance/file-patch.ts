import { readFile } from "node:fs/promises";
import path from "node:path";
import { type ArchiveLimits, withExtractedPackage } from "@skillyard/core";
import { createTwoFilesPatch, FILE_HEADERS_ONLY, formatPatch, type StructuredPatch } from "diff";
import type { SkillVersion } from "../catalog/skill-version.entity";
import type { BlobStore } from "../packages/blob-store";

export type FileChangeKind = "ADDED" | "REMOVED" | "CHANGED" | "UNCHANGED";

/** A package file compared with the previous published version (ReviewRequest.fileDiff). */
export interface FileChange {
  path: string;
  change: FileChangeKind;
  /** Size in the version under review; for REMOVED, in the previous version. */
  size: number | null;
  /** Package digest of the previous version when the file is there, else null. */
  beforeSha256: string | null;
  /** Package digest of the version under review when the file is there, else null. */
  afterSha256: string | null;
}

/** Every file of either version, sorted by path. */
export function fileChanges(previous: SkillVersion | null, version: SkillVersion): FileChange[] {
  const before = new Map((previous?.files ?? []).map((f) => [f.path, f]));
  const after = new Map(version.files.map((f) => [f.path, f]));
  const changes: FileChange[] = [];
  for (const [filePath, f] of after) {
    const old = before.get(filePath);
    changes.push({
      path: filePath,
      size: f.size,
      change: !old ? "ADDED" : old.sha256 === f.sha256 ? "UNCHANGED" : "CHANGED",
      beforeSha256: old && previous ? previous.packageSha256 : null,
      afterSha256: version.packageSha256,
    });
  }
  for (const [filePath, f] of before) {
    if (!after.has(filePath)) changes.push({ path: filePath, size: f.size, change: "REMOVED", beforeSha256: previous!.packageSha256, afterSha256: null });
  }
  return changes.sort((a, b) => a.path.localeCompare(b.path));
}

/** Files larger than this get no patch (a reviewer reads them from the package). */
export const MAX_PATCH_FILE_BYTES = 256 * 1024;
/** A NUL byte within this many leading bytes marks a file as binary (what git does). */
const BINARY_SNIFF_BYTES = 8 * 1024;
/** Lines of context around each change. */
const CONTEXT_LINES = 3;
/**
 * Myers' diff is O((N+M)·D): two unrelated 256 KiB files take ~20 s of CPU. Past this many
 * removed plus added lines the patch replaces the whole file instead (measured: ≤ ~70 ms to give up).
 */
const MAX_EDIT_LINES = 1000;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The file as text, or null when it is binary (a NUL in the first 8 KiB, or not valid UTF-8) or over 256 KiB. */
export function textOf(bytes: Buffer): string | null {
  if (bytes.length > MAX_PATCH_FILE_BYTES) return null;
  if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** The text of every package file that can have a patch (path → text, or null when binary or too large). */
export type PackageTexts = ReadonlyMap<string, string | null>;

/**
 * Reads a stored package once through the same hostile-archive extraction as publishing (a private
 * staging folder that is always removed) and keeps only the text of files small enough to diff.
 */
export function readPackageTexts(blobStore: BlobStore, limits: ArchiveLimits, sha256: string): Promise<PackageTexts> {
  return blobStore.withLocalFile(sha256, "tgz", (file) =>
    withExtractedPackage(file, limits, blobStore.tmpDir, async (pkg) => {
      const texts = new Map<string, string | null>();
      for (const file of pkg.files) {
        // Segments were validated by the extraction, so the join stays inside the staging folder.
        texts.set(file.path, file.size > MAX_PATCH_FILE_BYTES ? null : textOf(await readFile(path.join(pkg.dir, ...file.path.split("/")))));
      }
      return texts;
    }),
  );
}

/**
 * A unified diff (3 lines of context) from `before` to `after`. `null` for a side means the file
 * does not exist there (diffed against empty and named /dev/null, as git does).
 */
export function unifiedPatch(filePath: string, before: string | null, after: string | null): string {
  const oldName = before === null ? "/dev/null" : `a/${filePath}`;
  const newName = after === null ? "/dev/null" : `b/${filePath}`;
  const patch = createTwoFilesPatch(oldName, newName, before ?? "", after ?? "", undefined, undefined, {
    context: CONTEXT_LINES,
    maxEditLength: MAX_EDIT_LINES,
    headerOptions: FILE_HEADERS_ONLY,
  });
  return patch ?? wholeFilePatch(oldName, newName, before ?? "", after ?? "");
}

/** One hunk that removes every old line and adds every new one: still a valid unified diff, just not a minimal one. */
function wholeFilePatch(oldName: string, newName: string, before: string, after: string): string {
  const oldLines = splitLines(before);
  const newLines = splitLines(after);
  const structured: StructuredPatch = {
    oldFileName: oldName,
    newFileName: newName,
    oldHeader: undefined,
    newHeader: undefined,
    hunks: [
      {
        oldStart: oldLines.length ? 1 : 0,
        oldLines: oldLines.length,
        newStart: newLines.length ? 1 : 0,
        newLines: newLines.length,
        lines: [...marked("-", oldLines, before), ...marked("+", newLines, after)],
      },
    ],
  };
  return formatPatch(structured, FILE_HEADERS_ONLY);
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (text.endsWith("\n")) lines.pop();
  return lines;
}

function marked(sign: "-" | "+", lines: string[], text: string): string[] {
  const out = lines.map((line) => `${sign}${line}`);
  if (lines.length && !text.endsWith("\n")) out.push("\\ No newline at end of file");
  return out;
}
