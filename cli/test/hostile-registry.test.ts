import "reflect-metadata";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TeamRole } from "../../server/src/identity/membership.entity";
import { skillYaml } from "../../server/test/support/seed";
import { startTestServer, type TestServer } from "../../server/test/support/test-server";
import { cliRunner, oneLineError, writeSkillDir } from "./support/cli";

/** One entry of installSkill's `resolved`, as JSON (fields may be rewritten to anything). */
type ResolvedJson = Record<string, unknown>;

/**
 * A man in the middle on 127.0.0.1: forwards every request to the real server and passes every
 * answer back, except that it can rewrite the `resolved` list of an installSkill answer. Download
 * URLs in that answer are pointed at the proxy too, so it sees every download the CLI makes.
 */
class InterceptingProxy {
  /** `METHOD /path` of every request, in order. */
  readonly requests: string[] = [];
  /** Applied to installSkill's `resolved` list; null forwards the answer unchanged (but for download URLs). */
  rewrite: ((resolved: ResolvedJson[]) => ResolvedJson[]) | null = null;
  private readonly server = http.createServer((req, res) => void this.forward(req, res));
  url = "";

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.requests.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    // Hop-by-hop headers (and the length, which fetch sets) stay behind.
    const hopByHop = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length"]);
    const headers = Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === "string" && !hopByHop.has(e[0]));
    const upstream = await fetch(`${this.target}${req.url}`, {
      method: req.method,
      headers: Object.fromEntries(headers),
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    let answer = Buffer.from(await upstream.arrayBuffer());
    if (req.url === "/graphql" && body.toString("utf8").includes("installSkill")) {
      const parsed = JSON.parse(answer.toString("utf8")) as { data?: { installSkill?: { resolved: ResolvedJson[] } } };
      const install = parsed.data?.installSkill;
      if (install) {
        install.resolved = install.resolved.map((r) => ({ ...r, downloadUrl: String(r.downloadUrl).replace(this.target, this.url) }));
        if (this.rewrite) install.resolved = this.rewrite(install.resolved);
        answer = Buffer.from(JSON.stringify(parsed));
      }
    }
    res.writeHead(upstream.status, {
      "content-type": upstream.headers.get("content-type") ?? "application/octet-stream",
      "content-length": String(answer.length),
    });
    res.end(answer);
  }
}

/** Sorted entries of a folder. */
const entries = (dir: string) => readdirSync(dir).sort();

/**
 * `skillyard install` against a registry whose answers are rewritten in flight: every name, path
 * and digest the CLI writes with must be checked before it downloads, creates or replaces anything.
 */
describe("skillyard install refuses a registry answer that would write outside the target folder", () => {
  let server: TestServer;
  let proxy: InterceptingProxy;
  let scratch: string;
  let installerToken: string;
  /** A project with proxied-app and proxied-dep already installed (directly from the server) and a sibling "outside" folder. */
  let template: string;

  const cli = cliRunner(
    () => server.url,
    () => scratch,
  );
  const throughProxy = (args: string[], cwd: string) => cli(args, { token: installerToken, cwd, env: { SKILLYARD_URL: proxy.url } });

  before(
    async () => {
      assert.ok(existsSync(path.join(__dirname, "..", "dist", "src", "main.js")), "build the CLI first: npm run build -w cli");
      scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-cli-proxy-test-"));
      server = await startTestServer();
      const author = (await server.seed.team("yard").member("proxy-author", TeamRole.MAINTAINER)).token;
      installerToken = (await server.seed.team("consumers").member("proxy-installer")).token;
      const dep = writeSkillDir(scratch, "proxied-dep", { "skill.yaml": skillYaml({ name: "proxied-dep", version: "1.0.0" }), "src/dep.py": "X = 1\n" });
      const app = writeSkillDir(scratch, "proxied-app", {
        "skill.yaml": skillYaml({ name: "proxied-app", version: "1.0.0", dependencies: { "proxied-dep": "^1.0.0" } }),
        "src/app.py": "print('app')\n",
      });
      for (const dir of [dep, app]) {
        const published = await cli(["publish", dir, "--json"], { token: author });
        assert.equal(published.code, 0, published.stderr);
      }
      proxy = new InterceptingProxy(server.url);
      await proxy.start();

      template = mkdtempSync(path.join(scratch, "template-"));
      const installed = await cli(["install", "proxied-app"], { token: installerToken, cwd: template });
      assert.equal(installed.code, 0, installed.stderr);
      mkdirSync(path.join(template, "outside"));
      writeFileSync(path.join(template, "outside", "keep.txt"), "the attack names this folder");
    },
    { timeout: 120_000 },
  );

  after(async () => {
    await proxy?.close();
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** A fresh copy of the template project. */
  function project(): string {
    const work = mkdtempSync(path.join(scratch, "project-"));
    cpSync(template, work, { recursive: true });
    return work;
  }

  test("positive control: the same install through the proxy, unmodified, succeeds and writes the lockfile", async () => {
    const work = mkdtempSync(path.join(scratch, "project-"));
    proxy.rewrite = null;
    proxy.requests.length = 0;
    const run = await throughProxy(["install", "proxied-app"], work);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /installed 2 skills into skills\//);
    assert.equal(readFileSync(path.join(work, "skills", "proxied-app", "src", "app.py"), "utf8"), "print('app')\n");
    assert.ok(existsSync(path.join(work, "skills", "proxied-dep", "src", "dep.py")));
    const lock = JSON.parse(readFileSync(path.join(work, "skills", "skillyard.lock"), "utf8")) as { registry: string; packages: { name: string }[] };
    assert.equal(lock.registry, proxy.url);
    assert.deepEqual(
      lock.packages.map((p) => p.name),
      ["proxied-app", "proxied-dep"],
    );
    assert.equal(proxy.requests.filter((r) => r.startsWith("GET /packages/")).length, 2, "both packages were downloaded through the proxy");
    assert.deepEqual(entries(path.join(work, "skills")), ["proxied-app", "proxied-dep", "skillyard.lock"], "no staging folders are left");
  });

  const attacks: { what: string; field: string; rewrite: (resolved: ResolvedJson[], work: string) => ResolvedJson[] }[] = [
    {
      what: 'a name of "../outside" (rename the sibling aside, then rm -rf it)',
      field: "resolved[1].name",
      rewrite: ([app, dep]) => [app, { ...dep, name: "../outside" }],
    },
    { what: "an absolute path as the name", field: "resolved[1].name", rewrite: ([app, dep], work) => [app, { ...dep, name: path.join(work, "outside") }] },
    { what: "a name with a slash", field: "resolved[1].name", rewrite: ([app, dep]) => [app, { ...dep, name: "proxied-dep/nested" }] },
    { what: 'a name of ".."', field: "resolved[0].name", rewrite: ([app, dep]) => [{ ...app, name: ".." }, dep] },
    { what: "the same name twice", field: "resolved[1].name", rewrite: ([app]) => [app, { ...app }] },
    { what: "a sha256 that is not 64 hex digits", field: "resolved[1].sha256", rewrite: ([app, dep]) => [app, { ...dep, sha256: "../../sha" }] },
    { what: "a version that is not semver", field: "resolved[0].version", rewrite: ([app, dep]) => [{ ...app, version: "1.0.0/../../x" }, dep] },
    { what: "a negative size", field: "resolved[1].size", rewrite: ([app, dep]) => [app, { ...dep, size: -1 }] },
    {
      what: "a download URL that is not http(s)",
      field: "resolved[0].downloadUrl",
      rewrite: ([app, dep]) => [{ ...app, downloadUrl: "file:///etc/passwd" }, dep],
    },
  ];

  for (const attack of attacks) {
    test(`an answer with ${attack.what} is refused with BAD_RESPONSE before anything is downloaded or written`, async () => {
      const work = project();
      const lockBefore = readFileSync(path.join(work, "skills", "skillyard.lock"), "utf8");
      proxy.rewrite = (resolved) => attack.rewrite(resolved, work);
      proxy.requests.length = 0;
      const run = await throughProxy(["install", "proxied-app"], work);
      assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
      const line = oneLineError(run, "BAD_RESPONSE");
      assert.ok(line.includes(attack.field), `the message names ${attack.field}: ${line}`);
      assert.deepEqual(proxy.requests, ["POST /graphql"], "nothing was downloaded");

      assert.deepEqual(entries(work), ["outside", "skills"], "nothing was created next to the target folder");
      assert.deepEqual(entries(path.join(work, "outside")), ["keep.txt"], "the sibling the attack names survives");
      assert.equal(readFileSync(path.join(work, "outside", "keep.txt"), "utf8"), "the attack names this folder");
      assert.deepEqual(entries(path.join(work, "skills")), ["proxied-app", "proxied-dep", "skillyard.lock"], "no staging or aside folders, nothing nested");
      assert.deepEqual(entries(path.join(work, "skills", "proxied-dep")), ["skill.yaml", "src"]);
      assert.equal(readFileSync(path.join(work, "skills", "skillyard.lock"), "utf8"), lockBefore, "the lockfile is unchanged");
    });
  }
});
