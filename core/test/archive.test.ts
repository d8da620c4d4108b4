import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pipeline } from "node:stream/promises";
import { describe, test } from "node:test";
import { constants as zlibConstants, createGzip, gunzipSync, type ZlibOptions } from "node:zlib";
import { extract as tarExtract, pack as tarPack, type Header, type Pack } from "tar-stream";
import { DEFAULT_ARCHIVE_LIMITS, extractPackageTo, packDirectory, withExtractedPackage, type ArchiveLimits, type PackageFile } from "../src/archive";
import { SkillyardError, type ErrorCode } from "../src/errors";

const MIB = 1024 * 1024;
const CORPUS = "/work/shared/corpus/anthropic-skills";

type EntryHeader = Partial<Header> & { name: string };
interface TestEntry {
  header: EntryHeader;
  data?: Buffer | string;
}

function file(name: string, data: Buffer | string = "x", header: Partial<Header> = {}): TestEntry {
  return { header: { ...header, name, type: "file" }, data };
}

function special(name: string, header: Partial<Header>): TestEntry {
  return { header: { ...header, name } };
}

async function collect(gzipped: AsyncIterable<Buffer>, chunks: Buffer[]): Promise<void> {
  for await (const chunk of gzipped) chunks.push(chunk);
}

/** Builds a (possibly hostile) .tgz with tar-stream, which writes whatever names and types it is given. */
async function buildTgz(entries: TestEntry[], gzipOptions: ZlibOptions = {}): Promise<Buffer> {
  const tar = tarPack();
  const chunks: Buffer[] = [];
  const done = pipeline(tar, createGzip(gzipOptions), (gzipped: AsyncIterable<Buffer>) => collect(gzipped, chunks));
  for (const entry of entries) await addEntry(tar, entry.header, entry.data);
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

function addEntry(tar: Pack, header: EntryHeader, data: Buffer | string = Buffer.alloc(0)): Promise<void> {
  return new Promise((resolve, reject) => {
    tar.entry(header, data, (err) => (err ? reject(err) : resolve()));
  });
}

async function makeSandbox(): Promise<string> {
  return mkdtemp(join(tmpdir(), "skillyard-archive-test-"));
}

async function withSandbox<T>(body: (sandbox: string) => Promise<T>): Promise<T> {
  const sandbox = await makeSandbox();
  try {
    return await body(sandbox);
  } finally {
    await rm(sandbox, { recursive: true, force: true });
  }
}

async function rejection(promise: Promise<unknown>): Promise<SkillyardError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(outcome instanceof SkillyardError, `expected a SkillyardError, got ${String(outcome)}`);
  return outcome;
}

/**
 * Asserts that both entry points reject with `code`, that `use` never ran, and that nothing is left
 * behind: the staging parent is empty and the sandbox around it holds nothing new (no `../escape`).
 */
async function assertRejected(tgz: Buffer | string, code: ErrorCode, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<SkillyardError> {
  return withSandbox(async (sandbox) => {
    const parent = join(sandbox, "parent");
    await mkdir(parent);
    let used = false;
    const err = await rejection(
      withExtractedPackage(tgz, limits, parent, async () => {
        used = true;
      }),
    );
    assert.equal(err.code, code, err.message);
    assert.equal(used, false);
    assert.deepEqual(await readdir(parent), []);
    assert.deepEqual(await readdir(sandbox), ["parent"]);

    const destErr = await rejection(extractPackageTo(tgz, limits, join(parent, "dest")));
    assert.equal(destErr.code, code, destErr.message);
    assert.deepEqual(await readdir(parent), []);
    assert.deepEqual(await readdir(sandbox), ["parent"]);
    return err;
  });
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** What extraction should report for a folder on disk, honouring no ignore rules. */
async function listFolder(root: string, dir = root): Promise<PackageFile[]> {
  const files: PackageFile[] = [];
  for (const dirent of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, dirent.name);
    if (dirent.isDirectory()) {
      files.push(...(await listFolder(root, full)));
    } else {
      const data = await readFile(full);
      const { mode } = await stat(full);
      files.push({ path: relative(root, full), size: data.length, sha256: sha256(data), mode: mode & 0o100 ? 0o755 : 0o644 });
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

async function extractedPaths(tgz: Buffer): Promise<string[]> {
  return withSandbox((sandbox) => withExtractedPackage(tgz, DEFAULT_ARCHIVE_LIMITS, sandbox, async (pkg) => pkg.files.map((f) => f.path)));
}

async function tarHeaders(tgz: Buffer): Promise<Header[]> {
  const headers: Header[] = [];
  const tar = tarExtract();
  tar.on("entry", (header: Header, source, next) => {
    headers.push(header);
    source.on("end", () => next());
    source.resume();
  });
  tar.end(gunzipSync(tgz));
  await new Promise<void>((resolve, reject) => {
    tar.on("finish", resolve);
    tar.on("error", reject);
  });
  return headers;
}

const noRatioLimit: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, maxCompressionRatio: Number.MAX_SAFE_INTEGER };

describe("extraction: rejected archives", () => {
  test("input without the gzip magic is PACKAGE_NOT_GZIP", async () => {
    await assertRejected(Buffer.from("PK\u0003\u0004 not a gzip"), "PACKAGE_NOT_GZIP");
    await assertRejected(Buffer.alloc(0), "PACKAGE_NOT_GZIP");
    await assertRejected(Buffer.from([0x1f]), "PACKAGE_NOT_GZIP");
  });

  test("a file path input without the gzip magic is PACKAGE_NOT_GZIP", async () => {
    await withSandbox(async (sandbox) => {
      const path = join(sandbox, "plain.tar");
      await writeFile(path, "ustar, but not gzipped");
      await assertRejected(path, "PACKAGE_NOT_GZIP");
    });
  });

  test("a truncated gzip is PACKAGE_CORRUPT", async () => {
    const tgz = await buildTgz([file("SKILL.md", randomBytes(64 * 1024))]);
    await assertRejected(tgz.subarray(0, Math.floor(tgz.length / 2)), "PACKAGE_CORRUPT");
    await assertRejected(tgz.subarray(0, 12), "PACKAGE_CORRUPT");
  });

  test("damaged deflate data is PACKAGE_CORRUPT", async () => {
    const tgz = Buffer.from(await buildTgz([file("SKILL.md", randomBytes(4096))]));
    tgz.fill(0xff, 20, 60);
    await assertRejected(tgz, "PACKAGE_CORRUPT");
  });

  test("a gzip that does not hold a tar is PACKAGE_CORRUPT", async () => {
    const gzipped: Buffer[] = [];
    const gzip = createGzip();
    gzip.end(randomBytes(2048));
    await collect(gzip, gzipped);
    await assertRejected(Buffer.concat(gzipped), "PACKAGE_CORRUPT");
  });

  test("a tar cut off inside an entry is PACKAGE_CORRUPT", async () => {
    const tar = gunzipSync(await buildTgz([file("a.txt", randomBytes(3000))]));
    const chunks: Buffer[] = [];
    const gzip = createGzip();
    gzip.end(tar.subarray(0, 2048));
    await collect(gzip, chunks);
    await assertRejected(Buffer.concat(chunks), "PACKAGE_CORRUPT");
  });

  test("absolute paths are PACKAGE_INVALID_PATH and nothing is written there", async () => {
    const target = join(tmpdir(), `skillyard-absolute-${randomBytes(6).toString("hex")}`);
    const err = await assertRejected(await buildTgz([file(`${target}/x`)]), "PACKAGE_INVALID_PATH");
    assert.match(err.message, /is absolute/);
    assert.equal(err.details.path, `${target}/x`);
    assert.equal(existsSync(target), false);
    await assertRejected(await buildTgz([file("C:\\Windows\\x")]), "PACKAGE_INVALID_PATH");
    await assertRejected(await buildTgz([file("C:/Windows/x")]), "PACKAGE_INVALID_PATH");
    await assertRejected(await buildTgz([file("\\\\server\\share\\x")]), "PACKAGE_INVALID_PATH");
  });

  test("'..' segments are PACKAGE_INVALID_PATH and nothing escapes the staging folder", async () => {
    // assertRejected also checks that no `escape` appeared next to the staging folder.
    await assertRejected(await buildTgz([file("SKILL.md"), file("../escape")]), "PACKAGE_INVALID_PATH");
    await assertRejected(await buildTgz([file("../../escape")]), "PACKAGE_INVALID_PATH");
    await assertRejected(await buildTgz([file("docs/../../escape")]), "PACKAGE_INVALID_PATH");
    await assertRejected(await buildTgz([{ header: { name: "..", type: "directory" } }]), "PACKAGE_INVALID_PATH");
  });

  test("backslashes are PACKAGE_INVALID_PATH", async () => {
    const err = await assertRejected(await buildTgz([file("docs\\..\\x")]), "PACKAGE_INVALID_PATH");
    assert.match(err.message, /backslash/);
  });

  test("control characters and NUL are PACKAGE_INVALID_PATH", async () => {
    await assertRejected(await buildTgz([file("a\u0001b")]), "PACKAGE_INVALID_PATH");
    await assertRejected(await buildTgz([file("line\nbreak")]), "PACKAGE_INVALID_PATH");
    // A NUL cannot live in a ustar name field, but a pax path record can carry one.
    await assertRejected(await buildTgz([file("nul", "x", { pax: { path: "a\u0000b" } })]), "PACKAGE_INVALID_PATH");
  });

  test("empty paths are PACKAGE_INVALID_PATH", async () => {
    await assertRejected(await buildTgz([file("")]), "PACKAGE_INVALID_PATH");
    await assertRejected(await buildTgz([file("./")]), "PACKAGE_INVALID_PATH");
  });

  test("symbolic links are PACKAGE_LINK", async () => {
    const err = await assertRejected(await buildTgz([file("SKILL.md"), special("passwd", { type: "symlink", linkname: "/etc/passwd" })]), "PACKAGE_LINK");
    assert.equal(err.details.path, "passwd");
  });

  test("hard links are PACKAGE_LINK", async () => {
    await assertRejected(await buildTgz([file("a.txt"), special("b.txt", { type: "link", linkname: "a.txt" })]), "PACKAGE_LINK");
  });

  test("character devices are PACKAGE_SPECIAL_FILE", async () => {
    await assertRejected(await buildTgz([special("null", { type: "character-device", devmajor: 1, devminor: 3 })]), "PACKAGE_SPECIAL_FILE");
  });

  test("block devices, FIFOs and contiguous files are PACKAGE_SPECIAL_FILE", async () => {
    await assertRejected(await buildTgz([special("sda", { type: "block-device", devmajor: 8, devminor: 0 })]), "PACKAGE_SPECIAL_FILE");
    await assertRejected(await buildTgz([special("pipe", { type: "fifo" })]), "PACKAGE_SPECIAL_FILE");
    await assertRejected(await buildTgz([{ header: { name: "old", type: "contiguous-file" }, data: "x" }]), "PACKAGE_SPECIAL_FILE");
  });

  test("the same path twice is PACKAGE_DUPLICATE_ENTRY", async () => {
    await assertRejected(await buildTgz([file("SKILL.md", "one"), file("SKILL.md", "two")]), "PACKAGE_DUPLICATE_ENTRY");
    await assertRejected(await buildTgz([file("docs/a.md"), file("./docs//a.md")]), "PACKAGE_DUPLICATE_ENTRY");
    await assertRejected(
      await buildTgz([{ header: { name: "docs/", type: "directory" } }, { header: { name: "docs", type: "directory" } }]),
      "PACKAGE_DUPLICATE_ENTRY",
    );
  });

  test("a file also used as a directory is PACKAGE_DUPLICATE_ENTRY", async () => {
    await assertRejected(await buildTgz([file("a"), file("a/b")]), "PACKAGE_DUPLICATE_ENTRY");
    await assertRejected(await buildTgz([file("a/b/c"), file("a/b")]), "PACKAGE_DUPLICATE_ENTRY");
    await assertRejected(await buildTgz([{ header: { name: "a/", type: "directory" } }, file("a")]), "PACKAGE_DUPLICATE_ENTRY");
  });

  test("paths equal after lowercasing or NFC are PACKAGE_CASE_COLLISION", async () => {
    const err = await assertRejected(await buildTgz([file("README.md"), file("readme.md")]), "PACKAGE_CASE_COLLISION");
    assert.equal(err.details.collidesWith, "README.md");
    await assertRejected(await buildTgz([file("caf\u00e9.md"), file("cafe\u0301.md")]), "PACKAGE_CASE_COLLISION");
    await assertRejected(await buildTgz([file("Docs/a.md"), file("docs/b.md")]), "PACKAGE_CASE_COLLISION");
  });

  test("more than maxEntries entries is PACKAGE_TOO_MANY_ENTRIES", async () => {
    const entries = Array.from({ length: 10 }, (_, i) => file(`f${i}.txt`));
    await assertRejected(await buildTgz(entries), "PACKAGE_TOO_MANY_ENTRIES", { ...DEFAULT_ARCHIVE_LIMITS, maxEntries: 3 });
    await withSandbox(async (sandbox) => {
      const pkg = await withExtractedPackage(await buildTgz(entries.slice(0, 3)), { ...DEFAULT_ARCHIVE_LIMITS, maxEntries: 3 }, sandbox, async (p) => p);
      assert.equal(pkg.files.length, 3);
    });
  });

  test("more than maxPathDepth segments is PACKAGE_PATH_TOO_DEEP", async () => {
    const limits = { ...DEFAULT_ARCHIVE_LIMITS, maxPathDepth: 3 };
    const err = await assertRejected(await buildTgz([file("a/b/c/d.md")]), "PACKAGE_PATH_TOO_DEEP", limits);
    assert.equal(err.details.path, "a/b/c/d.md");
    await assertRejected(await buildTgz([{ header: { name: "a/b/c/d/", type: "directory" } }]), "PACKAGE_PATH_TOO_DEEP", limits);
    // The default limit also applies to names long enough to need a pax header.
    await assertRejected(await buildTgz([file(`${Array.from({ length: 33 }, (_, i) => `d${i}`).join("/")}/x`)]), "PACKAGE_PATH_TOO_DEEP");
  });

  test("files summing to more than maxUnpackedBytes are PACKAGE_UNPACKED_TOO_LARGE", async () => {
    const limits = { ...noRatioLimit, maxUnpackedBytes: MIB };
    const tgz = await buildTgz([file("a.bin", randomBytes(700 * 1024)), file("b.bin", randomBytes(700 * 1024))]);
    const err = await assertRejected(tgz, "PACKAGE_UNPACKED_TOO_LARGE", limits);
    assert.equal(err.details.path, "b.bin");
  });

  test("unpacked bytes are counted as streamed, not taken from the ustar size field", async () => {
    // The ustar header says 16 bytes; a pax record makes the entry 2 MiB, swallowing the next entry.
    const lying = await buildTgz([file("small.txt", Buffer.alloc(16), { pax: { size: String(2 * MIB) } }), file("filler.bin", Buffer.alloc(2 * MIB))]);
    const err = await assertRejected(lying, "PACKAGE_UNPACKED_TOO_LARGE", { ...noRatioLimit, maxUnpackedBytes: MIB });
    assert.equal(err.details.path, "small.txt");
    await withSandbox(async (sandbox) => {
      const files = await withExtractedPackage(lying, noRatioLimit, sandbox, async (pkg) => pkg.files);
      assert.deepEqual(
        files.map((f) => [f.path, f.size]),
        [["small.txt", 2 * MIB]],
      );
    });
  });

  test("an archive expanding more than maxCompressionRatio is PACKAGE_COMPRESSION_RATIO", async () => {
    const tgz = await buildTgz([file("zeros.bin", Buffer.alloc(8 * MIB))], { level: 9 });
    await assertRejected(tgz, "PACKAGE_COMPRESSION_RATIO");
    // A tiny, very compressible archive stays under the 1 MiB floor and is accepted.
    await withSandbox(async (sandbox) => {
      const small = await buildTgz([file("zeros.bin", Buffer.alloc(512 * 1024))], { level: 9 });
      const files = await withExtractedPackage(small, DEFAULT_ARCHIVE_LIMITS, sandbox, async (pkg) => pkg.files);
      assert.equal(files[0]?.size, 512 * 1024);
    });
  });

  test("a 2 MiB gzip of 2 GiB of zeros is rejected fast with bounded memory", async (t) => {
    await withSandbox(async (sandbox) => {
      const bombPath = join(sandbox, "bomb.tgz");
      const tar = tarPack();
      const written = pipeline(tar, createGzip({ level: 9, strategy: zlibConstants.Z_RLE }), createWriteStream(bombPath));
      const size = 2 * 1024 * MIB;
      const zeros = Buffer.alloc(MIB);
      const entry = tar.entry({ name: "zeros.bin", size, type: "file" });
      for (let sent = 0; sent < size; sent += zeros.length) {
        if (!entry.write(zeros)) await new Promise<void>((resolve) => entry.once("drain", () => resolve()));
      }
      entry.end(undefined);
      tar.finalize();
      await written;
      const compressed = (await stat(bombPath)).size;
      assert.ok(compressed < 3 * MIB, `bomb is ${compressed} bytes`);

      const parent = join(sandbox, "parent");
      await mkdir(parent);
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }, 5);
      const started = performance.now();
      let code: ErrorCode;
      try {
        const err = await rejection(withExtractedPackage(bombPath, DEFAULT_ARCHIVE_LIMITS, parent, async () => undefined));
        assert.ok(["PACKAGE_COMPRESSION_RATIO", "PACKAGE_UNPACKED_TOO_LARGE"].includes(err.code), err.message);
        code = err.code;
      } finally {
        clearInterval(sampler);
      }
      const elapsed = performance.now() - started;
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      t.diagnostic(`${compressed} compressed bytes rejected with ${code} in ${elapsed.toFixed(0)} ms, rss +${((rssPeak - rssBefore) / MIB).toFixed(1)} MiB`);
      assert.ok(elapsed < 5000, `took ${elapsed} ms`);
      assert.ok(rssPeak - rssBefore < 150 * MIB, `rss grew by ${(rssPeak - rssBefore) / MIB} MiB`);
      assert.deepEqual(await readdir(parent), []);

      // With the ratio check off, the actual-bytes budget stops the same bomb.
      const err = await rejection(withExtractedPackage(bombPath, noRatioLimit, parent, async () => undefined));
      assert.equal(err.code, "PACKAGE_UNPACKED_TOO_LARGE");
      assert.deepEqual(await readdir(parent), []);
    });
  });
});

describe("extraction: accepted archives", () => {
  const skill = "---\nname: demo\n---\n# Demo\n";
  const script = "#!/bin/sh\necho hi\n";
  const entries: TestEntry[] = [
    { header: { name: "./", type: "directory" } },
    file("./SKILL.md", skill, { mode: 0o600, mtime: new Date("1990-01-01T00:00:00Z"), uid: 1234, gid: 1234 }),
    { header: { name: "scripts/", type: "directory", mode: 0o777 } },
    file("scripts/run.sh", script, { mode: 0o4777 }),
    file("./docs//guide.md", "guide"),
    file("empty.txt", ""),
    { header: { name: "assets/", type: "directory" } },
  ];

  test("lists normalized paths, sizes, sha256s and modes, sorted by path", async () => {
    await withSandbox(async (sandbox) => {
      await withExtractedPackage(await buildTgz(entries), DEFAULT_ARCHIVE_LIMITS, sandbox, async (pkg) => {
        assert.deepEqual(pkg.files, [
          { path: "SKILL.md", size: Buffer.byteLength(skill), sha256: sha256(skill), mode: 0o644 },
          { path: "docs/guide.md", size: 5, sha256: sha256("guide"), mode: 0o644 },
          { path: "empty.txt", size: 0, sha256: sha256(""), mode: 0o644 },
          { path: "scripts/run.sh", size: Buffer.byteLength(script), sha256: sha256(script), mode: 0o755 },
        ]);
        assert.deepEqual(await listFolder(pkg.dir), pkg.files);
        const umask = process.umask();
        assert.equal((await stat(join(pkg.dir, "scripts/run.sh"))).mode & 0o7777, 0o755 & ~umask);
        assert.equal((await stat(join(pkg.dir, "SKILL.md"))).mode & 0o7777, 0o644 & ~umask);
        assert.equal((await stat(join(pkg.dir, "scripts"))).mode & 0o7777, 0o755 & ~umask);
        assert.ok((await stat(join(pkg.dir, "assets"))).isDirectory());
        const skillStat = await stat(join(pkg.dir, "SKILL.md"));
        assert.ok(skillStat.mtimeMs > Date.now() - 60_000, "mtime must not come from the header");
        assert.equal(skillStat.uid, process.getuid?.());
      });
    });
  });

  test("reads from a file path as well as a Buffer", async () => {
    await withSandbox(async (sandbox) => {
      const path = join(sandbox, "pkg.tgz");
      await writeFile(path, await buildTgz(entries));
      const files = await withExtractedPackage(path, DEFAULT_ARCHIVE_LIMITS, sandbox, async (pkg) => pkg.files.map((f) => f.path));
      assert.deepEqual(files, ["SKILL.md", "docs/guide.md", "empty.txt", "scripts/run.sh"]);
      assert.deepEqual(await readdir(sandbox), ["pkg.tgz"]);
    });
  });

  test("accepts long and non-ASCII names carried in pax headers", async () => {
    const long = `${"deep/".repeat(20)}${"n".repeat(120)}.md`;
    const paths = await extractedPaths(await buildTgz([file(long), file("r\u00e9sum\u00e9.md")]));
    assert.deepEqual(paths, [long, "r\u00e9sum\u00e9.md"]);
  });

  test("withExtractedPackage uses a private staging folder and removes it after success", async () => {
    await withSandbox(async (sandbox) => {
      const result = await withExtractedPackage(await buildTgz(entries), DEFAULT_ARCHIVE_LIMITS, sandbox, async (pkg) => {
        assert.equal(relative(sandbox, join(pkg.dir, "..")), "");
        assert.equal((await stat(pkg.dir)).mode & 0o777, 0o700);
        assert.equal(await readFile(join(pkg.dir, "docs/guide.md"), "utf8"), "guide");
        return "done";
      });
      assert.equal(result, "done");
      assert.deepEqual(await readdir(sandbox), []);
    });
  });

  test("withExtractedPackage removes the staging folder when use rejects or throws", async () => {
    await withSandbox(async (sandbox) => {
      const tgz = await buildTgz(entries);
      await assert.rejects(
        withExtractedPackage(tgz, DEFAULT_ARCHIVE_LIMITS, sandbox, async () => {
          throw new Error("use failed");
        }),
        /use failed/,
      );
      assert.deepEqual(await readdir(sandbox), []);
      await assert.rejects(
        withExtractedPackage(tgz, DEFAULT_ARCHIVE_LIMITS, sandbox, () => {
          throw new Error("thrown synchronously");
        }),
        /thrown synchronously/,
      );
      assert.deepEqual(await readdir(sandbox), []);
    });
  });

  test("extractPackageTo renames the accepted package into place", async () => {
    await withSandbox(async (sandbox) => {
      const dest = join(sandbox, "skills", "demo");
      const pkg = await extractPackageTo(await buildTgz(entries), DEFAULT_ARCHIVE_LIMITS, dest);
      assert.equal(pkg.dir, dest);
      assert.deepEqual(await listFolder(dest), pkg.files);
      assert.equal((await stat(dest)).mode & 0o777, 0o755);
      assert.deepEqual(await readdir(join(sandbox, "skills")), ["demo"]);
    });
  });

  test("extractPackageTo leaves nothing behind when the archive is rejected", async () => {
    await withSandbox(async (sandbox) => {
      const dest = join(sandbox, "demo");
      // The good entries are written to staging before the bad one is seen.
      const tgz = await buildTgz([...entries, file("../escape")]);
      const err = await rejection(extractPackageTo(tgz, DEFAULT_ARCHIVE_LIMITS, dest));
      assert.equal(err.code, "PACKAGE_INVALID_PATH");
      assert.deepEqual(await readdir(sandbox), []);
    });
  });

  test("extractPackageTo refuses a destination that already exists", async () => {
    await withSandbox(async (sandbox) => {
      const dest = join(sandbox, "demo");
      await mkdir(dest);
      await writeFile(join(dest, "keep.txt"), "mine");
      const err = await rejection(extractPackageTo(await buildTgz(entries), DEFAULT_ARCHIVE_LIMITS, dest));
      assert.equal(err.code, "BAD_USER_INPUT");
      assert.deepEqual(await readdir(sandbox), ["demo"]);
      assert.deepEqual(await readdir(dest), ["keep.txt"]);
      await mkdir(join(sandbox, "empty"));
      assert.equal((await rejection(extractPackageTo(await buildTgz(entries), DEFAULT_ARCHIVE_LIMITS, join(sandbox, "empty")))).code, "BAD_USER_INPUT");
    });
  });
});

describe("packDirectory", () => {
  const tree = {
    "SKILL.md": "---\nname: demo\n---\n",
    "scripts/run.sh": "#!/bin/sh\n",
    "docs/guide.md": "guide",
    "r\u00e9sum\u00e9.md": "unicode name",
    [`${"long-folder-name/".repeat(8)}file.md`]: "long path",
  };

  test("the same folder gives byte-identical output, whatever the mtimes and extra mode bits", async () => {
    await withSandbox(async (sandbox) => {
      await writeTree(sandbox, tree);
      await chmod(join(sandbox, "scripts/run.sh"), 0o755);
      const first = await packDirectory(sandbox);
      assert.deepEqual(await packDirectory(sandbox), first);
      await utimes(join(sandbox, "SKILL.md"), new Date("2011-11-11"), new Date("2011-11-11"));
      await utimes(join(sandbox, "docs"), new Date("2022-02-22"), new Date("2022-02-22"));
      await chmod(join(sandbox, "docs/guide.md"), 0o600);
      await chmod(join(sandbox, "scripts/run.sh"), 0o700);
      assert.deepEqual(await packDirectory(sandbox), first);
    });
  });

  test("writes normalized headers in path order and a gzip header without time or name", async () => {
    await withSandbox(async (sandbox) => {
      await writeTree(sandbox, tree);
      await chmod(join(sandbox, "scripts/run.sh"), 0o750);
      const tgz = await packDirectory(sandbox);
      assert.equal(tgz[3], 0, "no FNAME/FCOMMENT/FEXTRA flags");
      assert.equal(tgz.readUInt32LE(4), 0, "no mtime");
      const headers = await tarHeaders(tgz);
      const names = headers.map((h) => h.name);
      const paths = names.map((name) => name.replace(/\/$/, ""));
      assert.deepEqual(
        paths,
        [...paths].sort((a, b) => (a < b ? -1 : 1)),
      );
      assert.ok(names.includes("scripts/") && names.includes("scripts/run.sh") && names.includes("r\u00e9sum\u00e9.md"));
      for (const header of headers) {
        assert.equal(header.mtime.toISOString(), "2000-01-01T00:00:00.000Z");
        assert.equal(header.uid, 0);
        assert.equal(header.gid, 0);
        assert.equal(header.uname, "");
        assert.equal(header.gname, "");
        const expectedMode = header.type === "directory" || header.name === "scripts/run.sh" ? 0o755 : 0o644;
        assert.equal(header.mode, expectedMode, header.name);
      }
    });
  });

  test("round-trips through withExtractedPackage", async () => {
    await withSandbox(async (sandbox) => {
      const source = join(sandbox, "source");
      await writeTree(source, tree);
      await chmod(join(source, "scripts/run.sh"), 0o755);
      await writeFile(join(source, "binary.bin"), randomBytes(200_000));
      await mkdir(join(source, "empty-dir"));
      const expected = await listFolder(source);
      const tgz = await packDirectory(source);
      await withExtractedPackage(tgz, DEFAULT_ARCHIVE_LIMITS, sandbox, async (pkg) => {
        assert.deepEqual(pkg.files, expected);
        assert.ok((await stat(join(pkg.dir, "empty-dir"))).isDirectory());
      });
    });
  });

  test("honours .skillignore and always leaves out .git/ and node_modules/", async () => {
    await withSandbox(async (sandbox) => {
      await writeTree(sandbox, {
        ".skillignore": [
          "# build output",
          "",
          "*.log",
          "!keep.log",
          "/build",
          "tmp/",
          "docs/**/draft.md",
          "secret?.txt",
          "assets/**",
          "\\#literal",
          "trailing-space.txt   ",
        ].join("\n"),
        "SKILL.md": "x",
        "a.log": "x",
        "keep.log": "x",
        "sub/b.log": "x",
        "build/out.js": "x",
        "sub/build/kept.js": "x",
        "tmp/x": "x",
        "sub/tmp/y": "x",
        "sub/tmp-file/z": "x",
        "tmp.md": "x",
        "docs/draft.md": "x",
        "docs/a/b/draft.md": "x",
        "docs/keep.md": "x",
        "secret1.txt": "x",
        "secret12.txt": "x",
        "assets/img/a.png": "x",
        "#literal": "x",
        "trailing-space.txt": "x",
        ".git/config": "x",
        "node_modules/dep/index.js": "x",
        "sub/node_modules/dep/index.js": "x",
      });
      await writeFile(join(sandbox, "tmp-file-not-dir"), "x");
      // Ignored folders are not walked, so a link inside them is no error.
      await symlink("/etc/passwd", join(sandbox, "node_modules", "link"));
      const paths = await extractedPaths(await packDirectory(sandbox));
      assert.deepEqual(paths, [
        ".skillignore",
        "SKILL.md",
        "docs/keep.md",
        "keep.log",
        "secret12.txt",
        "sub/build/kept.js",
        "sub/tmp-file/z",
        "tmp-file-not-dir",
        "tmp.md",
      ]);
      const headers = await tarHeaders(await packDirectory(sandbox));
      assert.ok(
        headers.some((h) => h.name === "assets/"),
        "assets/** keeps the folder itself, as in git",
      );
    });
  });

  test("a symbolic link in the folder is PACKAGE_LINK", async () => {
    await withSandbox(async (sandbox) => {
      await writeTree(sandbox, { "SKILL.md": "x" });
      await symlink("/etc/passwd", join(sandbox, "docs"));
      const err = await rejection(packDirectory(sandbox));
      assert.equal(err.code, "PACKAGE_LINK");
      assert.equal(err.details.path, "docs");
    });
  });

  test("names that extraction would refuse are refused when packing", async () => {
    await withSandbox(async (sandbox) => {
      await writeTree(sandbox, { "README.md": "a", "readme.md": "b" });
      assert.equal((await rejection(packDirectory(sandbox))).code, "PACKAGE_CASE_COLLISION");
    });
    await withSandbox(async (sandbox) => {
      await writeTree(sandbox, { "back\\slash.md": "a" });
      assert.equal((await rejection(packDirectory(sandbox))).code, "PACKAGE_INVALID_PATH");
    });
  });

  test("every corpus skill packs and extracts under the default limits", async (t) => {
    const skills = (await readdir(CORPUS, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    assert.ok(skills.length > 0);
    for (const name of skills) {
      await t.test(name, async () => {
        const dir = join(CORPUS, name);
        const tgz = await packDirectory(dir);
        assert.deepEqual(await packDirectory(dir), tgz);
        await withSandbox(async (sandbox) => {
          await withExtractedPackage(tgz, DEFAULT_ARCHIVE_LIMITS, sandbox, async (pkg) => {
            assert.deepEqual(pkg.files, await listFolder(dir));
          });
        });
      });
    }
  });
});
