import type { Locator, Page } from "playwright-core";

/** The review queue (/admin/reviews): one row per version waiting for a reviewer. */
export class ReviewQueuePage {
  constructor(readonly page: Page) {}

  async open(): Promise<this> {
    await this.page.goto("/admin/reviews");
    await this.waitUntilLoaded();
    return this;
  }

  /** The queue has answered: either rows or the empty state are on screen. */
  async waitUntilLoaded(): Promise<void> {
    await this.page.locator('[data-testid="review-queue"], [data-testid="empty-state"]').first().waitFor();
  }

  get rows(): Locator {
    return this.page.getByTestId("review-queue-row");
  }

  row(skill: string, version: string): Locator {
    return this.page.locator(`[data-testid="review-queue-row"][data-skill="${skill}"][data-version="${version}"]`);
  }

  /** The risk badge a row shows ("high risk"), its level in data-risk. */
  riskBadge(skill: string, version: string): Locator {
    return this.row(skill, version).getByTestId("risk-badge");
  }

  emptyState(): Locator {
    return this.page.getByTestId("empty-state");
  }

  async openReview(skill: string, version: string): Promise<ReviewDetailPage> {
    await this.row(skill, version).getByTestId("review-queue-link").click();
    const detail = new ReviewDetailPage(this.page);
    await detail.waitUntilLoaded();
    return detail;
  }
}

/** One version's review page (/admin/reviews/<SkillVersion id>). */
export class ReviewDetailPage {
  constructor(readonly page: Page) {}

  async open(versionId: string): Promise<this> {
    await this.page.goto(`/admin/reviews/${versionId}`);
    await this.waitUntilLoaded();
    return this;
  }

  async waitUntilLoaded(): Promise<void> {
    await this.page.getByTestId("review-detail").waitFor();
  }

  title(): Locator {
    return this.page.getByTestId("review-title");
  }

  /** The version's status as the page header shows it (data-status holds the enum value). */
  status(): Locator {
    return this.page.getByTestId("review-detail").getByTestId("version-status").first();
  }

  permissionRow(permission: string): Locator {
    return this.page.locator(`[data-testid="permission-diff-row"][data-permission="${permission}"]`);
  }

  blastRadiusRow(permission: string): Locator {
    return this.page.locator(`[data-testid="blast-radius-row"][data-permission="${permission}"]`);
  }

  testResults(): Locator {
    return this.page.getByTestId("test-results");
  }

  fileRow(path: string): Locator {
    return this.page.locator(`[data-testid="file-diff-row"][data-path="${path}"]`);
  }

  decisionPanel(): Locator {
    return this.page.getByTestId("decision-panel");
  }

  /** Why the signed-in user may not approve or reject, shown before any click. */
  cannotDecide(): Locator {
    return this.page.getByTestId("cannot-decide");
  }

  approvals(): Locator {
    return this.page.getByTestId("approvals-count");
  }

  approveButton(): Locator {
    return this.page.getByTestId("approve-button");
  }

  rejectButton(): Locator {
    return this.page.getByTestId("reject-button");
  }

  commentInput(): Locator {
    return this.page.getByTestId("decision-comment-input");
  }

  outcome(): Locator {
    return this.page.getByTestId("decision-outcome");
  }

  decisionRows(): Locator {
    return this.page.getByTestId("decision-row");
  }

  /** The decision `handle` made. */
  decisionBy(handle: string): Locator {
    return this.page.locator(`[data-testid="decision-row"][data-reviewer="${handle}"]`);
  }

  /** How the token `handle` decided with came to be, in words (data-origin holds the ApiTokenOrigin). */
  credentialOf(handle: string): Locator {
    return this.decisionBy(handle).getByTestId("decision-credential");
  }

  /** The warning on an approval whose token came from an invitation the other approver created. */
  credentialWarning(handle: string): Locator {
    return this.decisionBy(handle).getByTestId("credential-warning");
  }

  async approve(comment: string): Promise<void> {
    await this.commentInput().fill(comment);
    await this.approveButton().click();
    await this.outcome().waitFor();
  }

  async reject(reason: string): Promise<void> {
    await this.commentInput().fill(reason);
    await this.rejectButton().click();
    await this.outcome().waitFor();
  }
}
