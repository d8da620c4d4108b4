import "reflect-metadata";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SkillyardError } from "@skillyard/core";
import { loadConfig } from "../src/config";
import { type BlobStore, type ByteRange, type OpenedBlob, VERIFY_HOLD_BYTES } from "../src/packages/blob-store";
import { BlobScrubber } from "../src/packages/blob-scrubber";
import { FileBlobStore } from "../src/packages/file-blob-store";
import { S3BlobStore } from "../src/packages/s3-blob-store";
import { freePort } from "../src/db/free-port";
import { startS3Server, type TestS3Server } from "./support/s3-server";
import { waitFor } from "./support/wait";

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

/** Reads an opened blob (all of it, or `range`), whether the store answers one buffer or a stream. */
async function bytesOf(opened: OpenedBlob | null, range?: ByteRange): Promise<Buffer> {
  assert.ok(opened, "the blob is stored");
  const body = await opened.read(range ?? { start: 0, end: opened.size - 1 });
  return Buffer.isBuffer(body) ? body : buffer(body);
}

/** The stream an opened blob answers (S3 always streams). */
async function streamOf(opened: OpenedBlob | null, range?: ByteRange): Promise<Readable> {
  assert.ok(opened, "the blob is stored");
  const body = await opened.read(range ?? { start: 0, end: opened.size - 1 });
  assert.ok(body instanceof Readable);
  return body;
}

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
      const opened = await store.open(stored.sha256, "tgz", body.length);
      assert.equal(opened?.size, body.length);
      assert.deepEqual(await bytesOf(opened), body);
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
      assert.deepEqual(await bytesOf(await store.open(stored.sha256, "zip", zip.length)), zip);
      assert.equal(await store.open(sha(randomBytes(8)), "zip", 8), null, "absent is null, not an error");
    });

    test(`${name}: every byte range of a small blob reads back as exactly that slice`, async () => {
      const { store } = get();
      const bytes = randomBytes(24);
      const { sha256 } = await store.putBuffer(bytes, "zip");
      for (let start = 0; start < bytes.length; start++) {
        for (let end = start; end < bytes.length; end++) {
          assert.deepEqual(
            await bytesOf(await store.open(sha256, "zip", bytes.length), { start, end }),
            bytes.subarray(start, end + 1),
            `bytes ${start}-${end}`,
          );
        }
      }
    });

    test(`${name}: a blob whose size is not the one recorded at write is refused at open, before a byte is read`, async () => {
      const { store, damage } = get();
      const body = gzipOf(4 * 1024);
      const { sha256 } = await store.putStream(chunked(body), 1024 * 1024);
      const control = await store.open(sha256, "tgz", body.length);
      assert.ok(control, "positive control: the recorded size opens");
      control.close();
      await rejectsWith(store.open(sha256, "tgz", body.length + 1), "BLOB_CORRUPT");
      await damage(sha256, body.subarray(0, body.length - 1));
      await rejectsWith(store.open(sha256, "tgz", body.length), "BLOB_CORRUPT");
      await damage(sha256, Buffer.concat([body, Buffer.from([0])]));
      await rejectsWith(store.open(sha256, "tgz", body.length), "BLOB_CORRUPT");
    });
  }

  /** Reads a stream until it fails; answers how many bytes came before the failure. */
  async function bytesBeforeFailure(stream: Readable, code: string): Promise<number> {
    let received = 0;
    await assert.rejects(
      (async () => {
        for await (const chunk of stream as AsyncIterable<Buffer>) received += chunk.length;
      })(),
      (error: unknown) => error instanceof SkillyardError && error.code === code,
    );
    return received;
  }

  test("s3: a damaged object never reads back complete: up to 1 MiB it fails before its first byte, beyond it short of its end, ranges too", async () => {
    const { store, damage } = stores.find((s) => s.name === "s3")!;
    for (const size of [300 * 1024, 1536 * 1024]) {
      const body = gzipOf(size);
      const { sha256 } = await store.putStream(chunked(body), 4 * 1024 * 1024);
      const tampered = Buffer.from(body);
      tampered[tampered.length - 10] ^= 0xff;
      await damage(sha256, tampered);
      const whole = await bytesBeforeFailure(await streamOf(await store.open(sha256, "tgz", body.length)), "BLOB_CORRUPT");
      if (body.length <= VERIFY_HOLD_BYTES) assert.equal(whole, 0, "nothing before the digest is known");
      else assert.ok(whole > 0 && whole <= body.length - VERIFY_HOLD_BYTES, `${whole} of ${body.length} bytes, the last 1 MiB held back`);
      const head = await bytesBeforeFailure(await streamOf(await store.open(sha256, "tgz", body.length), { start: 0, end: 99 }), "BLOB_CORRUPT");
      assert.equal(head, 0, "a range before the damage is not served either: only the whole proves it");
      await rejectsWith(
        store.withLocalFile(sha256, "tgz", async () => "must not run"),
        "BLOB_CORRUPT",
      );
    }
  });

  test("file: a range of up to 1 MiB is one read into one buffer; a larger one streams, and every range of it reads back as its slice", async () => {
    const { store } = stores.find((s) => s.name === "file")!;
    const bytes = randomBytes(2 * 1024 * 1024 + 123);
    const { sha256 } = await store.putBuffer(bytes, "zip");
    const MiB = 1024 * 1024;
    assert.ok(Buffer.isBuffer(await (await store.open(sha256, "zip", bytes.length))!.read({ start: 5, end: 5 + MiB - 1 })));
    const streamed = await (await store.open(sha256, "zip", bytes.length))!.read({ start: 5, end: 5 + MiB });
    assert.ok(streamed instanceof Readable);
    streamed.destroy();
    for (const [start, end] of [
      [0, bytes.length - 1],
      [1, MiB + 1],
      [MiB - 1, 2 * MiB],
      [MiB, bytes.length - 1],
      [bytes.length - MiB - 2, bytes.length - 1],
    ]) {
      assert.deepEqual(await bytesOf(await store.open(sha256, "zip", bytes.length), { start, end }), bytes.subarray(start, end + 1), `bytes ${start}-${end}`);
    }
  });

  test("file: a file cut short after it was opened fails the read with BLOB_CORRUPT, in one read or streamed; it never ends short", async () => {
    const { store } = stores.find((s) => s.name === "file")!;
    assert.ok(store instanceof FileBlobStore);
    for (const length of [4096, 3 * 1024 * 1024]) {
      const bytes = randomBytes(length);
      const { sha256 } = await store.putBuffer(bytes, "zip");
      const opened = await store.open(sha256, "zip", length);
      truncateSync(store.pathOf(sha256, "zip"), length - 1);
      const body = await opened!.read({ start: 0, end: length - 1 }).catch((error: unknown) => error);
      if (body instanceof Readable) assert.ok((await bytesBeforeFailure(body, "BLOB_CORRUPT")) < length);
      else assert.ok(body instanceof SkillyardError && body.code === "BLOB_CORRUPT", String(body));
    }
  });

  test("file: damage that keeps the size is served until check() finds it; then it is set aside and refused, until the same bytes are stored again", async () => {
    const { store, damage } = stores.find((s) => s.name === "file")!;
    assert.ok(store instanceof FileBlobStore);
    const body = gzipOf(64 * 1024);
    const { sha256 } = await store.putStream(chunked(body), 1024 * 1024);
    assert.equal(await store.check(sha256, "tgz"), "intact", "positive control");
    const tampered = Buffer.from(body);
    tampered[tampered.length - 10] ^= 0xff;
    await damage(sha256, tampered);
    // The trade-off: between passes the file is streamed as it is (the client's own digest check is what catches it).
    assert.deepEqual(await bytesOf(await store.open(sha256, "tgz", body.length)), tampered);
    assert.equal(await store.check(sha256, "tgz"), "quarantined");
    await rejectsWith(store.open(sha256, "tgz", body.length), "BLOB_CORRUPT");
    await rejectsWith(
      store.withLocalFile(sha256, "tgz", async () => "must not run"),
      "BLOB_CORRUPT",
    );
    assert.equal(await store.has(sha256), false, "a set-aside blob is not stored: publishing asks for the upload again");
    assert.equal(await store.check(sha256, "tgz"), "absent", "found once: a second pass does not see it again");
    assert.deepEqual(readFileSync(`${store.pathOf(sha256)}.corrupt`), tampered, "kept for an operator");
    await store.putStream(chunked(body), 1024 * 1024);
    assert.deepEqual(await bytesOf(await store.open(sha256, "tgz", body.length)), body, "stored again: served again");
    assert.equal(await store.check(sha256, "tgz"), "intact");
  });

  test("s3: an upload over the part size goes up in parts (multipart) and is checked whole", async () => {
    const { store } = stores.find((s) => s.name === "s3")!;
    const body = gzipOf(12 * 1024 * 1024);
    const stored = await store.putStream(chunked(body), 16 * 1024 * 1024);
    assert.equal(stored.sha256, sha(body));
    assert.equal(sha(await bytesOf(await store.open(stored.sha256, "tgz", body.length))), stored.sha256);
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

describe("verifying the local store on a schedule (BlobScrubber)", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  async function storeWith(count: number): Promise<{ store: FileBlobStore; blobs: { sha256: string; bytes: Buffer }[] }> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "skillyard-scrub-"));
    dirs.push(dir);
    const store = new FileBlobStore(dir);
    await store.init();
    const blobs = [];
    for (let i = 0; i < count; i++) {
      const bytes = gzipOf(1024 + i);
      blobs.push({ sha256: (await store.putStream(chunked(bytes), 1024 * 1024)).sha256, bytes });
    }
    return { store, blobs };
  }

  /** A logger that keeps what it is told, and the metrics the scrubber reports to. */
  function observers() {
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const at =
      (level: string) =>
      (message: string, fields: Record<string, unknown> = {}) =>
        lines.push({ level, message, fields });
    const damaged: string[] = [];
    return {
      lines,
      damaged,
      logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
      metrics: { blobDamaged: (kind: string) => damaged.push(kind) },
    };
  }

  test("a pass re-hashes every blob, sets the damaged ones aside, and logs and counts each exactly once", async () => {
    const { store, blobs } = await storeWith(4);
    const zip = await store.putBuffer(randomBytes(300), "zip");
    const seen = observers();
    const scrubber = new BlobScrubber({ store, logger: seen.logger, metrics: seen.metrics, intervalHours: 24 });
    assert.deepEqual(await scrubber.scrub(), { checked: 5, damaged: [] }, "positive control: an intact store");
    const [victim] = blobs;
    const tampered = Buffer.from(victim.bytes);
    tampered[100] ^= 0x01;
    writeFileSync(store.pathOf(victim.sha256), tampered);
    writeFileSync(store.pathOf(zip.sha256, "zip"), randomBytes(300));
    const first = await scrubber.scrub();
    assert.equal(first.checked, 5);
    assert.deepEqual(new Set(first.damaged.map((d) => `${d.sha256}.${d.kind}`)), new Set([`${victim.sha256}.tgz`, `${zip.sha256}.zip`]));
    assert.deepEqual(await scrubber.scrub(), { checked: 3, damaged: [] }, "set aside: not checked, logged or counted again");
    const errors = seen.lines.filter((l) => l.level === "error");
    assert.deepEqual(errors.map((l) => l.fields.sha256).sort(), [victim.sha256, zip.sha256].sort());
    assert.deepEqual(seen.damaged.sort(), ["tgz", "zip"]);
    for (const { sha256, bytes } of blobs.slice(1)) assert.deepEqual(await bytesOf(await store.open(sha256, "tgz", bytes.length)), bytes);
    await rejectsWith(store.open(victim.sha256, "tgz", victim.bytes.length), "BLOB_CORRUPT");
  });

  test("the schedule: due at once when no pass is recorded, an interval after the last complete pass, and shared through the directory", async () => {
    const { store } = await storeWith(2);
    const seen = observers();
    const scrubber = new BlobScrubber({ store, logger: seen.logger, metrics: seen.metrics, intervalHours: 2 });
    assert.equal(await scrubber.nextPassIn(), 0);
    await scrubber.scrub();
    const wait = await scrubber.nextPassIn();
    assert.ok(wait > 2 * 3600_000 - 60_000 && wait <= 2 * 3600_000, `${wait} ms`);
    const another = new BlobScrubber({ store, logger: seen.logger, metrics: seen.metrics, intervalHours: 2 });
    assert.ok((await another.nextPassIn()) > 0, "another worker on the same directory sees the pass");
    const past = new Date(Date.now() - 2 * 3600_000 - 1000);
    utimesSync(path.join(store.blobDir, ".verified"), past, past);
    assert.equal(await scrubber.nextPassIn(), 0, "an interval later it is due again");
  });

  test("start() runs the first pass at once when none is recorded; stop() ends it", async () => {
    const { store, blobs } = await storeWith(1);
    writeFileSync(store.pathOf(blobs[0].sha256), randomBytes(blobs[0].bytes.length));
    const seen = observers();
    const scrubber = new BlobScrubber({ store, logger: seen.logger, metrics: seen.metrics, intervalHours: 24 });
    scrubber.start();
    await waitFor(async () => seen.lines.some((l) => l.message === "blob store verified"), "the first pass", 10_000, 20);
    await scrubber.stop();
    assert.deepEqual(seen.damaged, ["tgz"]);
    assert.ok(existsSync(`${store.pathOf(blobs[0].sha256)}.corrupt`));
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
    assert.deepEqual(loadConfig({}).blobStore, { kind: "file", verifyIntervalHours: 24 });
    assert.deepEqual(loadConfig({ BLOB_VERIFY_INTERVAL_HOURS: "0" }).blobStore, { kind: "file", verifyIntervalHours: 0 });
    assert.throws(() => loadConfig({ BLOB_VERIFY_INTERVAL_HOURS: "1.5" }), /BLOB_VERIFY_INTERVAL_HOURS/);
    assert.throws(() => loadConfig({ BLOB_VERIFY_INTERVAL_HOURS: String(24 * 365 + 1) }), /BLOB_VERIFY_INTERVAL_HOURS/);
    assert.throws(
      () => loadConfig({ BLOB_STORE_URL: "s3://b-1", BLOB_VERIFY_INTERVAL_HOURS: "24" }),
      /BLOB_VERIFY_INTERVAL_HOURS applies to the local blob store/,
    );
    assert.throws(() => loadConfig({ BLOB_STORE_URL: "https://bucket/x" }), /BLOB_STORE_URL/);
    assert.throws(() => loadConfig({ BLOB_STORE_URL: "s3://Bad_Bucket" }), /BLOB_STORE_URL/);
    assert.throws(() => loadConfig({ BLOB_PRESIGN: "true" }), /BLOB_PRESIGN=true needs an S3 blob store/);
    assert.throws(() => loadConfig({ BLOB_STORE_URL: "s3://b-1", AWS_ACCESS_KEY_ID: "AKIA123" }), /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together/);
  });
});
