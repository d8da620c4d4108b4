import "reflect-metadata";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { toGlobalId } from "../src/common/global-id";
import { TeamRole } from "../src/identity/membership.entity";
import { GlobalRole } from "../src/identity/user.entity";
import { skillYaml } from "./support/seed";
import { publishOk, uploadAndPublish } from "./support/publish";
import { startTestServer, type GraphQLResponse, type TestServer } from "./support/test-server";

const SET_CHANNEL = `mutation SetChannel($input: SetChannelInput!) {
  setChannel(input: $input) { channel { name movedAt movedBy { id } version { version status } } previousVersion { version } }
}`;
const YANK = `mutation Yank($input: YankVersionInput!) {
  yankVersion(input: $input) { id version status statusReason skill { name latestVersion { version } } }
}`;
const DEPRECATE = `mutation Deprecate($input: DeprecateVersionInput!) {
  deprecateVersion(input: $input) { id version status statusReason deprecation { message replacement { name } } }
}`;
const INSTALL = `mutation Install($input: InstallSkillInput!) {
  installSkill(input: $input) { root { name version range } resolved { name version range } warnings }
}`;
const CHANNELS = `query Channels($name: String!) {
  skill(name: $name) {
    latestVersion { version }
    channels { totalCount edges { node { name movedAt version { version status } } } }
    stable: channel(name: "stable") { name version { version } }
  }
}`;
const AUDIT = `query Audit($skill: String, $action: AuditAction) {
  auditLog(skill: $skill, action: $action) { edges { node { action targetType before after actor { id } } } }
}`;

interface SetChannelResult {
  setChannel: {
    channel: { name: string; movedAt: string | null; movedBy: { id: string } | null; version: { version: string; status: string } | null };
    previousVersion: { version: string } | null;
  };
}
interface VersionResult {
  id: string;
  version: string;
  status: string;
  statusReason: string | null;
  skill?: { name: string; latestVersion: { version: string } | null };
  deprecation?: { message: string; replacement: { name: string } | null } | null;
}
interface InstallResult {
  installSkill: { root: { name: string; version: string; range: string }; resolved: { name: string; version: string; range: string }[]; warnings: string[] };
}
interface ChannelsResult {
  skill: {
    latestVersion: { version: string } | null;
    channels: { totalCount: number; edges: { node: { name: string; movedAt: string | null; version: { version: string; status: string } | null } }[] };
    stable: { name: string; version: { version: string } | null } | null;
  };
}
interface AuditResult {
  auditLog: {
    edges: {
      node: { action: string; targetType: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null; actor: { id: string } | null };
    }[];
  };
}

const codeOf = (res: GraphQLResponse<unknown>) => res.errors?.[0]?.extensions.code;

function ok<T>(res: GraphQLResponse<T>): T {
  assert.equal(res.errors, undefined, JSON.stringify(res.errors));
  return res.data!;
}

describe("channels, yank and deprecate", () => {
  let server: TestServer;
  let maintainer: string;
  let maintainerId: string;
  let member: string;
  let outsider: string;
  let admin: string;
  let installer: string;
  /** Global SkillVersion ids by "name@version". */
  const ids = new Map<string, string>();

  const publish = async (name: string, version: string, dependencies: Record<string, string> = {}) => {
    const published = await publishOk(server, maintainer, { "skill.yaml": skillYaml({ name, version, dependencies }) });
    assert.equal(published.version.status, "PUBLISHED");
    ids.set(`${name}@${version}`, published.version.id);
    return published;
  };
  const idOf = (label: string) => {
    const id = ids.get(label);
    assert.ok(id, `no version ${label} was published`);
    return id;
  };
  // `token` null = anonymous.
  const setChannel = (skill: string, channel: string, version: string, token: string | null = maintainer) =>
    server.gql<SetChannelResult>(SET_CHANNEL, { input: { skill, channel, version } }, token ?? undefined);
  const yank = (label: string, reason: string, token: string | null = maintainer) =>
    server.gql<{ yankVersion: VersionResult }>(YANK, { input: { versionId: idOf(label), reason } }, token ?? undefined);
  const deprecate = (label: string, message: string, replacement: string | null = null, token: string | null = maintainer) =>
    server.gql<{ deprecateVersion: VersionResult }>(DEPRECATE, { input: { versionId: idOf(label), message, replacement } }, token ?? undefined);
  const install = (name: string, range?: string) => server.gql<InstallResult>(INSTALL, { input: { name, range } }, installer);
  const channels = async (name: string) => ok(await server.gql<ChannelsResult>(CHANNELS, { name })).skill;
  const audit = async (skill: string, action: string) => ok(await server.gql<AuditResult>(AUDIT, { skill, action }, admin)).auditLog.edges.map((e) => e.node);

  before(async () => {
    server = await startTestServer();
    const owner = server.seed.team("platform");
    const seededMaintainer = await owner.member("plat-maintainer", TeamRole.MAINTAINER);
    maintainer = seededMaintainer.token;
    maintainerId = toGlobalId("User", seededMaintainer.user.id);
    member = (await owner.member("plat-member", TeamRole.MEMBER)).token;
    // A maintainer, but of another team: that is no right over platform's skills.
    outsider = (await server.seed.team("other").member("other-maintainer", TeamRole.MAINTAINER)).token;
    admin = (await server.seed.user("admin-x", [GlobalRole.ADMIN])).token;
    installer = (await server.seed.team("consumers").member("installer")).token;
  });
  after(() => server.close());

  test("a maintainer points stable at a version, installs by it, rolls back, and every move is audited with before and after", async () => {
    await publish("chan-lib", "1.0.0");
    await publish("chan-lib", "1.1.0");
    await publish("chan-lib", "2.0.0");

    const created = ok(await setChannel("chan-lib", "stable", "1.1.0")).setChannel;
    assert.equal(created.previousVersion, null);
    assert.deepEqual(created.channel.version, { version: "1.1.0", status: "PUBLISHED" });
    assert.equal(created.channel.movedBy?.id, maintainerId);
    assert.ok(created.channel.movedAt);
    let installed = ok(await install("chan-lib", "stable")).installSkill;
    assert.deepEqual(installed.root, { name: "chan-lib", version: "1.1.0", range: "stable" });
    assert.deepEqual(installed.warnings, []);

    const forward = ok(await setChannel("chan-lib", "stable", "2.0.0")).setChannel;
    assert.equal(forward.previousVersion?.version, "1.1.0");
    assert.equal(ok(await install("chan-lib", "stable")).installSkill.root.version, "2.0.0");

    // Rollback is a move back.
    const rollback = ok(await setChannel("chan-lib", "stable", "1.1.0")).setChannel;
    assert.equal(rollback.previousVersion?.version, "2.0.0");
    installed = ok(await install("chan-lib", "stable")).installSkill;
    assert.equal(installed.root.version, "1.1.0");

    ok(await setChannel("chan-lib", "beta", "2.0.0"));
    // Pointing a channel where it already points changes nothing and records nothing.
    assert.equal(ok(await setChannel("chan-lib", "stable", "1.1.0")).setChannel.previousVersion?.version, "1.1.0");

    const skill = await channels("chan-lib");
    assert.equal(skill.channels.totalCount, 3);
    assert.deepEqual(
      skill.channels.edges.map((e) => [e.node.name, e.node.version?.version, e.node.movedAt === null]),
      [
        ["latest", "2.0.0", true],
        ["beta", "2.0.0", false],
        ["stable", "1.1.0", false],
      ],
    );
    assert.deepEqual(skill.stable, { name: "stable", version: { version: "1.1.0" } });

    const moves = await audit("chan-lib", "CHANNEL_MOVE");
    assert.deepEqual(
      moves.map((m) => [m.after?.channel, m.before?.version ?? null, m.after?.version]),
      [
        ["beta", null, "2.0.0"],
        ["stable", "2.0.0", "1.1.0"],
        ["stable", "1.1.0", "2.0.0"],
        ["stable", null, "1.1.0"],
      ],
    );
    for (const m of moves) {
      assert.equal(m.targetType, "SkillChannel");
      assert.equal(m.actor?.id, maintainerId);
    }
  });

  test("only the requested skill resolves through the channel; its dependencies keep their semver ranges", async () => {
    await publish("chan-app", "1.0.0", { "chan-lib": "^1.0.0" });
    await publish("chan-app", "1.1.0", { "chan-lib": "^1.0.0" });
    ok(await setChannel("chan-app", "stable", "1.0.0"));
    ok(await setChannel("chan-lib", "stable", "1.0.0"));
    const installed = ok(await install("chan-app", "stable")).installSkill;
    assert.deepEqual(
      installed.resolved.map((r) => [r.name, r.version, r.range]),
      [
        ["chan-app", "1.0.0", "stable"],
        ["chan-lib", "1.1.0", "^1.0.0"],
      ],
    );
  });

  test("latest follows the highest published version and cannot be set; bad names, versions and channels are refused", async () => {
    await publish("latest-lib", "1.0.0");
    assert.equal((await channels("latest-lib")).channels.edges[0].node.version?.version, "1.0.0");
    await publish("latest-lib", "1.1.0");
    await publish("latest-lib", "2.0.0-beta.1");
    const skill = await channels("latest-lib");
    assert.deepEqual(
      skill.channels.edges.map((e) => [e.node.name, e.node.version?.version]),
      [["latest", "1.1.0"]],
      "a pre-release does not become latest while a stable release exists",
    );
    assert.equal(skill.stable, null);
    assert.equal(ok(await install("latest-lib", "latest")).installSkill.root.version, "1.1.0");

    const latest = await setChannel("latest-lib", "latest", "1.0.0");
    assert.equal(codeOf(latest), "BAD_USER_INPUT");
    assert.match(latest.errors![0].message, /latest.*cannot be set/);
    for (const name of ["Stable", "x", "v1", "-beta", "beta-", "has space", "a".repeat(33), ""]) {
      assert.equal(codeOf(await setChannel("latest-lib", name, "1.0.0")), "BAD_USER_INPUT", `channel name ${JSON.stringify(name)}`);
    }
    assert.equal(codeOf(await setChannel("latest-lib", "a".repeat(32), "1.0.0")), undefined);
    assert.equal(codeOf(await setChannel("latest-lib", "beta", "1.x")), "BAD_USER_INPUT");
    assert.equal(codeOf(await setChannel("latest-lib", "beta", "9.9.9")), "NOT_FOUND");
    assert.equal(codeOf(await setChannel("no-such-skill", "beta", "1.0.0")), "NOT_FOUND");

    const unknownChannel = await install("latest-lib", "nightly");
    assert.equal(codeOf(unknownChannel), "NO_MATCHING_VERSION");
    assert.match(unknownChannel.errors![0].message, /latest-lib has no channel "nightly" \(its channels: latest, a{32}\)/);
    const neither = await install("latest-lib", "Not A Range!");
    assert.equal(codeOf(neither), "BAD_USER_INPUT");
    assert.match(neither.errors![0].message, /neither a semver range nor a channel name/);
  });

  test("a channel can only point at an installable version: pending and yanked ones are refused, deprecated ones allowed", async () => {
    await publish("refuse-lib", "1.0.0");
    const pending = await publish("refuse-lib", "1.1.0");
    await publish("refuse-lib", "1.2.0");
    await server.runtime.dataSource.query(`UPDATE skill_version SET status = 'AWAITING_REVIEW' WHERE package_sha256 = $1`, [pending.version.packageSha256]);
    ok(await yank("refuse-lib@1.2.0", "broken build"));

    const toPending = await setChannel("refuse-lib", "stable", "1.1.0");
    assert.equal(codeOf(toPending), "BAD_USER_INPUT");
    assert.match(toPending.errors![0].message, /AWAITING_REVIEW/);
    const toYanked = await setChannel("refuse-lib", "stable", "1.2.0");
    assert.equal(codeOf(toYanked), "BAD_USER_INPUT");
    assert.match(toYanked.errors![0].message, /YANKED/);

    ok(await deprecate("refuse-lib@1.0.0", "please upgrade"));
    assert.deepEqual(ok(await setChannel("refuse-lib", "stable", "1.0.0")).setChannel.channel.version, { version: "1.0.0", status: "DEPRECATED" });
    assert.equal((await audit("refuse-lib", "CHANNEL_MOVE")).length, 1, "refused moves are not recorded");
  });

  test("yank: ranges and latest skip the version; an exact pin and a channel still resolve to it with a warning", async () => {
    await publish("gate-lib", "1.0.0");
    await publish("gate-lib", "1.2.0");
    await publish("gate-lib", "1.2.3");
    await publish("pinned-app", "1.0.0", { "gate-lib": "1.2.3" });
    ok(await setChannel("gate-lib", "stable", "1.2.3"));
    assert.equal((await channels("gate-lib")).latestVersion?.version, "1.2.3");

    const yanked = ok(await yank("gate-lib@1.2.3", "  leaks tokens  ")).yankVersion;
    assert.equal(yanked.status, "YANKED");
    assert.equal(yanked.statusReason, "leaks tokens");
    assert.equal(yanked.skill?.latestVersion?.version, "1.2.0", "latest moves back off the yanked version");

    const skill = await channels("gate-lib");
    assert.deepEqual(
      skill.channels.edges.map((e) => [e.node.name, e.node.version?.version, e.node.version?.status]),
      [
        ["latest", "1.2.0", "PUBLISHED"],
        ["stable", "1.2.3", "YANKED"],
      ],
    );

    for (const range of ["^1", "~1.2.0", "latest", undefined]) {
      const res = ok(await install("gate-lib", range)).installSkill;
      assert.equal(res.root.version, "1.2.0", `range ${range}`);
      assert.deepEqual(res.warnings, []);
    }
    const exact = ok(await install("gate-lib", "1.2.3")).installSkill;
    assert.equal(exact.root.version, "1.2.3");
    assert.equal(exact.warnings.length, 1);
    assert.match(exact.warnings[0], /^gate-lib@1\.2\.3 was yanked: leaks tokens; installed only because of the exact pin 1\.2\.3/);
    assert.equal(ok(await install("gate-lib", "=1.2.3")).installSkill.root.version, "1.2.3");

    const viaChannel = ok(await install("gate-lib", "stable")).installSkill;
    assert.equal(viaChannel.root.version, "1.2.3");
    assert.match(viaChannel.warnings[0], /gate-lib@1\.2\.3 was yanked: leaks tokens; .*channel "stable"/);

    const viaDependency = ok(await install("pinned-app")).installSkill;
    assert.deepEqual(
      viaDependency.resolved.map((r) => `${r.name}@${r.version}`),
      ["pinned-app@1.0.0", "gate-lib@1.2.3"],
    );
    assert.match(viaDependency.warnings[0], /gate-lib@1\.2\.3 was yanked: leaks tokens; .*needed by pinned-app@1\.0\.0/);

    // Yanking is final, and name@version stays taken.
    assert.equal(codeOf(await yank("gate-lib@1.2.3", "again")), "BAD_USER_INPUT");
    const republish = await uploadAndPublish(server, maintainer, { "skill.yaml": skillYaml({ name: "gate-lib", version: "1.2.3", description: "new bytes" }) });
    assert.equal(codeOf(republish), "VERSION_EXISTS");

    const [event] = await audit("gate-lib", "YANK");
    assert.equal(event.targetType, "SkillVersion");
    assert.equal(event.actor?.id, maintainerId);
    assert.equal(event.before?.status, "PUBLISHED");
    assert.equal(event.after?.status, "YANKED");
    assert.equal(event.after?.statusReason, "leaks tokens");
    assert.deepEqual(event.after?.channels, ["stable"]);

    // A deprecated version can be yanked too; a version that is not out yet cannot.
    ok(await deprecate("gate-lib@1.0.0", "old"));
    assert.equal(ok(await yank("gate-lib@1.0.0", "older still")).yankVersion.status, "YANKED");
    assert.equal(codeOf(await yank("gate-lib@1.2.0", "  ")), "BAD_USER_INPUT", "a reason is required");
    await publish("gate-lib", "1.3.0");
    await server.runtime.dataSource.query(
      `UPDATE skill_version SET status = 'AWAITING_REVIEW' WHERE skill_id = (SELECT id FROM skill WHERE name = 'gate-lib') AND version = '1.3.0'`,
    );
    assert.equal(codeOf(await yank("gate-lib@1.3.0", "not out yet")), "BAD_USER_INPUT");

    // Yanking the last installable version leaves `latest` empty; ranges find nothing.
    ok(await yank("gate-lib@1.2.0", "all gone"));
    assert.equal((await channels("gate-lib")).channels.edges[0].node.version, null);
    assert.equal(codeOf(await install("gate-lib", "^1")), "NO_MATCHING_VERSION");
  });

  test("deprecate: the version stays installable, with a warning naming the message and the replacement", async () => {
    await publish("old-lib", "1.0.0");
    await publish("old-lib", "1.1.0");
    await publish("new-lib", "1.0.0");

    const deprecated = ok(await deprecate("old-lib@1.0.0", "Superseded by new-lib.", "new-lib")).deprecateVersion;
    assert.equal(deprecated.status, "DEPRECATED");
    assert.deepEqual(deprecated.deprecation, { message: "Superseded by new-lib.", replacement: { name: "new-lib" } });

    const exact = ok(await install("old-lib", "1.0.0")).installSkill;
    assert.equal(exact.root.version, "1.0.0");
    assert.deepEqual(exact.warnings, ["old-lib@1.0.0 is deprecated: Superseded by new-lib.; use new-lib instead."]);
    assert.equal(ok(await install("old-lib", "<1.1")).installSkill.root.version, "1.0.0", "ranges still match deprecated versions");
    assert.deepEqual(ok(await install("old-lib", "^1")).installSkill.warnings, []);

    // Without a replacement; a deprecated latest stays latest (it is still installable).
    const noReplacement = ok(await deprecate("old-lib@1.1.0", "Unmaintained")).deprecateVersion;
    assert.deepEqual(noReplacement.deprecation, { message: "Unmaintained", replacement: null });
    const latest = ok(await install("old-lib")).installSkill;
    assert.equal(latest.root.version, "1.1.0");
    assert.deepEqual(latest.warnings, ["old-lib@1.1.0 is deprecated: Unmaintained."]);
    // Deprecating again updates the message and replacement.
    assert.deepEqual(ok(await deprecate("old-lib@1.1.0", "Use new-lib", "new-lib")).deprecateVersion.deprecation, {
      message: "Use new-lib",
      replacement: { name: "new-lib" },
    });

    const missing = await deprecate("old-lib@1.0.0", "x", "no-such-skill");
    assert.equal(codeOf(missing), "NOT_FOUND");
    assert.match(missing.errors![0].message, /no-such-skill/);
    assert.equal(codeOf(await deprecate("old-lib@1.0.0", "x", "old-lib")), "BAD_USER_INPUT");
    assert.equal(codeOf(await deprecate("old-lib@1.0.0", "")), "BAD_USER_INPUT");
    ok(await yank("old-lib@1.0.0", "gone"));
    assert.equal(codeOf(await deprecate("old-lib@1.0.0", "too late")), "BAD_USER_INPUT", "a yanked version cannot be deprecated");

    const events = await audit("old-lib", "DEPRECATE");
    assert.equal(events.length, 3);
    const { replacementSkillId, latestVersionId, ...first } = events.at(-1)?.after ?? {};
    assert.equal(typeof replacementSkillId, "string");
    assert.equal(typeof latestVersionId, "string");
    assert.deepEqual(first, { name: "old-lib", version: "1.0.0", status: "DEPRECATED", statusReason: "Superseded by new-lib.", replacement: "new-lib" });
    assert.equal(events.at(-1)?.before?.status, "PUBLISHED");
    assert.equal(events[0].before?.statusReason, "Unmaintained");
    assert.equal(events[0].after?.replacement, "new-lib");

    const published = await channels("old-lib");
    assert.equal(published.latestVersion?.version, "1.1.0");
  });

  test("channels of every skill in a list are loaded in one query", async () => {
    const listed = `{ skills(first: 50) { edges { node { name channels { edges { node { name version { version } } } } } } } }`;
    server.queries.reset();
    const res = ok(await server.gql<{ skills: { edges: { node: { name: string; channels: { edges: { node: { name: string } }[] } } }[] } }>(listed));
    const chanLib = res.skills.edges.find((e) => e.node.name === "chan-lib");
    assert.deepEqual(
      chanLib?.node.channels.edges.map((e) => e.node.name),
      ["latest", "beta", "stable"],
    );
    assert.ok(res.skills.edges.length > 3);
    const channelQueries = server.queries.statements.filter((q) => /FROM "skill_channel"/.test(q));
    assert.equal(channelQueries.length, 1, channelQueries.join("\n"));
  });

  test("unknown and malformed version ids", async () => {
    const unknown = toGlobalId("SkillVersion", randomUUID());
    assert.equal(codeOf(await server.gql(YANK, { input: { versionId: unknown, reason: "r" } }, admin)), "NOT_FOUND");
    assert.equal(codeOf(await server.gql(DEPRECATE, { input: { versionId: unknown, message: "m" } }, admin)), "NOT_FOUND");
    for (const versionId of ["nope", toGlobalId("Skill", randomUUID())]) {
      assert.equal(codeOf(await server.gql(YANK, { input: { versionId, reason: "r" } }, admin)), "BAD_USER_INPUT");
      assert.equal(codeOf(await server.gql(DEPRECATE, { input: { versionId, message: "m" } }, admin)), "BAD_USER_INPUT");
    }
  });

  test("only maintainers of the owning team and admins may move channels, yank and deprecate", async () => {
    await publish("perm-lib", "1.0.0");
    await publish("perm-lib", "1.1.0");
    await publish("perm-lib", "1.2.0");
    await publish("perm-lib", "1.3.0");
    const actors: { who: string; token: () => string | null; expected: string | undefined; yanks: string }[] = [
      { who: "anonymous", token: () => null, expected: "UNAUTHENTICATED", yanks: "perm-lib@1.3.0" },
      { who: "a maintainer of another team", token: () => outsider, expected: "FORBIDDEN", yanks: "perm-lib@1.3.0" },
      { who: "a MEMBER of the owning team", token: () => member, expected: "FORBIDDEN", yanks: "perm-lib@1.3.0" },
      { who: "a MAINTAINER of the owning team", token: () => maintainer, expected: undefined, yanks: "perm-lib@1.1.0" },
      { who: "an ADMIN", token: () => admin, expected: undefined, yanks: "perm-lib@1.2.0" },
    ];
    for (const { who, token, expected, yanks } of actors) {
      const results = {
        setChannel: await setChannel("perm-lib", "stable", "1.0.0", token()),
        yankVersion: await yank(yanks, "security", token()),
        deprecateVersion: await deprecate("perm-lib@1.0.0", `deprecated by ${who}`, null, token()),
      };
      for (const [mutation, res] of Object.entries(results)) {
        assert.equal(codeOf(res), expected, `${mutation} by ${who}: ${JSON.stringify(res.errors)}`);
      }
    }
    const skill = await channels("perm-lib");
    assert.equal(skill.latestVersion?.version, "1.3.0", "refused yanks changed nothing");
    const yanks = await audit("perm-lib", "YANK");
    assert.equal(yanks.length, 2);
    assert.equal(yanks[0].after?.version, "1.2.0");
    assert.equal(yanks[1].after?.version, "1.1.0");
    assert.equal((await audit("perm-lib", "CHANNEL_MOVE")).length, 1, "the admin's move to the same version was a no-op");
    assert.equal((await audit("perm-lib", "DEPRECATE")).length, 2);
  });
});
