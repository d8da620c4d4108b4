import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { AdminNavigation } from "../pages/admin";
import { SkillPage } from "../pages/catalog";
import { DistributionPage } from "../pages/distribution";
import { closePagesAfterEachTest, DESKTOP, launchBrowser, MOBILE, saveScreenshot, signedInPage } from "../support/browser";
import { createTeam, createUser, publish, pythonSkill, type SeededUser, waitForVersionStatus } from "../support/seed";
import { startStack, type Stack } from "../support/stack";

// Distribution in the console: the marketplaces Claude Code adds, which skills each team's machines
// are given (admins for everyone and every team, maintainers for their own, members read), the
// runtime policy (admins edit; a bad expression is pinned to its row and field), the managed
// settings preview with its download, and the install commands on a skill's page.

let stack: Stack;
let browser: Browser;
let dana: SeededUser; // maintains data and lab
let sam: SeededUser; // maintains lab and web
let mo: SeededUser; // a member of data
const pluginSha: Record<string, string> = {};

async function requirements(team: string | null): Promise<string[]> {
  const data = await stack.gql<{ requiredSkills: { skill: { name: string }; team: { name: string } | null }[] }>(
    `query ($team: String) { requiredSkills(team: $team) { skill { name } team { name } } }`,
    { team },
  );
  return data.requiredSkills.map((r) => `${r.skill.name}${r.team ? "" : " (everyone)"}`).sort();
}

before(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  dana = await createUser(stack, "dana");
  sam = await createUser(stack, "sam");
  mo = await createUser(stack, "mo");
  await createTeam(stack, "data", { dana: "MAINTAINER", mo: "MEMBER" });
  await createTeam(stack, "lab", { dana: "MAINTAINER", sam: "MAINTAINER" });
  await createTeam(stack, "web", { sam: "MAINTAINER" });

  const csv = { description: "Summary statistics for CSV files.", tags: ["csv"] };
  const versions = {
    "csv-stats@1.0.0": await publish(stack, dana.token, pythonSkill("csv-stats", "1.0.0", csv), "data"),
    "csv-stats@1.1.0": await publish(stack, dana.token, pythonSkill("csv-stats", "1.1.0", csv), "data"),
    "web-lint@0.1.0": await publish(stack, sam.token, pythonSkill("web-lint", "0.1.0", { description: "Lints web pages.", category: "code" }), "web"),
  };
  await Promise.all(Object.values(versions).map((version) => waitForVersionStatus(stack, version.id, ["PUBLISHED"])));
  await stack.gql(
    `mutation { setChannel(input: { skill: "csv-stats", channel: "stable", version: "1.0.0", reason: "the first release" }) { channel { name } } }`,
  );
  for (const [label, version] of Object.entries(versions)) {
    const data = await stack.gql<{ node: { plugin: { sha256: string } | null } }>(
      `query ($id: ID!) { node(id: $id) { ... on SkillVersion { plugin { sha256 } } } }`,
      {
        id: version.id,
      },
    );
    assert.ok(data.node.plugin, `${label} has its plugin archive`);
    pluginSha[label] = data.node.plugin.sha256;
  }
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

closePagesAfterEachTest();

test("the marketplaces tab lists the base catalog and each channel's, each with the command that adds it", async () => {
  const page = await signedInPage(browser, stack, mo.token, DESKTOP, "/");
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await new AdminNavigation(page).link("distribution").click();
  const distribution = new DistributionPage(page);
  await distribution.waitUntilLoaded();

  assert.deepEqual(await distribution.marketplaceNames(), ["skillyard", "skillyard-stable"]);
  assert.equal(await distribution.addCommand("skillyard"), `claude plugin marketplace add '${stack.url}/marketplace.json'`);
  assert.equal(await distribution.addCommand("skillyard-stable"), `claude plugin marketplace add '${stack.url}/marketplace.json?channel=stable'`);
  assert.match((await distribution.marketplace("skillyard").textContent()) ?? "", /latest approved version/);
  assert.match((await distribution.marketplace("skillyard-stable").textContent()) ?? "", /its stable channel points at/);

  await distribution.copyAddCommand("skillyard-stable");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `claude plugin marketplace add '${stack.url}/marketplace.json?channel=stable'`);
  await saveScreenshot(page, "distribution-marketplaces");
});

test("an admin requires a skill for a team and for everyone; the team's list marks the organisation-wide one", async () => {
  const page = await signedInPage(browser, stack, stack.adminToken, DESKTOP, "/distribution");
  const distribution = new DistributionPage(page);
  await distribution.waitUntilLoaded();

  await distribution.viewRequiredSkills("data");
  assert.equal(await distribution.canChangeRequiredSkills(), true);
  assert.equal(new URL(page.url()).searchParams.get("team"), "data", "the team is in the URL");
  await distribution.requireSkill("csv-stats", { team: "data" });
  assert.match((await distribution.requiredNotice().textContent()) ?? "", /csv-stats is now required for data/);
  assert.deepEqual(await distribution.requiredSkills(), ["csv-stats"]);

  await distribution.requireSkill("web-lint", { team: null });
  assert.match((await distribution.requiredNotice().textContent()) ?? "", /web-lint is now required for everyone/);
  assert.deepEqual(await distribution.requiredSkills(), ["web-lint (everyone)"]);
  assert.deepEqual(await requirements(null), ["csv-stats", "web-lint (everyone)"]);

  // data's machines get both; the organisation-wide one is marked, and is removed under Everyone only.
  await distribution.viewRequiredSkills("data");
  assert.deepEqual((await distribution.requiredSkills()).sort(), ["csv-stats", "web-lint (everyone)"]);
  assert.equal(await distribution.requiredRow("web-lint", null).getByTestId("organisation-wide").count(), 1);
  assert.equal(await distribution.requiredRow("web-lint", null).getByTestId("required-remove").count(), 0);
  await page.mouse.move(1, 1);
  await saveScreenshot(page, "distribution-required-skills");

  // Requiring it again changes nothing, and says so.
  await distribution.requireSkill("csv-stats", { team: "data" });
  assert.match((await distribution.requiredNotice().textContent()) ?? "", /csv-stats was already required for data/);

  // A reload keeps the team (it is in the URL); a removal takes the row away.
  await page.reload();
  await distribution.waitUntilLoaded();
  await distribution.viewRequiredSkills("data");
  await distribution.requireSkill("web-lint", { team: "data" });
  assert.deepEqual((await distribution.requiredSkills()).sort(), ["csv-stats", "web-lint", "web-lint (everyone)"]);
  await distribution.stopRequiring("web-lint", { team: "data" });
  assert.match((await distribution.requiredNotice().textContent()) ?? "", /web-lint is no longer required for data/);
  assert.deepEqual((await distribution.requiredSkills()).sort(), ["csv-stats", "web-lint (everyone)"]);
  assert.deepEqual(await requirements("data"), ["csv-stats", "web-lint (everyone)"]);
});

test("a maintainer changes only their own team's required skills, and the server's refusals show inline", async () => {
  const page = await signedInPage(browser, stack, dana.token, DESKTOP, "/distribution?tab=required");
  const distribution = new DistributionPage(page);
  await distribution.waitUntilLoaded();

  // Everyone's list and another team's are read only.
  await distribution.viewRequiredSkills(null);
  assert.equal(await distribution.canChangeRequiredSkills(), false);
  assert.match((await distribution.requiredReadOnlyNote().textContent()) ?? "", /Only admins choose what everyone gets/);
  await distribution.viewRequiredSkills("web");
  assert.equal(await distribution.canChangeRequiredSkills(), false);
  assert.match((await distribution.requiredReadOnlyNote().textContent()) ?? "", /Only maintainers of web and admins/);
  assert.equal(await page.getByTestId("required-add").count(), 0);

  // lab is hers to change; a skill that does not exist is refused by the server, with its code.
  await distribution.requireSkill("no-such-skill", { team: "lab" });
  assert.equal(await distribution.requiredError().getAttribute("data-code"), "NOT_FOUND");
  assert.match((await distribution.requiredError().textContent()) ?? "", /no skill named "no-such-skill"/);
  await distribution.requireSkill("csv-stats", { team: "lab" });
  assert.deepEqual((await distribution.requiredSkills()).sort(), ["csv-stats", "web-lint (everyone)"]);
  assert.deepEqual(await requirements("lab"), ["csv-stats", "web-lint (everyone)"]);

  // She stops maintaining lab while the page is open: the server refuses the next change, and the page says why.
  await stack.gql(`mutation { removeTeamMember(input: { team: "lab", user: "dana" }) { role } }`);
  await distribution.requireSkill("web-lint", { team: "lab" });
  assert.equal(await distribution.requiredError().getAttribute("data-code"), "FORBIDDEN");
  assert.match((await distribution.requiredError().textContent()) ?? "", /Only maintainers of team "lab"/);
  assert.deepEqual(await requirements("lab"), ["csv-stats", "web-lint (everyone)"]);

  // A team that does not exist: the list says so in the server's words.
  await distribution.viewRequiredSkills("no-such-team");
  assert.match((await distribution.requiredPanel().getByTestId("error-state").textContent()) ?? "", /There is no team named "no-such-team"/);
});

test("a member sees what machines get and the runtime policy, and changes neither", async () => {
  const page = await signedInPage(browser, stack, mo.token, DESKTOP, "/distribution?tab=required&team=data");
  const distribution = new DistributionPage(page);
  await distribution.waitUntilLoaded();
  await distribution.viewRequiredSkills("data");
  assert.deepEqual((await distribution.requiredSkills()).sort(), ["csv-stats", "web-lint (everyone)"]);
  assert.equal(await distribution.canChangeRequiredSkills(), false);
  assert.equal(await page.getByTestId("required-add").count(), 0);
  assert.equal(await page.getByTestId("required-remove").count(), 0);

  const policy = await distribution.policyEditor();
  assert.equal(await policy.isEditable(), false);
  assert.match((await policy.readOnlyNote().textContent()) ?? "", /Only admins edit the runtime policy/);
  assert.ok((await policy.rules()).length > 0, "the rules in force are listed");

  const preview = await distribution.settingsPreview();
  assert.match((await preview.notAllowed().textContent()) ?? "", /only admins and a team’s maintainers generate them/);
});

test("an admin edits the runtime policy: a bad expression marks its row and field, and the fixed rules save as a new version", async () => {
  const page = await signedInPage(browser, stack, stack.adminToken, DESKTOP, "/distribution?tab=policy");
  const distribution = new DistributionPage(page);
  await distribution.waitUntilLoaded();
  const policy = await distribution.policyEditor();
  const version = await policy.version();
  const saved = await policy.rules();
  assert.match((await policy.savedBy().textContent()) ?? "", /Skillyard’s defaults/);

  // Edits show as unsaved, and Discard brings the saved rules back.
  await policy.editRule(0, "reason", "Changed my mind.");
  assert.equal(await policy.row(0).getAttribute("data-state"), "edited");
  await policy.removeRule(1);
  assert.equal(await policy.rows().count(), saved.length - 1);
  assert.match((await policy.unsaved().textContent()) ?? "", /1 edited, 1 removed/);
  await policy.discard();
  assert.deepEqual(await policy.rules(), saved);

  // A rule whose pattern grep -E refuses: the server's message under that field of that row.
  const index = saved.length;
  await policy.addRule({ tools: "^Bash$", pattern: "rm -rf (/", reason: "Deleting the root is never wanted." });
  assert.match((await policy.unsaved().textContent()) ?? "", /1 rule added\. Saving makes version/);
  await policy.save();
  assert.equal(await policy.error().getAttribute("data-code"), "BAD_USER_INPUT");
  assert.deepEqual(await policy.markedField(index), {
    field: "pattern",
    message: `Rule ${index + 1}'s pattern is not a POSIX extended regular expression (grep -E refuses it).`,
  });
  assert.deepEqual(await policy.markedField(0), { field: null, message: null }, "only the named row is marked");
  await page.mouse.move(1, 1);
  await saveScreenshot(page, "distribution-policy-error");

  await policy.editRule(index, "pattern", "rm[[:space:]]+-rf[[:space:]]+/([[:space:]]|$)");
  assert.deepEqual(await policy.markedField(index), { field: null, message: null }, "fixing the field clears its mark");
  await policy.save();
  assert.match((await policy.savedNotice().textContent()) ?? "", new RegExp(`Saved as version ${version + 1}`));
  assert.equal(await policy.version(), version + 1);
  assert.match((await policy.savedBy().textContent()) ?? "", /saved by admin/);
  assert.equal(await policy.unsaved().count(), 0);

  const stored = await stack.gql<{ runtimePolicy: { version: number; rules: { tools: string; pattern: string; reason: string }[] } }>(
    `query { runtimePolicy { version rules { tools pattern reason } } }`,
  );
  assert.equal(stored.runtimePolicy.version, version + 1);
  assert.deepEqual(stored.runtimePolicy.rules, [
    ...saved,
    { tools: "^Bash$", pattern: "rm[[:space:]]+-rf[[:space:]]+/([[:space:]]|$)", reason: "Deleting the root is never wanted." },
  ]);
  await saveScreenshot(page, "distribution-policy");
});

test("the managed settings preview shows the team's settings with its required skill enabled, and downloads them", async () => {
  await stack.gql(`mutation { setRequiredSkill(input: { skill: "csv-stats", team: "data", required: true }) { required } }`);
  const page = await signedInPage(browser, stack, dana.token, DESKTOP, "/distribution?tab=settings");
  const distribution = new DistributionPage(page);
  await distribution.waitUntilLoaded();
  const preview = await distribution.settingsPreview();

  await preview.generate({ channel: "stable", team: "data" });
  assert.equal(await preview.cliCommand(), "skillyard settings managed --channel stable --team data > managed-settings.json");
  const settings = await preview.settings();
  // csv-stats from the stable channel; web-lint (required for everyone) has no stable version, so it comes from the base catalog.
  assert.deepEqual(settings["enabledPlugins"], {
    "skillyard-policy@skillyard-stable": true,
    "csv-stats@skillyard-stable": true,
    "web-lint@skillyard": true,
  });
  assert.deepEqual(Object.keys(settings["extraKnownMarketplaces"] as object).sort(), ["skillyard", "skillyard-stable"]);
  assert.equal((settings["env"] as Record<string, string>)["OTEL_RESOURCE_ATTRIBUTES"], "team=data");
  await page.mouse.move(1, 1);
  await saveScreenshot(page, "distribution-managed-settings");

  const file = await preview.download();
  assert.equal(file.filename, "managed-settings.json");
  assert.deepEqual(JSON.parse(file.content), settings, "the file holds the settings shown");

  // The file carries tokens: it is not kept where the browser stores data.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.ok(!stored.includes("OTEL_EXPORTER_OTLP_HEADERS"), "no settings in web storage");

  // Another choice hides what was generated for the previous one.
  await preview.generate({ channel: null, team: "data" });
  assert.equal(await preview.cliCommand(), "skillyard settings managed --team data > managed-settings.json");
  assert.deepEqual((await preview.settings())["enabledPlugins"], {
    "skillyard-policy@skillyard": true,
    "csv-stats@skillyard": true,
    "web-lint@skillyard": true,
  });
  await preview.hide();
});

test("a skill's page shows how to install it in Claude Code from latest and from each channel, with the plugin's sha256", async () => {
  const page = await signedInPage(browser, stack, mo.token, DESKTOP, "/skills/csv-stats");
  const skill = new SkillPage(page);
  await skill.waitUntilLoaded();
  await skill.showTab("claude-code");
  await skill.claudeCodeChannel("latest").waitFor();
  assert.deepEqual(await skill.claudeCodeInstructions("latest"), {
    addMarketplace: `claude plugin marketplace add '${stack.url}/marketplace.json'`,
    install: "claude plugin install csv-stats@skillyard",
    sha256: pluginSha["csv-stats@1.1.0"],
  });
  assert.deepEqual(await skill.claudeCodeInstructions("stable"), {
    addMarketplace: `claude plugin marketplace add '${stack.url}/marketplace.json?channel=stable'`,
    install: "claude plugin install csv-stats@skillyard-stable",
    sha256: pluginSha["csv-stats@1.0.0"],
  });
  await page.mouse.move(1, 1);
  await saveScreenshot(page, "skill-page-claude-code");
});

test("the distribution page reads well on a phone", async () => {
  const page = await signedInPage(browser, stack, stack.adminToken, MOBILE, "/distribution?tab=policy");
  const distribution = new DistributionPage(page);
  await distribution.waitUntilLoaded();
  await (await distribution.policyEditor()).row(0).waitFor();
  for (const tab of ["marketplaces", "required", "policy", "settings"] as const) {
    await distribution.showTab(tab);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal page overflow at 390px on ${tab} (${overflow}px)`);
  }
  await distribution.showTab("required");
  await saveScreenshot(page, "distribution-mobile");
});
