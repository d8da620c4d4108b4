import "reflect-metadata";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SkillyardError } from "@skillyard/core";
import { loadConfig } from "../src/config";
import type { BlobStore } from "../src/packages/blob-store";
import { FileBlobStore } from "../src/packages/file-blob-store";
import { S3BlobStore } from "../src/packages/s3-blob-store";
import { freePort } from "../src/db/free-port";
import { startS3Server, type TestS3Server } from "./support/s3-server";

const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
/** A gzip stream of incompressible bytes, so its size is what the test asks for. */
const gzipOf = (bytes: number) => gzipSync(randomBytes(bytes), { level: 0 });
/** Feeds `bytes` in 64 KiB chunks, like a request body arriving from the network. */
const chunked = (bytes: Buffer) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536);
    })(),
  );

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof SkillyardError && error.code === code);
}

function s3Store(s3: TestS3Server, dataDir: string, extra: Record<string, string> = {}): S3BlobStore {
  const config = loadConfig({ DATA_DIR: dataDir, ...s3.env("team/blobs"), ...extra });
  assert.equal(config.blobStore.kind, "s3");
  if (config.blobStore.kind !== "s3") throw new Error("unreachable");
  return new S3BlobStore(config.blobStore, config.dataDir);
}

describe("blob stores: the same contract on a local directory and on S3 (s3rver)", () => {
  let s3: TestS3Server;
  let raw: S3Client;
  const dataDirs: string[] = [];
  const stores: { name: string; store: BlobStore; damage(sha256: string, bytes: Buffer): Promise<void>; leftovers(): Promise<string[]> }[] = [];

  before(async () => {
    s3 = await startS3Server();
    raw = new S3Client({
      region: "us-east-1",
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    const fileDir = mkdtempSync(path.join(os.tmpdir(), "skillyard-blobs-file-"));
    const s3Dir = mkdtempSync(path.join(os.tmpdir(), "skillyard-blobs-s3-"));
    dataDirs.push(fileDir, s3Dir);
    const file = new FileBlobStore(fileDir);
    const remote = s3Store(s3, s3Dir);
    await file.init();
    await remote.init();
    stores.push({
      name: "file",
      store: file,
      damage: async (sha256, bytes) => writeFileSync(file.pathOf(sha256), bytes),
      leftovers: async () => readdirSync(file.tmpDir),
    });
    stores.push({
      name: "s3",
      store: remote,
      damage: async (sha256, bytes) => {
        await raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `team/blobs/blobs/${sha256.slice(0, 2)}/${sha256}.tgz`, Body: bytes }));
      },
      leftovers: async () => {
        const listed = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: "team/blobs/uploads/" }));
        return [...(listed.Contents ?? []).map((o) => o.Key ?? ""), ...readdirSync(remote.tmpDir)];
      },
    });
  });
  after(async () => {
    for (const { store } of stores) if (store instanceof S3BlobStore) store.destroy();
    raw.destroy();
    await s3.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ["file", "s3"]) {
    const get = () => stores.find((s) => s.name === name)!;

    test(`${name}: a streamed upload is stored under its sha256, once; reading it back gives the same bytes`, async () => {
      const { store, leftovers } = get();
      const body = gzipOf(200 * 1024);
      const stored = await store.putStream(chunked(body), 1024 * 1024);
      assert.deepEqual(stored, { sha256: sha(body), size: body.length });
      assert.deepEqual(await store.putStream(chunked(body), 1024 * 1024), stored, "the same bytes again: the same answer");
      assert.equal(await store.has(stored.sha256), true);
      assert.equal(await store.has(stored.sha256, "zip"), false);
      const opened = await store.open(stored.sha256);
      assert.equal(opened?.size, body.length);
      assert.deepEqual(await buffer(opened!.stream), body);
      assert.deepEqual(await store.withLocalFile(stored.sha256, "tgz", async (file) => readFileSync(file)), body);
      assert.deepEqual(await leftovers(), [], "no temporary object or file survives");
    });

    test(`${name}: over the cap or not gzip is refused and leaves nothing behind`, async () => {
      const { store, leftovers } = get();
      const big = gzipOf(300 * 1024);
      await rejectsWith(store.putStream(chunked(big), 100 * 1024), "PACKAGE_TOO_LARGE");
      await rejectsWith(store.putStream(chunked(Buffer.from("plain text, not gzip")), 1024), "PACKAGE_NOT_GZIP");
      await rejectsWith(store.putStream(chunked(Buffer.alloc(0)), 1024), "PACKAGE_NOT_GZIP");
      assert.equal(await store.has(sha(big)), false);
      assert.deepEqual(await leftovers(), []);
    });

    test(`${name}: a body that breaks off mid-upload stores nothing`, async () => {
      const { store, leftovers } = get();
      const body = gzipOf(256 * 1024);
      const broken = new Readable({ read() {} });
      broken.push(body.subarray(0, 100 * 1024));
      setTimeout(() => broken.destroy(new Error("client went away")), 20);
      await assert.rejects(store.putStream(broken, 1024 * 1024));
      assert.equal(await store.has(sha(body)), false);
      assert.deepEqual(await leftovers(), []);
    });

    test(`${name}: built bytes (a plugin zip) are stored by digest, idempotently`, async () => {
      const { store } = get();
      const zip = Buffer.concat([Buffer.from("PK\x03\x04"), randomBytes(1000)]);
      const stored = await store.putBuffer(zip, "zip");
      assert.deepEqual(await store.putBuffer(zip, "zip"), stored);
      assert.equal(await store.has(stored.sha256, "zip"), true);
      assert.deepEqual(await buffer((await store.open(stored.sha256, "zip"))!.stream), zip);
      assert.equal(await store.open(sha(randomBytes(8)), "zip"), null, "absent is null, not an error");
    });

    test(`${name}: a damaged blob never reads back complete: the stream fails before its last bytes`, async () => {
      const { store, damage } = get();
      const body = gzipOf(300 * 1024);
      const { sha256 } = await store.putStream(chunked(body), 1024 * 1024);
      const tampered = Buffer.from(body);
      tampered[tampered.length - 10] ^= 0xff;
      await damage(sha256, tampered);
      const opened = await store.open(sha256);
      const received: Buffer[] = [];
      await assert.rejects(
        (async () => {
          for await (const chunk of opened!.stream as AsyncIterable<Buffer>) received.push(chunk);
        })(),
        (error: unknown) => error instanceof SkillyardError && error.code === "BLOB_CORRUPT",
      );
      assert.ok(Buffer.concat(received).length < body.length, "the last chunk was held back");
      await rejectsWith(
        store.withLocalFile(sha256, "tgz", async () => "must not run"),
        "BLOB_CORRUPT",
      ).catch(async (error: unknown) => {
        // The local store hands extraction the stored file itself; extraction validates the archive.
        if (name !== "file") throw error;
      });
      // A truncated copy is caught by its length as well.
      await damage(sha256, body.subarray(0, body.length - 1));
      await rejectsWith(buffer((await store.open(sha256))!.stream), "BLOB_CORRUPT");
    });
  }

  test("s3: an upload over the part size goes up in parts (multipart) and is checked whole", async () => {
    const { store } = stores.find((s) => s.name === "s3")!;
    const body = gzipOf(12 * 1024 * 1024);
    const stored = await store.putStream(chunked(body), 16 * 1024 * 1024);
    assert.equal(stored.sha256, sha(body));
    assert.equal(sha(await buffer((await store.open(stored.sha256))!.stream)), stored.sha256);
  });

  test("s3: presigned downloads are URLs to the object that work without credentials, for BLOB_PRESIGN_TTL_SECONDS", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "skillyard-blobs-presign-"));
    dataDirs.push(dir);
    const presigning = s3Store(s3, dir, { BLOB_PRESIGN: "true", BLOB_PRESIGN_TTL_SECONDS: "60" });
    try {
      await presigning.init();
      const body = gzipOf(10 * 1024);
      const { sha256 } = await presigning.putStream(chunked(body), 1024 * 1024);
      const url = await presigning.presignedUrl(sha256, "tgz");
      assert.ok(url !== null && url.startsWith(`${s3.endpoint}/${s3.bucket}/team/blobs/blobs/`), url ?? "no URL");
      assert.match(url, /X-Amz-Expires=60/);
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), body);
      // s3rver does not verify V4 signatures (S3, MinIO and Ceph RGW do), so only the access key is checked here.
      const unknownKey = await fetch(url.replace(/X-Amz-Credential=S3RVER/, "X-Amz-Credential=NOBODY"));
      assert.equal(unknownKey.status, 403, "the URL is signed with the store's credentials");
    } finally {
      presigning.destroy();
    }
    const { store } = stores.find((s) => s.name === "s3")!;
    assert.equal(await store.presignedUrl(sha(Buffer.from("x")), "tgz"), null, "without BLOB_PRESIGN downloads stream through the server");
  });

  test("s3: a bucket that does not exist stops start-up with a message naming it; a store that stops answering is BLOB_STORE_UNAVAILABLE", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "skillyard-blobs-missing-"));
    dataDirs.push(dir);
    const missing = s3Store(s3, dir, { BLOB_STORE_URL: "s3://no-such-bucket/x" });
    await assert.rejects(missing.init(), /BLOB_STORE_URL s3:\/\/no-such-bucket\/x\/: the bucket did not answer/);
    missing.destroy();
    const closedPort = await freePort();
    const gone = s3Store(s3, dir, { AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${closedPort}` });
    await rejectsWith(gone.has(sha(Buffer.from("y"))), "BLOB_STORE_UNAVAILABLE");
    gone.destroy();
  });
});

describe("blob store configuration", () => {
  test("BLOB_STORE_URL: s3://bucket/prefix, with path-style on for a custom endpoint; bad values are refused by name", () => {
    const config = loadConfig({ BLOB_STORE_URL: "s3://skillyard-blobs/prod/eu/", AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9000" });
    assert.deepEqual(config.blobStore, {
      kind: "s3",
      bucket: "skillyard-blobs",
      prefix: "prod/eu/",
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9000",
      credentials: null,
      forcePathStyle: true,
      presign: false,
      presignTtlSeconds: 300,
    });
    assert.equal((loadConfig({ BLOB_STORE_URL: "s3://b-1" }).blobStore as { prefix: string; forcePathStyle: boolean }).forcePathStyle, false);
    assert.deepEqual(loadConfig({}).blobStore, { kind: "file" });
    assert.throws(() => loadConfig({ BLOB_STORE_URL: "https://bucket/x" }), /BLOB_STORE_URL/);
    assert.throws(() => loadConfig({ BLOB_STORE_URL: "s3://Bad_Bucket" }), /BLOB_STORE_URL/);
    assert.throws(() => loadConfig({ BLOB_PRESIGN: "true" }), /BLOB_PRESIGN=true needs an S3 blob store/);
    assert.throws(() => loadConfig({ BLOB_STORE_URL: "s3://b-1", AWS_ACCESS_KEY_ID: "AKIA123" }), /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together/);
  });
});
