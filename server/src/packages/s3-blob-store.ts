import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { type Readable, pipeline as pipe } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { SkillyardError } from "@skillyard/core";
import type { BlobStoreConfig } from "../config";
import {
  BLOB_CONTENT_TYPE,
  type BlobKind,
  type BlobStore,
  GzipUploadMeter,
  type OpenedBlob,
  type StoredBlob,
  blobCorrupt,
  blobName,
  verifyingStream,
} from "./blob-store";

export type S3BlobStoreConfig = Extract<BlobStoreConfig, { kind: "s3" }>;

/** Multipart part size: S3's minimum (5 MiB); an upload below it is one PutObject. */
const PART_BYTES = 5 * 1024 * 1024;

/**
 * Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW): `s3://bucket/prefix` holds
 * `prefix/blobs/ab/<sha256>.<kind>`, and uploads in flight under `prefix/uploads/`.
 *
 * An upload streams into a multipart upload under a temporary key while it is hashed; its digest is
 * known only at the end, so the finished object is then copied to its content address and the
 * temporary key deleted. A refused or broken upload is aborted (its parts are discarded) and never
 * appears under a digest. Endpoint, region and static credentials come from the validated config;
 * without static credentials, from the AWS SDK's default chain (shared files, web identity, instance
 * metadata).
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  readonly tmpDir: string;

  constructor(
    private readonly config: S3BlobStoreConfig,
    dataDir: string,
  ) {
    this.tmpDir = path.join(dataDir, "tmp");
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      // A copy: the SDK marks the credentials object it is given, and the config is frozen.
      ...(config.credentials ? { credentials: { ...config.credentials } } : {}),
      forcePathStyle: config.forcePathStyle,
      // Checksums only where S3 requires them: the streaming trailer checksums the SDK adds by default
      // are not understood by every S3-compatible server, and the digest check here is our own.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  get location(): string {
    return `s3://${this.config.bucket}/${this.config.prefix}`;
  }

  async init(): Promise<void> {
    await fs.mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.config.bucket }));
    } catch (error) {
      throw new Error(`BLOB_STORE_URL ${this.location}: the bucket did not answer (${describe(error)})`, { cause: error });
    }
  }

  async has(sha256: string, kind: BlobKind = "tgz"): Promise<boolean> {
    return (await this.head(this.keyOf(sha256, kind))) !== null;
  }

  async putBuffer(bytes: Buffer, kind: BlobKind): Promise<StoredBlob> {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const key = this.keyOf(sha256, kind);
    if ((await this.head(key)) === null) {
      await this.call(() =>
        this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key: key, Body: bytes, ContentType: BLOB_CONTENT_TYPE[kind] })),
      );
    }
    return { sha256, size: bytes.length };
  }

  async putStream(body: Readable, maxBytes: number): Promise<StoredBlob> {
    const meter = new GzipUploadMeter(maxBytes);
    // The meter's own refusal (too large, not gzip) is the error to report, not the SDK's wrapper of it.
    let refused: unknown = null;
    meter.on("error", (error) => (refused ??= error));
    body.on("error", (error) => meter.destroy(error));
    body.pipe(meter);
    const uploadKey = this.key(`uploads/${randomUUID()}`);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.config.bucket, Key: uploadKey, Body: meter, ContentType: BLOB_CONTENT_TYPE.tgz },
      partSize: PART_BYTES,
      queueSize: 2,
      leavePartsOnError: false,
    });
    try {
      try {
        await upload.done();
      } catch (error) {
        if (refused) throw refused;
        throw unavailable(error);
      }
      const stored = meter.result();
      const key = this.keyOf(stored.sha256, "tgz");
      if ((await this.head(key)) === null) {
        await this.call(() =>
          this.client.send(
            new CopyObjectCommand({
              Bucket: this.config.bucket,
              Key: key,
              CopySource: `${this.config.bucket}/${uploadKey.split("/").map(encodeURIComponent).join("/")}`,
              ContentType: BLOB_CONTENT_TYPE.tgz,
              MetadataDirective: "REPLACE",
            }),
          ),
        );
      }
      return stored;
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: uploadKey })).catch(() => undefined);
    }
  }

  /**
   * One GET whose body is read only if the download goes ahead, through the digest check (hashing
   * every read costs CPU, but the bucket is outside this server's control and a copy kept on local
   * disk would need checking of its own; BLOB_PRESIGN takes downloads off the server instead).
   */
  async open(sha256: string, kind: BlobKind, expectedSize: number): Promise<OpenedBlob | null> {
    const object = await this.get(sha256, kind);
    if (!object) return null;
    if (object.size !== expectedSize) {
      object.body.destroy();
      throw blobCorrupt(sha256, kind);
    }
    return {
      size: object.size,
      read: async (range) => pipe(object.body, verifyingStream(sha256, kind, object.size, range), () => undefined),
      close: () => object.body.destroy(),
    };
  }

  async presignedUrl(sha256: string, kind: BlobKind): Promise<string | null> {
    if (!this.config.presign) return null;
    const command = new GetObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(sha256, kind), ResponseContentType: BLOB_CONTENT_TYPE[kind] });
    return getSignedUrl(this.client, command, { expiresIn: this.config.presignTtlSeconds });
  }

  /** Downloads to a private temporary file, verifying the digest on the way; the copy is removed afterwards. */
  async withLocalFile<T>(sha256: string, kind: BlobKind, fn: (file: string) => Promise<T>): Promise<T> {
    const object = await this.get(sha256, kind);
    if (!object) throw new SkillyardError("PACKAGE_NOT_FOUND", `No package with sha256 ${sha256}.`, { sha256 });
    const file = path.join(this.tmpDir, `fetch-${randomUUID()}.${kind}`);
    try {
      await pipeline(object.body, verifyingStream(sha256, kind, object.size), createWriteStream(file, { flags: "wx", mode: 0o600 }));
      return await fn(file);
    } finally {
      await fs.rm(file, { force: true });
    }
  }

  /** The object's body (not yet read) and length, or null when it is not stored. */
  private async get(sha256: string, kind: BlobKind): Promise<{ body: Readable; size: number } | null> {
    let object;
    try {
      object = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(sha256, kind) }));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw unavailable(error);
    }
    const body = object.Body as Readable | undefined;
    if (!body || object.ContentLength === undefined) throw new SkillyardError("BLOB_STORE_UNAVAILABLE", "The blob store answered without a body or length.");
    return { body, size: object.ContentLength };
  }

  private key(name: string): string {
    return `${this.config.prefix}${name}`;
  }

  private keyOf(sha256: string, kind: BlobKind): string {
    return this.key(`blobs/${blobName(sha256, kind)}`);
  }

  private async head(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw unavailable(error);
    }
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** Stops the client's sockets (tests start and stop stores). */
  destroy(): void {
    this.client.destroy();
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404;
}

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  return `${e.name ?? "Error"}${status ? ` ${status}` : ""}: ${e.message ?? String(error)}`;
}

/** The catalogue's error for a store that failed to answer; the SDK's detail stays in the server's log (cause). */
function unavailable(error: unknown): SkillyardError {
  if (error instanceof SkillyardError) return error;
  const wrapped = new SkillyardError("BLOB_STORE_UNAVAILABLE", "The blob store did not answer; try again.");
  (wrapped as Error).cause = describe(error);
  return wrapped;
}
