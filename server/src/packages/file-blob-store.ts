import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type BlobKind, type BlobStore, GzipUploadMeter, type OpenedBlob, type StoredBlob, blobName, verifyingStream } from "./blob-store";

/** Blobs in a local directory (`DATA_DIR/blobs/ab/<sha256>.<kind>`): the default, for one machine or a shared volume. */
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

  async open(sha256: string, kind: BlobKind = "tgz"): Promise<OpenedBlob | null> {
    const size = await this.sizeOf(sha256, kind);
    if (size === null) return null;
    const file = createReadStream(this.pathOf(sha256, kind));
    const verified = verifyingStream(sha256, kind, size);
    file.on("error", (error) => verified.destroy(error));
    return { size, stream: file.pipe(verified) };
  }

  presignedUrl(): Promise<string | null> {
    return Promise.resolve(null);
  }

  /** The stored file itself: it is never rewritten in place, and extraction only reads it. */
  withLocalFile<T>(sha256: string, kind: BlobKind, fn: (file: string) => Promise<T>): Promise<T> {
    return fn(this.pathOf(sha256, kind));
  }

  private async sizeOf(sha256: string, kind: BlobKind): Promise<number | null> {
    try {
      return (await fs.stat(this.pathOf(sha256, kind))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }
}
