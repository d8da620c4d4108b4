import "reflect-metadata";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../src/config";
import { repoRoot } from "../src/common/repo-root";
import { startTestServer, type TestServer } from "./support/test-server";

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with the path sent exactly as given (fetch would normalise `..` and `%2e%2e`). */
function raw(base: string, rawPath: string, method = "GET"): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: rawPath, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const INDEX = '<!doctype html><html><body><div id="root"></div><script type="module" src="/admin/assets/app-abc.js"></script></body></html>\n';
const BUNDLE = 'console.log("admin");\n';
const SECRET = "top-secret-outside-the-dist-dir";

describe("admin SPA at /admin/", () => {
  let server: TestServer;
  let scratch: string;
  let dist: string;

  before(async () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-admin-"));
    dist = path.join(scratch, "dist");
    mkdirSync(path.join(dist, "assets"), { recursive: true });
    writeFileSync(path.join(dist, "index.html"), INDEX);
    writeFileSync(path.join(dist, "assets", "app-abc.js"), BUNDLE);
    writeFileSync(path.join(dist, "favicon.svg"), "<svg/>");
    writeFileSync(path.join(dist, ".env"), SECRET);
    writeFileSync(path.join(scratch, "secret.txt"), SECRET);
    server = await startTestServer({ ADMIN_DIST_DIR: dist });
  });
  after(async () => {
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test("/admin redirects to /admin/ with 308, keeping the query string", async () => {
    const plain = await raw(server.url, "/admin");
    assert.equal(plain.status, 308);
    assert.equal(plain.headers.location, "/admin/");
    assert.equal((await raw(server.url, "/admin?tab=users")).headers.location, "/admin/?tab=users");
  });

  test("index.html for /admin/ and for client-side routes, never cached without revalidation", async () => {
    for (const p of ["/admin/", "/admin/reviews/abc", "/admin/users?query=x", "/admin/index.html"]) {
      const res = await raw(server.url, p);
      assert.equal(res.status, 200, p);
      assert.equal(res.body, INDEX, p);
      assert.match(String(res.headers["content-type"]), /^text\/html/, p);
      assert.equal(res.headers["cache-control"], "no-cache", p);
    }
    const favicon = await raw(server.url, "/admin/favicon.svg");
    assert.equal(favicon.body, "<svg/>");
    assert.equal(favicon.headers["cache-control"], "no-cache", "only hashed assets are immutable");
  });

  test("hashed assets are served as immutable for a year; a missing asset is 404, not index.html", async () => {
    const js = await raw(server.url, "/admin/assets/app-abc.js");
    assert.equal(js.status, 200);
    assert.equal(js.body, BUNDLE);
    assert.match(String(js.headers["content-type"]), /javascript/);
    assert.equal(js.headers["cache-control"], "public, max-age=31536000, immutable");
    const head = await raw(server.url, "/admin/assets/app-abc.js", "HEAD");
    assert.deepEqual([head.status, head.body, head.headers["cache-control"]], [200, "", "public, max-age=31536000, immutable"]);
    assert.equal((await raw(server.url, "/admin/assets/app-missing.js")).status, 404);
  });

  test("no directory listings, dotfiles or paths outside the directory", async () => {
    const listing = await raw(server.url, "/admin/assets/");
    assert.equal(listing.status, 404);
    assert.ok(!listing.body.includes("app-abc.js"));
    for (const p of [
      "/admin/..%2fsecret.txt",
      "/admin/assets/..%2f..%2fsecret.txt",
      "/admin/%2e%2e/secret.txt",
      "/admin/../secret.txt",
      "/admin/..%5csecret.txt",
      "/admin/.env",
      "/admin/%2eenv",
    ]) {
      const res = await raw(server.url, p);
      assert.ok(!res.body.includes(SECRET), `${p} leaked the file`);
      assert.notEqual(res.status, 500, p);
    }
    assert.equal((await raw(server.url, "/admin/..%2fsecret.txt")).status, 404);
  });

  test("only GET and HEAD: other methods fall through to the API's 404", async () => {
    const res = await raw(server.url, "/admin/", "POST");
    assert.equal(res.status, 404);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, "NOT_FOUND");
  });

  test("503 saying to build while index.html or the directory is missing; served again once built, without a restart", async () => {
    renameSync(path.join(dist, "index.html"), path.join(dist, "index.html.off"));
    const noIndex = await raw(server.url, "/admin/reviews/abc");
    assert.equal(noIndex.status, 503);
    assert.match(noIndex.body, /not built/);
    assert.match(noIndex.body, /npm run build/);
    renameSync(path.join(dist, "index.html.off"), path.join(dist, "index.html"));

    renameSync(dist, `${dist}.off`);
    try {
      const noDir = await raw(server.url, "/admin/");
      assert.equal(noDir.status, 503);
      assert.match(noDir.body, /npm run build/);
    } finally {
      renameSync(`${dist}.off`, dist);
    }
    assert.equal((await raw(server.url, "/admin/")).status, 200);
  });

  test("ADMIN_DIST_DIR defaults to admin/dist in the repository; relative values are taken from the repository root", () => {
    assert.equal(loadConfig({}).adminDistDir, path.join(repoRoot(), "admin", "dist"));
    assert.equal(loadConfig({ ADMIN_DIST_DIR: "build/admin" }).adminDistDir, path.join(repoRoot(), "build", "admin"));
    assert.equal(loadConfig({ ADMIN_DIST_DIR: dist }).adminDistDir, dist);
  });
});
