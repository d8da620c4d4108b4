import "reflect-metadata";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { PUBLISH } from "./support/publish";
import { makePackage, skillYaml } from "./support/seed";
import { startS3Server, type TestS3Server } from "./support/s3-server";
import { startTestServer, type TestServer } from "./support/test-server";
import { FileBlobStore } from "../src/packages/file-blob-store";
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

const STORES = ["file", "s3"] as const;

for (const store of STORES)
  describe(`POST /packages and GET /packages/{sha256}.tgz (${store} blob store)`, () => {
    let server: TestServer;
    let token: string;
    let s3: TestS3Server | null = null;
    /** Local scratch space: with S3 it must stay empty too (downloads for extraction are removed). */
    const tmpEntries = () => readdirSync(server.runtime.blobStore.tmpDir);

    before(async () => {
      s3 = store === "s3" ? await startS3Server() : null;
      server = await startTestServer({ MAX_PACKAGE_BYTES: String(64 * 1024), ...(s3?.env() ?? {}) });
      token = (await server.seed.team("t").member("uploader")).token;
    });
    after(async () => {
      await server.close();
      await s3?.close();
    });

    /** Replaces the stored bytes behind a digest, as a damaged disk or a tampered bucket would. */
    async function damage(sha256: string, bytes: Buffer): Promise<void> {
      if (!s3) {
        const files = server.runtime.blobStore;
        assert.ok(files instanceof FileBlobStore);
        writeFileSync(files.pathOf(sha256), bytes);
        return;
      }
      const client = new S3Client({
        region: "us-east-1",
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      });
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `blobs/blobs/${sha256.slice(0, 2)}/${sha256}.tgz`, Body: bytes }));
      client.destroy();
    }

    test("stores content-addressed; the same bytes give the same answer; a published version's package downloads with its digest", async () => {
      const body = await makePackage({ "skill.yaml": skillYaml({ name: "download-me", version: "1.0.0" }) });
      const sha256 = createHash("sha256").update(body).digest("hex");
      const first = await server.upload(body, token);
      const second = await server.upload(body, token);
      assert.equal(first.status, 201);
      assert.deepEqual(first.body, { sha256, size: body.length });
      assert.deepEqual(second.body, first.body);
      const published = await server.gql(PUBLISH, { input: { packageSha256: sha256 } }, token);
      assert.equal(published.errors, undefined, JSON.stringify(published.errors));
      // Public now: anyone downloads it, and any cache may keep it.
      const res = await fetch(`${server.url}/packages/${sha256}.tgz`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.equal(res.headers.get("content-type"), "application/gzip");
      assert.equal(res.headers.get("digest"), `sha-256=${Buffer.from(sha256, "hex").toString("base64")}`);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), body);
    });

    test("over the size cap is 413 PACKAGE_TOO_LARGE and leaves no temp file", async () => {
      const big = gzipSync(randomBytes(128 * 1024), { level: 0 });
      const res = await server.upload(big, token);
      assert.equal(res.status, 413);
      assert.equal((res.body.error as { code: string }).code, "PACKAGE_TOO_LARGE");
      assert.deepEqual(tmpEntries(), []);
    });

    test("a chunked body over the cap (no Content-Length) is refused too", async () => {
      const big = gzipSync(randomBytes(128 * 1024), { level: 0 });
      const stream = new ReadableStream({
        start(controller) {
          for (let i = 0; i < big.length; i += 8192) controller.enqueue(big.subarray(i, i + 8192));
          controller.close();
        },
      });
      const res = await fetch(`${server.url}/packages`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: stream,
        duplex: "half",
      } as RequestInit);
      assert.equal(res.status, 413);
      assert.deepEqual(tmpEntries(), []);
    });

    test("not gzip is 400 PACKAGE_NOT_GZIP", async () => {
      const res = await server.upload(Buffer.from("plain text"), token);
      assert.equal(res.status, 400);
      assert.equal((res.body.error as { code: string }).code, "PACKAGE_NOT_GZIP");
    });

    test("uploading needs a valid token", async () => {
      const anonymous = await server.upload(gzipSync(Buffer.from("x")));
      assert.equal(anonymous.status, 401);
      const wrong = await server.upload(gzipSync(Buffer.from("x")), "sky_not-a-real-token");
      assert.equal(wrong.status, 401);
    });

    test("unknown digests are 404 PACKAGE_NOT_FOUND; malformed names are 404", async () => {
      const unknown = await fetch(`${server.url}/packages/${"a".repeat(64)}.tgz`);
      assert.equal(unknown.status, 404);
      assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, "PACKAGE_NOT_FOUND");
      assert.equal((await fetch(`${server.url}/packages/..%2F..%2Fetc%2Fpasswd`)).status, 404);
    });

    test("a stored package that no longer matches its digest is refused at download with BLOB_CORRUPT, never served", async () => {
      const body = await makePackage({ "skill.yaml": skillYaml({ name: `damaged-${store}`, version: "1.0.0" }) });
      const sha256 = createHash("sha256").update(body).digest("hex");
      assert.equal((await server.upload(body, token)).status, 201);
      const published = await server.gql(PUBLISH, { input: { packageSha256: sha256 } }, token);
      assert.equal(published.errors, undefined, JSON.stringify(published.errors));
      const intact = await fetch(`${server.url}/packages/${sha256}.tgz`);
      assert.deepEqual(Buffer.from(await intact.arrayBuffer()), body, "positive control: the intact package downloads");
      const tampered = Buffer.from(body);
      tampered[tampered.length - 5] ^= 0x01;
      await damage(sha256, tampered);
      const res = await fetch(`${server.url}/packages/${sha256}.tgz`);
      assert.equal(res.status, 500);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, "BLOB_CORRUPT");
      assert.doesNotMatch(error.message, /at |\.ts|SELECT/, "no stack or SQL");
      if (s3) {
        // The plugin archive built at publish lives in the bucket too.
        const client = new S3Client({
          region: "us-east-1",
          endpoint: s3.endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        });
        const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: "blobs/blobs/" }));
        client.destroy();
        assert.ok(
          (listed.Contents ?? []).some((o) => o.Key?.endsWith(".zip")),
          "plugin zips are stored in S3",
        );
      }
    });
  });

describe("GET /packages/{sha256}.tgz with BLOB_PRESIGN=true", () => {
  let s3: TestS3Server;
  let server: TestServer;
  before(async () => {
    s3 = await startS3Server();
    server = await startTestServer({ ...s3.env(), BLOB_PRESIGN: "true" });
  });
  after(async () => {
    await server.close();
    await s3.close();
  });

  test("an authorized download is a 302 to a presigned URL that serves the exact bytes; an unauthorized one gets no URL", async () => {
    const { token } = await server.seed.team("t").member("presigner");
    const body = await makePackage({ "skill.yaml": skillYaml({ name: "presigned", version: "1.0.0" }) });
    const sha256 = createHash("sha256").update(body).digest("hex");
    assert.equal((await server.upload(body, token)).status, 201);
    const hidden = await fetch(`${server.url}/packages/${sha256}.tgz`, { redirect: "manual" });
    assert.equal(hidden.status, 404, "not yet published: no redirect, no URL");
    assert.equal((await server.gql(PUBLISH, { input: { packageSha256: sha256 } }, token)).errors, undefined);
    const res = await fetch(`${server.url}/packages/${sha256}.tgz`, { redirect: "manual" });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("cache-control"), "private, no-store", "an expiring URL is not cached");
    const location = res.headers.get("location") ?? "";
    assert.ok(location.startsWith(`${s3.endpoint}/${s3.bucket}/`), location);
    // What a client does: follow the redirect (fetch drops the Authorization header across origins).
    const followed = await fetch(`${server.url}/packages/${sha256}.tgz`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(followed.status, 200);
    assert.deepEqual(Buffer.from(await followed.arrayBuffer()), body);
  });
});
