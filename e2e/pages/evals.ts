import type { Locator, Page } from "playwright-core";
import { waitFor } from "../support/wait";
import { ReviewDetailPage } from "./reviews";

/** Reads the data-* attributes of every element `locator` matches, top to bottom. */
function attributes(locator: Locator, names: string[]): Promise<Record<string, string>[]> {
  return locator.evaluateAll(
    (elements, keys) => elements.map((element) => Object.fromEntries(keys.map((key) => [key, element.getAttribute(`data-${key}`) ?? ""]))),
    names,
  );
}

const numberOrNull = (value: string | undefined): number | null => (value === undefined || value === "" ? null : Number(value));

/** A score badge as shown: "0.86 · min 0.80", green when it meets the minimum. */
export interface ShownScore {
  score: number | null;
  minScore: number;
  meets: boolean;
  text: string;
}

async function shownScore(badge: Locator): Promise<ShownScore> {
  const [row] = await attributes(badge, ["score", "min-score", "meets"]);
  return {
    score: numberOrNull(row?.["score"]),
    minScore: Number(row?.["min-score"]),
    meets: row?.["meets"] === "true",
    text: ((await badge.textContent()) ?? "").trim(),
  };
}

/** One row of a case table, as a reader sees it. */
export interface ShownCase {
  name: string;
  score: number | null;
  passed: boolean;
  scored: boolean;
  /** Why it lost points: failed checks, the judge's reason ("" for full marks). */
  problems: string;
}

/** The case table of an eval run (run page and review page): a table on wide screens, cards on phones. */
export class EvalCases {
  constructor(private readonly scope: Locator) {}

  private rows(): Locator {
    return this.scope.getByTestId("eval-case-row");
  }

  private row(name: string): Locator {
    return this.scope.locator(`[data-testid="eval-case-row"][data-case="${name}"]`);
  }

  async list(): Promise<ShownCase[]> {
    const rows = await this.rows().evaluateAll((elements) =>
      elements.map((element) => ({
        name: element.getAttribute("data-case") ?? "",
        score: element.getAttribute("data-score") ?? "",
        passed: element.getAttribute("data-passed") === "true",
        scored: element.getAttribute("data-scored") === "true",
        problems: element.querySelector('[data-testid="eval-case-problems"]')?.textContent ?? "",
      })),
    );
    return rows.map((row) => ({ ...row, score: numberOrNull(row.score) }));
  }

  async names(): Promise<string[]> {
    return (await this.list()).map((row) => row.name);
  }

  /** Opens a case's details (with the keyboard, as someone without a mouse would) and answers its output. */
  async outputOf(name: string): Promise<string> {
    const toggle = this.row(name).getByTestId("eval-case-toggle");
    await toggle.focus();
    await toggle.press("Enter");
    await waitFor(async () => (await toggle.getAttribute("aria-expanded")) === "true", `the details of ${name} to open`, 5_000);
    const detail = this.scope.locator(`[data-testid="eval-case-detail-row"][data-case="${name}"], [data-testid="eval-case-row"][data-case="${name}"]`);
    const output = detail.getByTestId("eval-case-output").first();
    await output.waitFor();
    return (await output.textContent()) ?? "";
  }
}

/** An eval run's page (/admin/evals/<EvalRun id>): status, score, cases filling in live, the log. */
export class EvalRunPage {
  constructor(readonly page: Page) {}

  async open(runId: string): Promise<this> {
    await this.page.goto(`/admin/evals/${encodeURIComponent(runId)}`);
    await this.waitUntilLoaded();
    return this;
  }

  async waitUntilLoaded(): Promise<void> {
    await this.page.getByTestId("eval-run").waitFor();
  }

  title(): Locator {
    return this.page.getByTestId("page-title");
  }

  /** The run's status as the page shows it now (QUEUED, RUNNING, PASSED, …). */
  async status(): Promise<string> {
    return (await this.page.getByTestId("eval-run").getAttribute("data-status")) ?? "";
  }

  async score(): Promise<ShownScore> {
    return shownScore(this.page.getByTestId("eval-run-score").getByTestId("eval-score"));
  }

  /** "k of N": how many of the suite's cases are on screen. */
  async caseProgress(): Promise<{ shown: number; total: number }> {
    const [row] = await attributes(this.page.getByTestId("eval-cases-count"), ["scored", "total"]);
    return { shown: Number(row?.["scored"]), total: Number(row?.["total"]) };
  }

  /** Waits until the page shows `count` cases (they arrive over the subscription as they are scored). */
  async waitForCases(count: number, timeoutMs = 60_000): Promise<void> {
    await waitFor(async () => (await this.caseProgress()).shown >= count, `${count} cases on the eval run page`, timeoutMs, 100);
  }

  /** Waits until the page shows a final status, and answers it. */
  async waitUntilFinished(timeoutMs = 120_000): Promise<string> {
    return waitFor(
      async () => {
        const status = await this.status();
        return ["PASSED", "FAILED", "ERROR", "INFRA_ERROR"].includes(status) ? status : null;
      },
      "the eval run to finish on the page",
      timeoutMs,
      100,
    );
  }

  /** Whether the page says the run is still going (the progress card). */
  async showsProgress(): Promise<boolean> {
    return (await this.page.getByTestId("eval-run-progress").count()) > 0;
  }

  cases(): EvalCases {
    return new EvalCases(this.page.getByTestId("eval-run"));
  }

  /** The outcome once final: title and reason in words. */
  async outcome(): Promise<{ status: string; regressed: boolean; text: string }> {
    const outcome = this.page.getByTestId("eval-run-outcome");
    await outcome.waitFor();
    return {
      status: (await outcome.getAttribute("data-status")) ?? "",
      regressed: (await outcome.getAttribute("data-regressed")) === "true",
      text: ((await outcome.textContent()) ?? "").replace(/\s+/g, " ").trim(),
    };
  }

  /** What the run is compared with ("1.0.0 scored 1.00", "1.00 before"). */
  async comparison(): Promise<string> {
    return ((await this.page.getByTestId("eval-run-comparison").textContent()) ?? "").replace(/\s+/g, " ").trim();
  }

  async logLineCount(): Promise<number> {
    return Number(await this.page.getByTestId("eval-log").getAttribute("data-count"));
  }

  /** True when the page is wider than the window (something forces sideways scrolling on a phone). */
  async overflowsSideways(): Promise<boolean> {
    return this.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  }
}

/** A case that scored lower than on the baseline, as the review page puts them side by side. */
export interface ShownWorseCase {
  name: string;
  before: number;
  after: number;
  outputBefore: string;
  outputAfter: string;
}

/** The review page of a version with evals: the score, the regression, the cases and the decision. */
export class EvalReviewPage extends ReviewDetailPage {
  private section(): Locator {
    return this.page.getByTestId("section-evals");
  }

  /** The eval score against its minimum, as the Evals section's badge shows it. */
  async evalScore(): Promise<ShownScore> {
    return shownScore(this.section().getByTestId("eval-score").first());
  }

  evalCases(): EvalCases {
    return new EvalCases(this.section());
  }

  /** The cases that got worse, with their old (baseline) and new output side by side. */
  async worseCases(): Promise<ShownWorseCase[]> {
    await this.section().getByTestId("eval-regression").waitFor();
    return this.section()
      .getByTestId("eval-worse-case")
      .evaluateAll((cards) =>
        cards.map((card) => ({
          name: card.getAttribute("data-case") ?? "",
          before: Number(card.getAttribute("data-before")),
          after: Number(card.getAttribute("data-after")),
          outputBefore: card.querySelector('[data-testid="eval-worse-output-before"]')?.textContent ?? "",
          outputAfter: card.querySelector('[data-testid="eval-worse-output-after"]')?.textContent ?? "",
        })),
      );
  }

  /** Whether the before and after outputs sit next to each other (wide screens) rather than stacked. */
  async comparisonIsSideBySide(name: string): Promise<boolean> {
    const card = this.section().locator(`[data-testid="eval-worse-case"][data-case="${name}"]`);
    const before = await card.getByTestId("eval-worse-output-before").boundingBox();
    const after = await card.getByTestId("eval-worse-output-after").boundingBox();
    return before !== null && after !== null && Math.abs(before.y - after.y) < 4 && after.x > before.x;
  }

  /** The kinds of the reasons the version waits for review (RISK, USAGE_TIER, EVAL_REGRESSION, …). */
  async reasonKinds(): Promise<string[]> {
    return (await attributes(this.page.getByTestId("review-reason"), ["kind"])).map((row) => row["kind"] ?? "");
  }

  /** The sentence a reason of `kind` reads as. */
  async reasonText(kind: string): Promise<string> {
    const reason = this.page.locator(`[data-testid="review-reason"][data-kind="${kind}"]`);
    return ((await reason.textContent()) ?? "").replace(/\s+/g, " ").trim();
  }

  /** What the comment field says before anything is clicked: whether it is required, and why. */
  async commentRequirement(): Promise<{ required: boolean; explanation: string }> {
    const input = this.commentInput();
    const describedBy = (await input.getAttribute("aria-describedby")) ?? "";
    const explanation = await this.page.evaluate(
      (ids) =>
        ids
          .split(/\s+/)
          .filter(Boolean)
          .map((id) => document.getElementById(id)?.textContent ?? "")
          .join(" "),
      describedBy,
    );
    return { required: (await input.getAttribute("data-required")) === "true" && (await input.getAttribute("required")) !== null, explanation };
  }

  /** Clicks Approve with an empty comment; answers the refusal shown on the comment field. */
  async approveWithoutReason(): Promise<string> {
    await this.commentInput().fill("");
    await this.approveButton().click();
    const refusal = this.page.getByTestId("decision-comment-error");
    await refusal.waitFor();
    return ((await refusal.textContent()) ?? "").trim();
  }

  /** Whether focus was put back on the comment field (where the reviewer must type). */
  async commentHasFocus(): Promise<boolean> {
    return this.commentInput().evaluate((element) => element === document.activeElement);
  }

  /** True when the page is wider than the window (something forces sideways scrolling on a phone). */
  async overflowsSideways(): Promise<boolean> {
    return this.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  }

  async openEvalRun(): Promise<EvalRunPage> {
    await this.section().getByTestId("open-eval-run").click();
    const run = new EvalRunPage(this.page);
    await run.waitUntilLoaded();
    return run;
  }
}

/** The skill page's Evals tab: each version's score charted in publish order, and the drift warning. */
export class SkillEvalsTab {
  constructor(readonly page: Page) {}

  async open(skill: string): Promise<this> {
    await this.page.goto(`/admin/skills/${encodeURIComponent(skill)}?tab=evals`);
    await this.page.locator('[data-testid="eval-scores"], [data-testid="empty-state"]').first().waitFor();
    return this;
  }

  /** The points the chart draws, left to right: version and score (null for a version not scored). */
  async chartedScores(): Promise<{ version: string; score: number | null }[]> {
    const chart = this.page.getByTestId("eval-score-chart");
    await chart.locator("svg").first().waitFor();
    const points = (await chart.getAttribute("data-points")) ?? "";
    return points
      .split(",")
      .filter(Boolean)
      .map((point) => {
        const [version = "", score = ""] = point.split("=");
        return { version, score: numberOrNull(score) };
      });
  }

  /** The minimum drawn as a reference line, or null when it is drawn as a series (minimums differ). */
  async minimumLine(): Promise<number | null> {
    return numberOrNull((await this.page.getByTestId("eval-score-chart").getAttribute("data-minimum")) ?? "");
  }

  /** How many line paths and reference lines the chart drew (a picture, not just data). */
  async drawnLines(): Promise<{ lines: number; referenceLines: number }> {
    const chart = this.page.getByTestId("eval-score-chart");
    return {
      lines: await chart.locator(".recharts-line").count(),
      referenceLines: await chart.locator(".recharts-reference-line").count(),
    };
  }

  async openRunOf(version: string): Promise<EvalRunPage> {
    await this.page.locator(`[data-testid="eval-score-row"][data-version="${version}"]`).getByTestId("eval-score-run-link").click();
    const run = new EvalRunPage(this.page);
    await run.waitUntilLoaded();
    return run;
  }

  /** The drift warning at the top of the skill page, or null when there is none. */
  async drift(): Promise<{ score: number | null; previousScore: number | null; text: string } | null> {
    const alert = this.page.getByTestId("eval-drift-alert");
    if ((await alert.count()) === 0) return null;
    return {
      score: numberOrNull((await alert.getAttribute("data-score")) ?? ""),
      previousScore: numberOrNull((await alert.getAttribute("data-previous-score")) ?? ""),
      text: ((await alert.textContent()) ?? "").replace(/\s+/g, " ").trim(),
    };
  }

  async openDriftRun(): Promise<EvalRunPage> {
    await this.page.getByTestId("eval-drift-link").click();
    const run = new EvalRunPage(this.page);
    await run.waitUntilLoaded();
    return run;
  }
}

/** The drift marker on a skill's row of the quality reviews queue (Usage → Quality reviews). */
export async function driftInQualityReviews(page: Page, skill: string): Promise<{ score: number | null; previousScore: number | null } | null> {
  const badge = page.locator(`[data-testid="review-due-row"][data-skill="${skill}"]`).getByTestId("eval-drift-badge");
  if ((await badge.count()) === 0) return null;
  return {
    score: numberOrNull((await badge.getAttribute("data-score")) ?? ""),
    previousScore: numberOrNull((await badge.getAttribute("data-previous-score")) ?? ""),
  };
}
