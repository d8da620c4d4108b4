import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import type { Stack } from "./stack";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOT_DIR = path.resolve(__dirname, "..", "screenshots");

export const DESKTOP = { width: 1280, height: 800 } as const;
export const MOBILE = { width: 390, height: 844 } as const;
export type Viewport = { width: number; height: number };

/**
 * Debian's chromium, headless. Without the background-networking flags it keeps trying to reach
 * Google's hosts, which this machine's closed network refuses.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/** A fresh browser context (own sessionStorage) on the admin SPA's sign-in page. */
export async function openAdmin(browser: Browser, stack: Stack, viewport: Viewport = DESKTOP, route = "/"): Promise<Page> {
  const context = await browser.newContext({ viewport, baseURL: stack.url });
  const page = await context.newPage();
  await page.goto(`/admin${route}`);
  return page;
}

/** Signs in through the real sign-in form, then opens `route` (e.g. "/reviews"). */
export async function signedInPage(browser: Browser, stack: Stack, token: string, viewport: Viewport = DESKTOP, route = "/"): Promise<Page> {
  const page = await openAdmin(browser, stack, viewport, route);
  await page.getByTestId("token-input").fill(token);
  await page.getByTestId("sign-in-button").click();
  await page.getByTestId("viewer-handle").waitFor();
  return page;
}

/** Saves a full-page PNG to e2e/screenshots/<name>.png (kept by the run for people to look at). */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  // Let fonts settle, and start from the top: the app shell's fixed header would otherwise be
  // drawn at the scrolled-to position in the middle of a full-page picture.
  await page.evaluate(async () => {
    await document.fonts.ready;
    window.scrollTo(0, 0);
  });
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
