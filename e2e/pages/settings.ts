import type { Locator, Page } from "playwright-core";

export type TokenScopeName = "READ" | "PUBLISH" | "REVIEW" | "ADMIN" | "INGEST";

export interface NewToken {
  name: string;
  scopes: TokenScopeName[];
  /** Team names PUBLISH is limited to; none: every team of the owner. */
  publishTeams?: string[];
  /** Leaves the dialog's default (90) when omitted. */
  expiresInDays?: number;
  /** CIDR ranges, one per line in the dialog. */
  allowedCidrs?: string[];
}

/** Settings → API tokens (/admin/settings/api-tokens): your own tokens, and (admins) every token expiring soon. */
export class ApiTokensPage {
  constructor(readonly page: Page) {}

  async open(tab: "mine" | "expiring" = "mine"): Promise<this> {
    await this.page.goto(tab === "mine" ? "/admin/settings/api-tokens" : "/admin/settings/api-tokens?tab=expiring");
    await this.waitUntilLoaded();
    return this;
  }

  /** The list (or its empty state) has answered. */
  async waitUntilLoaded(): Promise<void> {
    await this.page.locator('[data-testid="my-tokens"], [data-testid="expiring-tokens"], [data-testid="empty-state"]').first().waitFor();
  }

  /** Opens the create dialog. */
  async startCreating(): Promise<void> {
    await this.page.getByTestId("token-create").click();
    await this.dialog().getByTestId("token-name-input").waitFor();
  }

  /** Closes the create dialog without creating anything. */
  async cancelCreating(): Promise<void> {
    await this.dialog().getByRole("button", { name: "Cancel" }).click();
    await this.dialog().waitFor({ state: "detached" });
  }

  /** Fills the create dialog and submits it; answers the secret the dialog then shows, once. */
  async create(token: NewToken): Promise<string> {
    await this.startCreating();
    const dialog = this.dialog();
    await dialog.getByTestId("token-name-input").fill(token.name);
    for (const scope of ["READ", "PUBLISH", "REVIEW", "ADMIN", "INGEST"] as const) {
      const box = dialog.getByTestId(`token-scope-${scope}`);
      if ((await box.count()) === 0) continue;
      if (token.scopes.includes(scope)) await box.check();
      else await box.uncheck();
    }
    for (const team of token.publishTeams ?? []) {
      await dialog.getByTestId("token-publish-teams-input").click();
      await dialog.getByRole("option", { name: team, exact: true }).click();
    }
    if (token.expiresInDays !== undefined) await dialog.getByTestId("token-expiry-input").fill(String(token.expiresInDays));
    if (token.allowedCidrs) await dialog.getByTestId("token-cidrs-input").fill(token.allowedCidrs.join("\n"));
    await dialog.getByTestId("token-create-submit").click();
    await this.page.locator('[data-testid="token-secret"], [data-testid="token-create-error"]').first().waitFor();
    const secret = (await this.secret().textContent())?.trim();
    if (!secret) throw new Error(`no token secret was shown: ${await this.createError().textContent()}`);
    return secret;
  }

  dialog(): Locator {
    return this.page.getByTestId("create-token-dialog").getByRole("dialog");
  }

  /** The scopes the open create dialog offers (what the viewer's roles allow). */
  async offeredScopes(): Promise<string[]> {
    return this.dialog()
      .locator('[data-testid^="token-scope-"]')
      .evaluateAll((boxes) => boxes.map((b) => (b.getAttribute("data-testid") ?? "").replace("token-scope-", "")));
  }

  secret(): Locator {
    return this.page.getByTestId("token-secret");
  }

  createError(): Locator {
    return this.page.getByTestId("token-create-error");
  }

  /** "I have copied it": closes the dialog, and the secret is gone for good. */
  async dismissSecret(): Promise<void> {
    await this.page.getByTestId("token-secret-dismiss").click();
    await this.secret().waitFor({ state: "detached" });
  }

  row(name: string): Locator {
    return this.page.locator(`[data-testid="api-token-row"][data-name="${name}"]`);
  }

  /** The scopes a listed token shows, as badges. */
  async scopesOf(name: string): Promise<string[]> {
    return this.row(name)
      .getByTestId("token-scope")
      .evaluateAll((badges) => badges.map((b) => b.getAttribute("data-scope") ?? ""));
  }

  /** never | expired | soon | later, as the row shows the token's expiry. */
  async expiryOf(name: string): Promise<{ state: string | null; text: string }> {
    const expiry = this.row(name).getByTestId("token-expiry");
    return { state: await expiry.getAttribute("data-state"), text: ((await expiry.textContent()) ?? "").trim() };
  }

  /** Revokes the named token through its confirmation. */
  async revoke(name: string): Promise<void> {
    await this.row(name).getByTestId("token-revoke").click();
    await this.page.getByTestId("revoke-token-confirm").click();
    await this.row(name).getByTestId("token-status").and(this.page.locator('[data-status="REVOKED"]')).waitFor();
  }
}

/** Settings → Directory groups (/admin/settings/directory-groups, admins): group → team or role mappings. */
export class DirectoryGroupsPage {
  constructor(readonly page: Page) {}

  async open(): Promise<this> {
    await this.page.goto("/admin/settings/directory-groups");
    await this.page.locator('[data-testid="mapping-list"], [data-testid="empty-state"], [data-testid="admins-only"]').first().waitFor();
    return this;
  }

  /** Members of `group` join `team` with `teamRole`. */
  async mapToTeam(group: string, team: string, teamRole: "MEMBER" | "MAINTAINER"): Promise<void> {
    await this.startAdding(group);
    const dialog = this.page.getByRole("dialog");
    const teamInput = dialog.getByTestId("mapping-team-input");
    await teamInput.fill(team);
    await this.page.locator(`[data-testid="team-option"][data-team="${team}"]`).click();
    await dialog
      .getByTestId("mapping-team-role")
      .getByText(teamRole === "MEMBER" ? "Member" : "Maintainer", { exact: true })
      .click();
    await this.submit();
  }

  /** Members of `group` hold the global `role`. */
  async mapToRole(group: string, role: "REVIEWER" | "ADMIN"): Promise<void> {
    await this.startAdding(group);
    const dialog = this.page.getByRole("dialog");
    await dialog.getByTestId("mapping-target").getByText("A global role", { exact: true }).click();
    await dialog
      .getByTestId("mapping-role")
      .getByText(role === "REVIEWER" ? "Reviewer" : "Admin", { exact: true })
      .click();
    await this.submit();
  }

  private async startAdding(group: string): Promise<void> {
    await this.page.getByTestId("mapping-add").click();
    await this.page.getByTestId("mapping-group-input").fill(group);
  }

  /** Submits the dialog; it closes on success, or shows the server's refusal (see error()). */
  private async submit(): Promise<void> {
    await this.page.getByTestId("mapping-submit").click();
    await this.page.locator('[data-testid="mapping-notice"], [data-testid="mapping-error"]').first().waitFor();
  }

  error(): Locator {
    return this.page.getByTestId("mapping-error");
  }

  notice(): Locator {
    return this.page.getByTestId("mapping-notice");
  }

  /** The mapping rows of `group` (one per team or role it gives). */
  rows(group: string): Locator {
    return this.page.locator(`[data-testid="mapping-row"][data-group="${group}"]`);
  }

  /** Deletes the only mapping of `group` through its confirmation. */
  async delete(group: string): Promise<void> {
    await this.rows(group).getByTestId("mapping-delete").click();
    await this.page.getByTestId("delete-mapping-confirm").click();
    await this.rows(group).waitFor({ state: "detached" });
  }
}
