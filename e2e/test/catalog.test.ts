import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { SkillPage, SkillSearchPage } from "../pages/catalog";
import { closePagesAfterEachTest, DESKTOP, launchBrowser, MOBILE, saveScreenshot, signedInPage } from "../support/browser";
import { createTeam, createUser, publish, pythonSkill, type SeededUser, waitForVersionStatus } from "../support/seed";
import { startStack, type Stack } from "../support/stack";

// The catalog end to end: published skills are found by a search whose state lives in the URL;
// a skill's page shows its versions (with their test runs) and which teams installed it; only the
// owning team's maintainers get the maintainer actions, and a yank, a deprecation (after a refused
// attempt, shown with its code) and a new channel show on the page at once.

let stack: Stack;
let browser: Browser;
let maintainer: SeededUser;
let outsider: SeededUser;
const versionIds: Record<string, string> = {};

before(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  maintainer = await createUser(stack, "maya");
  outsider = await createUser(stack, "otto");
  await createTeam(stack, "docs", { maya: "MAINTAINER" });
  await createTeam(stack, "ops", { otto: "MAINTAINER" });

  const pdf = { description: "Extract text and tables from PDF files.", category: "documents", tags: ["pdf", "extraction"] };
  const published = [
    ["pdf-tools@1.0.0", await publish(stack, maintainer.token, pythonSkill("pdf-tools", "1.0.0", pdf))],
    ["pdf-tools@1.1.0", await publish(stack, maintainer.token, pythonSkill("pdf-tools", "1.1.0", pdf))],
    [
      "csv-cleaner@0.3.0",
      await publish(
        stack,
        outsider.token,
        pythonSkill("csv-cleaner", "0.3.0", { description: "Normalise messy CSV exports.", category: "data", tags: ["csv"] }),
      ),
    ],
    [
      "report-builder@2.0.0",
      await publish(
        stack,
        outsider.token,
        pythonSkill("report-builder", "2.0.0", {
          description: "Builds PDF reports from CSV data.",
          category: "documents",
          tags: ["reports"],
          dependencies: { "pdf-tools": "^1.0.0" },
        }),
      ),
    ],
  ] as const;
  for (const [label, version] of published) versionIds[label] = version.id;
  await Promise.all(published.map(([, version]) => waitForVersionStatus(stack, version.id, ["PUBLISHED"])));

  // The ops team installs pdf-tools (the latest version, 1.1.0).
  await stack.gql(`mutation { installSkill(input: { name: "pdf-tools", tenant: "ops" }) { root { version } } }`, {}, outsider.token);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

closePagesAfterEachTest();

test("a search finds skills by a term, and survives a reload and the back button", async () => {
  const page = await signedInPage(browser, stack, outsider.token, DESKTOP, "/skills");
  const search = new SkillSearchPage(page);
  await search.waitUntilLoaded();
  await search.waitForResults((names) => names.length === 3, "every published skill listed");

  await search.search("pdf");
  const found = await search.waitForResults((names) => names.length === 2, "the search for pdf");
  assert.deepEqual([...found].sort(), ["pdf-tools", "report-builder"]);
  assert.equal(new URL(page.url()).searchParams.get("q"), "pdf", "the search is in the URL");
  assert.match((await search.result("pdf-tools").textContent()) ?? "", /1\.1\.0/, "the latest version is listed");
  assert.match((await search.result("pdf-tools").textContent()) ?? "", /by docs/, "the owner team is listed");

  await page.reload();
  await search.waitUntilLoaded();
  assert.equal(await search.searchInput().inputValue(), "pdf");
  assert.deepEqual([...(await search.waitForResults((names) => names.length === 2, "the reloaded search"))].sort(), ["pdf-tools", "report-builder"]);
  await saveScreenshot(page, "catalog-search");

  // Open a skill, then come back: the search is still there.
  const skill = await search.openSkill("pdf-tools");
  assert.equal(await skill.title().textContent(), "pdf-tools");
  await page.goBack();
  await search.waitUntilLoaded();
  assert.equal(await search.searchInput().inputValue(), "pdf");
  await search.waitForResults((names) => names.length === 2, "the search after going back");

  await search.search("zzzqqq");
  await search.emptyState().waitFor();
  assert.match((await search.emptyState().textContent()) ?? "", /No skills match “zzzqqq”/);
});

test("a skill's page shows its versions, their test runs and installs per team; an outsider gets no maintainer actions", async () => {
  const page = await signedInPage(browser, stack, outsider.token, DESKTOP, "/skills/pdf-tools");
  const skill = new SkillPage(page);
  await skill.waitUntilLoaded();
  assert.deepEqual(await skill.versionStatuses(), [
    ["1.1.0", "PUBLISHED"],
    ["1.0.0", "PUBLISHED"],
  ]);
  const runLink = skill.versionRow("1.1.0").getByTestId("version-test-run-link");
  assert.match((await runLink.getAttribute("href")) ?? "", /\/admin\/runs\/.+/);
  assert.equal(await runLink.getByTestId("run-status").getAttribute("data-status"), "PASSED");

  // Not a maintainer of docs: no action anywhere, and the page says who may act.
  assert.equal(await skill.maintainerControls().count(), 0);
  assert.match((await skill.maintainerActionsHidden().textContent()) ?? "", /maintainers of docs/);

  await skill.showTab("installs");
  await skill.installRow("ops").waitFor();
  assert.equal(await skill.installRow("ops").getAttribute("data-installs"), "1");
  assert.match((await skill.installRow("ops").textContent()) ?? "", /1\.1\.0/, "the version ops installed");

  await skill.showTab("channels");
  await skill.channelRow("latest").waitFor();
  assert.equal(await skill.channelRow("latest").getAttribute("data-version"), "1.1.0");
  assert.equal(await skill.maintainerControls().count(), 0);

  // The test run link leads to the run.
  await skill.showTab("versions");
  await skill.versionRow("1.1.0").getByTestId("version-test-run-link").click();
  await page.getByTestId("run-log").waitFor();
  assert.match((await page.getByTestId("page-title").textContent()) ?? "", /pdf-tools@1\.1\.0/);
});

test("a maintainer yanks a version with a reason, deprecates another and moves a channel", async () => {
  const page = await signedInPage(browser, stack, maintainer.token, DESKTOP, "/skills/pdf-tools");
  const skill = new SkillPage(page);
  await skill.waitUntilLoaded();
  await skill.versionRow("1.0.0").waitFor();
  // The pointer rests where the sign-in button was: move it so no hover tooltip is in the picture.
  await page.mouse.move(1, 1);
  await page.getByRole("tooltip").waitFor({ state: "detached" });
  await saveScreenshot(page, "skill-page");

  // Yank 1.0.0: the reason is required, and the confirm step repeats it.
  const yank = await skill.startAction("1.0.0", "yank");
  assert.equal(await yank.continueButton().isDisabled(), true);
  assert.match((await yank.incomplete().textContent()) ?? "", /reason/i);
  const reason = "Leaks the API key in its debug logs";
  await yank.field("yank-reason").fill(reason);
  await yank.continue();
  assert.match((await yank.summary().textContent()) ?? "", new RegExp(reason));
  await yank.confirm();
  await yank.waitUntilClosed();
  assert.match((await skill.notice().textContent()) ?? "", /pdf-tools@1\.0\.0 is yanked/);
  assert.equal(await skill.versionRow("1.0.0").getAttribute("data-status"), "YANKED");
  assert.match((await skill.versionRow("1.0.0").textContent()) ?? "", new RegExp(reason));
  const stored = await stack.gql<{ node: { status: string; statusReason: string } }>(
    `query ($id: ID!) { node(id: $id) { ... on SkillVersion { status statusReason } } }`,
    { id: versionIds["pdf-tools@1.0.0"] },
  );
  assert.deepEqual(stored.node, { status: "YANKED", statusReason: reason });

  // A yanked version cannot be yanked again, and the menu says why.
  await skill.versionRow("1.0.0").getByTestId("version-actions").click();
  assert.equal(await skill.actionItem("yank").isDisabled(), true);
  assert.match((await skill.actionItem("yank").textContent()) ?? "", /Already yanked/);
  await skill.closeActionsMenu();

  // Deprecate 1.1.0 naming a replacement that does not exist: refused inline, with its code.
  const deprecate = await skill.startAction("1.1.0", "deprecate");
  await deprecate.field("deprecate-message").fill("Use csv-cleaner for tables now.");
  await deprecate.field("deprecate-replacement").fill("no-such-skill");
  await deprecate.continue();
  await deprecate.confirm();
  await deprecate.error().waitFor();
  assert.equal(await deprecate.error().getAttribute("data-code"), "NOT_FOUND");
  assert.match((await deprecate.error().textContent()) ?? "", /no-such-skill/);
  await deprecate.back();
  await deprecate.field("deprecate-replacement").fill("csv-cleaner");
  await deprecate.continue();
  await deprecate.confirm();
  await deprecate.waitUntilClosed();
  assert.equal(await skill.versionRow("1.1.0").getAttribute("data-status"), "DEPRECATED");
  assert.match((await skill.versionRow("1.1.0").textContent()) ?? "", /Use csv-cleaner instead/);

  // A new channel, pointed at the deprecated (still installable) version.
  const channel = await skill.startNewChannel();
  await channel.field("channel-name").fill("stable");
  await channel.select("channel-version", "1.1.0 (deprecated)");
  await channel.field("channel-reason").fill("Promoted for the docs team (ticket DOC-12)");
  await channel.continue();
  assert.match((await channel.summary().textContent()) ?? "", /A new channel stable will point at 1\.1\.0/);
  assert.match((await channel.summary().textContent()) ?? "", /Promoted for the docs team \(ticket DOC-12\)/);
  await channel.confirm();
  await channel.waitUntilClosed();
  await skill.channelRow("stable").waitFor();
  assert.equal(await skill.channelRow("stable").getAttribute("data-version"), "1.1.0");
  // The reason is kept with the move in the audit log.
  const moves = await stack.gql<{ auditLog: { edges: { node: { after: { channel: string; reason: string | null } } }[] } }>(
    `query { auditLog(action: CHANNEL_MOVE, skill: "pdf-tools", first: 10) { edges { node { after } } } }`,
  );
  assert.deepEqual(
    moves.auditLog.edges.map((edge) => [edge.node.after.channel, edge.node.after.reason]),
    [["stable", "Promoted for the docs team (ticket DOC-12)"]],
  );
});

test("the skill page reads well on a phone", async () => {
  const page = await signedInPage(browser, stack, maintainer.token, MOBILE, "/skills/pdf-tools");
  const skill = new SkillPage(page);
  await skill.waitUntilLoaded();
  await skill.versionRow("1.1.0").waitFor();
  // Maintainer actions stay reachable on a phone (cards, not a table scrolled sideways).
  assert.ok(await skill.versionRow("1.1.0").getByTestId("version-actions").isVisible());
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal page overflow at 390px (${overflow}px)`);
  await saveScreenshot(page, "skill-page-mobile");
});
