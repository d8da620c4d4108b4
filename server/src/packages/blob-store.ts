import { createHash } from "node:crypto";
import { Transform, type Readable } from "node:stream";
import { SkillyardError } from "@skillyard/core";

export const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface StoredBlob {
  sha256: string;
  size: number;
}

/** What a blob is: a package tarball as uploaded, or a Claude Code plugin archive built from one. */
export type BlobKind = "tgz" | "zip";

export const BLOB_CONTENT_TYPE: Readonly<Record<BlobKind, string>> = { tgz: "application/gzip", zip: "application/zip" };

/** Bytes `start` to `end` of a blob, both included (as `Content-Range` counts them). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * A stored blob opened for a download, its size already checked against the recorded one. Either
 * read it once or close it (a 304, a HEAD): an open blob holds a file or an S3 response.
 */
export interface OpenedBlob {
  size: number;
  /**
   * The bytes of `range`: in one buffer when the store read them in one go (a local range of up to
   * 1 MiB: what a stream would buffer anyway, without its cost), else as a stream that errors rather
   * than end short of them. Rejects, or the stream fails, with `BLOB_CORRUPT` for damage it detects.
   */
  read(range: ByteRange): Promise<Buffer | Readable>;
  close(): void;
}

/**
 * Content-addressed, immutable blob storage: package tarballs and plugin archives, named by the
 * sha256 of their bytes. Two implementations: {@link FileBlobStore} (a local directory, the
 * default) and {@link S3BlobStore} (`BLOB_STORE_URL=s3://bucket/prefix`).
 *
 * Invariants every implementation keeps:
 * - a blob is visible under its name only once it is complete and its digest was computed from the
 *   very bytes stored (uploads go to a temporary name first; a refused or broken upload leaves nothing);
 * - a blob whose size differs from the one recorded at write is never served ({@link BlobStore.open});
 * - damage that keeps the size is caught by re-hashing: on every read from S3 ({@link verifyingStream}),
 *   and on a schedule for the local directory (`blob-scrubber.ts`), which sets a damaged blob aside
 *   so that it is refused from then on.
 */
export interface BlobStore {
  /** Where blobs live, for logs: a directory or an s3:// URL. */
  readonly location: string;
  /** Local scratch space (extraction, downloads from a remote store); always on this machine's disk. */
  readonly tmpDir: string;
  /** Creates folders, or checks that the bucket answers; start-up fails with a clear message otherwise. */
  init(): Promise<void>;
  has(sha256: string, kind?: BlobKind): Promise<boolean>;
  /** Stores bytes built here (a plugin archive) under their sha256; storing the same bytes again changes nothing. */
  putBuffer(bytes: Buffer, kind: BlobKind): Promise<StoredBlob>;
  /**
   * Streams an upload into the store while hashing and counting it; refuses more than `maxBytes`
   * or a stream that does not start with the gzip magic. Only a complete, accepted upload appears
   * under its digest.
   */
  putStream(body: Readable, maxBytes: number): Promise<StoredBlob>;
  /**
   * Opens a blob for a download, or null when it is not stored. `BLOB_CORRUPT` when its size is not
   * `expectedSize` (the size recorded at write: a truncated blob is never served as complete) or it
   * was found damaged.
   */
  open(sha256: string, kind: BlobKind, expectedSize: number): Promise<OpenedBlob | null>;
  /** A short-lived URL the client may fetch the blob from directly, or null when downloads go through this server. */
  presignedUrl(sha256: string, kind: BlobKind): Promise<string | null>;
  /** Runs `fn` with a path on local disk holding the blob's verified bytes (a temporary copy for a remote store). */
  withLocalFile<T>(sha256: string, kind: BlobKind, fn: (file: string) => Promise<T>): Promise<T>;
}

/** `ab/<sha256>.<kind>`: the blob's name below the store's root (two-character fan-out). */
export function blobName(sha256: string, kind: BlobKind = "tgz"): string {
  if (!SHA256_HEX.test(sha256)) throw new SkillyardError("BAD_USER_INPUT", "A package digest is 64 lowercase hex characters.");
  return `${sha256.slice(0, 2)}/${sha256}.${kind}`;
}

export function blobCorrupt(sha256: string, kind: BlobKind): SkillyardError {
  return new SkillyardError(
    "BLOB_CORRUPT",
    `The stored ${kind === "tgz" ? "package" : "plugin archive"} ${sha256} does not match its digest; it is not served.`,
    {
      sha256,
    },
  );
}

/** How many bytes a verifying stream holds back until the whole blob hashed: all of nearly every package. */
export const VERIFY_HOLD_BYTES = 1024 * 1024;

/**
 * Passes `range` of a blob's bytes (all of them by default) while hashing every byte, and holds the
 * latest `VERIFY_HOLD_BYTES` back (always at least the latest piece): they are released only after the
 * whole stream hashed to `sha256` and had `size` bytes. A damaged blob of up to 1 MiB therefore fails
 * before its first byte (a clean `BLOB_CORRUPT` answer); a larger one fails short of its end, so a
 * client that was promised `Content-Length` sees a truncated transfer, never a complete wrong file.
 * A range costs reading the whole blob: only the whole proves the range's bytes.
 */
export function verifyingStream(sha256: string, kind: BlobKind, size: number, range: ByteRange = { start: 0, end: size - 1 }): Transform {
  const hash = createHash("sha256");
  let seen = 0;
  const held: Buffer[] = [];
  let heldBytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      const from = Math.max(range.start - seen, 0);
      const to = Math.min(range.end + 1 - seen, chunk.length);
      seen += chunk.length;
      if (to > from) {
        held.push(chunk.subarray(from, to));
        heldBytes += to - from;
      }
      while (held.length > 1 && heldBytes - held[0].length >= VERIFY_HOLD_BYTES) {
        const released = held.shift() as Buffer;
        heldBytes -= released.length;
        this.push(released);
      }
      done();
    },
    flush(done) {
      if (seen !== size || hash.digest("hex") !== sha256) {
        done(blobCorrupt(sha256, kind));
        return;
      }
      for (const piece of held) this.push(piece);
      done();
    },
  });
}

/** Hashes and counts an upload, refusing more than `maxBytes` and anything that does not start like gzip. */
export class GzipUploadMeter extends Transform {
  private readonly hash = createHash("sha256");
  private head = Buffer.alloc(0);
  // Not named `size`: the S3 uploader reads a body's `size` as its total length.
  private received = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.received += chunk.length;
    if (this.received > this.maxBytes) {
      done(new SkillyardError("PACKAGE_TOO_LARGE", `The package is over the ${this.maxBytes}-byte limit (MAX_PACKAGE_BYTES).`, { maxBytes: this.maxBytes }));
      return;
    }
    if (this.head.length < 2) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, 2 - this.head.length)]);
      if (this.head.length === 2 && (this.head[0] !== 0x1f || this.head[1] !== 0x8b)) {
        done(notGzip());
        return;
      }
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** The digest of everything that passed; call once, after the stream finished. */
  result(): StoredBlob {
    if (this.received < 2) throw notGzip();
    return { sha256: this.hash.digest("hex"), size: this.received };
  }
}

function notGzip(): SkillyardError {
  return new SkillyardError("PACKAGE_NOT_GZIP", "The package must be a gzip-compressed tar (.tgz).");
}
