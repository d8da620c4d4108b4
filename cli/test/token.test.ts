import "reflect-metadata";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TeamRole } from "../../server/src/identity/membership.entity";
import { publishOk } from "../../server/test/support/publish";
import { skillYaml } from "../../server/test/support/seed";
import { startTestServer, type TestServer } from "../../server/test/support/test-server";
import { cliRunner, finalError, oneLineError, writeSkillDir } from "./support/cli";

interface CreatedJson {
  token: string;
  id: string;
  name: string;
  prefix: string;
  user: string;
  scopes: string[];
  publishTeams: string[] | null;
  expiresAt: string | null;
  allowedCidrs: string[] | null;
}

/** `skillyard token create|list|revoke` and how the CLI explains a refused token, against a real server. */
describe("skillyard token against a real server", () => {
  let server: TestServer;
  let scratch: string;
  let maintainer: string;

  const cli = cliRunner(
    () => server.url,
    () => scratch,
  );
  const as = (token: string, args: string[]) => cli(args, { token });
  const create = async (args: string[]): Promise<CreatedJson> => {
    const run = await as(maintainer, ["token", "create", ...args, "--json"]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    return JSON.parse(run.stdout) as CreatedJson;
  };

  before(
    async () => {
      assert.ok(existsSync(path.join(__dirname, "..", "dist", "src", "main.js")), "build the CLI first: npm run build -w cli");
      scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-cli-token-"));
      server = await startTestServer();
      maintainer = (await server.seed.team("data").member("token-maintainer", TeamRole.MAINTAINER)).token;
      await publishOk(server, maintainer, { "skill.yaml": skillYaml({ name: "token-probe", version: "1.0.0" }) });
    },
    { timeout: 120_000 },
  );
  after(async () => {
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("token create prints the secret once, with what the token may do; --json carries the same", async () => {
    const run = await as(maintainer, ["token", "create", "--name", "dashboards", "--scope", "read", "--expires", "30d"]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^✓ created token dashboards for token-maintainer: read; expires \d{4}-\d{2}-\d{2}$/);
    assert.match(lines[1], /shown this once/);
    assert.match(lines[2], /^sky_[A-Za-z0-9_-]{43}$/);
    // The printed secret works, for what its scope allows.
    const search = await as(lines[2], ["search", "token-probe", "--json"]);
    assert.equal(search.code, 0, search.stderr);

    const ci = await create(["--name", "ci", "--scope", "read", "--scope", "PUBLISH", "--team", "data", "--expires", "2w", "--cidr", "127.0.0.0/8"]);
    assert.deepEqual(
      [ci.name, ci.user, ci.scopes, ci.publishTeams, ci.allowedCidrs],
      ["ci", "token-maintainer", ["READ", "PUBLISH"], ["data"], ["127.0.0.0/8"]],
    );
    const days = (Date.parse(ci.expiresAt!) - Date.now()) / 86_400_000;
    assert.ok(days > 13.9 && days <= 14, `${days}`);
    assert.match(ci.token, /^sky_/);
    assert.equal(ci.prefix, ci.token.slice(0, 10));
  });

  test("bad options are usage errors (exit 2) before anything is sent; the registry's refusals are one line", async () => {
    for (const args of [
      ["--name", "x", "--scope", "everything"],
      ["--name", "x", "--expires", "3m"],
      ["--name", "x", "--expires", "0d"],
      ["--scope", "read"],
    ]) {
      const run = await as(maintainer, ["token", "create", ...args]);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      oneLineError(run, "BAD_USER_INPUT");
    }
    const tooLong = await as(maintainer, ["token", "create", "--name", "x", "--expires", "400d"]);
    assert.equal(tooLong.code, 1);
    assert.match(oneLineError(tooLong, "BAD_USER_INPUT"), /1 to 365 days/);
  });

  test("token list marks tokens that expire within 14 days; token revoke ends one at once", async () => {
    const soon = await create(["--name", "soon", "--expires", "3d"]);
    await create(["--name", "later", "--expires", "60d"]);
    const list = await as(maintainer, ["token", "list"]);
    assert.equal(list.code, 0, list.stderr);
    const row = (name: string) => list.stdout.split("\n").find((l) => l.startsWith(`${name} `)) ?? "";
    assert.match(row("soon"), /\(! in 3 days\)/);
    assert.doesNotMatch(row("later"), /!/);
    assert.match(row("later"), /\d{4}-\d{2}-\d{2}/);
    assert.match(list.stderr, /expire(s)? within 14 days/);
    const json = JSON.parse((await as(maintainer, ["token", "list", "--json"])).stdout) as { tokens: { name: string; expiringSoon: boolean }[] };
    assert.deepEqual(
      json.tokens.filter((t) => ["soon", "later"].includes(t.name)).map((t) => [t.name, t.expiringSoon]),
      [
        ["later", false],
        ["soon", true],
      ],
    );

    const revoked = await as(maintainer, ["token", "revoke", soon.id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /✓ revoked soon \(sky_\S+…\)/);
    const refused = await as(soon.token, ["search", "token-probe"]);
    assert.equal(refused.code, 1);
    oneLineError(refused, "UNAUTHENTICATED");
    assert.ok(!(await as(maintainer, ["token", "list"])).stdout.includes("soon "), "a revoked token is no longer listed");
  });

  test("a refused token says why and how to fix it, in one line: INSUFFICIENT_SCOPE, IP_NOT_ALLOWED, TOKEN_EXPIRED", async () => {
    const reader = await create(["--name", "reader", "--scope", "read"]);
    const dir = writeSkillDir(scratch, "scoped-out", { "skill.yaml": skillYaml({ name: "scoped-out", version: "1.0.0" }) });
    const publish = await as(reader.token, ["publish", dir]);
    assert.equal(publish.code, 1);
    assert.match(
      finalError(publish, "INSUFFICIENT_SCOPE"),
      /PUBLISH scope.*To fix: use a token with that scope: `skillyard token create --name <name> --scope <scope>`/,
    );

    const elsewhere = await create(["--name", "elsewhere", "--cidr", "127.0.0.2/32"]);
    const fenced = await as(elsewhere.token, ["search", "token-probe"]);
    assert.equal(fenced.code, 1);
    assert.match(oneLineError(fenced, "IP_NOT_ALLOWED"), /may not be used from 127\.0\.0\.1.*To fix: run this from a network the token allows/);
    const json = await as(elsewhere.token, ["search", "token-probe", "--json"]);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, "IP_NOT_ALLOWED");

    const expiring = await create(["--name", "expiring", "--expires", "1d"]);
    await server.runtime.dataSource.query(`UPDATE api_token SET expires_at = now() - interval '1 minute' WHERE prefix = $1`, [expiring.prefix]);
    const expired = await as(expiring.token, ["search", "token-probe"]);
    assert.equal(expired.code, 1);
    assert.match(oneLineError(expired, "TOKEN_EXPIRED"), /expired at .*To fix: create a new token .*skillyard login/);
  });
});
