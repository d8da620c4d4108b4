import { once } from "node:events";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Request, Response } from "express";
import { SkillyardError } from "@skillyard/core";
import { ifNoneMatch } from "../common/http-conditions";
import { BLOB_CONTENT_TYPE, type BlobKind, type BlobStore } from "./blob-store";
import { requestedRange } from "./byte-range";

/** A blob as the database recorded it when it was written. */
export interface BlobRef {
  sha256: string;
  kind: BlobKind;
  size: number;
}

/** How a download answers besides its bytes: its `Cache-Control` (set on 200, 206 and 304 only), and its not-found error. */
export interface SendBlobOptions {
  cacheControl: string;
  notFound: () => SkillyardError;
}

/**
 * Answers a GET or HEAD for a blob the caller has already authorized: everything below reveals only
 * what the full download would.
 * - a 302 to a presigned URL when the store hands downloads to clients (`BLOB_PRESIGN`); the
 *   redirect itself is never cached, since the URL expires;
 * - otherwise the store's bytes (`open` checks the size recorded at write; S3 bytes are also hashed on
 *   the way), with the sha256 as strong `ETag`: `If-None-Match` → 304, one `Range` → 206 (`If-Range`
 *   honoured; see `requestedRange`), a range past the end → 416 `RANGE_NOT_SATISFIABLE` with
 *   `Content-Range: bytes *\/size`.
 * Errors carry none of the success's headers (caching above all), and the status line waits for the
 * first bytes: a blob refused before its first byte (a damaged S3 object of up to 1 MiB) gets a clean
 * error answer instead of a cut connection.
 */
export async function sendBlob(req: Request, res: Response, store: BlobStore, blob: BlobRef, options: SendBlobOptions): Promise<void> {
  const { sha256, kind, size } = blob;
  const presigned = await store.presignedUrl(sha256, kind);
  if (presigned) {
    if (!(await store.has(sha256, kind))) throw options.notFound();
    res.setHeader("Cache-Control", "private, no-store");
    res.redirect(302, presigned);
    return;
  }
  const opened = await store.open(sha256, kind, size);
  if (!opened) throw options.notFound();
  const etag = `"${sha256}"`;
  const validators = () => {
    res.setHeader("Cache-Control", options.cacheControl);
    res.setHeader("ETag", etag);
    res.setHeader("Accept-Ranges", "bytes");
  };
  if (ifNoneMatch(req.headers["if-none-match"], etag)) {
    opened.close();
    validators();
    res.status(304).end();
    return;
  }
  // Range is defined for GET only (RFC 9110 §14.2): a HEAD describes the whole blob.
  const wanted = req.method === "GET" ? requestedRange(req.headers.range, req.get("if-range"), etag, size) : { kind: "whole" as const };
  if (wanted.kind === "unsatisfiable") {
    opened.close();
    res.setHeader("Content-Range", `bytes */${size}`);
    throw new SkillyardError("RANGE_NOT_SATISFIABLE", `The ${kind === "tgz" ? "package" : "plugin archive"} has ${size} bytes.`, { size });
  }
  const range = wanted.kind === "range" ? wanted.range : { start: 0, end: size - 1 };
  const body = req.method === "HEAD" ? null : await opened.read(range);
  if (body instanceof Readable) await once(body, "readable");
  else if (!body) opened.close();
  validators();
  res.setHeader("Content-Type", BLOB_CONTENT_TYPE[kind]);
  res.setHeader("Content-Length", String(range.end - range.start + 1));
  res.setHeader("Digest", `sha-256=${Buffer.from(sha256, "hex").toString("base64")}`);
  if (wanted.kind === "range") {
    res.status(206);
    res.setHeader("Content-Range", `bytes ${range.start}-${range.end}/${size}`);
  }
  if (body instanceof Readable) await pipeline(body, res);
  else res.end(body ?? undefined);
}
