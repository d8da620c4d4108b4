import "reflect-metadata";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { freePort } from "../src/db/free-port";
import { repoRoot } from "../src/common/repo-root";
import { makePackage, skillYaml } from "./support/seed";

const MAIN = path.join(repoRoot(), "server", "dist", "server", "src", "main.js");
const TOKEN = "sky_quickstart-bootstrap-token-0123456789";

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

async function startProduct(dataDir: string, bootstrapToken: string = TOKEN): Promise<Started> {
  assert.ok(existsSync(MAIN), `${MAIN} is missing: run \`npm run build\` first (the root \`npm test\` does).`);
  const port = await freePort();
  const pgPort = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(pgPort), SKILLYARD_BOOTSTRAP_TOKEN: bootstrapToken, DATABASE_URL: "", NODE_ENV: "development", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited early (${child.exitCode}):\n${output}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) return { child, url, output: () => output };
    if (Date.now() > deadline) throw new Error(`the server was not ready within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopProduct(started: Started, signal: NodeJS.Signals): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => started.child.once("exit", (code) => resolve(code)));
  started.child.kill(signal);
  return exited;
}

async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}, token = TOKEN): Promise<{ data?: T; errors?: unknown[] }> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: T; errors?: unknown[] };
}

/** What `npm start` runs, as a user would: embedded PostgreSQL under DATA_DIR, bootstrap admin, clean stop, data kept. */
describe("npm start on an embedded PostgreSQL", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "skillyard-quickstart-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test("starts, publishes, searches, installs, stops cleanly, and keeps its data across a restart", async () => {
    const first = await startProduct(dataDir);
    try {
      const upload = await fetch(`${first.url}/packages`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/gzip" },
        body: await makePackage({ "skill.yaml": skillYaml({ name: "hello-skill", version: "1.0.0", description: "Says hello to the world." }) }),
      });
      const { sha256 } = (await upload.json()) as { sha256: string };
      const published = await gql(first.url, `mutation($s: String!) { publishSkillVersion(input: { packageSha256: $s }) { version { status } } }`, { s: sha256 });
      assert.equal(published.errors, undefined, JSON.stringify(published.errors));
      const installed = await gql<{ installSkill: { root: { sha256: string } } }>(first.url, `mutation { installSkill(input: { name: "hello-skill" }) { root { sha256 } } }`);
      assert.equal(installed.data?.installSkill.root.sha256, sha256);
    } finally {
      assert.equal(await stopProduct(first, "SIGTERM"), 0, first.output());
    }
    // PostgreSQL was stopped too: its pid file is gone.
    assert.equal(existsSync(path.join(dataDir, "postgres", "postmaster.pid")), false, first.output());

    const second = await startProduct(dataDir);
    try {
      const found = await gql<{ skills: { edges: { node: { name: string; downloads: number } }[] } }>(second.url, `{ skills(query: "hello") { edges { node { name downloads } } } }`);
      assert.deepEqual(found.data?.skills.edges.map((e) => e.node), [{ name: "hello-skill", downloads: 1 }]);
    } finally {
      assert.equal(await stopProduct(second, "SIGINT"), 0, second.output());
    }
  });
});

describe("npm start with no bootstrap token", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "skillyard-firstrun-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test("the first start creates an admin and prints its token once; later starts do not", async () => {
    const first = await startProduct(dataDir, "");
    let secret: string;
    try {
      secret = /shown only once:\s+(sky_\S+)/.exec(first.output())?.[1] ?? "";
      assert.ok(secret, first.output());
      const viewer = await gql<{ viewer: { handle: string; roles: string[] } }>(first.url, `{ viewer { handle roles } }`, {}, secret);
      assert.deepEqual(viewer.data?.viewer, { handle: "admin", roles: ["ADMIN"] });
    } finally {
      assert.equal(await stopProduct(first, "SIGTERM"), 0, first.output());
    }
    const second = await startProduct(dataDir, "");
    try {
      assert.doesNotMatch(second.output(), /shown only once/);
    } finally {
      assert.equal(await stopProduct(second, "SIGTERM"), 0, second.output());
    }
  });
});
