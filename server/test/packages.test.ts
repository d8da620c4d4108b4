import "reflect-metadata";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { PUBLISH } from "./support/publish";
import { makePackage, skillYaml } from "./support/seed";
import { startTestServer, type TestServer } from "./support/test-server";

describe("POST /packages and GET /packages/{sha256}.tgz", () => {
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer({ MAX_PACKAGE_BYTES: String(64 * 1024) });
    token = (await server.seed.team("t").member("uploader")).token;
  });
  after(() => server.close());

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
    assert.deepEqual(readdirSync(server.runtime.blobStore.tmpDir), []);
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
    assert.deepEqual(readdirSync(server.runtime.blobStore.tmpDir), []);
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
});
