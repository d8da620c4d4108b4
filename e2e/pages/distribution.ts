import { readFileSync } from "node:fs";
import type { Locator, Page } from "playwright-core";

type DistributionTab = "marketplaces" | "required" | "policy" | "settings";

/** Picks a team (or, with null, everyone) in one of the page's team pickers from the keyboard: its name, then Enter. */
async function pickTeam(page: Page, pickerTestId: string, team: string | null): Promise<void> {
  const picker = page.getByTestId(pickerTestId);
  await picker.focus();
  await picker.fill(team ?? "Everyone");
  await page.locator(`[data-testid="team-option"][data-team="${team ?? ""}"]`).waitFor();
  await picker.press("Enter");
  await page.locator(`[data-testid="${pickerTestId}"][data-team="${team ?? ""}"]`).waitFor();
}

/** The distribution page (/admin/distribution): marketplaces, required skills, runtime policy, managed settings. */
export class DistributionPage {
  constructor(readonly page: Page) {}

  async waitUntilLoaded(): Promise<void> {
    await this.page.getByTestId("page-title").filter({ hasText: "Distribution" }).waitFor();
    await this.page.getByTestId("tab-marketplaces").waitFor();
  }

  async showTab(tab: DistributionTab): Promise<void> {
    await this.page.getByTestId(`tab-${tab}`).click();
    await this.page.locator(`[data-testid="tab-${tab}"][aria-selected="true"]`).waitFor();
  }

  // Marketplaces

  marketplace(name: string): Locator {
    return this.page.locator(`[data-testid="marketplace"][data-name="${name}"]`);
  }

  /** The listed marketplaces' names, top to bottom. */
  async marketplaceNames(): Promise<string[]> {
    await this.showTab("marketplaces");
    await this.page.getByTestId("marketplace").first().waitFor();
    return this.page.getByTestId("marketplace").evaluateAll((cards) => cards.map((card) => card.getAttribute("data-name") ?? ""));
  }

  /** The `claude plugin marketplace add …` command shown for a marketplace. */
  async addCommand(name: string): Promise<string> {
    return ((await this.marketplace(name).getByTestId("marketplace-add-command").textContent()) ?? "").trim();
  }

  async copyAddCommand(name: string): Promise<void> {
    await this.marketplace(name).getByTestId("marketplace-add-command-copy").click();
  }

  // Required skills

  requiredPanel(): Locator {
    return this.page.getByTestId("required-skills");
  }

  /** Shows what the machines of `team` (null: everyone) get, once the list has loaded. */
  async viewRequiredSkills(team: string | null): Promise<void> {
    await this.showTab("required");
    if ((await this.requiredPanel().getAttribute("data-team")) !== (team ?? "")) await pickTeam(this.page, "required-team", team);
    await this.requiredPanel().locator('[data-testid="required-table"], [data-testid="empty-state"], [data-testid="error-state"]').first().waitFor();
  }

  /**
   * Requires a skill for a team or (team null) everyone from the keyboard: its name in the form, the
   * suggestions closed, Enter. The outcome is a notice or an error.
   */
  async requireSkill(skill: string, { team }: { team: string | null }): Promise<void> {
    await this.viewRequiredSkills(team);
    const input = this.page.getByTestId("required-skill-input");
    await input.fill(skill);
    await input.press("Escape");
    await input.press("Enter");
    await this.waitForOutcome();
  }

  /** Stops requiring a skill for the team shown (its own requirement, not an organisation-wide one). */
  async stopRequiring(skill: string, { team }: { team: string | null }): Promise<void> {
    await this.viewRequiredSkills(team);
    await this.requiredRow(skill, team).getByTestId("required-remove").click();
    await this.waitForOutcome();
  }

  private async waitForOutcome(): Promise<void> {
    await this.page.locator('[data-testid="required-notice"], [data-testid="required-error"]').first().waitFor();
  }

  /** The row of a requirement: `scope` is its team, or null for an organisation-wide one. */
  requiredRow(skill: string, scope: string | null): Locator {
    return this.requiredPanel().locator(`[data-testid="required-row"][data-skill="${skill}"][data-scope="${scope ?? ""}"]`);
  }

  /** The listed requirements as `skill` or `skill (everyone)`, top to bottom. */
  async requiredSkills(): Promise<string[]> {
    return this.requiredPanel()
      .getByTestId("required-row")
      .evaluateAll((rows) => rows.map((row) => `${row.getAttribute("data-skill")}${row.getAttribute("data-scope") ? "" : " (everyone)"}`));
  }

  /** Whether the page lets the viewer change the list shown. */
  async canChangeRequiredSkills(): Promise<boolean> {
    return (await this.requiredPanel().getAttribute("data-editable")) === "true";
  }

  requiredNotice(): Locator {
    return this.page.getByTestId("required-notice");
  }

  requiredError(): Locator {
    return this.page.getByTestId("required-error");
  }

  requiredReadOnlyNote(): Locator {
    return this.page.getByTestId("required-read-only");
  }

  async policyEditor(): Promise<PolicyEditor> {
    await this.showTab("policy");
    const editor = new PolicyEditor(this.page);
    await editor.root().waitFor();
    return editor;
  }

  /** The managed settings tab, once it shows the form (or why the viewer may not use it). */
  async settingsPreview(): Promise<SettingsPreview> {
    await this.showTab("settings");
    const preview = new SettingsPreview(this.page);
    await preview.root().or(preview.notAllowed()).waitFor();
    return preview;
  }
}

export interface PolicyRule {
  tools: string;
  pattern: string;
  reason: string;
}

type RuleField = keyof PolicyRule;

/** The runtime policy tab: its rules, and for admins the editor. */
export class PolicyEditor {
  constructor(readonly page: Page) {}

  root(): Locator {
    return this.page.getByTestId("runtime-policy");
  }

  async version(): Promise<number> {
    return Number(await this.root().getAttribute("data-version"));
  }

  savedBy(): Locator {
    return this.page.getByTestId("policy-saved-by");
  }

  rows(): Locator {
    return this.page.getByTestId("policy-rule");
  }

  row(index: number): Locator {
    return this.page.locator(`[data-testid="policy-rule"][data-index="${index}"]`);
  }

  /** The rules on screen, as typed (the editor) or as saved (read only). */
  async rules(): Promise<PolicyRule[]> {
    return this.rows().evaluateAll((rows) =>
      rows.map((row) => {
        const read = (field: string) => {
          const shown = row.querySelector(`[data-testid="policy-rule-${field}"]`);
          return shown instanceof HTMLTextAreaElement ? shown.value : (shown?.textContent ?? "");
        };
        return { tools: read("tools"), pattern: read("pattern"), reason: read("reason") };
      }),
    );
  }

  isEditable(): Promise<boolean> {
    return this.page
      .getByTestId("policy-add")
      .count()
      .then((count) => count > 0);
  }

  readOnlyNote(): Locator {
    return this.page.getByTestId("policy-read-only");
  }

  /** Adds a row at the end and types the rule into it. */
  async addRule(rule: PolicyRule): Promise<void> {
    const before = await this.rows().count();
    await this.page.getByTestId("policy-add").click();
    for (const field of ["tools", "pattern", "reason"] as const) await this.editRule(before, field, rule[field]);
  }

  async editRule(index: number, field: RuleField, value: string): Promise<void> {
    await this.row(index).getByTestId(`policy-rule-${field}`).fill(value);
  }

  async removeRule(index: number): Promise<void> {
    await this.row(index).getByTestId("policy-rule-remove").click();
  }

  /** The "unsaved changes" bar's summary; absent when nothing is unsaved. */
  unsaved(): Locator {
    return this.page.getByTestId("policy-unsaved");
  }

  async discard(): Promise<void> {
    await this.page.getByTestId("policy-discard").click();
    await this.unsaved().waitFor({ state: "detached" });
  }

  /** Saves; the outcome is the saved notice or the server's refusal. */
  async save(): Promise<void> {
    await this.page.getByTestId("policy-save").click();
    await this.page.locator('[data-testid="policy-saved"], [data-testid="policy-error"]').first().waitFor();
  }

  savedNotice(): Locator {
    return this.page.getByTestId("policy-saved");
  }

  error(): Locator {
    return this.page.getByTestId("policy-error");
  }

  /** The field the refusal marked in a row (null when the row is not marked), and the message under it. */
  async markedField(index: number): Promise<{ field: string | null; message: string | null }> {
    const field = await this.row(index).getAttribute("data-invalid");
    if (!field) return { field: null, message: null };
    const message = await this.row(index).locator(".mantine-InputWrapper-error").textContent();
    return { field, message };
  }
}

/** The managed settings tab: generate a team's settings for a channel, see them, download them. */
export class SettingsPreview {
  constructor(readonly page: Page) {}

  root(): Locator {
    return this.page.getByTestId("managed-settings");
  }

  notAllowed(): Locator {
    return this.page.getByTestId("settings-not-allowed");
  }

  /** Picks the channel (null: latest) and the team (null: everyone), then generates. */
  async generate({ channel, team }: { channel: string | null; team: string | null }): Promise<void> {
    await this.page.getByTestId("settings-channel").click();
    await this.page.getByRole("option", { name: new RegExp(`^${channel ?? "latest"} \\(`) }).click();
    if ((await this.page.getByTestId("settings-team").getAttribute("data-team")) !== (team ?? "")) await pickTeam(this.page, "settings-team", team);
    await this.page.getByTestId("settings-generate").click();
    await this.page.locator('[data-testid="settings-json"], [data-testid="settings-error"]').first().waitFor();
  }

  /** The shown settings, parsed. */
  async settings(): Promise<Record<string, unknown>> {
    return JSON.parse((await this.page.getByTestId("settings-json").textContent()) ?? "") as Record<string, unknown>;
  }

  cliCommand(): Promise<string> {
    return this.page
      .getByTestId("settings-cli-command")
      .textContent()
      .then((text) => (text ?? "").trim());
  }

  /** Clicks Download and answers the saved file's name and content. */
  async download(): Promise<{ filename: string; content: string }> {
    const [download] = await Promise.all([this.page.waitForEvent("download"), this.page.getByTestId("settings-download").click()]);
    return { filename: download.suggestedFilename(), content: readFileSync(await download.path(), "utf8") };
  }

  async hide(): Promise<void> {
    await this.page.getByTestId("settings-hide").click();
    await this.page.getByTestId("settings-json").waitFor({ state: "detached" });
  }
}
