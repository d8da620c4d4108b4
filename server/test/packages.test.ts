import "reflect-metadata";
import assert from "node:assert/strict";
import { createHash, randomBytes, randomInt } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { PUBLISH } from "./support/publish";
import { makePackage, skillYaml } from "./support/seed";
import { startS3Server, type TestS3Server } from "./support/s3-server";
import { startTestServer, type TestServer } from "./support/test-server";
import { createLogger } from "../src/common/logger";
import { BlobScrubber } from "../src/packages/blob-scrubber";
import { FileBlobStore } from "../src/packages/file-blob-store";
import { waitFor } from "./support/wait";
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

    /** Uploads and publishes a package; answers its bytes and digest. */
    async function published(name: string, extra: Record<string, string | Buffer> = {}): Promise<{ body: Buffer; sha256: string; url: string }> {
      const body = await makePackage({ "skill.yaml": skillYaml({ name, version: "1.0.0" }), ...extra });
      const sha256 = createHash("sha256").update(body).digest("hex");
      assert.equal((await server.upload(body, token)).status, 201);
      const result = await server.gql(PUBLISH, { input: { packageSha256: sha256 } }, token);
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      return { body, sha256, url: `${server.url}/packages/${sha256}.tgz` };
    }

    /** An error answer: the catalogue's code (a HEAD has no body to carry it), and none of a download's caching headers. */
    async function refused(res: Response, status: number, code: string, head = false): Promise<void> {
      assert.equal(res.status, status);
      assert.equal(res.headers.get("cache-control"), null, "an error is never cached under the download's rules");
      assert.doesNotMatch(res.headers.get("etag") ?? "", /^"[0-9a-f]{64}"$/, "nor the download's ETag");
      if (head) {
        assert.equal(await res.text(), "");
        return;
      }
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, code);
      assert.doesNotMatch(error.message, /at |\.ts|SELECT/, "no stack or SQL");
    }

    test("HEAD answers a download's headers without its bytes", async () => {
      const { body, sha256, url } = await published(`head-${store}`);
      const res = await fetch(url, { method: "HEAD" });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-length"), String(body.length));
      assert.equal(res.headers.get("etag"), `"${sha256}"`);
      assert.equal(res.headers.get("accept-ranges"), "bytes");
      assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.equal((await res.arrayBuffer()).byteLength, 0);
      const ranged = await fetch(url, { method: "HEAD", headers: { range: "bytes=0-9" } });
      assert.equal(ranged.status, 200, "Range is defined for GET only");
      assert.equal(ranged.headers.get("content-length"), String(body.length));
    });

    test("If-None-Match: 304 exactly when it names the package's sha256 (or *), the full package otherwise", async () => {
      const { body, sha256, url } = await published(`etag-${store}`);
      const other = createHash("sha256").update(sha256).digest("hex");
      const cases: [string, boolean][] = [
        [`"${sha256}"`, true],
        [`W/"${sha256}"`, true],
        ["*", true],
        [`"${other}", "${sha256}"`, true],
        [`"${other}"`, false],
        [sha256, false],
        [`"${sha256.slice(0, 63)}${sha256.endsWith("0") ? "1" : "0"}"`, false],
        [`"${sha256.toUpperCase()}"`, false],
        [`"${sha256}x"`, false],
      ];
      for (const [header, notModified] of cases) {
        const res = await fetch(url, { headers: { "if-none-match": header } });
        const bytes = Buffer.from(await res.arrayBuffer());
        if (notModified) {
          assert.equal(res.status, 304, header);
          assert.equal(bytes.length, 0);
          assert.equal(res.headers.get("etag"), `"${sha256}"`);
          assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
        } else {
          assert.equal(res.status, 200, header);
          assert.deepEqual(bytes, body, header);
        }
      }
    });

    test("Range: every single range answers 206 with exactly that slice, or 416 with the size; others get the whole package", async () => {
      const { body, sha256, url } = await published(`range-${store}`);
      const size = body.length;
      /** What RFC 9110 says a range asks for: [first, last] within the package, "whole" (ignored), or 416. */
      const expected = (first: number | null, last: number | null): [number, number] | "whole" | 416 => {
        if (first === null) return last === 0 ? 416 : [Math.max(size - (last as number), 0), size - 1];
        if (last !== null && last < first) return "whole";
        if (first >= size) return 416;
        return [first, Math.min(last ?? Infinity, size - 1)];
      };
      const requests: [string, ReturnType<typeof expected>][] = [];
      // Every first byte near either end, and some between (the stores' tests read every range of a small blob).
      const firsts = new Set([...Array.from({ length: 12 }, (_, i) => [i, size + 1 - i]).flat(), ...Array.from({ length: 12 }, () => randomInt(size))]);
      for (const first of firsts) {
        for (const last of new Set([first, first + 1, size - 1, size, 1e20])) requests.push([`bytes=${first}-${last}`, expected(first, last)]);
        requests.push([`bytes=${first}-`, expected(first, null)]);
        requests.push([`bytes=-${first}`, expected(null, first)]);
        requests.push([`bytes=${first + 1}-${first}`, expected(first + 1, first)]);
      }
      for (const ignored of ["bytes=0-1,3-4", "bytes=0-0,-1", "items=0-1", "bytes=abc", "bytes=-", "bytes 0-1", "bytes=1-2-3"])
        requests.push([ignored, "whole"]);
      for (const [range, want] of requests) {
        const res = await fetch(url, { headers: { range } });
        if (want === 416) {
          assert.equal(res.headers.get("content-range"), `bytes */${size}`, range);
          await refused(res, 416, "RANGE_NOT_SATISFIABLE");
          continue;
        }
        const bytes = Buffer.from(await res.arrayBuffer());
        assert.equal(res.headers.get("etag"), `"${sha256}"`, range);
        if (want === "whole") {
          assert.equal(res.status, 200, range);
          assert.equal(res.headers.get("content-range"), null, range);
          assert.deepEqual(bytes, body, range);
          continue;
        }
        const [first, last] = want;
        assert.equal(res.status, 206, range);
        assert.equal(res.headers.get("content-range"), `bytes ${first}-${last}/${size}`, range);
        assert.equal(res.headers.get("content-length"), String(last - first + 1), range);
        assert.deepEqual(bytes, body.subarray(first, last + 1), range);
      }
    });

    test("If-Range: the range only while the strong ETag still matches; a weak one, another or a date get the whole package", async () => {
      const { body, sha256, url } = await published(`if-range-${store}`);
      const ranged = await fetch(url, { headers: { range: "bytes=1-3", "if-range": `"${sha256}"` } });
      assert.equal(ranged.status, 206);
      assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), body.subarray(1, 4));
      for (const ifRange of [`W/"${sha256}"`, `"${"0".repeat(64)}"`, new Date().toUTCString()]) {
        const res = await fetch(url, { headers: { range: "bytes=1-3", "if-range": ifRange } });
        assert.equal(res.status, 200, ifRange);
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), body, ifRange);
      }
    });

    test("a stored package whose size changed is refused at once with BLOB_CORRUPT, for every kind of request", async () => {
      const { body, sha256, url } = await published(`truncated-${store}`);
      const intact = await fetch(url);
      assert.deepEqual(Buffer.from(await intact.arrayBuffer()), body, "positive control: the intact package downloads");
      await damage(sha256, body.subarray(0, body.length - 1));
      await refused(await fetch(url), 500, "BLOB_CORRUPT");
      await refused(await fetch(url, { headers: { range: "bytes=0-0" } }), 500, "BLOB_CORRUPT");
      await refused(await fetch(url, { headers: { "if-none-match": `"${sha256}"` } }), 500, "BLOB_CORRUPT");
      await refused(await fetch(url, { method: "HEAD" }), 500, "BLOB_CORRUPT", true);
    });

    if (store === "s3")
      test("s3: a stored package whose bytes changed (same size) is refused with BLOB_CORRUPT: every read is hashed", async () => {
        const { body, sha256, url } = await published("damaged-s3");
        const intact = await fetch(url);
        assert.deepEqual(Buffer.from(await intact.arrayBuffer()), body, "positive control: the intact package downloads");
        const tampered = Buffer.from(body);
        tampered[tampered.length - 5] ^= 0x01;
        await damage(sha256, tampered);
        await refused(await fetch(url), 500, "BLOB_CORRUPT");
        await refused(await fetch(url, { headers: { range: "bytes=0-9" } }), 500, "BLOB_CORRUPT");
        // The plugin archive built at publish lives in the bucket too.
        const client = new S3Client({
          region: "us-east-1",
          endpoint: s3!.endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        });
        const listed = await client.send(new ListObjectsV2Command({ Bucket: s3!.bucket, Prefix: "blobs/blobs/" }));
        client.destroy();
        assert.ok(
          (listed.Contents ?? []).some((o) => o.Key?.endsWith(".zip")),
          "plugin zips are stored in S3",
        );
      });

    if (store === "file")
      test("file: a package whose bytes changed (same size) is served until the next verification, then refused with BLOB_CORRUPT", async () => {
        const { body, sha256, url } = await published("damaged-file");
        const bystander = await published("bystander-file");
        const tampered = Buffer.from(body);
        tampered[tampered.length - 5] ^= 0x01;
        await damage(sha256, tampered);
        // The trade-off: downloads no longer hash the file; between passes the damage goes out (clients check the digest they asked for).
        const before = await fetch(url);
        assert.equal(before.status, 200);
        assert.deepEqual(Buffer.from(await before.arrayBuffer()), tampered);
        const files = server.runtime.blobStore;
        assert.ok(files instanceof FileBlobStore);
        const report = await new BlobScrubber({ store: files, logger: createLogger("silent"), metrics: server.runtime.metrics, intervalHours: 24 }).scrub();
        const found = report.damaged.map((d) => d.sha256);
        assert.ok(found.includes(sha256) && !found.includes(bystander.sha256), found.join(", "));
        await refused(await fetch(url), 500, "BLOB_CORRUPT");
        await refused(await fetch(url, { headers: { range: "bytes=0-9" } }), 500, "BLOB_CORRUPT");
        await refused(await fetch(url, { method: "HEAD" }), 500, "BLOB_CORRUPT", true);
        const control = await fetch(bystander.url);
        assert.equal(control.status, 200, "positive control: an intact package still downloads");
        assert.deepEqual(Buffer.from(await control.arrayBuffer()), bystander.body);
        // Uploading the same bytes again stores them again.
        assert.equal((await server.upload(body, token)).status, 201);
        assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), body);
      });
  });

describe("the worker role verifies the local blob store (BLOB_VERIFY_INTERVAL_HOURS)", () => {
  let server: TestServer | null = null;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "skillyard-scrub-worker-"));
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("a worker's first pass runs at start-up: a damaged blob is set aside and counted in skillyard_blobs_damaged_total", async () => {
    // A blob whose bytes do not hash to its name, left by an earlier run.
    const sha256 = createHash("sha256").update("the original bytes").digest("hex");
    mkdirSync(path.join(dataDir, "blobs", sha256.slice(0, 2)), { recursive: true });
    writeFileSync(path.join(dataDir, "blobs", sha256.slice(0, 2), `${sha256}.tgz`), "other bytes");
    server = await startTestServer({ DATA_DIR: dataDir, BLOB_VERIFY_INTERVAL_HOURS: "1" }, { worker: true });
    const setAside = path.join(dataDir, "blobs", sha256.slice(0, 2), `${sha256}.tgz.corrupt`);
    await waitFor(async () => existsSync(setAside), "the damaged blob to be set aside", 30_000);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^skillyard_blobs_damaged_total\{kind="tgz",role="all"\} 1$/m);
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
