import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GlobalRole } from "../src/identity/user.entity";
import { TeamRole } from "../src/identity/membership.entity";
import { canTransition, isPublic, PUBLIC_STATUSES, VersionStatus } from "../src/catalog/version-status";
import { PUBLISH, publishOk } from "./support/publish";
import { makePackage, skillYaml } from "./support/seed";
import { startTestServer, type TestServer } from "./support/test-server";

/**
 * GET /packages/{sha256}.tgz serves a package only to those who may see a version with that digest:
 * public versions to anyone; versions in review or rejected to their team, reviewers and admins;
 * uploads never published to nobody. Hidden and absent answer alike.
 */
describe("package downloads follow version visibility", () => {
  let server: TestServer;
  const tokens = { member: "", outsider: "", reviewer: "", admin: "" };
  const digests = { public: "", pending: "", rejected: "", unpublished: "" };

  const download = (sha256: string, token?: string) =>
    fetch(`${server.url}/packages/${sha256}.tgz`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  before(async () => {
    server = await startTestServer();
    tokens.member = (await server.seed.team("owners").member("dl-member")).token;
    tokens.outsider = (await server.seed.team("others").member("dl-outsider")).token;
    tokens.reviewer = (await server.seed.team("board").member("dl-reviewer", TeamRole.MEMBER, [GlobalRole.REVIEWER])).token;
    tokens.admin = (await server.seed.team("admins").member("dl-admin", TeamRole.MEMBER, [GlobalRole.ADMIN])).token;
    digests.public = (await publishOk(server, tokens.member, { "skill.yaml": skillYaml({ name: "dl-public", version: "1.0.0" }) })).version.packageSha256;
    const pending = await publishOk(server, tokens.member, {
      "skill.yaml": skillYaml({ name: "dl-pending", version: "1.0.0", permissions: ["network:outbound"] }),
    });
    assert.equal(pending.version.status, "AWAITING_REVIEW");
    digests.pending = pending.version.packageSha256;
    const rejected = await publishOk(server, tokens.member, {
      "skill.yaml": skillYaml({ name: "dl-rejected", version: "1.0.0" }),
      "tests/test_x.py": "def test_x():\n    pass\n",
    });
    assert.equal(rejected.version.status, "REJECTED");
    digests.rejected = rejected.version.packageSha256;
    const upload = await server.upload(await makePackage({ "skill.yaml": skillYaml({ name: "dl-never", version: "1.0.0" }) }), tokens.member);
    digests.unpublished = String(upload.body.sha256);
  });
  after(() => server?.close());

  test("a public version's package is for everyone, and any cache may keep it", async () => {
    for (const token of [undefined, ...Object.values(tokens)]) {
      const res = await download(digests.public, token);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    }
  });

  test("a package in review or rejected is for its team, reviewers and admins only, and never cached by others", async () => {
    for (const sha256 of [digests.pending, digests.rejected]) {
      for (const token of [undefined, tokens.outsider]) {
        const res = await download(sha256, token);
        assert.equal(res.status, 404, `hidden package answered ${res.status}`);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, "PACKAGE_NOT_FOUND");
      }
      for (const token of [tokens.member, tokens.reviewer, tokens.admin]) {
        const res = await download(sha256, token);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("cache-control"), "private, no-store");
        assert.equal(Buffer.from(await res.arrayBuffer()).length > 0, true);
      }
    }
  });

  test("conditional, ranged and HEAD requests reveal nothing a plain download would not: hidden is 404 for each", async () => {
    const variants: RequestInit[] = [
      { method: "HEAD" },
      { headers: { range: "bytes=0-0" } },
      { headers: { range: "bytes=999999-" } },
      { headers: { "if-none-match": "*" } },
    ];
    for (const sha256 of [digests.pending, digests.rejected, digests.unpublished]) {
      for (const token of [undefined, tokens.outsider]) {
        for (const variant of variants) {
          const headers = { ...(variant.headers as Record<string, string> | undefined), ...(token ? { authorization: `Bearer ${token}` } : {}) };
          const res = await fetch(`${server.url}/packages/${sha256}.tgz`, { ...variant, headers });
          assert.equal(res.status, 404, `${JSON.stringify(variant)} answered ${res.status}`);
          assert.equal(res.headers.get("content-range"), null);
        }
      }
    }
    // Positive control: the same requests by the owning team are answered.
    const own = { authorization: `Bearer ${tokens.member}` };
    assert.equal((await fetch(`${server.url}/packages/${digests.pending}.tgz`, { method: "HEAD", headers: own })).status, 200);
    assert.equal((await fetch(`${server.url}/packages/${digests.pending}.tgz`, { headers: { ...own, range: "bytes=0-0" } })).status, 206);
    assert.equal((await fetch(`${server.url}/packages/${digests.pending}.tgz`, { headers: { ...own, range: "bytes=999999-" } })).status, 416);
    assert.equal((await fetch(`${server.url}/packages/${digests.pending}.tgz`, { headers: { ...own, "if-none-match": "*" } })).status, 304);
  });

  test("SQL statements per download: a public package once per process, then none (a token still costs its lookup); a team's unreleased one four every time", async () => {
    const fresh = (await publishOk(server, tokens.member, { "skill.yaml": skillYaml({ name: "dl-counted", version: "1.0.0" }) })).version.packageSha256;
    const statements = async (sha256: string, token?: string) => {
      server.queries.reset();
      const res = await download(sha256, token);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      return [...server.queries.statements];
    };
    const first = await statements(fresh);
    assert.equal(first.length, 1, first.join("\n"));
    assert.match(first[0], /FROM "skill_version"/);
    assert.deepEqual(await statements(fresh), [], "remembered: public stays public");
    const withToken = await statements(fresh, tokens.outsider);
    assert.equal(withToken.length, 1, withToken.join("\n"));
    assert.match(withToken[0], /FROM "api_token"/);
    for (let i = 0; i < 2; i++) {
      const member = await statements(digests.pending, tokens.member);
      assert.equal(member.length, 4, member.join("\n"));
    }
  });

  test("what is remembered cannot change: no status a public version can reach is hidden, and a hidden package is asked anew each time", async () => {
    for (const from of PUBLIC_STATUSES) {
      for (const to of Object.values(VersionStatus)) if (canTransition(from, to)) assert.ok(isPublic(to), `${from} → ${to} would hide a public package`);
    }
    const body = await makePackage({ "skill.yaml": skillYaml({ name: "dl-later", version: "1.0.0" }) });
    const sha256 = String((await server.upload(body, tokens.member)).body.sha256);
    assert.equal((await download(sha256)).status, 404);
    const published = await server.gql(PUBLISH, { input: { packageSha256: sha256 } }, tokens.member);
    assert.equal(published.errors, undefined, JSON.stringify(published.errors));
    const res = await download(sha256);
    assert.equal(res.status, 200, "not remembered while hidden");
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), body);
  });

  test("an upload that was never published is served to nobody, its uploader included", async () => {
    for (const token of [undefined, tokens.member, tokens.reviewer, tokens.admin]) assert.equal((await download(digests.unpublished, token)).status, 404);
  });

  test("an invalid token is refused rather than treated as anonymous", async () => {
    assert.equal((await download(digests.public, "sky_not-a-token")).status, 401);
  });
});
