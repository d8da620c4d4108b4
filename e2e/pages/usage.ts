import type { Locator, Page } from "playwright-core";
import { waitFor } from "../support/wait";

type UsageTab = "overview" | "reviews";
export type UsageWindow = 4 | 12 | 26;
export type QualityReviewOutcome = "PASS" | "NEEDS_WORK" | "PULL";

/** Reads the data-* attributes of every element `locator` matches, top to bottom. */
function attributes(locator: Locator, names: string[]): Promise<Record<string, string>[]> {
  return locator.evaluateAll(
    (elements, keys) => elements.map((element) => Object.fromEntries(keys.map((key) => [key, element.getAttribute(`data-${key}`) ?? ""]))),
    names,
  );
}

/** Picks one of the 4 / 12 / 26 weeks windows of a window control, and waits until `shown` says it is on screen. */
async function chooseWindow(page: Page, controlTestId: string, weeks: UsageWindow, shown: Locator): Promise<void> {
  await page.getByTestId(controlTestId).getByText(`${weeks} weeks`, { exact: true }).click();
  await waitFor(async () => (await shown.getAttribute("data-weeks")) === String(weeks), `the ${weeks}-week window to be shown`, 15_000);
}

export interface TopSkillRow {
  skill: string;
  invocations: number;
  users: number;
}

export interface UnmanagedRow {
  name: string;
  source: string;
  marketplace: string;
  invocations: number;
  users: number;
  teams: string[];
}

export interface DueRow {
  skill: string;
  tier: string;
  reason: string;
}

/** The Usage page (/admin/usage): the organisation's overview and the quality reviews that are due. */
export class UsagePage {
  constructor(readonly page: Page) {}

  async open(query = ""): Promise<this> {
    await this.page.goto(`/admin/usage${query}`);
    await this.waitUntilLoaded();
    return this;
  }

  async waitUntilLoaded(): Promise<void> {
    await this.page.getByTestId("page-title").filter({ hasText: "Usage" }).waitFor();
    await this.page.locator('[data-testid="tab-overview"], [data-testid="forbidden-state"]').first().waitFor();
  }

  /** What a viewer without the reviewer role sees instead of the page. */
  forbidden(): Locator {
    return this.page.getByTestId("forbidden-state");
  }

  async showTab(tab: UsageTab): Promise<void> {
    await this.page.getByTestId(`tab-${tab}`).click();
    await this.page.locator(`[data-testid="tab-${tab}"][aria-selected="true"]`).waitFor();
  }

  // Overview

  overview(): Locator {
    return this.page.getByTestId("usage-overview");
  }

  /** The overview has answered for its window: its sections are on screen. */
  async waitForOverview(): Promise<void> {
    await this.showTab("overview");
    await this.page.getByTestId("unmanaged-section").waitFor();
  }

  async chooseWindow(weeks: UsageWindow): Promise<void> {
    await this.waitForOverview();
    await chooseWindow(this.page, "overview-window", weeks, this.overview());
  }

  /** The most used skills, top to bottom. */
  async topSkills(): Promise<TopSkillRow[]> {
    const rows = await attributes(this.page.getByTestId("top-skill"), ["skill", "invocations", "users"]);
    return rows.map((row) => ({ skill: row["skill"] ?? "", invocations: Number(row["invocations"]), users: Number(row["users"]) }));
  }

  /** Opens a top skill's usage on its page. */
  async openTopSkill(skill: string): Promise<void> {
    await this.page.locator(`[data-testid="top-skill"][data-skill="${skill}"]`).getByTestId("top-skill-link").click();
  }

  /** The banner that flags skills Skillyard does not govern. */
  unmanagedSignal(): Locator {
    return this.page.getByTestId("unmanaged-signal");
  }

  unmanagedSection(): Locator {
    return this.page.getByTestId("unmanaged-section");
  }

  /** The skills in use that Skillyard does not govern, most used first. */
  async unmanagedSkills(): Promise<UnmanagedRow[]> {
    const rows = await attributes(this.page.getByTestId("unmanaged-skill"), ["name", "source", "marketplace", "invocations", "users", "teams"]);
    return rows.map((row) => ({
      name: row["name"] ?? "",
      source: row["source"] ?? "",
      marketplace: row["marketplace"] ?? "",
      invocations: Number(row["invocations"]),
      users: Number(row["users"]),
      teams: (row["teams"] ?? "").split(",").filter(Boolean),
    }));
  }

  /** Installs nobody uses: team → "skill ×installs", teams and skills in the page's order. */
  async reclaimableInstalls(): Promise<Record<string, string[]>> {
    const rows = await attributes(this.page.getByTestId("reclaimable-install"), ["team", "skill", "installs"]);
    const byTeam: Record<string, string[]> = {};
    for (const row of rows) (byTeam[row["team"] ?? ""] ??= []).push(`${row["skill"]} ×${row["installs"]}`);
    return byTeam;
  }

  // Quality reviews

  /** Shows the quality reviews tab once its queue (or its empty state) is on screen. */
  async showQualityReviews(): Promise<void> {
    await this.showTab("reviews");
    await this.page.getByTestId("quality-reviews").locator('[data-testid="reviews-due"], [data-testid="empty-state"]').first().waitFor();
  }

  dueRow(skill: string): Locator {
    return this.page.locator(`[data-testid="review-due-row"][data-skill="${skill}"]`);
  }

  async dueReviews(): Promise<DueRow[]> {
    const rows = await attributes(this.page.getByTestId("review-due-row"), ["skill", "tier", "reason"]);
    return rows.map((row) => ({ skill: row["skill"] ?? "", tier: row["tier"] ?? "", reason: row["reason"] ?? "" }));
  }

  /** Waits until the queue's skills (top to bottom) satisfy `accept`, and answers them. */
  async waitForDue(accept: (skills: string[]) => boolean, what: string): Promise<string[]> {
    return waitFor(
      async () => {
        const skills = (await this.dueReviews()).map((row) => row.skill);
        return accept(skills) ? skills : null;
      },
      what,
      15_000,
    );
  }

  emptyQueue(): Locator {
    return this.page.getByTestId("quality-reviews").getByTestId("empty-state");
  }

  /** An admin marks a platform update; the outcome is a notice or an error. */
  async markPlatformUpdate(kind: "Runtime image" | "Claude Code version" | "Other", description: string): Promise<void> {
    await this.page.getByTestId("platform-update-kind").click();
    await this.page.getByRole("option", { name: kind, exact: true }).click();
    await this.page.getByTestId("platform-update-description").fill(description);
    await this.page.getByTestId("platform-update-mark").click();
    await this.page.locator('[data-testid="reviews-notice"], [data-testid="platform-update-error"]').first().waitFor();
  }

  /** The latest platform updates listed, newest first. */
  async platformUpdates(): Promise<string[]> {
    return this.page.getByTestId("platform-update").allTextContents();
  }

  /** Whether this viewer is offered the form that marks a platform update. */
  canMarkPlatformUpdates(): Promise<boolean> {
    return this.page.getByTestId("platform-update-mark").isVisible();
  }

  notice(): Locator {
    return this.page.getByTestId("reviews-notice");
  }

  /** Opens the record-a-review dialog of a due skill. */
  async startReview(skill: string): Promise<RecordReviewDialog> {
    await this.dueRow(skill).getByTestId("review-due-record").click();
    const dialog = new RecordReviewDialog(this.page);
    await dialog.waitUntilReady();
    return dialog;
  }
}

/** The dialog that records a quality review: version, outcome, notes; PULL asks for confirmation. */
export class RecordReviewDialog {
  constructor(readonly page: Page) {}

  root(): Locator {
    return this.page.getByTestId("record-review-modal");
  }

  async waitUntilReady(): Promise<void> {
    await this.page.getByTestId("review-notes").waitFor();
  }

  /** The version preselected or chosen. */
  async version(): Promise<string> {
    return (await this.page.getByTestId("review-version").inputValue()).split(" ")[0] ?? "";
  }

  /** The versions offered (installable ones), as labelled: "1.1.0 (latest)". */
  async versionOptions(): Promise<string[]> {
    await this.page.getByTestId("review-version").click();
    const options = (await this.page.getByRole("option").allTextContents()).map((text) => text.trim());
    await this.page.keyboard.press("Escape");
    return options;
  }

  async chooseVersion(version: string): Promise<void> {
    await this.page.getByTestId("review-version").click();
    await this.page.getByRole("option", { name: new RegExp(`^${version.replaceAll(".", "\\.")}( |$)`) }).click();
  }

  async chooseOutcome(outcome: QualityReviewOutcome): Promise<void> {
    await this.page.getByTestId(`review-outcome-${outcome}`).check();
  }

  async fillNotes(notes: string): Promise<void> {
    await this.page.getByTestId("review-notes").fill(notes);
  }

  /** Records (PASS, NEEDS_WORK) or goes on to the confirmation (PULL). */
  async submit(): Promise<void> {
    await this.page.getByTestId("review-submit").click();
  }

  confirmSummary(): Locator {
    return this.page.getByTestId("review-confirm-summary");
  }

  async confirm(): Promise<void> {
    await this.page.getByTestId("review-confirm").click();
  }

  error(): Locator {
    return this.page.getByTestId("record-review-error");
  }

  /** Waits for the dialog to close (recorded) or show the server's refusal. */
  async waitForOutcome(): Promise<"recorded" | "refused"> {
    return waitFor(
      async () => ((await this.error().count()) > 0 ? "refused" : (await this.root().count()) === 0 ? "recorded" : null),
      "the review to be recorded or refused",
      15_000,
    );
  }
}

/** The skill page's Usage tab (/admin/skills/<name>?tab=usage). */
export class SkillUsagePanel {
  constructor(readonly page: Page) {}

  root(): Locator {
    return this.page.getByTestId("usage-panel");
  }

  async waitUntilLoaded(): Promise<void> {
    await this.root().waitFor();
  }

  async chooseWindow(weeks: UsageWindow): Promise<void> {
    await chooseWindow(this.page, "usage-window", weeks, this.root());
  }

  /** A figure's raw value: tier, weekly, invocations, users, success. */
  async stat(name: "tier" | "weekly" | "invocations" | "users" | "success"): Promise<string> {
    return (await this.root().locator(`[data-testid="usage-stat"][data-stat="${name}"]`).getAttribute("data-value")) ?? "";
  }

  /** A figure as the page prints it ("126", "97.5%", "high usage"). */
  async statText(name: "tier" | "weekly" | "invocations" | "users" | "success"): Promise<string> {
    return ((await this.root().locator(`[data-testid="usage-stat"][data-stat="${name}"]`).getByTestId("usage-stat-value").textContent()) ?? "").trim();
  }

  chart(): Locator {
    return this.root().getByTestId("usage-chart");
  }

  /** The teams the chart's series stand for, in stacking order. */
  async chartSeries(): Promise<string[]> {
    return ((await this.chart().getAttribute("data-series")) ?? "").split(",").filter(Boolean);
  }

  /** The chart's drawn bar segments (SVG paths recharts draws for each non-empty week and team) with a height. */
  async chartBars(): Promise<number> {
    await this.chart().locator("svg .recharts-bar-rectangle path").first().waitFor();
    return this.chart()
      .locator("svg .recharts-bar-rectangle path")
      .evaluateAll((paths) => paths.filter((path) => (path as SVGGraphicsElement).getBBox().height > 0).length);
  }

  /** Week start (YYYY-MM-DD) → invocations, as the chart's text alternative lists them. */
  async weeks(): Promise<Record<string, number>> {
    const rows = await attributes(this.root().getByTestId("usage-week"), ["week", "invocations"]);
    return Object.fromEntries(rows.map((row) => [row["week"] ?? "", Number(row["invocations"])]));
  }

  async byTeam(): Promise<{ team: string; invocations: number; users: number }[]> {
    const rows = await attributes(this.root().getByTestId("usage-team-row"), ["team", "invocations", "users"]);
    return rows.map((row) => ({ team: row["team"] ?? "", invocations: Number(row["invocations"]), users: Number(row["users"]) }));
  }

  async byVersion(): Promise<{ version: string; invocations: number; success: number | null }[]> {
    const rows = await attributes(this.root().getByTestId("usage-version-row"), ["version", "invocations", "success"]);
    return rows.map((row) => ({
      version: row["version"] ?? "",
      invocations: Number(row["invocations"]),
      success: row["success"] ? Number(row["success"]) : null,
    }));
  }

  empty(): Locator {
    return this.root().getByTestId("usage-empty");
  }

  reviewStatus(): Locator {
    return this.root().getByTestId("quality-review-status");
  }

  lastReview(): Locator {
    return this.reviewStatus().getByTestId("last-review");
  }

  async startReview(): Promise<RecordReviewDialog> {
    await this.reviewStatus().getByTestId("record-review").click();
    const dialog = new RecordReviewDialog(this.page);
    await dialog.waitUntilReady();
    return dialog;
  }
}
