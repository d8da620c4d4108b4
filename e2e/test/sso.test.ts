import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { freePort } from "../../server/src/db/free-port";
import { AdminNavigation, SignInPage } from "../pages/admin";
import { DeviceApprovalPage, DirectorySignInPage, DirectorySignOutPage } from "../pages/identity-provider";
import { ReviewQueuePage } from "../pages/reviews";
import { ApiTokensPage, DirectoryGroupsPage } from "../pages/settings";
import { closePagesAfterEachTest, DESKTOP, launchBrowser, MOBILE, openAdmin, saveScreenshot, signedInPage, type Viewport } from "../support/browser";
import { runCli, startCli } from "../support/cli";
import { TestIdentityProvider } from "../support/oidc-provider";
import { createTeam, instructionSkill, packFiles, publish, writeSkillFolder } from "../support/seed";
import { startStack, type Stack } from "../support/stack";
import { waitFor } from "../support/wait";

// Single sign-on against a real OpenID provider (oidc-provider, "Corp Directory", on 127.0.0.1): an
// admin maps directory groups in the console; a person signs in through the provider's own sign-in
// page and lands in the console with the team their group gives; signing out ends the session here
// and at the provider; a group change in the directory shows at the next sign-in (and a removed one
// is taken away); the CLI signs in with the device flow, approved in the browser on the provider's
// device page; the API tokens page makes a read-only token that a publish refuses. The tests run in
// order: the mappings of the first are what the later sign-ins receive.

const PASSWORD = "correct horse battery staple";
const DANA = { login: "dana", password: PASSWORD, email: "dana@corp.test", name: "Dana Data", groups: ["eng-data"] };
const VIEWER = `query { viewer { handle } }`;
// oidc-provider's user codes: eight letters of a 20-letter alphabet, shown as XXXX-XXXX.
const USER_CODE = /\b([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\b/;

let provider: TestIdentityProvider;
let stack: Stack;
let browser: Browser;

before(async () => {
  // The provider registers Skillyard's redirect URI, so Skillyard's address is chosen first.
  const port = await freePort();
  provider = await TestIdentityProvider.start(`http://127.0.0.1:${port}`);
  provider.setAccount(DANA);
  stack = await startStack(provider.env(), { port });
  browser = await launchBrowser();
  await createTeam(stack, "data", {});
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  await provider?.stop();
});

closePagesAfterEachTest();

interface DirectoryUser {
  handle: string;
  email: string | null;
  roles: string[];
  teams: { edges: { node: { role: string; team: { name: string } } }[] };
  apiTokens: { edges: { node: { name: string; origin: string | null; scopes: string[]; expiresAt: string | null; revokedAt: string | null } }[] };
}

/** The user the directory provisioned, as the API tells an admin. */
async function directoryUser(handle: string): Promise<DirectoryUser | null> {
  const data = await stack.gql<{ users: { edges: { node: DirectoryUser }[] } }>(
    `query ($q: String) { users(query: $q) { edges { node {
      handle email roles
      teams(first: 10) { edges { node { role team { name } } } }
      apiTokens(first: 20) { edges { node { name origin scopes expiresAt revokedAt } } }
    } } } }`,
    { q: handle },
  );
  return data.users.edges.map((e) => e.node).find((u) => u.handle === handle) ?? null;
}

const noSidewaysScrolling = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

/** The post-logout redirect: the console's start page (with whatever query the provider adds). */
const isConsoleHome = (url: URL) => url.origin === stack.url && url.pathname === "/admin/";

/** From the console's sign-in page, through the provider's sign-in page, back into the console signed in. */
async function signInThroughProvider(page: Page, account = DANA): Promise<void> {
  await new SignInPage(page).chooseSso();
  await new DirectorySignInPage(page).signIn(account.login, account.password);
  await new AdminNavigation(page).viewerHandle().waitFor();
}

/** A fresh browser signed in to the console through the provider, on `route`. */
async function ssoSignedInPage(route = "/", viewport: Viewport = DESKTOP): Promise<Page> {
  const page = await openAdmin(browser, stack, viewport, route);
  await signInThroughProvider(page);
  return page;
}

/** Signs out of the console, confirms at the provider's end-session page, and waits for the console's sign-in page. */
async function signOutThroughProvider(page: Page): Promise<void> {
  await new AdminNavigation(page).signOut();
  const signOut = new DirectorySignOutPage(page);
  await signOut.waitUntilShown();
  await signOut.confirm();
  await page.waitForURL(isConsoleHome);
  await new SignInPage(page).ssoButton().waitFor();
}

test("an admin maps directory groups to a team and a role in the console; a bad team is refused with its code", async () => {
  // The admin signs in with the token form, which stays below the provider's button.
  const page = await signedInPage(browser, stack, stack.adminToken, DESKTOP, "/");
  await new AdminNavigation(page).link("directory-groups").click();
  const groups = new DirectoryGroupsPage(page);
  await page.locator('[data-testid="mapping-list"], [data-testid="empty-state"]').first().waitFor();

  await groups.mapToTeam("eng-data", "data", "MEMBER");
  assert.match((await groups.notice().textContent()) ?? "", /Mapped eng-data to team data as member/);
  await groups.mapToRole("skill-reviewers", "REVIEWER");
  assert.equal(await groups.rows("eng-data").getAttribute("data-team"), "data");
  assert.equal(await groups.rows("eng-data").getAttribute("data-team-role"), "MEMBER");
  assert.equal(await groups.rows("skill-reviewers").getAttribute("data-role"), "REVIEWER");

  // A team that does not exist: the server's refusal, with its code, in the dialog.
  await groups.mapToTeam("ghost-group", "no-such-team", "MEMBER");
  await groups.error().waitFor();
  assert.equal(await groups.error().getAttribute("data-code"), "NOT_FOUND");
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  assert.equal(await groups.rows("ghost-group").count(), 0);

  // A mapping added by mistake is deleted after a confirmation.
  await groups.mapToRole("temp-admins", "ADMIN");
  await groups.delete("temp-admins");
  await saveScreenshot(page, "directory-groups");
  const phone = await signedInPage(browser, stack, stack.adminToken, MOBILE, "/settings/directory-groups");
  await new DirectoryGroupsPage(phone).rows("eng-data").waitFor();
  assert.ok(await noSidewaysScrolling(phone), "no sideways scrolling at 390 px");
  await saveScreenshot(phone, "directory-groups-mobile");

  const stored = await stack.gql<{
    groupMappings: { edges: { node: { group: string; team: { name: string } | null; teamRole: string | null; role: string | null } }[] };
  }>(`query { groupMappings(first: 50) { edges { node { group team { name } teamRole role } } } }`);
  assert.deepEqual(
    stored.groupMappings.edges.map((e) => e.node).sort((a, b) => a.group.localeCompare(b.group)),
    [
      { group: "eng-data", team: { name: "data" }, teamRole: "MEMBER", role: null },
      { group: "skill-reviewers", team: null, teamRole: null, role: "REVIEWER" },
    ],
  );
});

test("a person signs in on the provider's page and lands in the console as the provisioned user, in the mapped team", async () => {
  const page = await openAdmin(browser, stack, DESKTOP, "/skills");
  const signIn = new SignInPage(page);
  assert.equal((await signIn.ssoButton().textContent())?.trim(), `Sign in with ${new URL(provider.issuer).host}`);
  await signIn.form().waitFor();
  await saveScreenshot(page, "sign-in-sso");

  await signIn.chooseSso();
  const directory = new DirectorySignInPage(page);
  await directory.waitUntilShown();
  assert.ok(page.url().startsWith(`${provider.issuer}/`), `on the provider's page: ${page.url()}`);
  await directory.signIn("dana", "not the password");
  assert.match((await directory.error().textContent()) ?? "", /Wrong username or password/);
  await saveScreenshot(page, "sso-provider-sign-in");
  await directory.signIn("dana", PASSWORD);

  // Back where the sign-in started (returnTo), signed in by the session cookie.
  const nav = new AdminNavigation(page);
  await nav.viewerHandle().waitFor();
  assert.equal(await nav.viewerHandle().textContent(), "dana");
  assert.equal(new URL(page.url()).pathname, "/admin/skills");
  assert.ok(!(await nav.visibleLinks()).includes("nav-reviews"), "no reviewer role: eng-data gives only team data");
  await saveScreenshot(page, "sso-signed-in");

  const dana = await directoryUser("dana");
  assert.ok(dana, "the user was provisioned at the first sign-in");
  assert.equal(dana.email, "dana@corp.test");
  assert.deepEqual(dana.roles, []);
  assert.deepEqual(
    dana.teams.edges.map((e) => [e.node.team.name, e.node.role]),
    [["data", "MEMBER"]],
  );

  const [cookie] = (await page.context().cookies(stack.url)).filter((c) => c.name === "skillyard_session");
  assert.ok(cookie, "a session cookie");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Lax");
  assert.equal(cookie.secure, false, "not Secure: PUBLIC_URL is http on 127.0.0.1");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("skillyard.token")), null, "no token in the tab: the cookie is the credential");

  // The console's requests carry the session's CSRF token and no Authorization header.
  const graphqlRequests: Record<string, string>[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/graphql" && request.method() === "POST") graphqlRequests.push(request.headers());
  });
  await page.reload();
  await nav.viewerHandle().waitFor();
  await waitFor(async () => graphqlRequests.length > 0, "a GraphQL request after the reload", 10_000);
  for (const headers of graphqlRequests) {
    assert.equal(headers["authorization"], undefined);
    assert.match(headers["x-csrf-token"] ?? "", /.{16,}/);
  }
  // The same request without the CSRF token, from the console's own origin, is refused.
  const withoutCsrf = await page.evaluate(async (query) => {
    const response = await fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
    return { status: response.status, body: (await response.json()) as { errors?: { extensions?: { code?: string } }[] } };
  }, VIEWER);
  assert.equal(withoutCsrf.status, 403);
  assert.equal(withoutCsrf.body.errors?.[0]?.extensions?.code, "CSRF_INVALID");
});

test("signing out ends the session in Skillyard and at the provider; another tab on the dead session is sent to sign in, told why", async () => {
  const page = await ssoSignedInPage("/skills");
  // A second tab of the same browser is signed in by the same cookie.
  const other = await page.context().newPage();
  await other.goto("/admin/skills");
  await new AdminNavigation(other).viewerHandle().waitFor();
  const [cookie] = (await page.context().cookies(stack.url)).filter((c) => c.name === "skillyard_session");
  assert.ok(cookie);

  await new AdminNavigation(other).signOut();
  const signOut = new DirectorySignOutPage(other);
  await signOut.waitUntilShown();
  assert.ok(other.url().startsWith(`${provider.issuer}/`), `at the provider's end-session page: ${other.url()}`);
  await saveScreenshot(other, "sso-provider-sign-out");
  await signOut.confirm();

  // Back on the console's sign-in page (the post-logout redirect), signed out.
  await other.waitForURL(isConsoleHome);
  await new SignInPage(other).ssoButton().waitFor();
  assert.equal(await new AdminNavigation(other).viewerHandle().count(), 0);
  assert.equal((await page.context().cookies(stack.url)).filter((c) => c.name === "skillyard_session").length, 0, "the cookie is cleared");
  const replayed = await fetch(`${stack.url}/auth/session`, { headers: { cookie: `skillyard_session=${cookie.value}` } });
  assert.equal(replayed.status, 401, "the old session is revoked on the server, not only forgotten by the browser");

  // The first tab still shows the console. Given the dead session's cookie back (as a browser keeps
  // one whose session timed out), its next request is refused and it lands on the sign-in page.
  await page.context().addCookies([cookie]);
  await new AdminNavigation(page).link("api-tokens").click();
  const signIn = new SignInPage(page);
  await signIn.sessionEnded().waitFor();
  assert.match((await signIn.sessionEnded().textContent()) ?? "", /session has ended/);

  // The provider's session ended too: signing in again asks for the password.
  await signIn.chooseSso();
  await new DirectorySignInPage(page).waitUntilShown();
});

test("a directory group change takes effect at the next sign-in: the reviewer role comes, and goes", async () => {
  const page = await ssoSignedInPage("/");
  const nav = new AdminNavigation(page);
  assert.ok(!(await nav.visibleLinks()).includes("nav-reviews"));

  provider.setGroups("dana", ["eng-data", "skill-reviewers"]);
  // The open session keeps what the last sign-in gave; the directory is read at sign-in.
  await page.reload();
  await nav.viewerHandle().waitFor();
  assert.ok(!(await nav.visibleLinks()).includes("nav-reviews"), "nothing changes before the next sign-in");

  await signOutThroughProvider(page);
  await signInThroughProvider(page);
  await nav.link("reviews").waitFor();
  await nav.link("reviews").click();
  const queue = new ReviewQueuePage(page);
  await queue.waitUntilLoaded();
  assert.equal(await page.getByTestId("forbidden-state").count(), 0, "the review queue opens for a reviewer");
  await saveScreenshot(page, "sso-reviewer-after-group-change");
  assert.deepEqual((await directoryUser("dana"))?.roles, ["REVIEWER"]);

  // Taken out of the group in the directory: the role is gone at the next sign-in.
  provider.setGroups("dana", ["eng-data"]);
  await signOutThroughProvider(page);
  await signInThroughProvider(page);
  assert.ok(!(await nav.visibleLinks()).includes("nav-reviews"), "the reviewer role was removed");
  assert.deepEqual((await directoryUser("dana"))?.roles, []);
});

test("the API tokens page creates a read-only token, shown once, that a publish refuses; a publish token limited to a team works", async () => {
  const page = await ssoSignedInPage("/");
  await new AdminNavigation(page).link("api-tokens").click();
  const tokens = new ApiTokensPage(page);
  await tokens.waitUntilLoaded();
  await tokens.startCreating();
  assert.deepEqual(await tokens.offeredScopes(), ["READ", "PUBLISH"], "only what dana's roles allow");
  await tokens.cancelCreating();

  const reader = await tokens.create({ name: "dashboards", scopes: ["READ"], expiresInDays: 30, allowedCidrs: ["127.0.0.0/8"] });
  assert.match(reader, /^sky_/);
  await saveScreenshot(page, "api-token-created");
  await tokens.dismissSecret();
  assert.equal(await tokens.secret().count(), 0, "the secret is not shown again");
  assert.deepEqual(await tokens.scopesOf("dashboards"), ["READ"]);
  assert.equal((await tokens.expiryOf("dashboards")).state, "later");
  assert.match((await tokens.row("dashboards").getByTestId("token-cidrs").textContent()) ?? "", /only from 127\.0\.0\.0\/8/);

  // The read token reads...
  assert.equal((await stack.gql<{ viewer: { handle: string } }>(VIEWER, {}, reader)).viewer.handle, "dana");
  // ...and is refused for publishing: the upload and the publish mutation.
  const skill = instructionSkill("dana-notes", "1.0.0");
  const upload = await fetch(`${stack.url}/packages`, {
    method: "POST",
    headers: { "content-type": "application/gzip", authorization: `Bearer ${reader}` },
    body: new Uint8Array(await packFiles(skill)),
  });
  assert.equal(upload.status, 403);
  assert.equal(((await upload.json()) as { error?: { code?: string } }).error?.code, "INSUFFICIENT_SCOPE");
  const mutation = await stack.request(
    `mutation ($input: PublishSkillVersionInput!) { publishSkillVersion(input: $input) { version { id } } }`,
    { input: { packageSha256: "0".repeat(64) } },
    reader,
  );
  assert.equal(mutation.errors?.[0]?.extensions?.code, "INSUFFICIENT_SCOPE");

  // Positive control: a publish token made the same way, limited to team data, publishes.
  const publisher = await tokens.create({ name: "ci-publisher", scopes: ["READ", "PUBLISH"], publishTeams: ["data"], expiresInDays: 5 });
  await tokens.dismissSecret();
  assert.deepEqual(await tokens.scopesOf("ci-publisher"), ["READ", "PUBLISH"]);
  assert.match((await tokens.row("ci-publisher").getByTestId("token-publish-teams").textContent()) ?? "", /publishes to data/);
  assert.equal((await tokens.expiryOf("ci-publisher")).state, "soon", "expiring within 14 days: the warning colour");
  const published = await publish(stack, publisher, skill);
  assert.equal(published.status, "PUBLISHED");
  await saveScreenshot(page, "api-tokens");
  const phone = await ssoSignedInPage("/settings/api-tokens", MOBILE);
  await new ApiTokensPage(phone).row("ci-publisher").waitFor();
  assert.ok(await noSidewaysScrolling(phone), "no sideways scrolling at 390 px");
  await saveScreenshot(phone, "api-tokens-mobile");

  // Revoked in the page: refused from then on.
  await tokens.revoke("dashboards");
  assert.equal((await stack.request(VIEWER, {}, reader)).errors?.[0]?.extensions?.code, "UNAUTHENTICATED");

  // An admin sees dana's soon-expiring token among everyone's.
  const admin = await signedInPage(browser, stack, stack.adminToken, DESKTOP, "/");
  const adminTokens = await new ApiTokensPage(admin).open("expiring");
  const row = adminTokens.row("ci-publisher");
  await row.waitFor();
  assert.equal(await row.getByTestId("token-owner").textContent(), "dana");
  assert.equal((await adminTokens.expiryOf("ci-publisher")).state, "soon");
  assert.equal(await adminTokens.row("dashboards").count(), 0, "a revoked token is not listed as expiring");
  await saveScreenshot(admin, "api-tokens-expiring");
});

test("skillyard login --sso runs the device flow: the browser approves the printed code, and the CLI works with the stored token", async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "skillyard-sso-cli-"));
  const cli = startCli(["login", "--sso", "--registry", stack.url], { home });
  try {
    const userCode = await waitFor(async () => USER_CODE.exec(cli.output())?.[1] ?? null, "the CLI to print the user code", 30_000);
    const context = await browser.newContext({ viewport: DESKTOP });
    const device = await new DeviceApprovalPage(await context.newPage()).open(provider.deviceUrl);
    await device.approve(userCode, "dana", PASSWORD);
    await saveScreenshot(device.page, "sso-device-approved");
    await context.close();

    const login = await cli.exited;
    assert.equal(login.code, 0, `login --sso failed:\n${login.stdout}\n${login.stderr}`);
    assert.match(login.stdout + login.stderr, /dana/);

    const stored = JSON.parse(readFileSync(path.join(home, "skillyard", "config.json"), "utf8")) as { registry?: string; token?: string };
    assert.equal(stored.registry, stack.url);
    assert.match(stored.token ?? "", /^sky_/);
    assert.equal((await stack.gql<{ viewer: { handle: string } }>(VIEWER, {}, stored.token)).viewer.handle, "dana");
    const made = (await directoryUser("dana"))?.apiTokens.edges.map((e) => e.node).filter((t) => t.origin === "SSO" && t.revokedAt === null) ?? [];
    assert.equal(made.length, 1, "one token made by the single sign-on");
    const days = (new Date(made[0]!.expiresAt ?? 0).getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in CLI_TOKEN_TTL_DAYS (30) days, not ${days}`);
    assert.deepEqual([...made[0]!.scopes].sort(), ["PUBLISH", "READ"], "the scopes dana's roles allow");

    // The stored token is what later commands use: publish a skill into team data, then read it back.
    const skillDir = path.join(home, "cli-notes");
    writeSkillFolder(skillDir, instructionSkill("cli-notes", "1.0.0"));
    const published = await runCli(["publish", skillDir, "--json"], { home });
    assert.equal(published.code, 0, `publish failed:\n${published.stdout}\n${published.stderr}`);
    assert.equal((JSON.parse(published.stdout) as { status?: string }).status, "PUBLISHED");
    const info = await runCli(["info", "cli-notes", "--json"], { home });
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /"cli-notes"/);
  } finally {
    cli.kill();
    rmSync(home, { recursive: true, force: true });
  }
});
