import "reflect-metadata";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { constants as zlib, createGzip } from "node:zlib";
import { pack } from "tar-stream";
import { PUBLISH } from "./support/publish";
import { skillYaml } from "./support/seed";
import { startTestServer, type TestServer } from "./support/test-server";

const MIB = 1024 * 1024;

/** skill.yaml plus 2 GiB of zeros, gzipped to about 2 MiB, built by streaming (never 2 GiB in memory). */
async function zeroBomb(): Promise<Buffer> {
  const tar = pack();
  const gzip = createGzip({ level: 9, strategy: zlib.Z_RLE });
  const chunks: Buffer[] = [];
  gzip.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => gzip.on("end", resolve));
  tar.pipe(gzip);
  tar.entry({ name: "skill.yaml" }, skillYaml({ name: "bomb", version: "1.0.0" }));
  const size = 2 * 1024 * MIB;
  const zeros = Buffer.alloc(MIB);
  const entry = tar.entry({ name: "data/zeros.bin", size, type: "file" });
  for (let sent = 0; sent < size; sent += zeros.length) {
    if (!entry.write(zeros)) await new Promise<void>((resolve) => entry.once("drain", () => resolve()));
  }
  entry.end(undefined);
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe("a zip bomb sent to the server", () => {
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer();
    token = (await server.seed.team("attackers").member("mallory")).token;
  });
  after(() => server.close());

  test("is refused at publish quickly, with flat memory, nothing left behind, and the server still healthy", async () => {
    const bomb = await zeroBomb();
    assert.ok(bomb.length < 3 * MIB, `bomb is ${bomb.length} bytes`);
    const upload = await server.upload(bomb, token);
    assert.equal(upload.status, 201);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const res = await server.gql(PUBLISH, { input: { packageSha256: upload.body.sha256 } }, token);
    const elapsed = performance.now() - started;
    assert.equal(res.errors?.[0].extensions.code, "PACKAGE_COMPRESSION_RATIO");
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
    assert.ok(process.memoryUsage().rss - rssBefore < 100 * MIB, "memory grew by more than 100 MiB");
    assert.deepEqual(readdirSync(server.runtime.blobStore.tmpDir), [], "the staging folder was not removed");
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await server.gql<{ skill: null }>(`{ skill(name: "bomb") { id } }`)).data!.skill, null);
  });
});
