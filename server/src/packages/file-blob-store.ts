import { createHash, randomUUID } from "node:crypto";
import fsCallbacks, { createWriteStream } from "node:fs";
import fs, { type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SkillyardError } from "@skillyard/core";
import { type BlobKind, type BlobStore, type ByteRange, GzipUploadMeter, type OpenedBlob, type StoredBlob, blobCorrupt, blobName } from "./blob-store";

/** Read size of a download: a range up to this size is one read into one buffer; a larger one streams in reads of this size. */
const READ_BYTES = 1024 * 1024;

/** Where a blob found damaged is set aside: next to it, so an operator finds it, and never served. */
const QUARANTINE_SUFFIX = ".corrupt";

/** What re-hashing a stored blob found. */
export type BlobCheck = "intact" | "quarantined" | "absent";

/**
 * Blobs in a local directory (`DATA_DIR/blobs/ab/<sha256>.<kind>`): the default, for one machine or a
 * shared volume. Downloads read the file as it is (its size checked on every open); its digest is
 * computed once, while it is written, and again on a schedule by {@link FileBlobStore.check}.
 */
export class FileBlobStore implements BlobStore {
  readonly blobDir: string;
  readonly tmpDir: string;

  constructor(dataDir: string) {
    this.blobDir = path.join(dataDir, "blobs");
    this.tmpDir = path.join(dataDir, "tmp");
  }

  get location(): string {
    return this.blobDir;
  }

  async init(): Promise<void> {
    await fs.mkdir(this.blobDir, { recursive: true, mode: 0o700 });
    await fs.mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  pathOf(sha256: string, kind: BlobKind = "tgz"): string {
    return path.join(this.blobDir, blobName(sha256, kind));
  }

  async has(sha256: string, kind: BlobKind = "tgz"): Promise<boolean> {
    return (await this.sizeOf(sha256, kind)) !== null;
  }

  async putBuffer(bytes: Buffer, kind: BlobKind): Promise<StoredBlob> {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const target = this.pathOf(sha256, kind);
    if ((await this.sizeOf(sha256, kind)) === null) {
      await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      const tmp = path.join(this.tmpDir, `build-${randomUUID()}`);
      try {
        await fs.writeFile(tmp, bytes, { flag: "wx", mode: 0o600 });
        await fs.rename(tmp, target);
      } finally {
        await fs.rm(tmp, { force: true });
      }
    }
    return { sha256, size: bytes.length };
  }

  /** Only a complete, accepted upload is moved into place (rename is atomic); the temp file never survives. */
  async putStream(body: Readable, maxBytes: number): Promise<StoredBlob> {
    const tmp = path.join(this.tmpDir, `upload-${randomUUID()}`);
    const meter = new GzipUploadMeter(maxBytes);
    try {
      await pipeline(body, meter, createWriteStream(tmp, { flags: "wx", mode: 0o600 }));
      const stored = meter.result();
      const target = this.pathOf(stored.sha256);
      await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      // Same bytes, same name: if it is already stored the rename simply replaces identical content.
      await fs.rename(tmp, target);
      return stored;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async open(sha256: string, kind: BlobKind, expectedSize: number): Promise<OpenedBlob | null> {
    let fd: number;
    try {
      fd = await openFile(this.pathOf(sha256, kind));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      if (await this.isSetAside(sha256, kind)) throw blobCorrupt(sha256, kind);
      return null;
    }
    // Size and bytes come from the same open file: a blob renamed away (set aside, replaced) meanwhile does not matter.
    let size: number;
    try {
      size = await fileSize(fd);
    } catch (error) {
      fsCallbacks.close(fd, () => undefined);
      throw error;
    }
    if (size !== expectedSize) {
      fsCallbacks.close(fd, () => undefined);
      throw blobCorrupt(sha256, kind);
    }
    let owned = true;
    const close = () => {
      if (owned) fsCallbacks.close(fd, () => undefined);
      owned = false;
    };
    return {
      size,
      read: async (range) => {
        const length = range.end - range.start + 1;
        if (length > READ_BYTES) {
          owned = false;
          return new FileRange(fd, range, () => blobCorrupt(sha256, kind));
        }
        try {
          const { bytesRead, buffer } = await readAt(fd, Buffer.allocUnsafe(length), range.start);
          // Fewer bytes than fstat promised: the file was cut short after it was opened.
          if (bytesRead !== length) throw blobCorrupt(sha256, kind);
          return buffer;
        } finally {
          close();
        }
      },
      close,
    };
  }

  presignedUrl(): Promise<string | null> {
    return Promise.resolve(null);
  }

  /** The stored file itself: it is never rewritten in place, and extraction only reads it. */
  async withLocalFile<T>(sha256: string, kind: BlobKind, fn: (file: string) => Promise<T>): Promise<T> {
    if ((await this.sizeOf(sha256, kind)) === null) {
      if (await this.isSetAside(sha256, kind)) throw blobCorrupt(sha256, kind);
      throw new SkillyardError("PACKAGE_NOT_FOUND", `No package with sha256 ${sha256}.`, { sha256 });
    }
    return fn(this.pathOf(sha256, kind));
  }

  /** Every stored blob (set-aside ones excluded), one fan-out folder at a time. */
  async *list(): AsyncGenerator<{ sha256: string; kind: BlobKind }> {
    const folders = (await fs.readdir(this.blobDir, { withFileTypes: true })).filter((d) => d.isDirectory() && /^[0-9a-f]{2}$/.test(d.name));
    for (const folder of folders.sort((a, b) => a.name.localeCompare(b.name))) {
      for (const name of (await fs.readdir(path.join(this.blobDir, folder.name))).sort()) {
        const match = /^([0-9a-f]{64})\.(tgz|zip)$/.exec(name);
        if (match) yield { sha256: match[1], kind: match[2] as BlobKind };
      }
    }
  }

  /**
   * Re-hashes a stored blob. One that no longer hashes to its name is renamed to
   * `<name>.corrupt`, so that `open` refuses it with `BLOB_CORRUPT` from then on, in every process
   * sharing the directory, until the same bytes are stored again (an upload, a plugin rebuild).
   *
   * Race: a verified write of the same name may replace the file between the hash and the rename.
   * The inode tells: if the file set aside is not the one hashed, it is that fresh write, and it is
   * put back.
   */
  async check(sha256: string, kind: BlobKind): Promise<BlobCheck> {
    const file = this.pathOf(sha256, kind);
    let handle: FileHandle;
    try {
      handle = await fs.open(file, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return "absent";
      throw error;
    }
    let inode: number;
    const hash = createHash("sha256");
    try {
      inode = (await handle.stat()).ino;
      for await (const chunk of handle.createReadStream({ highWaterMark: READ_BYTES, autoClose: false })) hash.update(chunk as Buffer);
    } finally {
      await handle.close();
    }
    if (hash.digest("hex") === sha256) return "intact";
    const aside = `${file}${QUARANTINE_SUFFIX}`;
    try {
      await fs.rename(file, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return "absent";
      throw error;
    }
    if ((await fs.stat(aside)).ino !== inode) {
      await fs.rename(aside, file);
      return "intact";
    }
    return "quarantined";
  }

  private async sizeOf(sha256: string, kind: BlobKind): Promise<number | null> {
    return statSize(this.pathOf(sha256, kind));
  }

  /** Found damaged by {@link check} (and not stored again since, which `open` tries first). */
  private async isSetAside(sha256: string, kind: BlobKind): Promise<boolean> {
    return (await statSize(`${this.pathOf(sha256, kind)}${QUARANTINE_SUFFIX}`)) !== null;
  }
}

async function statSize(file: string): Promise<number | null> {
  try {
    return (await fs.stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

// The download path uses fs callbacks on a plain descriptor: measured, fs/promises FileHandles and
// fs.ReadStream cost a download noticeably more CPU for the same system calls.
const openFile = (file: string) => new Promise<number>((resolve, reject) => fsCallbacks.open(file, "r", (error, fd) => (error ? reject(error) : resolve(fd))));

const readAt = (fd: number, buffer: Buffer, position: number) =>
  new Promise<{ bytesRead: number; buffer: Buffer }>((resolve, reject) =>
    fsCallbacks.read(fd, buffer, 0, buffer.length, position, (error, bytesRead) => (error ? reject(error) : resolve({ bytesRead, buffer }))),
  );

const fileSize = (fd: number) =>
  new Promise<number>((resolve, reject) => fsCallbacks.fstat(fd, (error, stats) => (error ? reject(error) : resolve(stats.size))));

/**
 * Bytes `range` of an open file (a range over READ_BYTES), one read of up to READ_BYTES at a time and
 * none ahead of the reader, and the file closed when they were read or the stream was destroyed. A
 * file that ends before the range does (cut short while read) fails the stream with `shortRead()`
 * rather than ending it.
 */
class FileRange extends Readable {
  private position: number;

  constructor(
    private readonly fd: number,
    private readonly range: ByteRange,
    private readonly shortRead: () => Error,
  ) {
    super({ highWaterMark: 0 });
    this.position = range.start;
  }

  override _read(): void {
    const length = Math.min(READ_BYTES, this.range.end + 1 - this.position);
    fsCallbacks.read(this.fd, Buffer.allocUnsafe(length), 0, length, this.position, (error, bytesRead, buffer) => {
      if (error) return this.destroy(error);
      if (bytesRead === 0) return this.destroy(this.shortRead());
      this.position += bytesRead;
      this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
      if (this.position > this.range.end) this.push(null);
    });
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    fsCallbacks.close(this.fd, () => done(error));
  }
}
