/**
 * Claude Code plugin archives (zip), unpacked as hostile input with the path rules of packages
 * (core's `entrySegments` and `PathTracker`): no absolute path, no "..", no backslash or control
 * character, no duplicate or case collision; only regular files and folders (a symbolic link or any
 * other entry type is refused). The whole central directory is checked first (entry count, path
 * depth, unpacked bytes, compression ratio), so a refused archive writes nothing; yauzl then holds
 * every entry to its declared size. Files get mode 0644, or 0755 when the archive marks them
 * owner-executable, and folders 0755, whatever the umask (an image copies these modes as they are).
 */
import { chmod, mkdir, open } from "node:fs/promises";
import path from "node:path";
import { type ArchiveLimits, entrySegments, type EntryKind, PathTracker, SkillyardError } from "@skillyard/core";
import { type Entry, fromBufferPromise, getFileNameLowLevel, type ZipFile } from "yauzl";

export interface UnpackedFile {
  /** POSIX path inside the archive. */
  path: string;
  size: number;
  mode: number;
}

const FILE_MODE = 0o644;
const EXECUTABLE_MODE = 0o755;
const DIRECTORY_MODE = 0o755;
/** The file type bits of a Unix mode, as zip tools store it in the top half of the external attributes. */
const TYPE_MASK = 0o170000;
const TYPE_FILE = 0o100000;
const TYPE_DIRECTORY = 0o040000;
const TYPE_SYMLINK = 0o120000;
/** Below this much output the ratio is noise (as for packages). */
const RATIO_CHECK_FLOOR = 1024 * 1024;

interface Planned {
  entry: Entry;
  segments: string[];
  kind: EntryKind;
  mode: number;
}

/** Unpacks `zip` into `dest`, which must not exist yet (its parent must); answers the files written, sorted by path. */
export async function unpackZip(zip: Buffer, limits: ArchiveLimits, dest: string): Promise<UnpackedFile[]> {
  let zipfile: ZipFile;
  try {
    zipfile = await fromBufferPromise(zip, { decodeStrings: false, validateEntrySizes: true, strictFileNames: true });
  } catch (err) {
    throw corrupt(err);
  }
  try {
    const planned = await plan(zipfile, zip.length, limits);
    await makeDirectory(dest);
    const files: UnpackedFile[] = [];
    for (const { entry, segments, kind, mode } of planned) {
      // Safe joins: the segments hold no separator, "." or "..", and `dest` holds only what this loop made.
      const target = path.join(dest, ...segments);
      if (kind === "directory") {
        await makeDirectories(dest, segments);
        continue;
      }
      await makeDirectories(dest, segments.slice(0, -1));
      await writeEntry(zipfile, entry, target, mode);
      files.push({ path: segments.join("/"), size: entry.uncompressedSize, mode });
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  } finally {
    zipfile.close();
  }
}

/** Reads the central directory and checks every rule before anything is written. */
async function plan(zipfile: ZipFile, zipBytes: number, limits: ArchiveLimits): Promise<Planned[]> {
  if (zipfile.entryCount > limits.maxEntries) {
    throw new SkillyardError("PACKAGE_TOO_MANY_ENTRIES", `The archive has ${zipfile.entryCount} entries, more than ${limits.maxEntries}.`, {
      limit: limits.maxEntries,
    });
  }
  const tracker = new PathTracker();
  const planned: Planned[] = [];
  let unpacked = 0;
  try {
    for await (const entry of zipfile.eachEntry()) {
      // decodeStrings is off so that yauzl's own name check (a plain Error) gives way to the package rules.
      const raw = getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      const segments = entrySegments(raw);
      const name = segments.join("/") || raw;
      const kind = entryKind(entry, raw, name);
      if (segments.length === 0) {
        if (kind === "directory") continue;
        throw new SkillyardError("PACKAGE_INVALID_PATH", `The entry path ${JSON.stringify(raw)} names no file.`, { path: raw });
      }
      if (segments.length > limits.maxPathDepth) {
        throw new SkillyardError("PACKAGE_PATH_TOO_DEEP", `The entry path ${JSON.stringify(name)} has more than ${limits.maxPathDepth} segments.`, {
          path: name,
          limit: limits.maxPathDepth,
        });
      }
      if (kind === "file" && !entry.canDecodeFileData()) {
        throw new SkillyardError("PACKAGE_CORRUPT", `The entry ${JSON.stringify(name)} is encrypted or uses an unsupported compression method.`, {
          path: name,
        });
      }
      tracker.add(segments, kind);
      unpacked += entry.uncompressedSize;
      if (unpacked > limits.maxUnpackedBytes) {
        throw new SkillyardError("PACKAGE_UNPACKED_TOO_LARGE", `The unpacked files exceed the limit of ${limits.maxUnpackedBytes} bytes.`, {
          limit: limits.maxUnpackedBytes,
        });
      }
      const executable = ((entry.externalFileAttributes >>> 16) & 0o100) !== 0;
      planned.push({ entry, segments, kind, mode: kind === "directory" ? DIRECTORY_MODE : executable ? EXECUTABLE_MODE : FILE_MODE });
    }
  } catch (err) {
    if (err instanceof SkillyardError) throw err;
    throw corrupt(err);
  }
  if (unpacked >= RATIO_CHECK_FLOOR && unpacked > limits.maxCompressionRatio * zipBytes) {
    throw new SkillyardError(
      "PACKAGE_COMPRESSION_RATIO",
      `The archive expands more than ${limits.maxCompressionRatio} times (${unpacked} bytes from ${zipBytes}).`,
      { limit: limits.maxCompressionRatio },
    );
  }
  return planned;
}

/**
 * A folder (a name ending in "/", or the folder type), or a regular file. The type bits are read
 * whoever made the archive: a symbolic link or a device is refused, never written as a file.
 */
function entryKind(entry: Entry, raw: string, name: string): EntryKind {
  const type = (entry.externalFileAttributes >>> 16) & TYPE_MASK;
  if (type === TYPE_SYMLINK) {
    throw new SkillyardError("PACKAGE_LINK", `The entry ${JSON.stringify(name)} is a symbolic link, which plugins may not contain.`, {
      path: name,
      type: "symlink",
    });
  }
  if (type !== 0 && type !== TYPE_FILE && type !== TYPE_DIRECTORY) {
    throw new SkillyardError("PACKAGE_SPECIAL_FILE", `The entry ${JSON.stringify(name)} is neither a regular file nor a folder.`, { path: name });
  }
  return raw.endsWith("/") || type === TYPE_DIRECTORY ? "directory" : "file";
}

/** Each missing folder of `segments` under `root`, with mode 0755 whatever the umask. */
export async function makeDirectories(root: string, segments: string[]): Promise<void> {
  let dir = root;
  for (const segment of segments) {
    dir = path.join(dir, segment);
    await makeDirectory(dir, true);
  }
}

async function makeDirectory(dir: string, mayExist = false): Promise<void> {
  try {
    await mkdir(dir, { mode: DIRECTORY_MODE });
  } catch (err) {
    if (mayExist && (err as NodeJS.ErrnoException).code === "EEXIST") return;
    throw err;
  }
  await chmod(dir, DIRECTORY_MODE);
}

/** Writes one entry ("wx": never follows or replaces anything), then sets its mode exactly. */
async function writeEntry(zipfile: ZipFile, entry: Entry, target: string, mode: number): Promise<void> {
  const handle = await open(target, "wx", mode);
  try {
    const stream = await zipfile.openReadStreamPromise(entry).catch((err: unknown) => Promise.reject(corrupt(err)));
    // Only the archive's own failures (a size or inflate error) are PACKAGE_CORRUPT; a full disk stays what it is.
    const chunks = stream[Symbol.asyncIterator]();
    for (;;) {
      const step = await (chunks.next() as Promise<IteratorResult<Buffer>>).catch((err: unknown) => Promise.reject(corrupt(err)));
      if (step.done) break;
      await handle.write(step.value);
    }
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

function corrupt(err: unknown): SkillyardError {
  return new SkillyardError("PACKAGE_CORRUPT", `The plugin archive is not a readable zip: ${err instanceof Error ? err.message : String(err)}.`);
}
