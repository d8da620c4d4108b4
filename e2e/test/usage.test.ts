import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { ClaudeSession, logsRequest, postLogs } from "../support/telemetry";
import { AdminNavigation, AuditLogPage } from "../pages/admin";
import { SkillPage, SkillSearchPage } from "../pages/catalog";
import { ReviewDetailPage, ReviewQueuePage } from "../pages/reviews";
import { SkillUsagePanel, UsagePage } from "../pages/usage";
import { closePagesAfterEachTest, DESKTOP, launchBrowser, MOBILE, saveScreenshot, signedInPage } from "../support/browser";
import { createTeam, createUser, instructionSkill, publish, type SeededUser, waitForVersionStatus } from "../support/seed";
import { startStack, type Stack } from "../support/stack";
import { waitFor } from "../support/wait";

// Usage in the console, seeded through the real telemetry endpoint: Claude Code sessions of three
// teams report plugin skills from Skillyard's marketplace (and a few skills Skillyard does not
// govern) over the last four weeks. The skill page charts a skill's weekly invocations by team with
// its tier, people, success rate and versions; the Usage page lists the most used skills, the
// unmanaged ones and the installs nobody uses; a popular skill's update waits for a reviewer; an
// admin's platform update makes the low-usage skills due for a quality review, which a reviewer
// records (a pass, a refusal for a version yanked meanwhile, and a confirmed pull that deprecates).

const DAY_MS = 86_400_000;

let stack: Stack;
let browser: Browser;
let dana: SeededUser; // maintains data; no global role
let rita: SeededUser; // a reviewer
let csvNextId: string;

/** One invocation as sent, to work out what the pages must show. */
interface Sent {
  skill: string;
  /** A Skillyard skill (plugin from the "skillyard" marketplace) or not. */
  managed: boolean;
  source: string;
  marketplace: string;
  team: string;
  user: string;
  version: string;
  success: boolean;
  at: Date;
}
const sent: Sent[] = [];
let seededAt: Date;

const day = (at: Date) => at.toISOString().slice(0, 10);
const addDays = (isoDay: string, days: number) => new Date(Date.parse(`${isoDay}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
/** The Monday (UTC) of the week holding `at`, as the server counts weeks. */
function weekStart(at: Date): string {
  const midnight = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return addDays(new Date(midnight).toISOString().slice(0, 10), -((new Date(midnight).getUTCDay() + 6) % 7));
}
/** The invocations of a window of `weeks` weeks, the current one included (Skill.usage, usageOverview). */
const inWindow = (weeks: number) => (s: Sent) => day(s.at) >= addDays(weekStart(seededAt), -7 * (weeks - 1));
const of = (skill: string, weeks = 12) => sent.filter((s) => s.skill === skill && inWindow(weeks)(s));
const distinct = (list: readonly Sent[], pick: (s: Sent) => string) => new Set(list.map(pick)).size;
/** Average invocations a week over the last 4 full weeks, as the tier job computes it. */
function weeklyAverage(skill: string): number {
  const to = weekStart(seededAt);
  const from = addDays(to, -28);
  return sent.filter((s) => s.skill === skill && day(s.at) >= from && day(s.at) < to).length / 4;
}
/** Rows grouped by `key`, most invocations first (then by key), as the server orders them. */
function grouped(list: readonly Sent[], key: (s: Sent) => string): { key: string; invocations: number; users: number; successes: number }[] {
  const groups = new Map<string, Sent[]>();
  for (const s of list) groups.set(key(s), [...(groups.get(key(s)) ?? []), s]);
  return [...groups.entries()]
    .map(([k, items]) => ({ key: k, invocations: items.length, users: distinct(items, (s) => s.user), successes: items.filter((s) => s.success).length }))
    .sort((a, b) => b.invocations - a.invocations || (a.key < b.key ? -1 : 1));
}

/**
 * Claude Code sessions over the last 27 days (one per person and day), as managed settings make
 * machines send them: each session loads the plugins it uses, then invokes skills.
 *  - csv-stats (data): about 24 invocations a day from data, web and lab: HIGH tier; 1.0.0, then 1.1.0.
 *  - pdf-extract (lab): 4 a day: MEDIUM tier.
 *  - web-lint (web): one every third day: LOW tier.
 *  - yaml-check (data): installed by web and lab, never invoked.
 *  - sql-helper (a user's own skill), deploy-bot (a plugin from other-market), release-notes (a
 *    project's own skill): unmanaged.
 */
function plan(now: Date): ClaudeSession[] {
  const sessions = new Map<string, ClaudeSession>();
  const loaded = new Set<string>();
  const people: Record<string, string[]> = {
    data: ["dana", "dev", "dora", "dmitri", "dee"],
    web: ["wes", "wanda", "will"],
    lab: ["lee", "lin", "lou"],
  };
  const session = (d: number, team: string, user: string) => {
    const key = `${d}/${team}/${user}`;
    let found = sessions.get(key);
    if (!found) {
      found = new ClaudeSession({ userId: `${user}@corp.example`, resource: { team } });
      sessions.set(key, found);
    }
    return found;
  };
  // A minute apart within each day, starting three hours before this time of day.
  const slots = new Map<number, number>();
  const invoke = (
    d: number,
    team: string,
    user: string,
    skill: string,
    options: { version?: string; success?: boolean; source?: string; marketplace?: string },
  ) => {
    const slot = slots.get(d) ?? 0;
    slots.set(d, slot + 1);
    const at = new Date(now.getTime() - d * DAY_MS - 3 * 3_600_000 + slot * 60_000);
    const claude = session(d, team, user);
    const source = options.source ?? "plugin";
    const marketplace = source === "plugin" ? (options.marketplace ?? "skillyard") : "";
    if (source === "plugin" && !loaded.has(`${claude.sessionId}/${skill}`)) {
      claude.pluginLoaded(skill, marketplace, options.version ?? "", new Date(at.getTime() - 1000));
      loaded.add(`${claude.sessionId}/${skill}`);
    }
    const success = options.success ?? true;
    claude.invoke(source === "plugin" ? { skill, plugin: skill, marketplace, success, at } : { skill, source, success, at });
    sent.push({ skill, managed: marketplace === "skillyard", source, marketplace, team, user, version: options.version ?? "", success, at });
  };

  for (let d = 1; d <= 27; d++) {
    // csv-stats: 1.0.0 until two weeks ago (one call in five failed), then 1.1.0 (one in ten).
    const version = d >= 14 ? "1.0.0" : "1.1.0";
    const csvShare: [string, number][] = [
      ["data", 14],
      ["web", 6],
      ["lab", 4],
    ];
    for (const [team, count] of csvShare) {
      const users = people[team] ?? [];
      for (let i = 0; i < count; i++) {
        const success = version === "1.0.0" ? i % 5 !== 4 : i % 10 !== 9;
        invoke(d, team, users[i % users.length] ?? team, "csv-stats", { version, success });
      }
    }
    for (let i = 0; i < 3; i++) invoke(d, "lab", people["lab"]?.[i] ?? "lee", "pdf-extract", { version: "2.0.0" });
    invoke(d, "data", "dana", "pdf-extract", { version: "2.0.0", success: d % 7 !== 0 });
    if (d % 3 === 0) invoke(d, "web", "wes", "web-lint", { version: d < 12 ? "0.2.0" : "0.1.0" });
    if ([2, 5, 9, 16, 20].includes(d)) invoke(d, d % 2 ? "web" : "data", d % 2 ? "wanda" : "dev", "sql-helper", { source: "userSettings" });
    if ([4, 11, 18].includes(d)) invoke(d, "lab", "lou", "deploy-bot", { version: "3.1.0", marketplace: "other-market" });
    if ([7, 8].includes(d)) invoke(d, "web", "will", "release-notes", { source: "projectSettings" });
  }
  return [...sessions.values()];
}

/** The team's ingest token, from its managed settings (what Claude Code sends as OTEL_EXPORTER_OTLP_HEADERS). */
async function ingestToken(team: string): Promise<string> {
  const data = await stack.gql<{ managedSettings: { env: Record<string, string> } }>(`query ($team: String) { managedSettings(team: $team) }`, { team });
  const header = data.managedSettings.env["OTEL_EXPORTER_OTLP_HEADERS"] ?? "";
  const match = /^Authorization=Bearer (\S+)$/.exec(header);
  assert.ok(match?.[1], `an ingest token in the managed settings (${header})`);
  return match[1];
}

async function usageTier(name: string): Promise<string | null> {
  const data = await stack.gql<{ skill: { usageTier: string } | null }>(`query ($name: String!) { skill(name: $name) { usageTier } }`, { name });
  return data.skill?.usageTier ?? null;
}

before(async () => {
  // Tiers are recomputed by a worker job: every 10 s here (the minimum) instead of hourly.
  stack = await startStack({ USAGE_JOBS_INTERVAL_SECONDS: "10" });
  browser = await launchBrowser();
  dana = await createUser(stack, "dana");
  rita = await createUser(stack, "rita", ["REVIEWER"]);
  const sam = await createUser(stack, "sam");
  const lee = await createUser(stack, "lee");
  await createTeam(stack, "data", { dana: "MAINTAINER" });
  await createTeam(stack, "web", { sam: "MAINTAINER" });
  await createTeam(stack, "lab", { lee: "MAINTAINER" });

  // Instruction-only skills publish at once (no sandbox run).
  const versions = [
    await publish(stack, dana.token, instructionSkill("csv-stats", "1.0.0", { description: "Summary statistics for CSV files." }), "data"),
    await publish(stack, dana.token, instructionSkill("csv-stats", "1.1.0", { description: "Summary statistics for CSV files." }), "data"),
    await publish(
      stack,
      lee.token,
      instructionSkill("pdf-extract", "2.0.0", { description: "Extracts text and tables from PDF files.", category: "documents" }),
      "lab",
    ),
    await publish(stack, sam.token, instructionSkill("web-lint", "0.1.0", { description: "Lints web pages.", category: "code" }), "web"),
    await publish(stack, sam.token, instructionSkill("web-lint", "0.2.0", { description: "Lints web pages.", category: "code" }), "web"),
    await publish(stack, dana.token, instructionSkill("yaml-check", "1.0.0", { description: "Checks YAML files against a schema." }), "data"),
  ];
  await Promise.all(versions.map((version) => waitForVersionStatus(stack, version.id, ["PUBLISHED"])));

  // Installs: data and web use what they installed; web never ran pdf-extract or yaml-check, lab never yaml-check.
  const install = (name: string, tenant: string) =>
    stack.gql(`mutation ($input: InstallSkillInput!) { installSkill(input: $input) { root { version } } }`, { input: { name, tenant } });
  for (const [name, tenant] of [
    ["csv-stats", "data"],
    ["web-lint", "web"],
    ["pdf-extract", "web"],
    ["yaml-check", "web"],
    ["yaml-check", "web"],
    ["yaml-check", "lab"],
  ] as const) {
    await install(name, tenant);
  }

  seededAt = new Date();
  const sessions = plan(seededAt);
  const token = await ingestToken("data");
  // In batches, as exporters send them.
  for (let i = 0; i < sessions.length; i += 40) {
    const response = await postLogs(stack.url, token, logsRequest(sessions.slice(i, i + 40)));
    const body = (await response.json()) as { partialSuccess?: { rejectedLogRecords?: string; errorMessage?: string } };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.partialSuccess, undefined, `every record kept: ${JSON.stringify(body)}`);
  }

  // The worker recomputes tiers every 10 s.
  await waitFor(
    async () => (await usageTier("csv-stats")) === "HIGH" && (await usageTier("pdf-extract")) === "MEDIUM",
    "csv-stats to reach the HIGH tier and pdf-extract MEDIUM",
    60_000,
    500,
  );

  // A new version of a High-tier skill waits for a reviewer, whatever it requests.
  const next = await publish(stack, dana.token, instructionSkill("csv-stats", "1.2.0", { description: "Summary statistics for CSV files." }), "data");
  csvNextId = next.id;
  await waitForVersionStatus(stack, csvNextId, ["AWAITING_REVIEW"]);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

closePagesAfterEachTest();

test("a skill's page charts its weekly invocations by team, with its tier, people, success rate and versions", async () => {
  const page = await signedInPage(browser, stack, dana.token, DESKTOP, "/skills/csv-stats");
  const skill = new SkillPage(page);
  await skill.waitUntilLoaded();
  assert.equal(await page.getByTestId("usage-tier").first().getAttribute("data-tier"), "HIGH", "the page header shows the tier");
  await skill.showTab("usage");
  const usage = new SkillUsagePanel(page);
  await usage.waitUntilLoaded();
  assert.equal(new URL(page.url()).searchParams.get("tab"), "usage");

  const csv = of("csv-stats");
  const successes = csv.filter((s) => s.success).length;
  assert.equal(await usage.stat("tier"), "HIGH");
  assert.equal(await usage.statText("tier"), "high usage");
  assert.equal(Number(await usage.stat("weekly")), weeklyAverage("csv-stats"));
  assert.ok(weeklyAverage("csv-stats") > 100, "above the HIGH threshold");
  assert.equal(Number(await usage.stat("invocations")), csv.length);
  assert.equal(await usage.statText("invocations"), csv.length.toLocaleString("en"));
  assert.equal(
    Number(await usage.stat("users")),
    distinct(csv, (s) => s.user),
  );
  assert.ok(Math.abs(Number(await usage.stat("success")) - successes / csv.length) < 1e-9, "the success rate of the calls sent");
  assert.equal(await usage.statText("success"), `${Number(((successes / csv.length) * 100).toFixed(1))}%`);

  // The chart: one bar segment per week and team with invocations, the teams as its series.
  const weeks = grouped(csv, (s) => weekStart(s.at));
  const cells = new Set(csv.map((s) => `${weekStart(s.at)}/${s.team}`)).size;
  assert.equal(await usage.chartBars(), cells, "an SVG bar segment for each week and team with invocations");
  assert.deepEqual(
    await usage.chartSeries(),
    grouped(csv, (s) => s.team).map((g) => g.key),
    "a series per team, most invocations first",
  );
  const shownWeeks = await usage.weeks();
  assert.equal(Object.keys(shownWeeks).length, 12, "every week of the window, empty ones included");
  for (const week of weeks) assert.equal(shownWeeks[week.key], week.invocations, `invocations in the week of ${week.key}`);
  assert.equal(
    Object.values(shownWeeks).reduce((a, b) => a + b, 0),
    csv.length,
  );

  assert.deepEqual(
    await usage.byTeam(),
    grouped(csv, (s) => s.team).map((g) => ({ team: g.key, invocations: g.invocations, users: g.users })),
  );
  const versions = await usage.byVersion();
  assert.deepEqual(
    versions.map((v) => ({ version: v.version, invocations: v.invocations })),
    grouped(csv, (s) => s.version).map((g) => ({ version: g.key, invocations: g.invocations })),
  );
  for (const group of grouped(csv, (s) => s.version)) {
    const shown = versions.find((v) => v.version === group.key)?.success ?? NaN;
    assert.ok(Math.abs(shown - group.successes / group.invocations) < 1e-9, `success rate of ${group.key}`);
  }

  // Never reviewed: due a month after its first publication (HIGH tier's cadence); dana cannot record one.
  const status = usage.reviewStatus();
  assert.equal(await status.getAttribute("data-due"), "false");
  assert.match((await status.getByTestId("review-due").textContent()) ?? "", /Next review in (30|29) days \(HIGH tier: reviewed every 30 days\)/);
  assert.equal(await status.getByTestId("last-review-none").count(), 1);
  assert.equal(await status.getByTestId("record-review").count(), 0, "recording reviews is for reviewers");
  await page.mouse.move(1, 1);
  await saveScreenshot(page, "skill-usage-panel");

  // A shorter window: only its weeks, kept in the URL.
  await usage.chooseWindow(4);
  assert.equal(new URL(page.url()).searchParams.get("weeks"), "4");
  assert.equal(Number(await usage.stat("invocations")), of("csv-stats", 4).length);
  assert.equal(Object.keys(await usage.weeks()).length, 4);
  await page.reload();
  await usage.waitUntilLoaded();
  assert.equal(await usage.root().getAttribute("data-weeks"), "4", "a reload keeps the window");

  // A skill nobody ran has an empty state, and still its review schedule.
  await skill.open("yaml-check");
  await skill.showTab("usage");
  await usage.empty().waitFor();
  assert.match((await usage.empty().textContent()) ?? "", /No usage reported in the last 12 weeks/);
  assert.equal(await usage.stat("tier"), "LOW");
  assert.match(
    (await usage.reviewStatus().getByTestId("review-due").textContent()) ?? "",
    /Not scheduled: low usage skills are reviewed after significant platform updates/,
  );
});

test("the usage panel reads well on a phone", async () => {
  const page = await signedInPage(browser, stack, rita.token, MOBILE, "/skills/csv-stats?tab=usage");
  const usage = new SkillUsagePanel(page);
  await usage.waitUntilLoaded();
  assert.ok((await usage.chartBars()) > 0, "the chart is drawn");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal page overflow at 390px (${overflow}px)`);
  await saveScreenshot(page, "skill-usage-panel-mobile");
});

test("the Usage page shows reviewers the most used skills, the skills Skillyard does not govern, and installs nobody uses", async () => {
  // Not for plain members: no link, and the page says why.
  const member = await signedInPage(browser, stack, dana.token, DESKTOP, "/");
  assert.ok(!(await new AdminNavigation(member).visibleLinks()).includes("nav-usage"));
  const forbidden = await new UsagePage(member).open();
  await forbidden.forbidden().waitFor();

  const page = await signedInPage(browser, stack, rita.token, DESKTOP, "/skills");
  await new AdminNavigation(page).link("usage").click();
  const usage = new UsagePage(page);
  await usage.waitUntilLoaded();
  await usage.waitForOverview();
  assert.equal(await usage.overview().getAttribute("data-weeks"), "4", "four weeks by default");

  const top = (weeks: number) =>
    grouped(
      sent.filter((s) => s.managed && inWindow(weeks)(s)),
      (s) => s.skill,
    ).map((g) => ({ skill: g.key, invocations: g.invocations, users: g.users }));
  assert.deepEqual(await usage.topSkills(), top(4));
  assert.deepEqual(
    (await usage.topSkills()).map((row) => row.skill),
    ["csv-stats", "pdf-extract", "web-lint"],
  );

  // The unmanaged skills: a security signal, with where they come from and who runs them.
  assert.match((await usage.unmanagedSignal().textContent()) ?? "", /3 skills that Skillyard does not govern were used in this window/);
  const unmanaged = sent.filter((s) => !s.managed && inWindow(4)(s));
  assert.deepEqual(
    await usage.unmanagedSkills(),
    grouped(unmanaged, (s) => s.skill).map((g) => {
      const first = unmanaged.find((s) => s.skill === g.key);
      return {
        name: g.key,
        source: first?.source ?? "",
        marketplace: first?.marketplace ?? "",
        invocations: g.invocations,
        users: g.users,
        teams: [...new Set(unmanaged.filter((s) => s.skill === g.key).map((s) => s.team))].sort(),
      };
    }),
  );
  const section = (await usage.unmanagedSection().textContent()) ?? "";
  assert.match(section, /Security signal/);
  assert.match(section, /Plugins came from other-market\./);
  assert.match(section, /deploy-bot@other-market/);
  assert.match(section, /~\/\.claude\/skills/);

  // Per team, the skills it installed and never ran.
  assert.deepEqual(await usage.reclaimableInstalls(), { web: ["pdf-extract ×1", "yaml-check ×2"], lab: ["yaml-check ×1"] });
  await page.mouse.move(1, 1);
  await saveScreenshot(page, "usage-overview");

  // A longer window, kept in the URL; a top skill opens its usage over the same window.
  await usage.chooseWindow(12);
  assert.equal(new URL(page.url()).searchParams.get("weeks"), "12");
  assert.deepEqual(await usage.topSkills(), top(12));
  await usage.openTopSkill("csv-stats");
  const panel = new SkillUsagePanel(page);
  await panel.waitUntilLoaded();
  assert.equal(await panel.root().getAttribute("data-weeks"), "12");
  assert.equal(Number(await panel.stat("invocations")), of("csv-stats", 12).length);

  // The catalog sorts by usage too.
  const search = await new SkillSearchPage(page).open("?sort=USAGE");
  assert.deepEqual((await search.resultNames()).slice(0, 3), ["csv-stats", "pdf-extract", "web-lint"]);
});

test("the Usage page reads well on a phone", async () => {
  const page = await signedInPage(browser, stack, rita.token, MOBILE, "/usage");
  const usage = new UsagePage(page);
  await usage.waitForOverview();
  await page.getByTestId("top-skill").first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal page overflow at 390px (${overflow}px)`);
  await saveScreenshot(page, "usage-overview-mobile");

  // The quality reviews tab, with the admin's platform update form.
  const admin = await signedInPage(browser, stack, stack.adminToken, MOBILE, "/usage?tab=reviews");
  const reviews = new UsagePage(admin);
  await reviews.showQualityReviews();
  assert.equal(await reviews.canMarkPlatformUpdates(), true);
  const reviewsOverflow = await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(reviewsOverflow <= 0, `no horizontal page overflow at 390px on the quality reviews (${reviewsOverflow}px)`);
  await saveScreenshot(admin, "usage-quality-reviews-mobile");
});

test("a new version of a popular skill waits for a reviewer, who is told it is because of its usage", async () => {
  const page = await signedInPage(browser, stack, rita.token, DESKTOP, "/reviews");
  const queue = new ReviewQueuePage(page);
  await queue.waitUntilLoaded();
  const weekly = Math.round(weeklyAverage("csv-stats"));
  const expected = `Popular skill: HIGH tier, ${weekly.toLocaleString("en")} invocations a week — every update needs a reviewer`;
  assert.match((await queue.row("csv-stats", "1.2.0").getByTestId("queue-reasons").textContent()) ?? "", new RegExp(expected));

  const review = await new ReviewDetailPage(page).open(csvNextId);
  const reason = page.locator('[data-testid="review-reason"][data-kind="USAGE_TIER"]');
  assert.equal((await reason.textContent())?.trim(), expected);
  assert.equal(await review.title().count(), 1);
});

test("an admin marks a platform update and the low-usage skills fall due; a reviewer passes one, after a refusal for a version yanked meanwhile", async () => {
  const admin = await signedInPage(browser, stack, stack.adminToken, DESKTOP, "/usage?tab=reviews");
  const adminUsage = new UsagePage(admin);
  await adminUsage.waitUntilLoaded();
  await adminUsage.showQualityReviews();
  assert.equal(await adminUsage.emptyQueue().count(), 1, "nothing is due yet: every skill was published just now");

  await adminUsage.markPlatformUpdate("Runtime image", "python 3.12 runtime image");
  assert.match((await adminUsage.notice().textContent()) ?? "", /Marked the platform update “python 3.12 runtime image”/);
  // Most-used first: web-lint is run now and then, yaml-check never.
  assert.deepEqual(await adminUsage.waitForDue((skills) => skills.length > 0, "the low-usage skills to fall due"), ["web-lint", "yaml-check"]);
  assert.deepEqual(await adminUsage.dueReviews(), [
    { skill: "web-lint", tier: "LOW", reason: "platform update: python 3.12 runtime image" },
    { skill: "yaml-check", tier: "LOW", reason: "platform update: python 3.12 runtime image" },
  ]);
  assert.match((await adminUsage.platformUpdates())[0] ?? "", /Runtime image.*python 3\.12 runtime image.*admin/);
  await admin.mouse.move(1, 1);
  await saveScreenshot(admin, "usage-quality-reviews");

  // The reviewer sees the update, cannot mark one, and reviews web-lint.
  const page = await signedInPage(browser, stack, rita.token, DESKTOP, "/usage?tab=reviews");
  const usage = new UsagePage(page);
  await usage.waitUntilLoaded();
  await usage.showQualityReviews();
  assert.equal(await usage.canMarkPlatformUpdates(), false);
  assert.equal(await page.getByTestId("platform-update-read-only").count(), 1);
  const dialog = await usage.startReview("web-lint");
  assert.equal(await dialog.version(), "0.2.0", "the latest version is preselected");
  assert.deepEqual(await dialog.versionOptions(), ["0.2.0 (latest)", "0.1.0"]);
  await dialog.chooseVersion("0.1.0");
  await dialog.chooseOutcome("PASS");
  await dialog.fillNotes("Lints the sample pages correctly; instructions are current.");

  // Meanwhile its maintainers yank 0.1.0: the server refuses, and the dialog says so with the code.
  const id = await stack.gql<{ skill: { versions: { edges: { node: { id: string; version: string } }[] } } }>(
    `query { skill(name: "web-lint") { versions(first: 10) { edges { node { id version } } } } }`,
  );
  const old = id.skill.versions.edges.find((edge) => edge.node.version === "0.1.0")?.node.id;
  await stack.gql(`mutation ($input: YankVersionInput!) { yankVersion(input: $input) { status } }`, {
    input: { versionId: old, reason: "Breaks on pages with frames." },
  });
  await dialog.submit();
  assert.equal(await dialog.waitForOutcome(), "refused");
  assert.equal(await dialog.error().getAttribute("data-code"), "QUALITY_REVIEW_INVALID");
  assert.match((await dialog.error().textContent()) ?? "", /web-lint has no installable version 0\.1\.0 to review/);
  await page.mouse.move(1, 1);
  await saveScreenshot(page, "usage-record-review-refused");

  await dialog.chooseVersion("0.2.0");
  await dialog.submit();
  assert.equal(await dialog.waitForOutcome(), "recorded");
  assert.match((await usage.notice().textContent()) ?? "", /Recorded a pass for web-lint@0\.2\.0/);
  assert.deepEqual(await usage.waitForDue((skills) => !skills.includes("web-lint"), "web-lint to leave the queue"), ["yaml-check"]);

  const stored = await stack.gql<{
    skill: {
      qualityReview: { dueAt: string | null; lastReview: { outcome: string; notes: string; reviewer: { handle: string }; version: { version: string } } };
    };
  }>(`query { skill(name: "web-lint") { qualityReview { dueAt lastReview { outcome notes reviewer { handle } version { version } } } } }`);
  assert.deepEqual(stored.skill.qualityReview, {
    dueAt: null,
    lastReview: {
      outcome: "PASS",
      notes: "Lints the sample pages correctly; instructions are current.",
      reviewer: { handle: "rita" },
      version: { version: "0.2.0" },
    },
  });

  // The skill page shows the review.
  const skill = await new SkillPage(page).open("web-lint");
  await skill.showTab("usage");
  const panel = new SkillUsagePanel(page);
  await panel.waitUntilLoaded();
  assert.equal(await panel.lastReview().getAttribute("data-outcome"), "PASS");
  assert.equal(await panel.lastReview().getAttribute("data-version"), "0.2.0");
});

test("pulling a version in a quality review deprecates it, once confirmed", async () => {
  const page = await signedInPage(browser, stack, rita.token, DESKTOP, "/usage?tab=reviews");
  const usage = new UsagePage(page);
  await usage.waitUntilLoaded();
  await usage.showQualityReviews();
  const dialog = await usage.startReview("yaml-check");
  await dialog.chooseOutcome("PULL");
  await dialog.fillNotes("Accepts YAML with duplicate keys; use a schema-aware checker instead.");
  await dialog.submit();
  await dialog.confirmSummary().waitFor();
  assert.match((await dialog.confirmSummary().textContent()) ?? "", /Pulling deprecates yaml-check@1\.0\.0 for everyone/);
  await page.mouse.move(1, 1);
  await saveScreenshot(page, "usage-pull-confirm");
  // Nothing happened yet.
  assert.equal(await versionStatus("yaml-check", "1.0.0"), "PUBLISHED");

  await dialog.confirm();
  assert.equal(await dialog.waitForOutcome(), "recorded");
  assert.match((await usage.notice().textContent()) ?? "", /Pulled yaml-check@1\.0\.0: it is deprecated/);
  await usage.emptyQueue().waitFor();
  assert.equal(await versionStatus("yaml-check", "1.0.0"), "DEPRECATED");

  const skill = await new SkillPage(page).open("yaml-check");
  const row = skill.versionRow("1.0.0");
  assert.equal(await row.getAttribute("data-status"), "DEPRECATED");
  assert.equal(
    ((await row.getByTestId("version-deprecation").textContent()) ?? "").trim(),
    "Pulled after a quality review: Accepts YAML with duplicate keys; use a schema-aware checker instead.",
  );
  await skill.showTab("usage");
  const panel = new SkillUsagePanel(page);
  await panel.waitUntilLoaded();
  assert.equal(await panel.lastReview().getAttribute("data-outcome"), "PULL");

  // Every step is in the audit log, under its own label.
  const audit = await new AuditLogPage(page).open("?skill=yaml-check");
  const actions = await audit.waitForActions((list) => list.includes("QUALITY_REVIEW"), "the quality review in the audit log");
  assert.ok(actions.includes("QUALITY_REVIEW_DUE") && actions.includes("DEPRECATE"), `actions: ${actions.join(", ")}`);
  const labels = await page.getByTestId("audit-action").allTextContents();
  assert.ok(labels.includes("Quality review") && labels.includes("Quality review due"), `labels: ${labels.join(", ")}`);
  await new AuditLogPage(page).open("?action=USAGE_TIER_CHANGE");
  assert.ok((await page.getByTestId("audit-action").allTextContents()).every((label) => label === "Usage tier changed"));
  assert.ok((await page.getByTestId("audit-note").allTextContents()).some((note) => /^low → high: \d+ invocations a week$/.test(note)));
});

async function versionStatus(name: string, version: string): Promise<string | undefined> {
  const data = await stack.gql<{ skill: { versions: { edges: { node: { version: string; status: string } }[] } } }>(
    `query ($name: String!) { skill(name: $name) { versions(first: 20) { edges { node { version status } } } } }`,
    { name },
  );
  return data.skill.versions.edges.find((edge) => edge.node.version === version)?.node.status;
}
