import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { closePagesAfterEachTest, DESKTOP, launchBrowser, MOBILE, saveScreenshot, signedInPage } from "../support/browser";
import { approveVersion, createOwnToken, createTeam, createUser, publish, pythonSkill, type SeededUser, waitForVersionStatus } from "../support/seed";
import { startStack, type Stack } from "../support/stack";
import { ReviewDetailPage, ReviewQueuePage } from "../pages/reviews";

// The review gate end to end: an author publishes a version that asks for more than its previous
// one (a HIGH-risk permission added, a scoped one widened); its tests pass in the real sandbox, so it
// waits for review; the author cannot approve it herself; another reviewer approves it from the
// queue in the admin app, after which it installs. A CRITICAL version needs two different
// reviewers; another version is rejected with a reason. Each decision says how its reviewer's token
// came to be, and an approval whose token came from an invitation the other approver created is
// flagged.

let stack: Stack;
let browser: Browser;
let author: SeededUser;
let reviewer: SeededUser;
let secondReviewer: SeededUser;
let digestId: string;
let vaultId: string;
let sweeperId: string;

before(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  // A plain team member: the page must tell her it is her own version before anything else.
  author = await createUser(stack, "ada");
  reviewer = await createUser(stack, "rita", ["REVIEWER"]);
  secondReviewer = await createUser(stack, "remy", ["REVIEWER"]);
  await createTeam(stack, "growth", { ada: "MAINTAINER" });

  // database:read:analytics is MEDIUM risk: below the review threshold, so 1.0.0 publishes by itself.
  const first = await publish(stack, author.token, pythonSkill("page-digest", "1.0.0", { permissions: ["database:read:analytics"] }));
  await waitForVersionStatus(stack, first.id, ["PUBLISHED"]);

  // 1.1.0 widens database:read:analytics to database:read and adds network:outbound (HIGH).
  const second = await publish(
    stack,
    author.token,
    pythonSkill("page-digest", "1.1.0", { permissions: ["database:read", "network:outbound"], readme: "# page-digest\n\nNow fetches the pages itself.\n" }),
  );
  // secrets:read is CRITICAL: two different reviewers must approve.
  const vault = await publish(stack, author.token, pythonSkill("vault-reader", "0.1.0", { permissions: ["secrets:read"] }));
  const sweeper = await publish(stack, author.token, pythonSkill("file-sweeper", "0.1.0", { permissions: ["filesystem:write"] }));
  digestId = second.id;
  vaultId = vault.id;
  sweeperId = sweeper.id;
  await Promise.all([digestId, vaultId, sweeperId].map((id) => waitForVersionStatus(stack, id, ["AWAITING_REVIEW"])));
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

closePagesAfterEachTest();

test("the author sees that she cannot approve her own version before clicking anything", async () => {
  const page = await signedInPage(browser, stack, author.token, DESKTOP, `/reviews/${digestId}`);
  const review = new ReviewDetailPage(page);
  await review.waitUntilLoaded();
  assert.equal(await review.title().textContent(), "page-digest@1.1.0");
  assert.equal(await review.status().getAttribute("data-status"), "AWAITING_REVIEW");
  assert.match((await review.cannotDecide().textContent()) ?? "", /your own version/i);
  assert.equal(await review.approveButton().isDisabled(), true, "approve is disabled for the author");
  assert.equal(await review.rejectButton().isDisabled(), true, "reject is disabled for the author");
  assert.equal(await review.approvals().getAttribute("data-approvals"), "0");
  assert.equal(await review.approvals().getAttribute("data-required"), "1");
});

test("a reviewer approves the version from the queue and it becomes installable", async () => {
  const page = await signedInPage(browser, stack, reviewer.token, DESKTOP, "/reviews");
  const queue = new ReviewQueuePage(page);
  await queue.waitUntilLoaded();
  await queue.row("page-digest", "1.1.0").waitFor();
  assert.equal(await queue.rows.count(), 3, "every pending version is listed");
  assert.equal(await queue.rows.first().getAttribute("data-skill"), "vault-reader", "the CRITICAL version comes first");
  assert.equal(await queue.riskBadge("vault-reader", "0.1.0").getAttribute("data-risk"), "CRITICAL");
  assert.equal(await queue.riskBadge("page-digest", "1.1.0").getAttribute("data-risk"), "HIGH");
  assert.match((await queue.row("page-digest", "1.1.0").textContent()) ?? "", /by ada/);
  await saveScreenshot(page, "review-queue");

  const review = await queue.openReview("page-digest", "1.1.0");
  assert.equal(new URL(page.url()).pathname, `/admin/reviews/${digestId}`);

  // The diff against 1.0.0: the HIGH-risk permission is new, the scoped one was widened.
  const added = review.permissionRow("network:outbound");
  assert.equal(await added.getAttribute("data-change"), "ADDED");
  assert.equal(await added.getAttribute("data-risk"), "HIGH");
  assert.equal(await added.getByTestId("risk-badge").textContent(), "high risk");
  const widened = review.permissionRow("database:read");
  assert.equal(await widened.getAttribute("data-change"), "WIDENED");
  assert.match((await widened.textContent()) ?? "", /was\s*database:read:analytics/);
  assert.equal(await review.blastRadiusRow("network:outbound").getAttribute("data-risk"), "HIGH");
  assert.match((await review.testResults().getByTestId("run-status").getAttribute("data-status")) ?? "", /^PASSED$/);
  assert.equal(await review.fileRow("README.md").getAttribute("data-change"), "CHANGED");
  assert.equal(await review.cannotDecide().count(), 0, "nothing stops this reviewer");
  await saveScreenshot(page, "review-detail");

  // The same review on a phone (sessionStorage is per tab, so the phone signs in for itself).
  const phone = await signedInPage(browser, stack, reviewer.token, MOBILE, `/reviews/${digestId}`);
  const mobileReview = new ReviewDetailPage(phone);
  await mobileReview.waitUntilLoaded();
  await mobileReview.permissionRow("network:outbound").waitFor();
  assert.equal(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, "no sideways scrolling at 390px");
  await saveScreenshot(phone, "review-detail-mobile");
  await phone.context().close();

  await review.approve("Outbound calls go to the documented news API only.");
  assert.match((await review.outcome().textContent()) ?? "", /Approved — page-digest@1\.1\.0 is now PUBLISHED/);
  await page.locator('[data-testid="review-detail"][data-status="PUBLISHED"]').waitFor();
  assert.equal(await review.status().getAttribute("data-status"), "PUBLISHED");
  assert.equal(await review.decisionRows().count(), 1);
  assert.equal(await review.decisionRows().first().getAttribute("data-decision"), "APPROVE");
  assert.match((await review.decisionRows().first().textContent()) ?? "", /documented news API/);
  assert.equal(await review.decisionRows().first().getByTestId("decision-reviewer").textContent(), "rita", "the decision names its reviewer");

  // What the page says is what the registry does: the version installs now.
  const installed = await stack.gql<{ installSkill: { root: { version: string; skillVersion: { status: string } } } }>(
    `mutation ($input: InstallSkillInput!) { installSkill(input: $input) { root { version skillVersion { status } } } }`,
    { input: { name: "page-digest", range: "^1.1.0" } },
    author.token,
  );
  assert.equal(installed.installSkill.root.version, "1.1.0");
  assert.equal(installed.installSkill.root.skillVersion.status, "PUBLISHED");
});

test("a CRITICAL permission needs two different reviewers", async () => {
  const first = await signedInPage(browser, stack, reviewer.token, DESKTOP, `/reviews/${vaultId}`);
  const firstReview = new ReviewDetailPage(first);
  await firstReview.waitUntilLoaded();
  assert.equal(await firstReview.permissionRow("secrets:read").getAttribute("data-risk"), "CRITICAL");
  assert.equal(await firstReview.approvals().getAttribute("data-required"), "2");
  await firstReview.approve("Reads one secret, by name.");
  assert.equal(await firstReview.outcome().getAttribute("data-outcome"), "PENDING");
  assert.match((await firstReview.outcome().textContent()) ?? "", /1 more approval needed/);
  await first.locator('[data-testid="approvals-count"][data-approvals="1"]').waitFor();
  assert.equal(await firstReview.status().getAttribute("data-status"), "AWAITING_REVIEW");
  // The same reviewer cannot count twice: the page says so and the buttons are off.
  assert.match((await firstReview.cannotDecide().textContent()) ?? "", /already decided/i);
  assert.equal(await firstReview.approveButton().isDisabled(), true);
  await first.context().close();

  const second = await signedInPage(browser, stack, secondReviewer.token, DESKTOP, `/reviews/${vaultId}`);
  const secondReview = new ReviewDetailPage(second);
  await secondReview.waitUntilLoaded();
  assert.equal(await secondReview.decisionRows().count(), 1, "the first approval is visible to the second reviewer");
  assert.match((await secondReview.decisionRows().first().textContent()) ?? "", /Reads one secret/);
  // rita's token came from the invitation the bootstrap admin created for her (the e2e seed).
  assert.equal(await secondReview.credentialOf("rita").getAttribute("data-origin"), "INVITATION");
  assert.match((await secondReview.credentialOf("rita").textContent()) ?? "", /token ‘e2e’ from an invitation by admin \(created [^)]+\), redeemed \S/);
  await secondReview.approve("Second pair of eyes: agreed.");
  assert.equal(await secondReview.outcome().getAttribute("data-outcome"), "PUBLISHED");
  await second.locator('[data-testid="review-detail"][data-status="PUBLISHED"]').waitFor();
  assert.equal(await secondReview.approvals().getAttribute("data-approvals"), "2");
  // Both were invited by the bootstrap admin, who did not approve: nothing to flag.
  assert.match((await secondReview.credentialOf("remy").textContent()) ?? "", /from an invitation by admin/);
  assert.equal(await second.getByTestId("credential-warning").count(), 0);
});

test("rejecting needs a reason, which reaches the author, and empties the queue", async () => {
  const page = await signedInPage(browser, stack, reviewer.token, DESKTOP, "/reviews");
  const queue = new ReviewQueuePage(page);
  await queue.waitUntilLoaded();
  assert.equal(await queue.row("page-digest", "1.1.0").count(), 0, "the approved version left the queue");
  const review = await queue.openReview("file-sweeper", "0.1.0");

  await review.rejectButton().click();
  await page.getByText("Write a reason to reject").waitFor();
  assert.equal(await review.outcome().count(), 0, "nothing was decided without a reason");

  await review.reject("Deleting files needs a dry-run mode first.");
  assert.equal(await review.outcome().getAttribute("data-outcome"), "REJECTED");
  await page.locator('[data-testid="review-detail"][data-status="REJECTED"]').waitFor();
  assert.match((await review.decisionRows().first().textContent()) ?? "", /dry-run mode/);

  const seen = await stack.gql<{ node: { status: string; statusReason: string | null } }>(
    `query ($id: ID!) { node(id: $id) { ... on SkillVersion { status statusReason } } }`,
    { id: sweeperId },
    author.token,
  );
  assert.equal(seen.node.status, "REJECTED");
  assert.match(seen.node.statusReason ?? "", /dry-run mode/);

  await page.getByTestId("back-to-queue").click();
  await queue.waitUntilLoaded();
  await queue.emptyState().waitFor();
  assert.match((await queue.emptyState().textContent()) ?? "", /Nothing waiting for review/);
});

test("each approval says how its reviewer's token came to be; one whose invitation came from the other approver is flagged", async () => {
  // boss, an admin, invites rosa, who makes a token of her own with hers; both approve key-rotator:
  // rosa's token may as well be boss's, and making a second token does not hide where the first came from.
  const boss = await createUser(stack, "boss", ["ADMIN"]);
  const rosa = await createOwnToken(stack, await createUser(stack, "rosa", ["REVIEWER"], { invitedBy: boss }), "desk");
  // sam (invited by boss) approves key-lister with a token he created himself, the bootstrap admin with the bootstrap token.
  const sam = await createOwnToken(stack, await createUser(stack, "sam", ["REVIEWER"], { invitedBy: boss }), "laptop");
  const flagged = await publish(stack, author.token, pythonSkill("key-rotator", "0.1.0", { permissions: ["secrets:read"] }));
  const clean = await publish(stack, author.token, pythonSkill("key-lister", "0.1.0", { permissions: ["secrets:read"] }));
  await Promise.all([flagged.id, clean.id].map((id) => waitForVersionStatus(stack, id, ["AWAITING_REVIEW"])));
  await approveVersion(stack, rosa.token, flagged.id, "Rotation is scoped to one key.");
  await approveVersion(stack, boss.token, flagged.id, "Agreed.");
  await approveVersion(stack, sam.token, clean.id, "Lists names only.");
  await approveVersion(stack, stack.adminToken, clean.id, "Agreed.");

  const page = await signedInPage(browser, stack, reviewer.token, DESKTOP, `/reviews/${flagged.id}`);
  const review = new ReviewDetailPage(page);
  await review.waitUntilLoaded();
  assert.equal(await review.status().getAttribute("data-status"), "PUBLISHED");
  assert.equal(await review.credentialOf("rosa").getAttribute("data-origin"), "SELF");
  assert.match(
    (await review.credentialOf("rosa").textContent()) ?? "",
    /token ‘desk’ they created themselves on .+; their first came from an invitation by boss, redeemed \S/,
  );
  assert.match((await review.credentialWarning("rosa").textContent()) ?? "", /credential issued by boss, the other approver/);
  assert.equal(await review.decisionBy("rosa").getAttribute("data-credential-warning"), "true");
  // boss's own token came from the bootstrap admin, who did not approve.
  assert.match((await review.credentialOf("boss").textContent()) ?? "", /token ‘e2e’ from an invitation by admin/);
  assert.equal(await review.credentialWarning("boss").count(), 0);
  await saveScreenshot(page, "review-provenance");

  await review.open(clean.id);
  assert.equal(await review.credentialOf("sam").getAttribute("data-origin"), "SELF");
  assert.match(
    (await review.credentialOf("sam").textContent()) ?? "",
    /token ‘laptop’ they created themselves on .+; their first came from an invitation by boss/,
  );
  assert.equal(await review.credentialOf("admin").getAttribute("data-origin"), "BOOTSTRAP");
  assert.match((await review.credentialOf("admin").textContent()) ?? "", /bootstrap token/);
  assert.equal(await page.getByTestId("credential-warning").count(), 0, "nothing to flag on key-lister");

  // The warning fits a phone.
  const phone = await signedInPage(browser, stack, reviewer.token, MOBILE, `/reviews/${flagged.id}`);
  const mobileReview = new ReviewDetailPage(phone);
  await mobileReview.waitUntilLoaded();
  await mobileReview.credentialWarning("rosa").waitFor();
  assert.equal(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, "no sideways scrolling at 390px");
  await saveScreenshot(phone, "review-provenance-mobile");
});
