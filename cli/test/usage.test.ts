import "reflect-metadata";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TeamRole } from "../../server/src/identity/membership.entity";
import { GlobalRole } from "../../server/src/identity/user.entity";
import { addDays, weekStart } from "../../server/src/usage/usage-weeks";
import { ClaudeSession, logsRequest, postLogs } from "../../server/test/support/claude-telemetry";
import { rollUpAll } from "../../server/test/support/downloads";
import { publishOk } from "../../server/test/support/publish";
import { skillYaml } from "../../server/test/support/seed";
import { startTestServer, type TestServer } from "../../server/test/support/test-server";
import { cliRunner, oneLineError } from "./support/cli";

const DAY_MS = 86_400_000;

/**
 * `skillyard usage` and `skillyard top` against a real server fed Claude Code's OTLP log events
 * through POST /v1/logs with the data team's ingest token (from its managed settings). Events are
 * dated in the two previous weeks and the current one; the tiers are recomputed over the last full
 * weeks as the periodic job does. Thresholds are lowered (High above 5 a week, Medium from 2) so a
 * handful of events make each tier.
 */
describe("skillyard usage and top against a real server with Claude Code telemetry", () => {
  let server: TestServer;
  let scratch: string;
  let member: string;
  let admin: string;
  let publishedFrom: number;
  let publishedTo: number;

  const now = new Date();
  const thisWeek = weekStart(now);
  const lastWeek = addDays(thisWeek, -7);
  const twoWeeksAgo = addDays(thisWeek, -14);
  /** Tuesday 10:00 UTC of a week, or the first second of the current week. */
  const tuesday = (monday: string) => new Date(Date.parse(`${monday}T10:00:00Z`) + DAY_MS);
  const currentWeek = new Date(Date.parse(`${thisWeek}T00:00:01Z`));

  const cli = cliRunner(
    () => server.url,
    () => scratch,
  );
  const asMember = (args: string[]) => cli(args, { token: member });

  /** One Claude Code session: the plugin loads from `marketplace` at `version`, then one invocation per outcome. */
  const session = (o: { user: string; team: string; skill: string; marketplace: string; version: string; at: Date; outcomes: (boolean | undefined)[] }) => {
    const s = new ClaudeSession({ userId: o.user, resource: { team: o.team }, at: o.at });
    s.pluginLoaded(o.skill, o.marketplace, o.version);
    for (const success of o.outcomes) s.invoke({ skill: o.skill, plugin: o.skill, marketplace: o.marketplace, success });
    return s;
  };
  const times = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

  before(
    async () => {
      assert.ok(existsSync(path.join(__dirname, "..", "dist", "src", "main.js")), "build the CLI first: npm run build -w cli");
      scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-cli-usage-"));
      server = await startTestServer({ USAGE_TIER_HIGH_PER_WEEK: "5", USAGE_TIER_MEDIUM_PER_WEEK: "2", USAGE_TIER_WEEKS: "4" });
      admin = (await server.seed.user("usage-admin", [GlobalRole.ADMIN, GlobalRole.REVIEWER])).token;
      const lead = (await server.seed.team("data").member("usage-lead", TeamRole.MAINTAINER)).token;
      member = (await server.seed.team("consumers").member("usage-member")).token;

      publishedFrom = Date.now();
      await publishOk(server, lead, {
        "skill.yaml": skillYaml({ name: "usage-csv", version: "1.0.0", description: "Summarises CSV files column by column." }),
      });
      await publishOk(server, lead, {
        "skill.yaml": skillYaml({ name: "usage-csv", version: "1.1.0", description: "Summarises CSV files column by column." }),
      });
      await publishOk(server, lead, { "skill.yaml": skillYaml({ name: "usage-pdf", version: "1.0.0", description: "Pulls tables out of PDF reports." }) });
      await publishOk(server, lead, { "skill.yaml": skillYaml({ name: "usage-idle", version: "1.0.0", description: "Installed often, never invoked." }) });
      publishedTo = Date.now();

      // The most downloaded and most recent skill is the least used: `top` must not order by either.
      const install = await server.gql(`mutation { installSkill(input: { name: "usage-idle" }) { tenant { name } } }`, {}, member);
      assert.equal(install.errors, undefined, JSON.stringify(install.errors));
      await rollUpAll(server.runtime.dataSource);

      // The data team's ingest token, as its managed settings hand it to Claude Code.
      const settings = await server.gql<{ managedSettings: { env: Record<string, string> } }>(`{ managedSettings(team: "data") }`, {}, admin);
      assert.equal(settings.errors, undefined, JSON.stringify(settings.errors));
      const ingest = settings.data!.managedSettings.env.OTEL_EXPORTER_OTLP_HEADERS.replace(/^Authorization=Bearer /, "");

      const csv = { skill: "usage-csv" };
      const sessions = [
        // Last week: data 12 (alice 8 on 1.0.0, bob 4 on 1.1.0 with one failure), web 4, ops 2, qa 1 (no outcome reported).
        session({ ...csv, user: "alice", team: "data", marketplace: "skillyard", version: "1.0.0", at: tuesday(lastWeek), outcomes: times(8, true) }),
        session({
          ...csv,
          user: "bob",
          team: "data",
          marketplace: "skillyard-stable",
          version: "1.1.0",
          at: tuesday(lastWeek),
          outcomes: [true, true, true, false],
        }),
        session({ ...csv, user: "carol", team: "web", marketplace: "skillyard", version: "1.1.0", at: tuesday(lastWeek), outcomes: times(4, true) }),
        session({ ...csv, user: "dave", team: "ops", marketplace: "skillyard", version: "1.1.0", at: tuesday(lastWeek), outcomes: times(2, true) }),
        session({ ...csv, user: "erin", team: "qa", marketplace: "skillyard", version: "1.1.0", at: tuesday(lastWeek), outcomes: [undefined] }),
        // Two weeks ago: data 5 (alice, 1.0.0).
        session({ ...csv, user: "alice", team: "data", marketplace: "skillyard", version: "1.0.0", at: tuesday(twoWeeksAgo), outcomes: times(5, true) }),
        // This week (not a full week: it counts in the window, not in the tier): data 3, two failures.
        session({ ...csv, user: "alice", team: "data", marketplace: "skillyard", version: "1.1.0", at: currentWeek, outcomes: [true, false, false] }),
        // usage-pdf: 8 last week from web.
        session({
          skill: "usage-pdf",
          user: "frank",
          team: "web",
          marketplace: "skillyard-stable",
          version: "1.0.0",
          at: tuesday(lastWeek),
          outcomes: times(8, true),
        }),
      ];
      const res = await postLogs(server.url, ingest, logsRequest(sessions));
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(await res.json(), {}, "no record was rejected");

      // What the periodic job does: 24 invocations in the last 4 full weeks → 6.0 a week (HIGH); 8 → 2.0 (MEDIUM).
      await server.runtime.services.usageTiers.recompute(new Date());

      const review = await server.gql(
        `mutation { recordQualityReview(input: { skill: "usage-pdf", version: "1.0.0", outcome: PASS, notes: "Tables come out right." }) { id } }`,
        {},
        admin,
      );
      assert.equal(review.errors, undefined, JSON.stringify(review.errors));
    },
    { timeout: 120_000 },
  );
  after(async () => {
    await server?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("usage prints the tier, the window's totals, a weekly table with each week's top teams, versions, teams and the next review", async () => {
    const run = await asMember(["usage", "usage-csv"]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split("\n");
    assert.equal(lines[0], `usage-csv — usage over the last 12 weeks (since ${addDays(thisWeek, -77)})`);
    assert.match(run.stdout, /^ {2}tier {9}HIGH \(6\.0 invocations a week over the last full weeks\)$/m);
    assert.match(run.stdout, /^ {2}invocations {2}27$/m);
    assert.match(run.stdout, /^ {2}users {8}5$/m);
    assert.match(run.stdout, /^ {2}success rate 88\.5%$/m, "23 of 26 outcomes were successes");

    assert.ok(lines.includes("WEEK        INVOCATIONS  TOP TEAMS"), run.stdout);
    const weekRows = lines.filter((l) => /^\d{4}-\d{2}-\d{2} /.test(l));
    assert.equal(weekRows.length, 12, "every week of the window, empty ones included");
    assert.equal(weekRows[0].split(/\s+/)[0], addDays(thisWeek, -77), "oldest first");
    assert.equal(weekRows[11], `${thisWeek}            3  data 3`);
    assert.equal(weekRows[10], `${lastWeek}           19  data 12, web 4, +2 more`);
    assert.equal(weekRows[9], `${twoWeeksAgo}            5  data 5`);
    assert.equal(weekRows[0], `${addDays(thisWeek, -77)}            0  –`);

    const block = (header: RegExp) => {
      const start = lines.findIndex((l) => header.test(l));
      assert.ok(start >= 0, `${header} in:\n${run.stdout}`);
      const end = lines.indexOf("", start);
      return lines.slice(start + 1, end).map((l) => l.split(/\s{2,}/));
    };
    assert.deepEqual(block(/^VERSION\s+INVOCATIONS\s+SUCCESS$/), [
      ["1.1.0", "14", "76.9%"],
      ["1.0.0", "13", "100%"],
    ]);
    assert.deepEqual(block(/^TEAM\s+INVOCATIONS\s+USERS$/), [
      ["data", "20", "2"],
      ["web", "4", "1"],
      ["ops", "2", "1"],
      ["qa", "1", "1"],
    ]);

    const json = JSON.parse((await asMember(["usage", "usage-csv", "--json"])).stdout);
    const dueAt = Date.parse(json.qualityReview.dueAt);
    assert.ok(dueAt >= publishedFrom + 30 * DAY_MS - 1000 && dueAt <= publishedTo + 30 * DAY_MS + 1000, json.qualityReview.dueAt);
    assert.equal(lines.at(-2), `quality review: due ${json.qualityReview.dueAt.slice(0, 10)} (HIGH tier: reviewed every 30 days); never reviewed`);
  });

  test("usage --weeks narrows the window; --json prints the raw data", async () => {
    const run = await asMember(["usage", "usage-csv", "--weeks", "2", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "");
    const parsed = JSON.parse(run.stdout);
    assert.match(parsed.qualityReview.dueAt, /^\d{4}-\d{2}-\d{2}T/);
    assert.deepEqual(parsed, {
      name: "usage-csv",
      usageTier: "HIGH",
      usageWeeklyInvocations: 6,
      usage: {
        weeks: 2,
        from: lastWeek,
        invocations: 22,
        distinctUsers: 5,
        successRate: 18 / 21,
        byWeek: [
          {
            weekStart: lastWeek,
            invocations: 19,
            teams: [
              { team: "data", invocations: 12 },
              { team: "web", invocations: 4 },
              { team: "ops", invocations: 2 },
              { team: "qa", invocations: 1 },
            ],
          },
          { weekStart: thisWeek, invocations: 3, teams: [{ team: "data", invocations: 3 }] },
        ],
        byVersion: [
          { version: "1.1.0", invocations: 14, successRate: 10 / 13 },
          { version: "1.0.0", invocations: 8, successRate: 1 },
        ],
        byTeam: [
          { team: "data", invocations: 15, distinctUsers: 2 },
          { team: "web", invocations: 4, distinctUsers: 1 },
          { team: "ops", invocations: 2, distinctUsers: 1 },
          { team: "qa", invocations: 1, distinctUsers: 1 },
        ],
      },
      qualityReview: { lastReview: null, dueAt: parsed.qualityReview.dueAt, reason: "HIGH tier: reviewed every 30 days" },
    });

    const text = await asMember(["usage", "usage-csv", "--weeks", "1"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^usage-csv — usage over the last 1 week \(since \d{4}-\d{2}-\d{2}\)$/m);
    assert.match(text.stdout, /^ {2}invocations {2}3$/m);
    assert.equal(text.stdout.split("\n").filter((l) => /^\d{4}-\d{2}-\d{2} /.test(l)).length, 1);
  });

  test("a reviewed Medium skill shows its last review and the quarterly due date; an unused Low one has no review due", async () => {
    const pdf = await asMember(["usage", "usage-pdf"]);
    assert.equal(pdf.code, 0, pdf.stderr);
    assert.match(pdf.stdout, /^ {2}tier {9}MEDIUM \(2\.0 invocations a week over the last full weeks\)$/m);
    assert.match(pdf.stdout, /^ {2}success rate 100%$/m);
    const { qualityReview } = JSON.parse((await asMember(["usage", "usage-pdf", "--json"])).stdout);
    const reviewed = Date.parse(qualityReview.lastReview.createdAt);
    assert.equal(qualityReview.lastReview.outcome, "PASS");
    assert.equal(Date.parse(qualityReview.dueAt), reviewed + 91 * DAY_MS, "due a quarter after the last review");
    const [due, on] = [qualityReview.dueAt.slice(0, 10), qualityReview.lastReview.createdAt.slice(0, 10)];
    assert.match(pdf.stdout, new RegExp(`^quality review: due ${due} \\(MEDIUM tier: reviewed every 91 days\\); last review PASS on ${on}$`, "m"));

    const idle = await asMember(["usage", "usage-idle"]);
    assert.equal(idle.code, 0, idle.stderr);
    assert.match(idle.stdout, /^ {2}tier {9}LOW \(0\.0 invocations a week over the last full weeks\)$/m);
    assert.match(idle.stdout, /^ {2}invocations {2}0$/m);
    assert.match(idle.stdout, /^ {2}success rate –$/m);
    assert.match(idle.stdout, /^No invocations reported in the last 12 weeks\.$/m);
    assert.doesNotMatch(idle.stdout, /^VERSION/m);
    assert.match(idle.stdout, /^quality review: no review due yet; never reviewed$/m);

    // A platform update makes every Low-tier skill not reviewed since due at once.
    const update = await server.gql<{ markPlatformUpdate: { createdAt: string } }>(
      `mutation { markPlatformUpdate(input: { kind: CLAUDE_CODE, description: "Claude Code 2.2" }) { createdAt } }`,
      {},
      admin,
    );
    assert.equal(update.errors, undefined, JSON.stringify(update.errors));
    const since = update.data!.markPlatformUpdate.createdAt.slice(0, 10);
    const overdue = await asMember(["usage", "usage-idle"]);
    assert.equal(overdue.code, 0, overdue.stderr);
    assert.match(overdue.stdout, new RegExp(`^quality review: overdue since ${since} \\(platform update: Claude Code 2\\.2\\); never reviewed$`, "m"));
    const unchanged = await asMember(["usage", "usage-pdf"]);
    assert.match(unchanged.stdout, /^quality review: due \S+ \(MEDIUM tier: reviewed every 91 days\)/m, "a Medium skill keeps its cadence");
  });

  test("usage: --weeks outside 1-52 is a usage error (exit 2); anonymous viewers are told to sign in; an unknown skill is NOT_FOUND", async () => {
    for (const weeks of ["0", "53", "two", "1.5"]) {
      const run = await asMember(["usage", "usage-csv", "--weeks", weeks]);
      assert.equal(run.code, 2, `--weeks ${weeks}: ${run.stderr}`);
      assert.equal(oneLineError(run, "BAD_USER_INPUT"), `error BAD_USER_INPUT: --weeks must be a whole number from 1 to 52, not "${weeks}".`);
      assert.equal(run.stdout, "");
    }
    const json = await asMember(["usage", "usage-csv", "--weeks", "0", "--json"]);
    assert.equal(json.code, 2);
    assert.equal(JSON.parse(json.stdout).error.code, "BAD_USER_INPUT");

    const anonymous = await cli(["usage", "usage-csv"]);
    assert.equal(anonymous.code, 1);
    assert.equal(
      oneLineError(anonymous, "UNAUTHENTICATED"),
      "error UNAUTHENTICATED: Usage of usage-csv needs a signed-in API token: run `skillyard login` or set SKILLYARD_TOKEN.",
    );
    assert.equal(anonymous.stdout, "");
    const anonymousJson = await cli(["usage", "usage-csv", "--json"]);
    assert.equal(anonymousJson.code, 1);
    assert.equal(JSON.parse(anonymousJson.stdout).error.code, "UNAUTHENTICATED");

    const unknown = await asMember(["usage", "no-such-skill"]);
    assert.equal(unknown.code, 1);
    assert.equal(oneLineError(unknown, "NOT_FOUND"), 'error NOT_FOUND: There is no skill named "no-such-skill".');
    const unknownJson = await cli(["usage", "no-such-skill", "--json"]);
    assert.deepEqual(JSON.parse(unknownJson.stdout), { error: { code: "NOT_FOUND", message: 'There is no skill named "no-such-skill".' } });
  });

  test("top lists the most-used skills first (not the most downloaded or most recent), for anyone who can list skills", async () => {
    const run = await cli(["top"], { env: { COLUMNS: "100" } });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^NAME\s+TIER\s+PER WEEK\s+DOWNLOADS\s+DESCRIPTION$/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/\s{2,}/)),
      [
        ["usage-csv", "HIGH", "6.0", "↓ 0", "Summarises CSV files column by column."],
        ["usage-pdf", "MEDIUM", "2.0", "↓ 0", "Pulls tables out of PDF reports."],
        ["usage-idle", "LOW", "0.0", "↓ 1", "Installed often, never invoked."],
      ],
    );
    assert.equal(lines[0].indexOf("DOWNLOADS") + "DOWNLOADS".length, lines[1].indexOf("↓ 0") + "↓ 0".length, "right-aligned columns line up");

    const json = await cli(["top", "--limit", "2", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      skills: [
        { name: "usage-csv", description: "Summarises CSV files column by column.", downloads: 0, usageTier: "HIGH", usageWeeklyInvocations: 6 },
        { name: "usage-pdf", description: "Pulls tables out of PDF reports.", downloads: 0, usageTier: "MEDIUM", usageWeeklyInvocations: 2 },
      ],
    });

    for (const limit of ["0", "101", "ten"]) {
      const bad = await cli(["top", "--limit", limit]);
      assert.equal(bad.code, 2, `--limit ${limit}`);
      oneLineError(bad, "BAD_USER_INPUT");
    }
  });
});
