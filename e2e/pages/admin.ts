import type { Locator, Page } from "playwright-core";
import { waitFor } from "../support/wait";

/** The role-shaped main navigation. */
export class AdminNavigation {
  constructor(readonly page: Page) {}

  link(to: "reviews" | "skills" | "distribution" | "usage" | "audit" | "permissions" | "tokens" | "api-tokens" | "directory-groups"): Locator {
    return this.page.getByTestId(`nav-${to}`);
  }

  /** The signed-in user's handle in the header. */
  viewerHandle(): Locator {
    return this.page.getByTestId("viewer-handle");
  }

  /** Clicks "Sign out"; where the browser ends up depends on how it was signed in. */
  async signOut(): Promise<void> {
    await this.page.getByTestId("sign-out").click();
  }

  /** The labels of every navigation link the viewer is shown. */
  async visibleLinks(): Promise<string[]> {
    return this.page.locator('nav[aria-label="Main"] [data-testid^="nav-"]').evaluateAll((links) => links.map((l) => l.getAttribute("data-testid") ?? ""));
  }
}

/** The sign-in page, where an ended session lands: the identity provider (when set up), a token, or an invitation to redeem. */
export class SignInPage {
  constructor(readonly page: Page) {}

  form(): Locator {
    return this.page.getByTestId("sign-in-form");
  }

  /** "Sign in with <issuer host>", offered only when the server has an identity provider. */
  ssoButton(): Locator {
    return this.page.getByTestId("sign-in-sso");
  }

  /** Leaves for the identity provider's sign-in page. */
  async chooseSso(): Promise<void> {
    await this.ssoButton().click();
  }

  /** Why the last identity provider sign-in failed (its code in data-code). */
  signInError(): Locator {
    return this.page.getByTestId("sign-in-error");
  }

  /** Why the last session ended (e.g. the token was revoked). */
  sessionEnded(): Locator {
    return this.page.getByTestId("session-ended");
  }

  /** Switches to the "I have an invitation" path. */
  async chooseInvitation(): Promise<void> {
    await this.page.getByTestId("sign-in-tab-invitation").click();
    await this.codeInput().waitFor();
  }

  codeInput(): Locator {
    return this.page.getByTestId("invitation-code-input");
  }

  tokenNameInput(): Locator {
    return this.page.getByTestId("invitation-token-name-input");
  }

  /** Redeems the code (keeping the default token name unless one is given); the outcome is the secret or an error. */
  async redeem(code: string, tokenName?: string): Promise<void> {
    await this.codeInput().fill(code);
    if (tokenName !== undefined) await this.tokenNameInput().fill(tokenName);
    await this.page.getByTestId("redeem-button").click();
    await this.page.locator('[data-testid="redeemed"], [data-testid="redeem-error"]').first().waitFor();
  }

  /** The new token's secret, shown once after redeeming. */
  redeemedToken(): Locator {
    return this.page.getByTestId("redeemed-token");
  }

  redeemedBox(): Locator {
    return this.page.getByTestId("redeemed");
  }

  redeemError(): Locator {
    return this.page.getByTestId("redeem-error");
  }

  continueButton(): Locator {
    return this.page.getByTestId("redeem-continue");
  }

  /** Goes on into the console with the redeemed token. */
  async continueSignedIn(): Promise<void> {
    await this.continueButton().click();
    await this.page.getByTestId("viewer-handle").waitFor();
  }
}

/** The audit log (/admin/audit): filters in the URL, newest events first. */
export class AuditLogPage {
  constructor(readonly page: Page) {}

  async open(query = ""): Promise<this> {
    await this.page.goto(`/admin/audit${query}`);
    await this.waitUntilLoaded();
    return this;
  }

  /** The log has answered: rows or an empty state are on screen (of this page, not the one before it). */
  async waitUntilLoaded(): Promise<void> {
    await this.page.getByRole("search", { name: "Filter the audit log" }).waitFor();
    await this.page.locator('[data-testid="audit-list"], [data-testid="empty-state"]').first().waitFor();
  }

  get rows(): Locator {
    return this.page.getByTestId("audit-row");
  }

  /** The action (AuditAction value) of each listed row, top to bottom. */
  async actions(): Promise<string[]> {
    return this.rows.evaluateAll((rows) => rows.map((row) => row.getAttribute("data-action") ?? ""));
  }

  /** Waits until the listed rows satisfy `accept` (filters apply asynchronously), and answers them. */
  async waitForActions(accept: (actions: string[]) => boolean, what: string): Promise<string[]> {
    return waitFor(
      async () => {
        const actions = await this.actions();
        return accept(actions) ? actions : null;
      },
      what,
      15_000,
    );
  }

  actionFilter(): Locator {
    return this.page.getByTestId("audit-filter-action");
  }

  /** Picks an action in the Select by its label ("User created"); it applies at once. */
  async filterByAction(label: string): Promise<void> {
    await this.actionFilter().click();
    await this.page.getByRole("option", { name: label, exact: true }).click();
  }

  async filterByActor(handle: string): Promise<void> {
    await this.page.getByTestId("audit-filter-actor").fill(handle);
    await this.page.getByTestId("audit-filter-apply").click();
  }

  async clearFilters(): Promise<void> {
    await this.page.getByTestId("audit-filter-clear").click();
  }

  emptyState(): Locator {
    return this.page.getByTestId("empty-state");
  }

  /** Expands a row's before/after view and answers it. */
  async expand(row: Locator): Promise<Locator> {
    await row.getByTestId("audit-details-toggle").click();
    const id = await row.getByTestId("audit-details-toggle").getAttribute("aria-controls");
    const details = this.page.locator(`[id="${id}"]`).getByTestId("audit-changes");
    await details.waitFor();
    return details;
  }
}

/** The permission catalogue (/admin/permissions), grouped by risk. */
export class PermissionCataloguePage {
  constructor(readonly page: Page) {}

  async open(): Promise<this> {
    await this.page.goto("/admin/permissions");
    await this.page.locator('[data-testid="permission-row"], [data-testid="admins-only"], [data-testid="empty-state"]').first().waitFor();
    return this;
  }

  adminsOnly(): Locator {
    return this.page.getByTestId("admins-only");
  }

  row(name: string): Locator {
    return this.page.locator(`[data-testid="permission-row"][data-name="${name}"]`);
  }

  /** The risk group (data-risk of its section) the permission is listed under. */
  async groupOf(name: string): Promise<string | null> {
    return this.page.locator(`[data-testid="permission-group"]:has([data-testid="permission-row"][data-name="${name}"])`).getAttribute("data-risk");
  }

  form(): PermissionForm {
    return new PermissionForm(this.page);
  }

  async startAdding(): Promise<PermissionForm> {
    await this.page.getByTestId("permission-add").click();
    return this.form();
  }

  async startEditing(name: string): Promise<PermissionForm> {
    await this.row(name).getByTestId("permission-edit").click();
    return this.form();
  }

  savedNotice(): Locator {
    return this.page.getByTestId("permission-saved");
  }
}

export class PermissionForm {
  constructor(readonly page: Page) {}

  name(): Locator {
    return this.page.getByTestId("permission-name-input");
  }

  description(): Locator {
    return this.page.getByTestId("permission-description-input");
  }

  /** Risk by its label: "Low", "Medium", "High" or "Critical". */
  async chooseRisk(label: string): Promise<void> {
    await this.page.getByTestId("permission-risk-input").getByText(label, { exact: true }).click();
  }

  async save(): Promise<void> {
    await this.page.getByTestId("permission-save").click();
  }

  /** A validation message shown under a field. */
  message(text: string): Locator {
    return this.page.getByText(text, { exact: true });
  }

  async waitUntilClosed(): Promise<void> {
    await this.page.getByTestId("permission-save").waitFor({ state: "detached" });
  }
}

/** Users & tokens (/admin/tokens): the users list, one user's roles and API tokens. */
export class UsersAndTokensPage {
  constructor(readonly page: Page) {}

  async open(): Promise<this> {
    await this.page.goto("/admin/tokens");
    await this.page.locator('[data-testid="user-list"], [data-testid="admins-only"]').first().waitFor();
    return this;
  }

  adminsOnly(): Locator {
    return this.page.getByTestId("admins-only");
  }

  userRow(handle: string): Locator {
    return this.page.locator(`[data-testid="user-row"][data-handle="${handle}"]`);
  }

  detail(handle: string): Locator {
    return this.page.locator(`[data-testid="user-detail"][data-handle="${handle}"]`);
  }

  /** Creates a person (with roles) or a service account through the dialog; lands on their page. */
  async createUser(handle: string, email: string, roles: ("ADMIN" | "REVIEWER")[], kind: "PERSON" | "SERVICE" = "PERSON"): Promise<void> {
    await this.page.getByTestId("create-user").click();
    await this.page.getByTestId("create-user-handle").fill(handle);
    await this.page.getByTestId("create-user-email").fill(email);
    if (kind === "SERVICE") await this.page.getByTestId("create-user-kind").getByText("Service account", { exact: true }).click();
    for (const role of roles) await this.page.getByTestId(`create-user-role-${role}`).check();
    await this.page.getByTestId("create-user-submit").click();
    await this.detail(handle).waitFor();
  }

  /** The role checkboxes the create-user dialog offers (none for a service account). */
  createUserRoleOptions(): Locator {
    return this.page.locator('[data-testid^="create-user-role-"]');
  }

  /** PERSON or SERVICE, as the selected user's page says. */
  async kindOf(handle: string): Promise<string | null> {
    return this.detail(handle).getByTestId("user-kind").getAttribute("data-kind");
  }

  async selectUser(handle: string): Promise<void> {
    await this.userRow(handle).click();
    await this.detail(handle).waitFor();
  }

  roleCheckbox(role: "ADMIN" | "REVIEWER"): Locator {
    return this.page.getByTestId(`user-role-${role}`);
  }

  async saveRoles(): Promise<void> {
    await this.page.getByTestId("user-roles-save").click();
  }

  tokenForm(): Locator {
    return this.page.getByTestId("token-name-input");
  }

  inviteButton(): Locator {
    return this.page.getByTestId("invitation-create");
  }

  /** The note that the selected person has an invitation waiting (never its code). */
  pendingInvitation(): Locator {
    return this.page.getByTestId("invitation-pending");
  }

  /** Opens the invitation dialog of the selected person. */
  async startInvitation(): Promise<InvitationDialog> {
    await this.inviteButton().click();
    const dialog = new InvitationDialog(this.page);
    await dialog.root().waitFor();
    return dialog;
  }

  /** The selected user's membership of `team` (data-role holds the team role). */
  teamRow(team: string): Locator {
    return this.page.locator(`[data-testid="user-team"][data-team="${team}"]`);
  }

  /** Opens the confirmation to take the selected user out of `team` and answers the modal. */
  async startRemovingFromTeam(team: string): Promise<Locator> {
    await this.teamRow(team).getByTestId("team-member-remove").click();
    const modal = this.page.getByRole("dialog");
    await modal.getByTestId("remove-member-confirm").waitFor();
    return modal;
  }

  async confirmRemoveFromTeam(): Promise<void> {
    await this.page.getByTestId("remove-member-confirm").click();
  }

  /** Creates a token for the selected user and answers the secret the page shows once. */
  async createToken(name: string): Promise<string> {
    await this.page.getByTestId("token-name-input").fill(name);
    await this.page.getByTestId("token-create").click();
    const secret = (await this.secret().textContent())?.trim();
    if (!secret) throw new Error("no token secret was shown");
    return secret;
  }

  secret(): Locator {
    return this.page.getByTestId("token-secret");
  }

  async dismissSecret(): Promise<void> {
    await this.page.getByTestId("token-secret-dismiss").click();
    await this.secret().waitFor({ state: "detached" });
  }

  tokenRow(name: string): Locator {
    return this.page.locator(`[data-testid="token-row"][data-name="${name}"]`);
  }

  /** Opens the revoke confirmation of the named token and answers the modal. */
  async startRevoking(name: string): Promise<Locator> {
    await this.tokenRow(name).getByTestId("token-revoke").click();
    const modal = this.page.getByRole("dialog");
    await modal.getByTestId("revoke-token-confirm").waitFor();
    return modal;
  }

  async confirmRevoke(): Promise<void> {
    await this.page.getByTestId("revoke-token-confirm").click();
  }
}

/** The dialog that invites a person: a confirmation, then the one-time code. */
export class InvitationDialog {
  constructor(readonly page: Page) {}

  root(): Locator {
    return this.page.getByRole("dialog");
  }

  /** Creates the invitation; the dialog then shows the code or the server's refusal. */
  async create(): Promise<void> {
    await this.page.getByTestId("invitation-create-confirm").click();
    await this.page.locator('[data-testid="invitation-code"], [data-testid="invitation-create-error"]').first().waitFor();
  }

  /** The one-time code, as shown. */
  async code(): Promise<string> {
    const code = (await this.page.getByTestId("invitation-code").textContent())?.trim();
    if (!code) throw new Error("no invitation code was shown");
    return code;
  }

  codeBox(): Locator {
    return this.page.getByTestId("invitation-code-box");
  }

  expiry(): Locator {
    return this.page.getByTestId("invitation-expiry");
  }

  error(): Locator {
    return this.page.getByTestId("invitation-create-error");
  }

  /** "I have handed it over": closes the dialog, and the code is gone. */
  async done(): Promise<void> {
    await this.page.getByTestId("invitation-done").click();
    await this.root().waitFor({ state: "detached" });
  }

  async cancel(): Promise<void> {
    await this.root().getByRole("button", { name: "Cancel" }).click();
    await this.root().waitFor({ state: "detached" });
  }
}
