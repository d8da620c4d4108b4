import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SkillyardError } from "@skillyard/core";

export const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface StoredBlob {
  sha256: string;
  size: number;
}

/** What a blob is: a package tarball as uploaded, or a Claude Code plugin archive built from one. */
export type BlobKind = "tgz" | "zip";

/** Content-addressed, immutable blob storage on the local filesystem (`DATA_DIR/blobs/ab/<sha256>.<kind>`). */
export class FileBlobStore {
  readonly blobDir: string;
  readonly tmpDir: string;

  constructor(dataDir: string) {
    this.blobDir = path.join(dataDir, "blobs");
    this.tmpDir = path.join(dataDir, "tmp");
  }

  async init(): Promise<void> {
    await fs.mkdir(this.blobDir, { recursive: true, mode: 0o700 });
    await fs.mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
  }

  pathOf(sha256: string, kind: BlobKind = "tgz"): string {
    if (!SHA256_HEX.test(sha256)) throw new SkillyardError("BAD_USER_INPUT", "A package digest is 64 lowercase hex characters.");
    return path.join(this.blobDir, sha256.slice(0, 2), `${sha256}.${kind}`);
  }

  has(sha256: string, kind: BlobKind = "tgz"): boolean {
    return existsSync(this.pathOf(sha256, kind));
  }

  /** Stores bytes built here (a plugin archive) under their sha256; storing the same bytes again changes nothing. */
  async putBuffer(bytes: Buffer, kind: BlobKind): Promise<StoredBlob> {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const target = this.pathOf(sha256, kind);
    if (!existsSync(target)) {
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

  /**
   * Streams `body` to a temp file while hashing and counting; refuses more than `maxBytes` or a
   * stream that does not start with the gzip magic. Only a complete, accepted upload is moved into
   * place (rename is atomic); the temp file never survives.
   */
  async putStream(body: Readable, maxBytes: number): Promise<StoredBlob> {
    const tmp = path.join(this.tmpDir, `upload-${randomUUID()}`);
    const hash = createHash("sha256");
    let size = 0;
    let head = Buffer.alloc(0);
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) {
          done(new SkillyardError("PACKAGE_TOO_LARGE", `The package is over the ${maxBytes}-byte limit (MAX_PACKAGE_BYTES).`, { maxBytes }));
          return;
        }
        if (head.length < 2) {
          head = Buffer.concat([head, chunk.subarray(0, 2 - head.length)]);
          if (head.length === 2 && (head[0] !== 0x1f || head[1] !== 0x8b)) {
            done(new SkillyardError("PACKAGE_NOT_GZIP", "The package must be a gzip-compressed tar (.tgz)."));
            return;
          }
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(tmp, { flags: "wx", mode: 0o600 }));
      if (size < 2) throw new SkillyardError("PACKAGE_NOT_GZIP", "The package must be a gzip-compressed tar (.tgz).");
      const sha256 = hash.digest("hex");
      const target = this.pathOf(sha256);
      await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      // Same bytes, same name: if it is already stored the rename simply replaces identical content.
      await fs.rename(tmp, target);
      return { sha256, size };
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  /** Re-hashes a stored blob; a mismatch means the disk copy was damaged and must not be served. */
  async verify(sha256: string, kind: BlobKind = "tgz"): Promise<number> {
    const file = this.pathOf(sha256, kind);
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    if (hash.digest("hex") !== sha256) throw new Error(`Stored blob ${sha256}.${kind} is corrupt on disk`);
    return size;
  }

  openRead(sha256: string, kind: BlobKind = "tgz"): Readable {
    return createReadStream(this.pathOf(sha256, kind));
  }
}
