import type { Locator, Page } from "playwright-core";
import { waitFor } from "../support/wait";

/** The catalog search (/admin/skills): the search lives in the URL. */
export class SkillSearchPage {
  constructor(readonly page: Page) {}

  async open(query = ""): Promise<this> {
    await this.page.goto(`/admin/skills${query}`);
    await this.waitUntilLoaded();
    return this;
  }

  /** Results or an empty state are on screen. */
  async waitUntilLoaded(): Promise<void> {
    await this.page.locator('[data-testid="catalog-results"], [data-testid="empty-state"]').first().waitFor();
  }

  searchInput(): Locator {
    return this.page.getByTestId("catalog-search-input");
  }

  async search(term: string): Promise<void> {
    await this.searchInput().fill(term);
  }

  results(): Locator {
    return this.page.getByTestId("skill-result");
  }

  result(name: string): Locator {
    return this.page.locator(`[data-testid="skill-result"][data-name="${name}"]`);
  }

  async resultNames(): Promise<string[]> {
    return this.results().evaluateAll((rows) => rows.map((row) => row.getAttribute("data-name") ?? ""));
  }

  /** Waits until the listed skills satisfy `accept` (the search is debounced), and answers them. */
  async waitForResults(accept: (names: string[]) => boolean, what: string): Promise<string[]> {
    return waitFor(
      async () => {
        const names = await this.resultNames();
        return accept(names) ? names : null;
      },
      what,
      15_000,
    );
  }

  emptyState(): Locator {
    return this.page.getByTestId("empty-state");
  }

  async openSkill(name: string): Promise<SkillPage> {
    await this.result(name).getByTestId("skill-result-link").click();
    const skill = new SkillPage(this.page);
    await skill.waitUntilLoaded();
    return skill;
  }
}

type SkillTab = "versions" | "channels" | "claude-code" | "usage" | "ratings" | "installs" | "dependencies";

/** One skill's page (/admin/skills/:name). */
export class SkillPage {
  constructor(readonly page: Page) {}

  async open(name: string): Promise<this> {
    await this.page.goto(`/admin/skills/${encodeURIComponent(name)}`);
    await this.waitUntilLoaded();
    return this;
  }

  async waitUntilLoaded(): Promise<void> {
    await this.page.getByTestId("tab-versions").waitFor();
  }

  title(): Locator {
    return this.page.getByTestId("page-title");
  }

  async showTab(tab: SkillTab): Promise<void> {
    await this.page.getByTestId(`tab-${tab}`).click();
  }

  versionRow(version: string): Locator {
    return this.page.locator(`[data-testid="version-row"][data-version="${version}"]`);
  }

  /** version → status of every listed version, top to bottom. */
  async versionStatuses(): Promise<[string, string][]> {
    return this.page
      .getByTestId("version-row")
      .evaluateAll((rows) => rows.map((row): [string, string] => [row.getAttribute("data-version") ?? "", row.getAttribute("data-status") ?? ""]));
  }

  installRow(team: string): Locator {
    return this.page.locator(`[data-testid="tenant-install-row"][data-team="${team}"]`);
  }

  channelRow(channel: string): Locator {
    return this.page.locator(`[data-testid="channel-row"][data-channel="${channel}"]`);
  }

  /** Every maintainer control on the page (version menus, channel buttons). */
  maintainerControls(): Locator {
    return this.page.locator('[data-testid="version-actions"], [data-testid="channel-move"], [data-testid="channel-create"]');
  }

  maintainerActionsHidden(): Locator {
    return this.page.getByTestId("maintainer-actions-hidden");
  }

  /** Opens a version's actions menu and picks an action ("yank", "deprecate", "channel"). */
  async startAction(version: string, action: "yank" | "deprecate" | "channel"): Promise<MaintainerModal> {
    await this.versionRow(version).getByTestId("version-actions").click();
    await this.page.getByTestId(`action-${action}`).click();
    const modal = new MaintainerModal(this.page);
    await modal.root().waitFor();
    return modal;
  }

  /** Opens the modal that points a (new or existing) channel at a version, from the Channels tab. */
  async startNewChannel(): Promise<MaintainerModal> {
    await this.showTab("channels");
    await this.page.getByTestId("channel-create").click();
    const modal = new MaintainerModal(this.page);
    await modal.root().waitFor();
    return modal;
  }

  /** A menu item of the open actions menu (to check whether it is disabled, and why). */
  actionItem(action: "yank" | "deprecate" | "channel"): Locator {
    return this.page.getByTestId(`action-${action}`);
  }

  /** Closes the open actions menu and waits until it is gone (it fades out). */
  async closeActionsMenu(): Promise<void> {
    await this.page.keyboard.press("Escape");
    await this.page.getByTestId("action-yank").waitFor({ state: "detached" });
  }

  notice(): Locator {
    return this.page.getByTestId("maintainer-notice");
  }

  /** The Claude Code tab's instructions for one channel ("latest", "stable", …). */
  claudeCodeChannel(channel: string): Locator {
    return this.page.locator(`[data-testid="claude-code-channel"][data-channel="${channel}"]`);
  }

  /** The commands that install the skill from a channel's marketplace, and the plugin archive's sha256 when shown. */
  async claudeCodeInstructions(channel: string): Promise<{ addMarketplace: string; install: string; sha256: string | null }> {
    const card = this.claudeCodeChannel(channel);
    const text = async (testId: string) => ((await card.getByTestId(testId).textContent()) ?? "").trim();
    const sha = card.getByTestId("claude-code-plugin-sha").locator("code");
    return {
      addMarketplace: await text("claude-code-add-marketplace"),
      install: await text("claude-code-install-command"),
      sha256: (await sha.count()) > 0 ? ((await sha.textContent()) ?? "").trim() : null,
    };
  }
}

/** A maintainer action's two-step modal: form, then confirm. */
export class MaintainerModal {
  constructor(readonly page: Page) {}

  root(): Locator {
    return this.page.getByRole("dialog");
  }

  field(testId: string): Locator {
    return this.page.getByTestId(testId);
  }

  continueButton(): Locator {
    return this.page.getByTestId("modal-continue");
  }

  /** Why Continue is disabled, when it is. */
  incomplete(): Locator {
    return this.page.getByTestId("modal-incomplete");
  }

  /** Picks an option of a Mantine Select by its label. */
  async select(testId: string, label: string): Promise<void> {
    await this.page.getByTestId(testId).click();
    await this.page.getByRole("option", { name: label, exact: true }).click();
  }

  async continue(): Promise<void> {
    await this.page.getByTestId("modal-continue").click();
    await this.summary().waitFor();
  }

  summary(): Locator {
    return this.page.getByTestId("modal-summary");
  }

  async confirm(): Promise<void> {
    await this.page.getByTestId("modal-confirm").click();
  }

  error(): Locator {
    return this.page.getByTestId("modal-error");
  }

  async back(): Promise<void> {
    await this.page.getByRole("button", { name: "Back" }).click();
  }

  /** Gone once the action succeeded and the page was refreshed. */
  async waitUntilClosed(): Promise<void> {
    await this.page.getByTestId("modal-confirm").waitFor({ state: "detached" });
  }
}
