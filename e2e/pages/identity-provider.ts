import type { Locator, Page } from "playwright-core";
import { DIRECTORY_NAME } from "../support/oidc-provider";

/** The identity provider's own sign-in page ("Corp Directory"), where the console and device sign-ins send people. */
export class DirectorySignInPage {
  constructor(readonly page: Page) {}

  /** The page is on screen (the browser has been sent to the provider). */
  async waitUntilShown(): Promise<void> {
    await this.page.getByRole("heading", { name: "Sign in" }).waitFor();
    await this.page.getByText(DIRECTORY_NAME, { exact: true }).waitFor();
  }

  /** Types the company login and password and submits; the provider then sends the browser on (or says no). */
  async signIn(login: string, password: string): Promise<void> {
    await this.waitUntilShown();
    await this.page.getByLabel("Username").fill(login);
    await this.page.getByLabel("Password").fill(password);
    await this.page.getByRole("button", { name: "Sign in" }).click();
  }

  error(): Locator {
    return this.page.getByRole("alert");
  }
}

/** The provider's "connect a device" pages: the user code a CLI printed is typed, confirmed, and the person signs in. */
export class DeviceApprovalPage {
  constructor(readonly page: Page) {}

  async open(deviceUrl: string): Promise<this> {
    await this.page.goto(deviceUrl);
    await this.page.getByRole("heading", { name: "Connect a device" }).waitFor();
    return this;
  }

  /** Approves `userCode` as the given person (signing in first when the provider asks) and waits for the success page. */
  async approve(userCode: string, login: string, password: string): Promise<void> {
    await this.page.locator('input[name="user_code"]').fill(userCode);
    await this.page.getByRole("button", { name: "Continue" }).click();
    await this.page.getByRole("heading", { name: "Confirm the device" }).waitFor();
    await this.page.getByRole("button", { name: "Continue" }).click();
    const signIn = this.page.getByRole("heading", { name: "Sign in" });
    const done = this.page.getByRole("heading", { name: "Device connected" });
    await signIn.or(done).first().waitFor();
    if (await signIn.isVisible()) await new DirectorySignInPage(this.page).signIn(login, password);
    await done.waitFor();
  }
}

/** The provider's end-session page, where signing out of the console continues. */
export class DirectorySignOutPage {
  constructor(readonly page: Page) {}

  async waitUntilShown(): Promise<void> {
    await this.page.getByRole("heading", { name: "Sign out" }).waitFor();
  }

  /** "Yes, sign me out": the provider ends its session and sends the browser back to the console. */
  async confirm(): Promise<void> {
    await this.page.getByRole("button", { name: "Yes, sign me out" }).click();
  }
}
