import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { AdminNavigation, AuditLogPage, PermissionCataloguePage, SignInPage, UsersAndTokensPage } from "../pages/admin";
import { closePagesAfterEachTest, DESKTOP, MOBILE, openAdmin, saveScreenshot, signedInPage, launchBrowser } from "../support/browser";
import { createTeam, createUninvitedPerson, createUser, publish, pythonSkill, type SeededUser, waitForVersionStatus } from "../support/seed";
import { startStack, type Stack } from "../support/stack";

// The admin side of the product: the audit log and its URL-kept filters, the permission catalogue,
// users and their credentials (a person is invited and redeems the one-time code on the sign-in page,
// on a desktop and, with the keyboard alone, on a phone; a service account gets its token from the
// admin; a token works through GraphQL until it is revoked in the page), team membership, what a
// reviewer is and is not shown, and that a browser whose token is revoked lands on the sign-in form
// saying so.

let stack: Stack;
let browser: Browser;
let reviewer: SeededUser;

const VIEWER = `query { viewer { handle } }`;

const focusedTestId = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? null);

/** Presses Tab until the element with `testId` has focus (at most 10 presses). */
async function tabTo(page: Page, testId: string): Promise<void> {
  for (let presses = 0; presses < 10; presses++) {
    await page.keyboard.press("Tab");
    if ((await focusedTestId(page)) === testId) return;
  }
  throw new Error(`Tab never reached ${testId}`);
}

const noSidewaysScrolling = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

before(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  reviewer = await createUser(stack, "rita", ["REVIEWER"]);
  const author = await createUser(stack, "ada");
  await createTeam(stack, "growth", { ada: "MAINTAINER", rita: "MEMBER" });
  const version = await publish(stack, author.token, pythonSkill("csv-tools", "1.0.0"));
  await waitForVersionStatus(stack, version.id, ["PUBLISHED"]);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

closePagesAfterEachTest();

/** The actions the API lists for a filter: what the page must show. */
async function apiActions(filter: { action?: string; skill?: string }): Promise<string[]> {
  const data = await stack.gql<{ auditLog: { edges: { node: { action: string } }[] } }>(
    `query ($action: AuditAction, $skill: String) { auditLog(action: $action, skill: $skill, first: 100) { edges { node { action } } } }`,
    filter,
  );
  return data.auditLog.edges.map((edge) => edge.node.action);
}

test("the audit log lists events, and the action filter narrows them and stays in the URL", async () => {
  const page = await signedInPage(browser, stack, stack.adminToken, DESKTOP, "/");
  await new AdminNavigation(page).link("audit").click();
  const audit = new AuditLogPage(page);
  await audit.waitUntilLoaded();
  const all = await audit.actions();
  assert.deepEqual(all, await apiActions({}), "every event, newest first, as the API lists them");
  for (const action of ["USER_CREATE", "INVITATION_CREATE", "INVITATION_REDEEM", "TEAM_CREATE", "MEMBER_ADD", "PUBLISH", "TEST_OUTCOME", "VERSION_PUBLISHED"]) {
    assert.ok(all.includes(action), `the log shows a ${action} event`);
  }
  await saveScreenshot(page, "audit-log");

  await audit.filterByAction("User created");
  const created = await audit.waitForActions((actions) => actions.length > 0 && actions.every((a) => a === "USER_CREATE"), "only USER_CREATE rows");
  assert.equal(created.length, (await apiActions({ action: "USER_CREATE" })).length, "one row per user created (rita, ada)");
  assert.ok(created.length < all.length, "the filter narrowed the list");
  assert.equal(new URL(page.url()).searchParams.get("action"), "USER_CREATE", "the filter is in the URL");

  // A reload keeps the filter: it comes from the URL.
  await page.reload();
  await audit.waitUntilLoaded();
  assert.deepEqual(await audit.actions(), created);
  assert.equal(await audit.actionFilter().inputValue(), "User created");

  // The before/after view names the new user.
  const details = await audit.expand(audit.rows.first());
  assert.match((await details.textContent()) ?? "", /"ada"/);

  // An actor nobody is: an honest empty state; "Clear filters" brings every event back and empties the URL.
  await audit.filterByActor("nobody-at-all");
  await audit.emptyState().waitFor();
  assert.match((await audit.emptyState().textContent()) ?? "", /No events match these filters/);
  assert.equal(new URL(page.url()).searchParams.get("actor"), "nobody-at-all");
  await audit.clearFilters();
  await audit.waitForActions((actions) => actions.length === all.length, "every event again");
  assert.equal(new URL(page.url()).search, "");

  // The skill filter, straight from a link: only csv-tools's events, each linking to the skill.
  await audit.open("?skill=csv-tools");
  const skillEvents = await audit.actions();
  assert.deepEqual(skillEvents, await apiActions({ skill: "csv-tools" }));
  assert.ok(skillEvents.includes("PUBLISH") && !skillEvents.includes("USER_CREATE"));
  assert.equal(await audit.rows.first().getByTestId("audit-skill-link").textContent(), "csv-tools");
  await page.context().close();

  const mobile = await signedInPage(browser, stack, stack.adminToken, MOBILE, "/audit");
  const mobileAudit = new AuditLogPage(mobile);
  await mobileAudit.waitUntilLoaded();
  assert.ok((await mobileAudit.rows.count()) > 0);
  const overflow = await mobile.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, "no horizontal scrolling at 390px");
  await saveScreenshot(mobile, "audit-log-mobile");
});

test("an admin adds a permission to the catalogue and raises its risk", async () => {
  const page = await signedInPage(browser, stack, stack.adminToken, DESKTOP, "/permissions");
  const catalogue = new PermissionCataloguePage(page);
  await catalogue.open();

  const form = await catalogue.startAdding();
  await form.name().fill("Payments Refund");
  await form.description().fill("Issue refunds through the payments API.");
  await form.save();
  // The server's rule, checked before the round trip, with the server's words.
  await form.message('"Payments Refund" is not a permission name like database:read.').waitFor();
  await form.name().fill("payments:refund");
  await form.chooseRisk("High");
  await form.save();
  await form.waitUntilClosed();
  await catalogue.row("payments:refund").waitFor();
  assert.equal(await catalogue.groupOf("payments:refund"), "HIGH");
  assert.equal(await catalogue.row("payments:refund").getByTestId("risk-badge").getAttribute("data-risk"), "HIGH");
  assert.match((await catalogue.savedNotice().textContent()) ?? "", /Added payments:refund/);

  const edit = await catalogue.startEditing("payments:refund");
  assert.equal(await edit.name().isDisabled(), true, "the name is the key: it cannot be renamed");
  await edit.chooseRisk("Critical");
  await edit.save();
  await edit.waitUntilClosed();
  await page.locator('[data-testid="permission-group"][data-risk="CRITICAL"] [data-testid="permission-row"][data-name="payments:refund"]').waitFor();
  assert.equal(await catalogue.row("payments:refund").getByTestId("risk-badge").getAttribute("data-risk"), "CRITICAL");

  const stored = await stack.gql<{ permissions: { edges: { node: { name: string; risk: string; description: string } }[] } }>(
    `query { permissions(first: 100) { edges { node { name risk description } } } }`,
  );
  assert.deepEqual(
    stored.permissions.edges.map((e) => e.node).find((p) => p.name === "payments:refund"),
    { name: "payments:refund", risk: "CRITICAL", description: "Issue refunds through the payments API." },
  );
  await saveScreenshot(page, "permissions");
});

test("an admin invites a new person, who redeems the code on the sign-in page once and is signed in", async () => {
  const page = await signedInPage(browser, stack, stack.adminToken, DESKTOP, "/tokens");
  const users = new UsersAndTokensPage(page);
  await users.open();
  await users.createUser("carol", "carol@example.test", ["REVIEWER"]);
  await users.userRow("carol").waitFor();
  assert.equal(await users.userRow("carol").getByTestId("role-badge").getAttribute("data-role"), "REVIEWER");
  assert.equal(await users.kindOf("carol"), "PERSON");
  // Nobody creates a token for another person: the page offers an invitation instead.
  assert.equal(await users.tokenForm().count(), 0, "no token form on another person's page");

  const dialog = await users.startInvitation();
  await dialog.create();
  const code = await dialog.code();
  assert.match(code, /^syi_/);
  assert.match((await dialog.codeBox().textContent()) ?? "", /Hand this to carol; it works once/);
  assert.match((await dialog.expiry().textContent()) ?? "", /^Expires in 3 days/, "the server's default: 72 hours");
  await saveScreenshot(page, "invitation-dialog");
  // Leaving carol (here with the back button) hides the code for good.
  await page.goBack();
  await page.goForward();
  await users.detail("carol").waitFor();
  assert.equal(await page.getByTestId("invitation-code").count(), 0, "the code is never shown again");
  // What stays is that an invitation is waiting, by whom and until when.
  assert.match((await users.pendingInvitation().textContent()) ?? "", /An invitation is waiting for carol: created by admin .*, it expires in 3 days/);

  // carol, in a browser of her own, redeems it for a token named "laptop".
  const carolPage = await openAdmin(browser, stack, DESKTOP);
  const carolSignIn = new SignInPage(carolPage);
  await carolSignIn.chooseInvitation();
  assert.equal(await carolSignIn.tokenNameInput().inputValue(), "admin console", "a default token name");
  await carolSignIn.codeInput().fill(code);
  await carolSignIn.tokenNameInput().fill("laptop");
  await saveScreenshot(carolPage, "sign-in-invitation");
  await carolSignIn.redeem(code, "laptop");
  const secret = (await carolSignIn.redeemedToken().textContent())?.trim() ?? "";
  assert.match(secret, /^sky_/);
  assert.match(
    (await carolSignIn.redeemedBox().textContent()) ?? "",
    /Welcome, carol\..*this is your new token “laptop”.*the CLI needs it too.*not shown again/,
  );
  await saveScreenshot(carolPage, "sign-in-invitation-redeemed");
  await carolSignIn.continueSignedIn();
  assert.equal(await carolPage.getByTestId("viewer-handle").textContent(), "carol");
  const viewer = await stack.gql<{ viewer: { handle: string } }>(VIEWER, {}, secret);
  assert.equal(viewer.viewer.handle, "carol", "the token works through GraphQL too");

  // The code works once: redeeming it again is refused, with the server's code.
  const again = new SignInPage(await openAdmin(browser, stack, DESKTOP));
  await again.chooseInvitation();
  await again.redeem(code);
  assert.equal(await again.redeemError().getAttribute("data-code"), "INVITATION_INVALID");
  assert.match((await again.redeemError().textContent()) ?? "", /already redeemed.*\(INVITATION_INVALID\)/);
  assert.equal(await again.redeemedToken().count(), 0, "no token");

  // The admin's page, still showing carol without a token, asks for another invitation: the server
  // refuses (she holds a working token now), the page says why and shows her token, from the invitation.
  const refused = await users.startInvitation();
  await refused.create();
  assert.equal(await refused.error().getAttribute("data-code"), "BAD_USER_INPUT");
  assert.match((await refused.error().textContent()) ?? "", /carol already holds a working API token/);
  await refused.cancel();
  await users.tokenRow("laptop").waitFor();
  assert.equal(await users.tokenRow("laptop").getAttribute("data-origin"), "INVITATION");
  assert.match((await users.tokenRow("laptop").getByTestId("token-origin").textContent()) ?? "", /from a redeemed invitation/);
  await page.getByTestId("invitation-not-needed").waitFor();
  assert.equal(await users.inviteButton().isDisabled(), true, "now that the page knows of her token, it does not offer an invitation");
  assert.equal(await users.pendingInvitation().count(), 0, "the redeemed invitation is no longer waiting");
  await saveScreenshot(page, "users-tokens");

  // Global roles: make carol an admin as well.
  await users.roleCheckbox("ADMIN").check();
  await users.saveRoles();
  await users.userRow("carol").locator('[data-testid="role-badge"][data-role="ADMIN"]').waitFor();
  const roles = await stack.gql<{ viewer: { roles: string[] } }>(`query { viewer { roles } }`, {}, secret);
  assert.deepEqual([...roles.viewer.roles].sort(), ["ADMIN", "REVIEWER"]);

  const modal = await users.startRevoking("laptop");
  assert.match((await modal.textContent()) ?? "", /every request made with it fails/);
  assert.equal(await modal.getByTestId("revoke-own-token-warning").count(), 0, "not the admin's own token");
  await users.confirmRevoke();
  await page.locator('[data-testid="token-row"][data-name="laptop"][data-revoked="true"]').waitFor();
  const refusedToken = await stack.request(VIEWER, {}, secret);
  assert.equal(refusedToken.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");

  // With no working token left, carol can be invited again.
  await page.locator('[data-testid="invitation-create"]:not([disabled])').waitFor();
  assert.equal(await page.getByTestId("invitation-not-needed").count(), 0);
  const reinvite = await users.startInvitation();
  await reinvite.create();
  assert.match(await reinvite.code(), /^syi_/);
  await reinvite.done();
  assert.equal(await page.getByTestId("invitation-code").count(), 0);
});

test("on a phone, an admin invites a person, who redeems the code with the keyboard alone", async () => {
  await createUninvitedPerson(stack, "dora");
  const admin = await signedInPage(browser, stack, stack.adminToken, MOBILE, "/tokens");
  const users = await new UsersAndTokensPage(admin).open();
  await users.selectUser("dora");
  const dialog = await users.startInvitation();
  await dialog.create();
  const code = await dialog.code();
  assert.equal(await noSidewaysScrolling(admin), true, "the dialog fits 390px");
  await saveScreenshot(admin, "invitation-dialog-mobile");

  const phone = await openAdmin(browser, stack, MOBILE);
  const signIn = new SignInPage(phone);
  await signIn.form().waitFor();
  // From the token field (focused on arrival) back to the tabs, then the arrow key picks the invitation path.
  await phone.keyboard.press("Shift+Tab");
  assert.equal(await focusedTestId(phone), "sign-in-tab-token");
  await phone.keyboard.press("ArrowRight");
  assert.equal(await focusedTestId(phone), "sign-in-tab-invitation");
  await tabTo(phone, "invitation-code-input");
  await phone.keyboard.type(code);
  await tabTo(phone, "invitation-token-name-input");
  await phone.keyboard.press("ControlOrMeta+a");
  await phone.keyboard.type("phone");
  assert.equal(await noSidewaysScrolling(phone), true, "the invitation form fits 390px");
  await saveScreenshot(phone, "sign-in-invitation-mobile");
  await phone.keyboard.press("Enter");
  await signIn.redeemedBox().waitFor();
  assert.equal(await focusedTestId(phone), "redeemed-token-copy", "focus lands on copying the new token");
  assert.equal(await noSidewaysScrolling(phone), true, "the secret fits 390px");
  await saveScreenshot(phone, "sign-in-invitation-redeemed-mobile");
  const secret = (await signIn.redeemedToken().textContent())?.trim() ?? "";
  await tabTo(phone, "redeem-continue");
  await phone.keyboard.press("Enter");
  await phone.getByTestId("viewer-handle").waitFor();
  assert.equal(await phone.getByTestId("viewer-handle").textContent(), "dora");
  const tokens = await stack.gql<{ viewer: { apiTokens: { edges: { node: { name: string; origin: string } }[] } } }>(
    `query { viewer { apiTokens(first: 10) { edges { node { name origin } } } } }`,
    {},
    secret,
  );
  assert.deepEqual(
    tokens.viewer.apiTokens.edges.map((edge) => edge.node),
    [{ name: "phone", origin: "INVITATION" }],
  );
});

test("a service account gets its token from the admin: no roles, no invitation", async () => {
  const page = await signedInPage(browser, stack, stack.adminToken, DESKTOP, "/tokens");
  const users = await new UsersAndTokensPage(page).open();
  await users.createUser("ci-bot", "ci-bot@example.test", [], "SERVICE");
  assert.equal(await users.kindOf("ci-bot"), "SERVICE");
  assert.equal(await users.userRow("ci-bot").getAttribute("data-kind"), "SERVICE");
  assert.equal(await users.inviteButton().count(), 0, "service accounts are not invited");
  assert.equal(await users.roleCheckbox("REVIEWER").count(), 0, "service accounts hold no role");
  assert.match((await page.getByTestId("service-account-roles").textContent()) ?? "", /can never review/);

  const secret = await users.createToken("ci");
  const viewer = await stack.gql<{ viewer: { handle: string; kind: string; roles: string[] } }>(`query { viewer { handle kind roles } }`, {}, secret);
  assert.deepEqual(viewer.viewer, { handle: "ci-bot", kind: "SERVICE", roles: [] });
  assert.equal(await users.tokenRow("ci").getAttribute("data-origin"), "SERVICE_ACCOUNT");
  assert.match((await users.tokenRow("ci").getByTestId("token-origin").textContent()) ?? "", /service account token, created by an admin/);
  await users.dismissSecret();
});

test("an admin takes a member out of a team after confirming; the last maintainer stays", async () => {
  const page = await signedInPage(browser, stack, stack.adminToken, DESKTOP, "/tokens");
  const users = await new UsersAndTokensPage(page).open();
  await users.selectUser("rita");
  assert.equal(await users.teamRow("growth").getAttribute("data-role"), "MEMBER");
  const modal = await users.startRemovingFromTeam("growth");
  assert.match((await modal.textContent()) ?? "", /rita stops seeing growth’s unreleased versions at once/);
  await users.confirmRemoveFromTeam();
  await users.teamRow("growth").waitFor({ state: "detached" });
  await page.getByTestId("user-no-teams").waitFor();
  await users.userRow("rita").getByTestId("user-teams").filter({ hasText: "No team" }).waitFor();
  const rita = await stack.gql<{ viewer: { teams: { totalCount: number } } }>(`query { viewer { teams { totalCount } } }`, {}, reviewer.token);
  assert.equal(rita.viewer.teams.totalCount, 0);
  assert.equal((await apiActions({ action: "MEMBER_REMOVE" })).length, 1, "audited");

  // ada is growth's only maintainer: the server refuses, and the page says why.
  await users.selectUser("ada");
  await users.startRemovingFromTeam("growth");
  await users.confirmRemoveFromTeam();
  const error = page.getByTestId("remove-member-error");
  await error.waitFor();
  assert.equal(await error.getAttribute("data-code"), "BAD_USER_INPUT");
  assert.match((await error.textContent()) ?? "", /last maintainer of "growth"/);
  await page.getByRole("dialog").getByRole("button", { name: "Keep ada" }).click();
  assert.equal(await users.teamRow("growth").getAttribute("data-role"), "MAINTAINER");
});

test("a reviewer is not shown the admin pages, and reaching one by URL says admins only", async () => {
  const page = await signedInPage(browser, stack, reviewer.token, DESKTOP, "/");
  const links = await new AdminNavigation(page).visibleLinks();
  assert.ok(links.includes("nav-audit") && links.includes("nav-reviews"), `reviewer links: ${links.join(", ")}`);
  assert.ok(!links.includes("nav-permissions") && !links.includes("nav-tokens"), `no admin links: ${links.join(", ")}`);

  const catalogue = await new PermissionCataloguePage(page).open();
  assert.match((await catalogue.adminsOnly().textContent()) ?? "", /Admins only/);
  const users = await new UsersAndTokensPage(page).open();
  assert.match((await users.adminsOnly().textContent()) ?? "", /Admins only/);

  // The audit log is theirs to read.
  const audit = await new AuditLogPage(page).open();
  assert.ok((await audit.rows.count()) > 0);
});

test("the audit log pages: older events load below the first page, in the API's order", async () => {
  // Each seeded user adds three events (user created, invitation created, invitation redeemed): enough for a second page.
  for (let i = 0; i < 14; i++) await createUser(stack, `pager-${i}`);
  const expected = await apiActions({});
  assert.ok(expected.length > 25, `more events (${expected.length}) than one page of 25`);
  const page = await signedInPage(browser, stack, stack.adminToken, DESKTOP, "/audit");
  const audit = new AuditLogPage(page);
  await audit.waitUntilLoaded();
  assert.equal((await audit.actions()).length, 25, "the first page");
  await page.getByTestId("audit-load-more").click();
  const all = await audit.waitForActions((actions) => actions.length === Math.min(expected.length, 50), "the second page below the first");
  assert.deepEqual(all, expected.slice(0, all.length), "newest first, no gaps or repeats across the page boundary");
});

test("the console is usable from the keyboard: sign in, then reach a page through the navigation", async () => {
  const page = await openAdmin(browser, stack, DESKTOP);
  await page.getByTestId("sign-in-form").waitFor();
  assert.equal(await focusedTestId(page), "token-input", "the token field has focus on arrival");
  await page.keyboard.type(reviewer.token);
  await page.keyboard.press("Enter");
  await page.getByTestId("viewer-handle").waitFor();

  let reached = false;
  for (let presses = 0; presses < 15 && !reached; presses++) {
    await page.keyboard.press("Tab");
    reached = (await focusedTestId(page)) === "nav-audit";
  }
  assert.ok(reached, "Tab reaches the Audit log link in the navigation");
  const outline = await page.evaluate(() => (document.activeElement ? getComputedStyle(document.activeElement).outlineStyle : "none"));
  assert.notEqual(outline, "none", "the focused link shows a focus ring");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/admin\/audit$/);
  await page.getByTestId("page-title").filter({ hasText: "Audit log" }).waitFor({ timeout: 5000 });
});

test("a browser whose token is revoked elsewhere lands on the sign-in form, told why", async () => {
  const dave = await createUser(stack, "dave");
  const page = await signedInPage(browser, stack, dave.token, DESKTOP, "/skills");
  const tokens = await stack.gql<{ users: { edges: { node: { apiTokens: { edges: { node: { id: string } }[] } } }[] } }>(
    `query { users(query: "dave") { edges { node { apiTokens(first: 10) { edges { node { id } } } } } } }`,
  );
  const tokenId = tokens.users.edges[0]?.node.apiTokens.edges[0]?.node.id;
  assert.ok(tokenId, "dave has a token");
  await stack.gql(`mutation ($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, { id: tokenId });

  await page.reload();
  const signIn = new SignInPage(page);
  await signIn.sessionEnded().waitFor();
  assert.match((await signIn.sessionEnded().textContent()) ?? "", /no longer valid/);
  assert.equal(await page.getByTestId("token-input").inputValue(), "", "the revoked token is not kept");
  // A reload after the sign-out (which is also what happens when a 401 beats the reload) still says why.
  await page.reload();
  await signIn.sessionEnded().waitFor();
  await saveScreenshot(page, "sign-in");
});

test("an admin creates a spare token for themselves, then revokes the one they are signed in with: warned, signed out", async () => {
  const ops = await createUser(stack, "ops", ["ADMIN"]);
  const page = await signedInPage(browser, stack, ops.token, DESKTOP, "/tokens");
  const users = await new UsersAndTokensPage(page).open();
  await users.selectUser("ops");
  await users.tokenRow("e2e").getByTestId("token-current").waitFor();
  assert.equal(await users.inviteButton().count(), 0, "no invitation for yourself");
  const spare = await users.createToken("spare");
  assert.equal(await users.tokenRow("spare").getAttribute("data-origin"), "SELF");
  assert.match((await users.tokenRow("spare").getByTestId("token-origin").textContent()) ?? "", /created by its owner/);
  await users.dismissSecret();
  const modal = await users.startRevoking("e2e");
  assert.match((await modal.getByTestId("revoke-own-token-warning").textContent()) ?? "", /signs you out/);
  await users.confirmRevoke();
  await new SignInPage(page).sessionEnded().waitFor();
  assert.equal((await stack.request(VIEWER, {}, ops.token)).errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
  const still = await stack.gql<{ viewer: { handle: string } }>(VIEWER, {}, spare);
  assert.equal(still.viewer.handle, "ops", "the spare token still works");
});
