import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GlobalRole } from "../src/identity/user.entity";
import { publishOk } from "./support/publish";
import { skillYaml } from "./support/seed";
import { startTestServer, type TestServer } from "./support/test-server";

const QUEUE = `{ reviewQueue { edges { node {
  requiredApprovals approvals viewerCannotDecide reasons
  version { id version status }
  permissionDiff { name change risk previous }
  blastRadius { permission risk requestedBy }
  fileDiff { path change }
} } } }`;

interface QueueEntry {
  requiredApprovals: number;
  approvals: number;
  viewerCannotDecide: string | null;
  reasons: { kind: string; permission?: string; added?: string[] }[];
  version: { id: string; version: string; status: string };
  permissionDiff: { name: string; change: string; risk: string; previous: string | null }[];
  blastRadius: { permission: string; risk: string; requestedBy: string[] }[];
  fileDiff: { path: string; change: string }[];
}

const APPROVE = `mutation($id: ID!, $c: String!) { approveVersion(input: { versionId: $id, comment: $c }) { published version { id } } }`;
const REJECT = `mutation($id: ID!, $r: String!) { rejectVersion(input: { versionId: $id, reason: $r }) { published } }`;

describe("permission review", () => {
  let server: TestServer;
  let author: string;
  let reviewer1: string;
  let reviewer2: string;
  let installer: string;

  const publish = (name: string, version: string, fields: Record<string, unknown> = {}, extra: Record<string, string | Buffer> = {}) =>
    publishOk(server, author, { "skill.yaml": skillYaml({ name, version, ...fields }), ...extra });
  const queue = async (token: string) =>
    (await server.gql<{ reviewQueue: { edges: { node: QueueEntry }[] } }>(QUEUE, {}, token)).data?.reviewQueue.edges.map((e) => e.node) ?? [];
  const entry = async (versionId: string, token = reviewer1) => (await queue(token)).find((q) => q.version.id === versionId);
  const latest = async (name: string) =>
    (
      await server.gql<{ skill: { latestVersion: { version: string } | null } | null }>(
        `{ skill(name: "${name}") { latestVersion { version } } }`,
        {},
        reviewer1,
      )
    ).data!.skill?.latestVersion?.version ?? null;

  before(async () => {
    server = await startTestServer();
    const authors = server.seed.team("authors");
    author = (await authors.member("author")).token;
    const board = server.seed.team("review-board");
    reviewer1 = (await board.member("rev-one", undefined, [GlobalRole.REVIEWER])).token;
    reviewer2 = (await board.member("rev-two", undefined, [GlobalRole.REVIEWER])).token;
    installer = (await server.seed.team("tenants").member("tenant-user")).token;
  });
  after(() => server.close());

  test("an escalation to a HIGH permission waits for a reviewer (never the author), latest stays put, approval publishes", async () => {
    await publish("reader", "1.0.0", { permissions: ["database:read"] });
    assert.equal(await latest("reader"), "1.0.0");
    const v2 = await publish("reader", "1.1.0", { permissions: ["database:read", "network:outbound"] }, { "src/fetch.py": "print('fetch')\n" });
    assert.equal(v2.version.status, "AWAITING_REVIEW");
    assert.equal(await latest("reader"), "1.0.0", "latest stays on the last published version");
    const install = await server.gql<{ installSkill: { root: { version: string } } }>(
      `mutation { installSkill(input: { name: "reader", range: "^1" }) { root { version } } }`,
      {},
      installer,
    );
    assert.equal(install.data?.installSkill.root.version, "1.0.0", "a pending version is never installable");

    const pending = (await entry(v2.version.id))!;
    assert.deepEqual(pending.reasons.map((r) => r.kind).sort(), ["ESCALATION", "RISK"]);
    assert.equal(pending.requiredApprovals, 1);
    assert.deepEqual(pending.permissionDiff, [
      { name: "database:read", change: "UNCHANGED", risk: "MEDIUM", previous: null },
      { name: "network:outbound", change: "ADDED", risk: "HIGH", previous: null },
    ]);
    assert.deepEqual(
      pending.fileDiff.map((f) => [f.path, f.change]),
      [
        ["skill.yaml", "CHANGED"],
        ["src/fetch.py", "ADDED"],
      ],
    );
    assert.equal(pending.viewerCannotDecide, null);

    const authorView = (await server.gql<{ reviewQueue: unknown }>(QUEUE, {}, author)).errors?.[0].extensions.code;
    assert.equal(authorView, "FORBIDDEN", "the queue is for reviewers");
    const self = await server.gql(APPROVE, { id: v2.version.id, c: "lgtm" }, author);
    assert.equal(self.errors?.[0].extensions.code, "FORBIDDEN");

    const approved = await server.gql<{ approveVersion: { published: boolean } }>(APPROVE, { id: v2.version.id, c: "needed for the fetch feature" }, reviewer1);
    assert.equal(approved.data?.approveVersion.published, true);
    assert.equal(await latest("reader"), "1.1.0");
  });

  test("an author who is not a reviewer reads that it is their own version; decisions name their reviewer; the policy is readable", async () => {
    const v = await publish("own-reason", "1.0.0", { permissions: ["network:outbound"] });
    assert.equal(v.version.status, "AWAITING_REVIEW");
    const REQUEST = `query($id: ID!) { node(id: $id) { ... on SkillVersion { reviewRequest { viewerCannotDecide decisions { edges { node { decision comment reviewer { handle } } } } } } } }`;
    type RequestView = {
      node: {
        reviewRequest: {
          viewerCannotDecide: string | null;
          decisions: { edges: { node: { decision: string; comment: string; reviewer: { handle: string } } }[] };
        };
      };
    };
    const asAuthor = await server.gql<RequestView>(REQUEST, { id: v.version.id }, author);
    assert.equal(asAuthor.data?.node.reviewRequest.viewerCannotDecide, "You cannot review your own version.");

    await server.gql(REJECT, { id: v.version.id, r: "outbound access is not justified" }, reviewer2);
    const decided = await server.gql<RequestView>(REQUEST, { id: v.version.id }, reviewer1);
    assert.deepEqual(
      decided.data?.node.reviewRequest.decisions.edges.map((e) => e.node),
      [{ decision: "REJECT", comment: "outbound access is not justified", reviewer: { handle: "rev-two" } }],
    );

    const policy = await server.gql<{ reviewPolicy: { riskThreshold: string; criticalApprovals: number; testPassThreshold: number } }>(
      `{ reviewPolicy { riskThreshold criticalApprovals testPassThreshold } }`,
      {},
      author,
    );
    assert.deepEqual(policy.data?.reviewPolicy, { riskThreshold: "HIGH", criticalApprovals: 2, testPassThreshold: 0.8 });
    assert.equal((await server.gql(`{ reviewPolicy { riskThreshold } }`)).errors?.[0].extensions.code, "UNAUTHENTICATED");
  });

  test("a reviewer cannot approve a version they published themselves", async () => {
    const own = server.seed.team("reviewers-own-skills");
    const reviewerAuthor = (await own.member("rev-author", undefined, [GlobalRole.REVIEWER])).token;
    const mine = await publishOk(server, reviewerAuthor, { "skill.yaml": skillYaml({ name: "rev-own", version: "1.0.0", permissions: ["network:outbound"] }) });
    assert.equal(mine.version.status, "AWAITING_REVIEW");
    assert.equal((await entry(mine.version.id, reviewerAuthor))?.viewerCannotDecide, "You cannot review your own version.");
    assert.equal((await server.gql(APPROVE, { id: mine.version.id, c: "mine" }, reviewerAuthor)).errors?.[0].extensions.code, "FORBIDDEN");
  });

  test("widening a scoped permission is an escalation even below the risk threshold", async () => {
    await publish("analytics", "1.0.0", { permissions: ["database:read:analytics"] });
    const wider = await publish("analytics", "2.0.0", { permissions: ["database:read"] });
    assert.equal(wider.version.status, "AWAITING_REVIEW");
    const pending = (await entry(wider.version.id))!;
    assert.deepEqual(pending.reasons, [{ kind: "ESCALATION", added: ["database:read"] }]);
    assert.deepEqual(pending.permissionDiff, [{ name: "database:read", change: "WIDENED", risk: "MEDIUM", previous: "database:read:analytics" }]);
  });

  test("CRITICAL needs two distinct approvers; one reviewer cannot approve twice", async () => {
    const shell = await publish("shell-runner", "1.0.0", { permissions: ["shell:exec"] });
    assert.equal((await entry(shell.version.id))!.requiredApprovals, 2);
    assert.equal(
      (await server.gql<{ approveVersion: { published: boolean } }>(APPROVE, { id: shell.version.id, c: "ok" }, reviewer1)).data?.approveVersion.published,
      false,
    );
    assert.equal((await entry(shell.version.id))!.approvals, 1);
    assert.equal((await server.gql(APPROVE, { id: shell.version.id, c: "again" }, reviewer1)).errors?.[0].extensions.code, "BAD_USER_INPUT");
    assert.equal(await latest("shell-runner"), null);
    assert.equal(
      (await server.gql<{ approveVersion: { published: boolean } }>(APPROVE, { id: shell.version.id, c: "ok too" }, reviewer2)).data?.approveVersion.published,
      true,
    );
    assert.equal(await latest("shell-runner"), "1.0.0");
  });

  test("a rejection reaches the author with its reason and the version never installs", async () => {
    const risky = await publish("writer", "1.0.0", { permissions: ["filesystem:write"] });
    const rejected = await server.gql<{ rejectVersion: { published: boolean } }>(
      REJECT,
      { id: risky.version.id, r: "Writes outside the workspace; scope it to filesystem:tmp." },
      reviewer2,
    );
    assert.equal(rejected.data?.rejectVersion.published, false);
    const seen = await server.gql<{ node: { status: string; statusReason: string } }>(
      `query($id: ID!) { node(id: $id) { ... on SkillVersion { status statusReason } } }`,
      { id: risky.version.id },
      author,
    );
    assert.equal(seen.data?.node.status, "REJECTED");
    assert.match(seen.data!.node.statusReason, /scope it to filesystem:tmp/);
    // Never released: to an installer outside its team the skill does not exist.
    assert.equal(
      (await server.gql(`mutation { installSkill(input: { name: "writer" }) { root { version } } }`, {}, installer)).errors?.[0].extensions.code,
      "NOT_FOUND",
    );
  });

  test("a new dependency that brings wider permissions is a tree escalation, with the combined blast radius shown", async () => {
    const netLib = await publish("net-lib", "1.0.0", { permissions: ["network:outbound"] });
    await server.gql(APPROVE, { id: netLib.version.id, c: "ok" }, reviewer1);
    await publish("report-app", "1.0.0", { permissions: ["filesystem:tmp"] });
    const v2 = await publish("report-app", "1.1.0", { permissions: ["filesystem:tmp"], dependencies: { "net-lib": "^1.0.0" } });
    assert.equal(v2.version.status, "AWAITING_REVIEW");
    const pending = (await entry(v2.version.id))!;
    assert.deepEqual(pending.reasons, [{ kind: "TREE_ESCALATION", added: ["network:outbound"] }]);
    assert.deepEqual(pending.blastRadius, [
      { permission: "network:outbound", risk: "HIGH", requestedBy: ["net-lib@1.0.0"] },
      { permission: "filesystem:tmp", risk: "LOW", requestedBy: ["report-app@1.1.0"] },
    ]);
  });

  test("fileDiff patches: unified diffs with 3 lines of context for text files, null for binary, oversized and unchanged ones; each package read once", async () => {
    const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`).join("\n") + "\n";
    const main = lines("line", 20);
    const big = "x".repeat(300 * 1024) + "\n";
    const v1 = await publish(
      "patchy",
      "1.0.0",
      { permissions: ["database:read"] },
      {
        "src/main.py": main,
        "src/gone.py": "old = 1\nolder = 2\n",
        "src/same.py": "same = True\n",
        "assets/logo.bin": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]),
        "docs/latin1.txt": Buffer.from("caf\xe9\n", "latin1"),
        "data/big.txt": big,
      },
    );
    assert.equal(v1.version.status, "PUBLISHED");
    const v2 = await publish(
      "patchy",
      "1.1.0",
      { permissions: ["database:read", "network:outbound"] },
      {
        "src/main.py": main.replace("line 10\n", "line ten\n"),
        "src/new.py": "def fetch():\n    return 'x'\n",
        "src/same.py": "same = True\n",
        "assets/logo.bin": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x03]),
        "docs/latin1.txt": Buffer.from("caf\xe9s\n", "latin1"),
        "data/big.txt": big.replace("x\n", "y\n"),
      },
    );
    assert.equal(v2.version.status, "AWAITING_REVIEW");

    const read: string[] = [];
    const blobStore = server.runtime.blobStore;
    const withLocalFile = blobStore.withLocalFile.bind(blobStore);
    blobStore.withLocalFile = (sha256, kind, fn) => {
      read.push(sha256);
      return withLocalFile(sha256, kind, fn);
    };
    const res = await server
      .gql<{ node: { reviewRequest: { fileDiff: { path: string; change: string; patch: string | null }[] } } }>(
        `query($id: ID!) { node(id: $id) { ... on SkillVersion { reviewRequest { fileDiff { path change patch } } } } }`,
        { id: v2.version.id },
        reviewer1,
      )
      .finally(() => {
        blobStore.withLocalFile = withLocalFile;
      });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.deepEqual(read.sort(), [v1.version.packageSha256, v2.version.packageSha256].sort(), "each package is read once, not once per file");
    const patches = Object.fromEntries(res.data!.node.reviewRequest.fileDiff.map((f) => [f.path, [f.change, f.patch]]));

    assert.deepEqual(patches["src/main.py"], [
      "CHANGED",
      [
        "--- a/src/main.py",
        "+++ b/src/main.py",
        "@@ -7,7 +7,7 @@",
        " line 7",
        " line 8",
        " line 9",
        "-line 10",
        "+line ten",
        " line 11",
        " line 12",
        " line 13",
        "",
      ].join("\n"),
    ]);
    assert.deepEqual(patches["src/new.py"], [
      "ADDED",
      ["--- /dev/null", "+++ b/src/new.py", "@@ -0,0 +1,2 @@", "+def fetch():", "+    return 'x'", ""].join("\n"),
    ]);
    assert.deepEqual(patches["src/gone.py"], ["REMOVED", ["--- a/src/gone.py", "+++ /dev/null", "@@ -1,2 +0,0 @@", "-old = 1", "-older = 2", ""].join("\n")]);
    assert.deepEqual(patches["assets/logo.bin"], ["CHANGED", null], "binary (NUL byte)");
    assert.deepEqual(patches["docs/latin1.txt"], ["CHANGED", null], "not UTF-8");
    assert.deepEqual(patches["data/big.txt"], ["CHANGED", null], "over 256 KiB");
    assert.deepEqual(patches["src/same.py"], ["UNCHANGED", null]);
  });

  test("the audit log records the review trail", async () => {
    const admin = (await server.seed.user("audit-admin", [GlobalRole.ADMIN])).token;
    const log = await server.gql<{ auditLog: { edges: { node: { action: string; version: { version: string } | null } }[] } }>(
      `{ auditLog(skill: "reader", first: 50) { edges { node { action version { version } } } } }`,
      {},
      admin,
    );
    const actions = log.data!.auditLog.edges.map((e) => e.node.action);
    for (const a of ["PUBLISH", "REVIEW_REQUESTED", "APPROVE", "VERSION_PUBLISHED"]) assert.ok(actions.includes(a), `${a} missing: ${actions.join(", ")}`);
    const approval = log.data!.auditLog.edges.find((e) => e.node.action === "APPROVE");
    assert.deepEqual(approval?.node.version, { version: "1.1.0" }, "version events link to their version");
  });
});
