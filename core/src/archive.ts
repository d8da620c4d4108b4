/**
 * Skill packages are gzip-compressed tar archives. Extraction treats every archive as hostile:
 * it streams into a fresh private staging folder, enforces the limits while reading, and removes
 * everything it wrote when any rule is broken. Packing is deterministic so the same folder always
 * gives the same bytes (and so the same sha256).
 */
import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { chmod, lstat, mkdir, mkdtemp, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { extract as tarExtract, pack as tarPack, type ExtractEvents, type Header, type Pack } from "tar-stream";
import { SkillyardError } from "./errors";

export interface ArchiveLimits {
  maxEntries: number;
  maxPathDepth: number;
  maxUnpackedBytes: number;
  maxCompressionRatio: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = Object.freeze({
  maxEntries: 5000,
  maxPathDepth: 32,
  maxUnpackedBytes: 64 * MIB,
  maxCompressionRatio: 200,
});

export interface PackageFile {
  /** Normalized POSIX path relative to the package root, without a leading "./". */
  path: string;
  size: number;
  sha256: string;
  /** 0o644, or 0o755 when the archive marked the file owner-executable. */
  mode: number;
}

export interface ExtractedPackage {
  dir: string;
  /** Regular files only, sorted by path. */
  files: PackageFile[];
}

/** Small input chunks keep the compressed-byte count (and so the ratio check) close to what gunzip has consumed. */
const INPUT_CHUNK_BYTES = 16 * 1024;
/** Below this much output the ratio is noise (headers and padding of tiny archives compress very well). */
const RATIO_CHECK_FLOOR = MIB;
/** Keep each name under NAME_MAX and the whole staging path far below PATH_MAX, so no fs call fails on length. */
const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 1024;
/** C0 controls (including NUL), DEL and C1 controls. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const FILE_MODE = 0o644;
const EXECUTABLE_MODE = 0o755;
const DIRECTORY_MODE = 0o755;
/** 2000-01-01: mtime 0 makes GNU tar warn about an "implausibly old time stamp". */
const PACK_MTIME = new Date(Date.UTC(2000, 0, 1));
/** Byte 9 of a gzip header names the OS zlib was built for; pinned so the output is the same on every platform. */
const GZIP_OS_BYTE = 9;
const GZIP_OS_UNIX = 3;
const ALWAYS_IGNORED_DIRECTORIES = new Set([".git", "node_modules"]);

/**
 * Extracts into a fresh private staging folder (mkdtemp, mode 0700) created inside `stagingParent`,
 * calls `use`, and ALWAYS removes the staging folder afterwards (success, rejection, or exception in `use`).
 */
export async function withExtractedPackage<T>(
  tgz: string | Buffer,
  limits: ArchiveLimits,
  stagingParent: string,
  use: (pkg: ExtractedPackage) => Promise<T>,
): Promise<T> {
  const staging = await mkdtemp(join(stagingParent, ".skillyard-staging-"));
  try {
    const files = await extractInto(tgz, limits, staging);
    return await use({ dir: staging, files });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Extracts into `destDir`, which must not exist yet: extracts into a staging folder next to it, then
 * renames into place only when the whole archive was accepted; on any failure nothing is left at
 * destDir nor the staging folder.
 */
export async function extractPackageTo(tgz: string | Buffer, limits: ArchiveLimits, destDir: string): Promise<ExtractedPackage> {
  const dest = resolve(destDir);
  await assertAbsent(dest);
  await mkdir(dirname(dest), { recursive: true });
  // Same parent folder, so the final rename is atomic.
  const staging = await mkdtemp(join(dirname(dest), `.${basename(dest)}.staging-`));
  try {
    const files = await extractInto(tgz, limits, staging);
    // mkdtemp made the folder private; once accepted it becomes an ordinary package folder.
    await chmod(staging, DIRECTORY_MODE);
    // Checked again because rename() silently replaces an empty directory created meanwhile.
    await assertAbsent(dest);
    await rename(staging, dest);
    return { dir: dest, files };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Deterministic tarball of a folder: entries sorted by path, fixed mtime, uid/gid 0, empty
 * uname/gname, modes 0644/0755, only regular files and directories, `.skillignore` honoured,
 * `.git/` and `node_modules/` always left out; gzip level 9 without timestamp or file name.
 */
export async function packDirectory(dir: string): Promise<Buffer> {
  const root = resolve(dir);
  const rules = await readIgnoreRules(root);
  const entries: SourceEntry[] = [];
  await collectEntries(root, "", rules, new PathTracker(), entries);
  entries.sort((a, b) => compareStrings(a.path, b.path));

  const tar = tarPack();
  const chunks: Buffer[] = [];
  await Promise.all([
    pipeline(tar, createGzip({ level: 9 }), async (gzipped: AsyncIterable<Buffer>) => {
      for await (const chunk of gzipped) chunks.push(chunk);
    }),
    writeEntries(tar, root, entries).catch((err: Error) => {
      tar.destroy(err);
      throw err;
    }),
  ]);
  const tgz = Buffer.concat(chunks);
  tgz[GZIP_OS_BYTE] = GZIP_OS_UNIX;
  return tgz;
}

// ---------------------------------------------------------------------------------------------
// Extraction

type Source = ExtractEvents["entry"][1];

async function extractInto(tgz: string | Buffer, limits: ArchiveLimits, root: string): Promise<PackageFile[]> {
  const input = await openInput(tgz);
  const extraction = new Extraction(root, limits);
  const tar = tarExtract();
  let current: Promise<void> = Promise.resolve();
  // An entry handler's own error (a broken rule, a full disk) beats whatever the destroyed pipeline reports.
  let entryFailure: Error | undefined;
  tar.on("entry", (header: Header, source: Source, next: (err?: Error | null) => void) => {
    // The pipeline reports the cause; without a listener streamx would rethrow it as uncaught.
    source.on("error", () => undefined);
    current = extraction.entry(header, source).then(
      () => next(),
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        // When the tar stream is already being destroyed, this failure is only the echo of that error.
        if (!tar.destroying) entryFailure = error;
        next(error);
      },
    );
  });

  let compressedBytes = 0;
  let decompressedBytes = 0;
  const countCompressed = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      compressedBytes += chunk.length;
      callback(null, chunk);
    },
  });
  // Sits between gunzip and the tar parser so a bomb is stopped before any of it reaches the disk.
  const checkRatio = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      decompressedBytes += chunk.length;
      if (decompressedBytes >= RATIO_CHECK_FLOOR && decompressedBytes > limits.maxCompressionRatio * compressedBytes) {
        callback(
          new SkillyardError(
            "PACKAGE_COMPRESSION_RATIO",
            `The archive expands more than ${limits.maxCompressionRatio} times (${decompressedBytes} bytes from the first ${compressedBytes} compressed bytes).`,
            { limit: limits.maxCompressionRatio, decompressedBytes, compressedBytes },
          ),
        );
        return;
      }
      callback(null, chunk);
    },
  });

  try {
    await pipeline(input, countCompressed, createGunzip(), checkRatio, tar);
  } catch (err) {
    await current;
    if (entryFailure) throw entryFailure;
    if (err instanceof SkillyardError) throw err;
    throw new SkillyardError("PACKAGE_CORRUPT", "The package's gzip or tar stream is truncated or malformed.", {
      reason: err instanceof Error ? err.message : String(err),
    });
  }
  await current;
  return extraction.files.sort((a, b) => compareStrings(a.path, b.path));
}

async function openInput(tgz: string | Buffer): Promise<Readable> {
  if (Buffer.isBuffer(tgz)) {
    assertGzipMagic(tgz.subarray(0, 2));
    return Readable.from(slices(tgz), { objectMode: false });
  }
  const handle = await open(tgz, "r");
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    assertGzipMagic(head.subarray(0, bytesRead));
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle.createReadStream({ start: 0, highWaterMark: INPUT_CHUNK_BYTES });
}

function* slices(buffer: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += INPUT_CHUNK_BYTES) {
    yield buffer.subarray(offset, offset + INPUT_CHUNK_BYTES);
  }
}

function assertGzipMagic(head: Buffer): void {
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) {
    throw new SkillyardError("PACKAGE_NOT_GZIP", "The package is not a gzip stream (it does not start with the gzip magic bytes).");
  }
}

/** Per-archive state; tar-stream hands over one entry at a time, so the handler never runs concurrently. */
class Extraction {
  readonly files: PackageFile[] = [];
  private entries = 0;
  private unpackedBytes = 0;
  private readonly tracker = new PathTracker();

  constructor(
    private readonly root: string,
    private readonly limits: ArchiveLimits,
  ) {}

  async entry(header: Header, source: Source): Promise<void> {
    if (++this.entries > this.limits.maxEntries) {
      throw new SkillyardError("PACKAGE_TOO_MANY_ENTRIES", `The archive has more than ${this.limits.maxEntries} entries.`, {
        limit: this.limits.maxEntries,
      });
    }
    const segments = entrySegments(header.name);
    const path = segments.join("/");
    assertFileOrDirectory(header.type, path || header.name);
    if (segments.length === 0) {
      // "./" (as written by `tar -C dir .`) names the staging folder itself.
      if (header.type === "directory") return;
      throw invalidPath(header.name, "names no file");
    }
    if (segments.length > this.limits.maxPathDepth) {
      throw new SkillyardError(
        "PACKAGE_PATH_TOO_DEEP",
        `The entry path ${JSON.stringify(path)} has ${segments.length} segments, more than the limit of ${this.limits.maxPathDepth}.`,
        { path, depth: segments.length, limit: this.limits.maxPathDepth },
      );
    }
    this.tracker.add(segments, header.type === "directory" ? "directory" : "file");

    // Safe joins: segments hold no "/", "\\", "." or "..", and the staging folder only ever holds
    // what this code created (never a link), so mkdir and open cannot be redirected elsewhere.
    const target = join(this.root, ...segments);
    if (header.type === "directory") {
      await mkdir(target, { recursive: true, mode: DIRECTORY_MODE });
      return;
    }
    await mkdir(dirname(target), { recursive: true, mode: DIRECTORY_MODE });
    const mode = header.mode & 0o100 ? EXECUTABLE_MODE : FILE_MODE;
    const { size, sha256 } = await this.writeFile(source, target, mode, path);
    this.files.push({ path, size, sha256, mode });
  }

  /** Streams one entry to disk, hashing and counting the bytes that actually arrive (headers lie). */
  private async writeFile(source: Source, target: string, mode: number, path: string): Promise<{ size: number; sha256: string }> {
    const hash = createHash("sha256");
    let size = 0;
    // "wx": never follow or overwrite anything already there.
    const handle = await open(target, "wx", mode);
    try {
      // Pulled by hand rather than with for-await: leaving the loop on an error must not destroy
      // the entry stream, so the tar stream is destroyed with our error and not a generic one.
      const chunks = source[Symbol.asyncIterator]();
      for (;;) {
        const step = await chunks.next();
        if (step.done) break;
        // tar-stream emits Buffers.
        const chunk = step.value as Buffer;
        size += chunk.length;
        this.unpackedBytes += chunk.length;
        if (this.unpackedBytes > this.limits.maxUnpackedBytes) {
          throw new SkillyardError(
            "PACKAGE_UNPACKED_TOO_LARGE",
            `The unpacked files exceed the limit of ${this.limits.maxUnpackedBytes} bytes while extracting ${JSON.stringify(path)}.`,
            { path, limit: this.limits.maxUnpackedBytes },
          );
        }
        hash.update(chunk);
        // Awaiting each write before pulling the next chunk is the backpressure.
        await handle.write(chunk);
      }
    } finally {
      await handle.close();
    }
    return { size, sha256: hash.digest("hex") };
  }
}

function assertFileOrDirectory(type: Header["type"] | null, path: string): void {
  switch (type) {
    case "file":
    case "directory":
      return;
    case "link":
    case "symlink":
      throw new SkillyardError(
        "PACKAGE_LINK",
        `The entry ${JSON.stringify(path)} is a ${type === "link" ? "hard" : "symbolic"} link, which packages may not contain.`,
        { path, type },
      );
    default:
      throw new SkillyardError(
        "PACKAGE_SPECIAL_FILE",
        `The entry ${JSON.stringify(path)} is a ${type ?? "unknown"} entry; packages may only contain regular files and directories.`,
        { path, type },
      );
  }
}

/**
 * Validates a raw entry name and returns its normalized segments (none for the package root itself):
 * the path rules of every archive Skillyard unpacks (packages here, plugin zips in the CLI).
 */
export function entrySegments(raw: string): string[] {
  if (raw === "") throw invalidPath(raw, "is empty");
  if (raw.startsWith("/") || raw.startsWith("\\") || /^[A-Za-z]:/.test(raw)) throw invalidPath(raw, "is absolute");
  if (raw.includes("\\")) throw invalidPath(raw, "contains a backslash");
  if (CONTROL_CHARS.test(raw)) throw invalidPath(raw, "contains a control character");
  const segments = raw.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) throw invalidPath(raw, "contains a '..' segment");
  if (Buffer.byteLength(raw) > MAX_PATH_BYTES || segments.some((segment) => Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)) {
    throw invalidPath(raw, "is too long");
  }
  return segments;
}

function invalidPath(raw: string, problem: string): SkillyardError {
  return new SkillyardError("PACKAGE_INVALID_PATH", `The entry path ${JSON.stringify(raw)} ${problem}.`, { path: raw });
}

export type EntryKind = "file" | "directory";

/** Detects duplicates, file/directory conflicts and paths that collide on case-insensitive file systems. */
export class PathTracker {
  /** Every path seen so far, including directories only implied by deeper entries. */
  private readonly kinds = new Map<string, EntryKind>();
  private readonly explicit = new Set<string>();
  /** Lowercased NFC form -> the path that claimed it. */
  private readonly folded = new Map<string, string>();

  add(segments: string[], kind: EntryKind): void {
    const path = segments.join("/");
    if (this.explicit.has(path)) {
      throw new SkillyardError("PACKAGE_DUPLICATE_ENTRY", `The entry path ${JSON.stringify(path)} appears more than once.`, { path });
    }
    for (let depth = 1; depth <= segments.length; depth++) {
      const prefix = segments.slice(0, depth).join("/");
      const prefixKind = depth === segments.length ? kind : "directory";
      const known = this.kinds.get(prefix);
      if (known !== undefined && known !== prefixKind) {
        throw new SkillyardError(
          "PACKAGE_DUPLICATE_ENTRY",
          `The entry path ${JSON.stringify(path)} conflicts with ${JSON.stringify(prefix)}, which would be both a file and a directory.`,
          { path, conflictsWith: prefix },
        );
      }
      const key = prefix.normalize("NFC").toLowerCase();
      const claimedBy = this.folded.get(key);
      if (claimedBy !== undefined && claimedBy !== prefix) {
        throw new SkillyardError(
          "PACKAGE_CASE_COLLISION",
          `The entry path ${JSON.stringify(path)} collides with ${JSON.stringify(claimedBy)}: they differ only in letter case or Unicode normalization.`,
          { path, collidesWith: claimedBy },
        );
      }
      this.kinds.set(prefix, prefixKind);
      this.folded.set(key, prefix);
    }
    this.explicit.add(path);
  }
}

async function assertAbsent(path: string): Promise<void> {
  const exists = await lstat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return false;
      throw err;
    },
  );
  if (exists) {
    throw new SkillyardError("BAD_USER_INPUT", `The destination folder ${JSON.stringify(path)} already exists.`, { path });
  }
}

/** Plain code-unit order, the same on every machine (unlike localeCompare). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Packing

interface SourceEntry {
  path: string;
  kind: EntryKind;
}

async function collectEntries(root: string, relative: string, rules: IgnoreRule[], tracker: PathTracker, out: SourceEntry[]): Promise<void> {
  for (const dirent of await readdir(join(root, relative), { withFileTypes: true })) {
    const path = relative === "" ? dirent.name : `${relative}/${dirent.name}`;
    const isDirectory = dirent.isDirectory();
    if (isDirectory && ALWAYS_IGNORED_DIRECTORIES.has(dirent.name)) continue;
    if (isIgnored(rules, path, isDirectory)) continue;
    if (dirent.isSymbolicLink()) {
      throw new SkillyardError("PACKAGE_LINK", `The file ${JSON.stringify(path)} is a symbolic link, which packages may not contain.`, {
        path,
        type: "symlink",
      });
    }
    if (!isDirectory && !dirent.isFile()) {
      throw new SkillyardError(
        "PACKAGE_SPECIAL_FILE",
        `The file ${JSON.stringify(path)} is neither a regular file nor a directory, which packages may not contain.`,
        { path },
      );
    }
    // Refuse here what extraction would refuse anyway (odd characters, case collisions).
    const kind: EntryKind = isDirectory ? "directory" : "file";
    tracker.add(entrySegments(path), kind);
    out.push({ path, kind });
    if (isDirectory) await collectEntries(root, path, rules, tracker, out);
  }
}

async function writeEntries(tar: Pack, root: string, entries: SourceEntry[]): Promise<void> {
  for (const entry of entries) {
    const { data, mode } = entry.kind === "directory" ? { data: Buffer.alloc(0), mode: DIRECTORY_MODE } : await readSourceFile(join(root, entry.path));
    await addEntry(
      tar,
      {
        // Directory names end in "/" as GNU tar writes them (tar-stream does not add it).
        name: entry.kind === "directory" ? `${entry.path}/` : entry.path,
        type: entry.kind,
        size: data.length,
        mode,
        mtime: PACK_MTIME,
        uid: 0,
        gid: 0,
        uname: "",
        gname: "",
        linkname: "",
        devmajor: 0,
        devminor: 0,
      },
      data,
    );
  }
  tar.finalize();
}

async function readSourceFile(path: string): Promise<{ data: Buffer; mode: number }> {
  // O_NOFOLLOW: a file swapped for a symlink after the walk must not pull in content from elsewhere.
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    const stats = await handle.stat();
    return { data: await handle.readFile(), mode: stats.mode & 0o100 ? EXECUTABLE_MODE : FILE_MODE };
  } finally {
    await handle.close();
  }
}

function addEntry(tar: Pack, header: Header, data: Buffer): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    tar.entry(header, data, (err) => (err ? reject(err) : resolvePromise()));
  });
}

// ---------------------------------------------------------------------------------------------
// .skillignore

interface IgnoreRule {
  pattern: RegExp;
  negate: boolean;
  directoryOnly: boolean;
}

async function readIgnoreRules(root: string): Promise<IgnoreRule[]> {
  let text: string;
  try {
    text = await readFile(join(root, ".skillignore"), { encoding: "utf8", flag: fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return parseIgnoreRules(text);
}

/** gitignore-like: `#` comments, `!` negation, `*`, `?`, `**`, trailing `/` for directories, a `/` at the start or middle anchors to the root. */
function parseIgnoreRules(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine.trimEnd();
    if (line === "" || line.startsWith("#")) continue;
    const negate = line.startsWith("!");
    if (negate) line = line.slice(1);
    const directoryOnly = line.endsWith("/");
    if (directoryOnly) line = line.slice(0, -1);
    const anchored = line.includes("/");
    if (line.startsWith("/")) line = line.slice(1);
    if (line === "") continue;
    rules.push({ pattern: new RegExp(`^${anchored ? "" : "(?:.*/)?"}${globToRegExp(line)}$`), negate, directoryOnly });
  }
  return rules;
}

function globToRegExp(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === "*" && glob[i + 1] === "*" && (i === 0 || glob[i - 1] === "/")) {
      if (i + 2 === glob.length) {
        out += ".*"; // trailing "**": everything inside
        i += 1;
        continue;
      }
      if (glob[i + 2] === "/") {
        out += "(?:.*/)?"; // "**/": zero or more directories
        i += 2;
        continue;
      }
    }
    if (char === "*") {
      while (glob[i + 1] === "*") i++;
      out += "[^/]*";
    } else if (char === "?") {
      out += "[^/]";
    } else if (char === "\\" && i + 1 < glob.length) {
      out += escapeRegExp(glob[++i]);
    } else {
      out += escapeRegExp(char);
    }
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The last matching rule wins, as in gitignore; ignored directories are not descended into. */
function isIgnored(rules: IgnoreRule[], path: string, isDirectory: boolean): boolean {
  let ignored = false;
  for (const rule of rules) {
    if ((isDirectory || !rule.directoryOnly) && rule.pattern.test(path)) ignored = !rule.negate;
  }
  return ignored;
}
