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

/** A stored blob opened for reading: its size, and bytes that fail before their end unless they hash to the digest. */
export interface OpenedBlob {
  size: number;
  stream: Readable;
}

/**
 * Content-addressed, immutable blob storage: package tarballs and plugin archives, named by the
 * sha256 of their bytes. Two implementations: {@link FileBlobStore} (a local directory, the
 * default) and {@link S3BlobStore} (`BLOB_STORE_URL=s3://bucket/prefix`).
 *
 * Invariants every implementation keeps:
 * - a blob is visible under its name only once it is complete and its digest was computed from the
 *   very bytes stored (uploads go to a temporary name first; a refused or broken upload leaves nothing);
 * - a reader never receives a complete copy of bytes that do not hash to the name ({@link verifyingStream}).
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
  /** Opens a blob for a download, or null when it is not stored. */
  open(sha256: string, kind?: BlobKind): Promise<OpenedBlob | null>;
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

function corrupt(sha256: string, kind: BlobKind): SkillyardError {
  return new SkillyardError(
    "BLOB_CORRUPT",
    `The stored ${kind === "tgz" ? "package" : "plugin archive"} ${sha256} does not match its digest; it is not served.`,
    {
      sha256,
    },
  );
}

/**
 * Passes a blob's bytes through while hashing them, and holds back the latest chunk until the next
 * one arrives: the last bytes are released only after the whole stream hashed to `sha256` and had
 * `size` bytes. A damaged blob therefore ends in an error one chunk short of its length, and a
 * client that was promised `Content-Length` sees a truncated transfer, never a complete wrong file.
 */
export function verifyingStream(sha256: string, kind: BlobKind, size: number): Transform {
  const hash = createHash("sha256");
  let seen = 0;
  let held: Buffer | null = null;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      seen += chunk.length;
      const previous = held;
      held = chunk;
      done(null, previous ?? undefined);
    },
    flush(done) {
      if (seen !== size || hash.digest("hex") !== sha256) {
        done(corrupt(sha256, kind));
        return;
      }
      done(null, held ?? undefined);
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
