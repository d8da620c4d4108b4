import type { Locator, Page } from "playwright-core";

/** A test run's page (/admin/runs/:id): header facts, test cases and the live log. */
export class TestRunPage {
  constructor(readonly page: Page) {}

  async open(runId: string): Promise<this> {
    await this.page.goto(`/admin/runs/${encodeURIComponent(runId)}`);
    await this.waitUntilLoaded();
    return this;
  }

  async waitUntilLoaded(): Promise<void> {
    await this.page.getByTestId("run-log").waitFor();
  }

  title(): Locator {
    return this.page.getByTestId("page-title");
  }

  /** The status badge of the page header (moves with the log: QUEUED → RUNNING → final). */
  async headerStatus(): Promise<string | null> {
    return this.page.getByTestId("run-header-status").getByTestId("run-status").getAttribute("data-status");
  }

  testCases(): Locator {
    return this.page.getByTestId("test-case-row");
  }

  /** Each test case's result, top to bottom (failures are listed first). */
  async testCaseStatuses(): Promise<string[]> {
    return this.testCases().evaluateAll((rows) => rows.map((row) => row.getAttribute("data-status") ?? ""));
  }

  log(): RunLogPanel {
    return new RunLogPanel(this.page);
  }
}

/** The log viewer (also embedded in the review page). */
export class RunLogPanel {
  constructor(readonly page: Page) {}

  /** The live status the log shows, from the run's own events. */
  async status(): Promise<string | null> {
    return this.page.getByTestId("run-log-status").getAttribute("data-status");
  }

  lines(): Locator {
    return this.page.getByTestId("log-line");
  }

  stderrLines(): Locator {
    return this.page.locator('[data-testid="log-line"][data-stream="STDERR"]');
  }

  stdoutLines(): Locator {
    return this.page.locator('[data-testid="log-line"][data-stream="STDOUT"]');
  }

  /** Status and number of rendered lines, read in one go so they belong together. */
  async sample(): Promise<{ status: string | null; lines: number }> {
    return this.page.evaluate(() => ({
      status: document.querySelector('[data-testid="run-log-status"]')?.getAttribute("data-status") ?? null,
      lines: document.querySelectorAll('[data-testid="log-line"]').length,
    }));
  }

  /** The text of every rendered line (without its number and stream marker). */
  async texts(): Promise<string[]> {
    return this.lines().evaluateAll((lines) => lines.map((line) => line.lastElementChild?.textContent ?? ""));
  }

  followToggle(): Locator {
    return this.page.getByTestId("log-follow-toggle");
  }

  async following(): Promise<boolean> {
    return (await this.followToggle().getAttribute("data-following")) === "true";
  }

  /** "N new lines — resume", shown while paused and lines arrive. */
  resumeButton(): Locator {
    return this.page.getByTestId("log-resume");
  }

  /** Shows all / stdout / stderr lines. */
  async filter(stream: "All" | "stdout" | "stderr"): Promise<void> {
    await this.page.getByTestId("log-filter").getByText(stream, { exact: false }).first().click();
  }

  outcome(): Locator {
    return this.page.getByTestId("run-outcome");
  }

  empty(): Locator {
    return this.page.getByTestId("log-empty");
  }
}
