import "reflect-metadata";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { freePorts } from "../src/db/free-port";
import { makePackage, skillYaml } from "./support/seed";
import { httpReady, type ProductProcess, startProductProcess } from "./support/product-process";

const TOKEN = "sky_quickstart-bootstrap-token-0123456789";

interface Started {
  process: ProductProcess;
  url: string;
}

async function startProduct(dataDir: string, bootstrapToken: string = TOKEN, options: { ownProcessGroup?: boolean; logLevel?: string } = {}): Promise<Started> {
  const [port, postgresPort] = await freePorts(2);
  const env = {
    PORT: String(port),
    DATA_DIR: dataDir,
    EMBEDDED_POSTGRES_PORT: String(postgresPort),
    SKILLYARD_BOOTSTRAP_TOKEN: bootstrapToken,
    DATABASE_URL: "",
    NODE_ENV: "development",
    LOG_LEVEL: options.logLevel ?? "info",
  };
  const url = `http://127.0.0.1:${port}`;
  return { process: await startProductProcess([], env, httpReady(url), { ownProcessGroup: options.ownProcessGroup }), url };
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
      const published = await gql(first.url, `mutation($s: String!) { publishSkillVersion(input: { packageSha256: $s }) { version { status } } }`, {
        s: sha256,
      });
      assert.equal(published.errors, undefined, JSON.stringify(published.errors));
      const installed = await gql<{ installSkill: { root: { sha256: string } } }>(
        first.url,
        `mutation { installSkill(input: { name: "hello-skill" }) { root { sha256 } } }`,
      );
      assert.equal(installed.data?.installSkill.root.sha256, sha256);
    } finally {
      assert.equal(await first.process.stop("SIGTERM"), 0, first.process.output());
    }
    // PostgreSQL was stopped too: its pid file is gone.
    assert.equal(existsSync(path.join(dataDir, "postgres", "postmaster.pid")), false, first.process.output());

    const second = await startProduct(dataDir);
    try {
      const found = await gql<{ skills: { edges: { node: { name: string; downloads: number } }[] } }>(
        second.url,
        `{ skills(query: "hello") { edges { node { name downloads } } } }`,
      );
      assert.deepEqual(
        found.data?.skills.edges.map((e) => e.node),
        [{ name: "hello-skill", downloads: 1 }],
      );
    } finally {
      assert.equal(await second.process.stop("SIGINT"), 0, second.process.output());
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
      secret = /shown only once:\s+(sky_\S+)/.exec(first.process.output())?.[1] ?? "";
      assert.ok(secret, first.process.output());
      const viewer = await gql<{ viewer: { handle: string; roles: string[] } }>(first.url, `{ viewer { handle roles } }`, {}, secret);
      assert.deepEqual(viewer.data?.viewer, { handle: "admin", roles: ["ADMIN"] });
      // It says where to use the token, and the console answers there.
      const consoleUrl = /admin console with it: (\S+)/.exec(first.process.output())?.[1];
      assert.equal(consoleUrl, `${first.url}/admin/`);
      const page = await fetch(`${first.url}/admin/`);
      assert.deepEqual([page.status, page.headers.get("content-type")?.split(";")[0]], [200, "text/html"]);
    } finally {
      assert.equal(await first.process.stop("SIGTERM"), 0, first.process.output());
    }
    const second = await startProduct(dataDir, "");
    try {
      assert.doesNotMatch(second.process.output(), /shown only once/);
    } finally {
      assert.equal(await second.process.stop("SIGTERM"), 0, second.process.output());
    }
  });
});

describe("a revoked bootstrap token", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "skillyard-bootstrap-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const revoked = "sky_bootstrap-to-be-revoked-0123456789";
  const replacement = "sky_bootstrap-replacement-0123456789ab";

  test("stays revoked across restarts while SKILLYARD_BOOTSTRAP_TOKEN still names it, and the log says why", async () => {
    const first = await startProduct(dataDir, revoked);
    try {
      const tokens = await gql<{ viewer: { apiTokens: { edges: { node: { id: string; name: string } }[] } } }>(
        first.url,
        `{ viewer { apiTokens { edges { node { id name } } } } }`,
        {},
        revoked,
      );
      const id = tokens.data?.viewer.apiTokens.edges.find((e) => e.node.name === "bootstrap")?.node.id;
      assert.ok(id, JSON.stringify(tokens));
      const res = await gql(first.url, `mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, { id }, revoked);
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    } finally {
      assert.equal(await first.process.stop("SIGTERM"), 0, first.process.output());
    }
    const second = await startProduct(dataDir, revoked);
    try {
      const refused = await fetch(`${second.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${revoked}` },
        body: JSON.stringify({ query: "{ viewer { handle } }" }),
      });
      assert.equal(refused.status, 401, "the revoked bootstrap token must not come back");
      assert.match(second.process.output(), /SKILLYARD_BOOTSTRAP_TOKEN is ignored: that token was revoked/);
    } finally {
      assert.equal(await second.process.stop("SIGTERM"), 0, second.process.output());
    }
    // Positive control: a new secret in the variable is a new, working bootstrap token.
    const third = await startProduct(dataDir, replacement);
    try {
      const viewer = await gql<{ viewer: { handle: string } }>(third.url, `{ viewer { handle } }`, {}, replacement);
      assert.equal(viewer.data?.viewer.handle, "admin");
    } finally {
      assert.equal(await third.process.stop("SIGTERM"), 0, third.process.output());
    }
  });
});

describe("Ctrl-C in a terminal", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "skillyard-ctrl-c-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test("SIGINT to the whole process group stops the server first, then PostgreSQL, with no connection cut from under it", async () => {
    // Debug logging shows each shutdown step and anything PostgreSQL says.
    const started = await startProduct(dataDir, TOKEN, { ownProcessGroup: true, logLevel: "debug" });
    // Live connections at the moment of the signal: the pool, the LISTEN connection, the job queues.
    const viewer = await gql<{ viewer: { handle: string } }>(started.url, `{ viewer { handle } }`);
    assert.equal(viewer.data?.viewer.handle, "admin");
    const code = await started.process.stopGroup("SIGINT");
    const output = started.process.output();
    assert.equal(code, 0, output);
    assert.doesNotMatch(output, /terminating connection due to administrator command/);
    const order = ["HTTP server closed", "database pool closed", "embedded PostgreSQL stopped"].map((step) => output.indexOf(step));
    assert.ok(
      order.every((at) => at >= 0),
      output,
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
      "the server closes before the pool, the pool before PostgreSQL",
    );
    assert.equal(existsSync(path.join(dataDir, "postgres", "postmaster.pid")), false, output);
  });
});
