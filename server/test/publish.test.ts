import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TeamRole } from "../src/identity/membership.entity";
import { makePackage, skillYaml } from "./support/seed";
import { PUBLISH, publishOk, uploadAndPublish } from "./support/publish";
import { startTestServer, type TestServer } from "./support/test-server";

describe("publishSkillVersion", () => {
  let server: TestServer;
  let alice: string; // member of team data
  let bob: string; // member of team web
  let carol: string; // member of data and web

  before(async () => {
    server = await startTestServer();
    const data = server.seed.team("data");
    const web = server.seed.team("web");
    alice = (await data.member("alice", TeamRole.MAINTAINER)).token;
    bob = (await web.member("bob")).token;
    const carolUser = await data.member("carol");
    carol = carolUser.token;
    const webTeam = await web.entity();
    await server.runtime.dataSource.query(`INSERT INTO membership (team_id, user_id, role) VALUES ($1, $2, 'MEMBER')`, [webTeam.id, carolUser.user.id]);
  });
  after(() => server.close());

  test("a first publish creates the skill in the publisher's team and stores the manifest", async () => {
    const published = await publishOk(server, alice, {
      "skill.yaml": skillYaml({
        name: "sql-query",
        version: "1.0.0",
        tags: ["database", "sql"],
        requirements: { runtime: "python3.11", memory_mb: 256, timeout_seconds: 30 },
        permissions: ["database:read", "filesystem:tmp"],
      }),
      "README.md": "# sql-query\nRuns read-only SQL.",
      "src/main.py": "print('hi')\n",
    });
    assert.equal(published.created, true);
    // It declares a runtime, so it waits for its sandboxed tests (no worker runs in this file).
    assert.equal(published.version.status, "TESTING");
    interface Stored {
      manifest: { requirements: { runtime: { language: string; version: string } } };
      readme: string;
      permissions: { edges: { node: { name: string; risk: string } }[] };
    }
    const res = await server.gql<{ skill: { owner: { name: string }; latestVersion: null; versions: { edges: { node: Stored }[] } } }>(
      `{ skill(name: "sql-query") { owner { name } latestVersion { id } versions(first: 1) { edges { node { manifest readme permissions { edges { node { name risk } } } } } } } }`,
      {},
      alice,
    );
    // Until a version is public, only its team (and reviewers, admins) see the skill at all.
    const anonymous = await server.gql<{ skill: unknown }>(`{ skill(name: "sql-query") { versions { edges { node { version } } } } }`);
    assert.equal(anonymous.data!.skill, null);
    assert.equal(res.data!.skill.owner.name, "data");
    assert.equal(res.data!.skill.latestVersion, null, "nothing is installable before the tests pass");
    const stored = res.data!.skill.versions.edges[0].node;
    // The runtime is stored bare: an image tag like python:python3.11-slim cannot be built from it.
    assert.deepEqual(stored.manifest.requirements.runtime, { language: "python", version: "3.11" });
    assert.match(stored.readme, /Runs read-only SQL/);
    assert.deepEqual(
      stored.permissions.edges.map((e) => e.node),
      [
        { name: "database:read", risk: "MEDIUM" },
        { name: "filesystem:tmp", risk: "LOW" },
      ],
    );
  });

  test("the same bytes again succeed idempotently; different bytes under the same version are VERSION_EXISTS", async () => {
    const files = { "skill.yaml": skillYaml({ name: "csv-tools", version: "1.0.0" }) };
    const first = await publishOk(server, alice, files);
    const again = await publishOk(server, alice, files);
    assert.equal(again.created, false);
    assert.equal(again.version.id, first.version.id);
    const changed = await uploadAndPublish(server, alice, { ...files, "README.md": "changed" });
    assert.equal(changed.errors?.[0].extensions.code, "VERSION_EXISTS");
    assert.equal(changed.errors?.[0].extensions.existingSha256, first.version.packageSha256);
  });

  test("a yanked version's number stays taken", async () => {
    const files = { "skill.yaml": skillYaml({ name: "yank-me", version: "1.0.0" }) };
    const first = await publishOk(server, alice, files);
    await server.runtime.dataSource.query(`UPDATE skill_version SET status = 'YANKED' WHERE id = (SELECT id FROM skill_version WHERE package_sha256 = $1)`, [
      first.version.packageSha256,
    ]);
    const changed = await uploadAndPublish(server, alice, { ...files, "README.md": "new bytes" });
    assert.equal(changed.errors?.[0].extensions.code, "VERSION_EXISTS");
  });

  test("the database itself refuses to change a version's contents or delete it; status may change", async () => {
    const published = await publishOk(server, alice, { "skill.yaml": skillYaml({ name: "frozen", version: "1.0.0" }) });
    const sha = published.version.packageSha256;
    await assert.rejects(
      server.runtime.dataSource.query(`UPDATE skill_version SET package_sha256 = $1 WHERE package_sha256 = $2`, ["f".repeat(64), sha]),
      /immutable/,
    );
    await assert.rejects(server.runtime.dataSource.query(`UPDATE skill_version SET readme = 'edited' WHERE package_sha256 = $1`, [sha]), /immutable/);
    await assert.rejects(server.runtime.dataSource.query(`DELETE FROM skill_version WHERE package_sha256 = $1`, [sha]), /never deleted/);
    await server.runtime.dataSource.query(`UPDATE skill_version SET status = 'DEPRECATED', status_reason = 'use thawed' WHERE package_sha256 = $1`, [sha]);
  });

  test("only members of the owning team publish new versions", async () => {
    await publishOk(server, alice, { "skill.yaml": skillYaml({ name: "owned-by-data", version: "1.0.0" }) });
    const res = await uploadAndPublish(server, bob, { "skill.yaml": skillYaml({ name: "owned-by-data", version: "1.1.0" }) });
    assert.equal(res.errors?.[0].extensions.code, "FORBIDDEN");
  });

  test("anonymous publishing is refused", async () => {
    const upload = await server.upload(await makePackage({ "skill.yaml": skillYaml({ name: "anon", version: "1.0.0" }) }), alice);
    const res = await server.gql(PUBLISH, { input: { packageSha256: upload.body.sha256 } });
    assert.equal(res.errors?.[0].extensions.code, "UNAUTHENTICATED");
  });

  test("a publisher in several teams must name the owning team", async () => {
    const ambiguous = await uploadAndPublish(server, carol, { "skill.yaml": skillYaml({ name: "carols-skill", version: "1.0.0" }) });
    assert.equal(ambiguous.errors?.[0].extensions.code, "BAD_USER_INPUT");
    assert.match(ambiguous.errors![0].message, /data, web/);
    const named = await publishOk(server, carol, { "skill.yaml": skillYaml({ name: "carols-skill", version: "1.0.0" }) }, { team: "web" });
    const owner = await server.gql<{ skill: { owner: { name: string } } }>(`{ skill(name: "carols-skill") { owner { name } } }`);
    assert.equal(named.created, true);
    assert.equal(owner.data!.skill.owner.name, "web");
  });

  for (const lookAlike of ["pdf_tools", "pdftools", "pdf-t00ls", "pdf-too1s", "PDF-Tools"]) {
    test(`"${lookAlike}" is refused next to "pdf-tools"`, async () => {
      if (!(await server.gql(`{ skill(name: "pdf-tools") { id } }`)).data?.skill) {
        await publishOk(server, alice, { "skill.yaml": skillYaml({ name: "pdf-tools", version: "1.0.0" }) });
      }
      const res = await uploadAndPublish(server, bob, { "skill.yaml": skillYaml({ name: lookAlike, version: "1.0.0" }) });
      // Names outside the name rule fail validation first; valid look-alikes are NAME_TOO_SIMILAR.
      const expected = /^[a-z0-9-]+$/.test(lookAlike) ? "NAME_TOO_SIMILAR" : "MANIFEST_INVALID";
      assert.equal(res.errors?.[0].extensions.code, expected, JSON.stringify(res.errors));
      if (expected === "NAME_TOO_SIMILAR") assert.equal(res.errors?.[0].extensions.similarTo, "pdf-tools");
    });
  }

  test("dependencies must name existing skills and not the skill itself", async () => {
    const missing = await uploadAndPublish(server, alice, {
      "skill.yaml": skillYaml({ name: "needs-ghost", version: "1.0.0", dependencies: { "ghost-skill": "^1.0.0" } }),
    });
    assert.equal(missing.errors?.[0].extensions.code, "DEPENDENCY_NOT_FOUND");
    assert.deepEqual(missing.errors?.[0].extensions.missing, ["ghost-skill"]);
    const self = await uploadAndPublish(server, alice, {
      "skill.yaml": skillYaml({ name: "needs-itself", version: "1.0.0", dependencies: { "needs-itself": "^1.0.0" } }),
    });
    assert.equal(self.errors?.[0].extensions.code, "DEPENDENCY_SELF");
  });

  test("manifest errors name the field path", async () => {
    const res = await uploadAndPublish(server, alice, {
      "skill.yaml": skillYaml({ name: "bad-memory", version: "1.0.0", requirements: { runtime: "python3.11", memory_mb: 0 } }),
    });
    assert.equal(res.errors?.[0].extensions.code, "MANIFEST_INVALID");
    const errors = res.errors?.[0].extensions.errors as { path: string }[];
    assert.ok(
      errors.some((e) => e.path === "/requirements/memory_mb"),
      JSON.stringify(errors),
    );
  });

  test("unknown permissions are refused; scoped forms of known ones are accepted", async () => {
    const unknown = await uploadAndPublish(server, alice, { "skill.yaml": skillYaml({ name: "wants-root", version: "1.0.0", permissions: ["kernel:load"] }) });
    assert.equal(unknown.errors?.[0].extensions.code, "PERMISSION_UNKNOWN");
    const scoped = await publishOk(server, alice, {
      "skill.yaml": skillYaml({ name: "analytics-reader", version: "1.0.0", permissions: ["database:read:analytics"] }),
    });
    const res = await server.gql<{ node: { permissions: { edges: { node: { name: string; risk: string; catalogueEntry: { name: string } } }[] } } }>(
      `query($id: ID!) { node(id: $id) { ... on SkillVersion { permissions { edges { node { name risk catalogueEntry { name } } } } } } }`,
      { id: scoped.version.id },
    );
    assert.deepEqual(res.data!.node.permissions.edges[0].node, { name: "database:read:analytics", risk: "MEDIUM", catalogueEntry: { name: "database:read" } });
  });

  test("a SKILL.md-only package takes its version from the call and maps allowed-tools to permissions", async () => {
    const files = { "SKILL.md": "---\nname: md-only\ndescription: Only a SKILL.md.\nallowed-tools: Bash Read WebFetch\n---\n# Body\nUse it well.\n" };
    const missing = await uploadAndPublish(server, alice, files);
    assert.equal(missing.errors?.[0].extensions.code, "VERSION_REQUIRED");
    const published = await publishOk(server, alice, files, { version: "0.1.0" });
    // Bash maps to shell:exec (CRITICAL): it waits for review, visible to its team meanwhile.
    assert.equal(published.version.status, "AWAITING_REVIEW");
    const res = await server.gql<{ node: { version: string; readme: string; permissions: { edges: { node: { name: string } }[] } } }>(
      `query($id: ID!) { node(id: $id) { ... on SkillVersion { version readme permissions { edges { node { name } } } } } }`,
      { id: published.version.id },
      alice,
    );
    assert.equal(res.data!.node.version, "0.1.0");
    assert.match(res.data!.node.readme, /Use it well/);
    assert.deepEqual(
      res.data!.node.permissions.edges.map((e) => e.node.name),
      ["filesystem:read", "network:outbound", "shell:exec"],
    );
  });

  test("a package that was never uploaded is PACKAGE_NOT_FOUND", async () => {
    const res = await server.gql(PUBLISH, { input: { packageSha256: "0".repeat(64) } }, alice);
    assert.equal(res.errors?.[0].extensions.code, "PACKAGE_NOT_FOUND");
  });

  test("a hostile archive is refused at publish with its own code and nothing is recorded", async () => {
    const { pack } = await import("tar-stream");
    const { gzipSync } = await import("node:zlib");
    const tar = pack();
    tar.entry({ name: "skill.yaml" }, skillYaml({ name: "escaper", version: "1.0.0" }));
    tar.entry({ name: "../../outside.txt" }, "gotcha");
    tar.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of tar) chunks.push(chunk as Buffer);
    const upload = await server.upload(gzipSync(Buffer.concat(chunks)), alice);
    const res = await server.gql(PUBLISH, { input: { packageSha256: upload.body.sha256 } }, alice);
    assert.equal(res.errors?.[0].extensions.code, "PACKAGE_INVALID_PATH");
    assert.equal((await server.gql<{ skill: null }>(`{ skill(name: "escaper") { id } }`)).data!.skill, null);
  });
});
