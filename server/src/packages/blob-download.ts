import { pipeline } from "node:stream/promises";
import { buffer } from "node:stream/consumers";
import type { Response } from "express";
import type { SkillyardError } from "@skillyard/core";
import { BLOB_CONTENT_TYPE, type BlobKind, type BlobStore } from "./blob-store";

/** Blobs up to this size are hashed completely before the first byte is sent. */
const VERIFY_BEFORE_SENDING_BYTES = 1024 * 1024;

/**
 * Answers a download the caller has already authorized (and set caching headers for):
 * - a 302 to a presigned URL when the store hands downloads to clients (`BLOB_PRESIGN`); the
 *   redirect itself is never cached, since the URL expires;
 * - otherwise the bytes, through the digest check. A blob of up to 1 MiB (nearly every package) is
 *   verified before anything is sent, so a damaged one is refused with a clean `BLOB_CORRUPT`; a
 *   larger one streams, and a mismatch cuts the connection one chunk before `Content-Length`.
 */
export async function sendBlob(res: Response, store: BlobStore, sha256: string, kind: BlobKind, notFound: () => SkillyardError): Promise<void> {
  const presigned = await store.presignedUrl(sha256, kind);
  if (presigned) {
    if (!(await store.has(sha256, kind))) throw notFound();
    res.setHeader("Cache-Control", "private, no-store");
    res.redirect(302, presigned);
    return;
  }
  const opened = await store.open(sha256, kind);
  if (!opened) throw notFound();
  const headers = {
    "Content-Type": BLOB_CONTENT_TYPE[kind],
    "Content-Length": String(opened.size),
    Digest: `sha-256=${Buffer.from(sha256, "hex").toString("base64")}`,
  };
  if (opened.size <= VERIFY_BEFORE_SENDING_BYTES) {
    const bytes = await buffer(opened.stream);
    res.set(headers).end(bytes);
    return;
  }
  res.set(headers);
  await pipeline(opened.stream, res);
}
