import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import type { Stack } from "./stack";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOT_DIR = path.resolve(__dirname, "..", "screenshots");
/** What a failed test's pages showed when it failed: a picture and the DOM of each. */
const FAILURE_DIR = path.join(SCREENSHOT_DIR, "failures");

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

/** Pages the running test opened and has not closed; closed after each test. */
const openPages = new Set<Page>();

/**
 * Closes every page the test left open after each test of the calling file; when the test failed,
 * first saves what each page showed to e2e/screenshots/failures/, so a failure in CI can be read.
 */
export function closePagesAfterEachTest(): void {
  afterEach(async (context) => {
    const pages = [...openPages];
    openPages.clear();
    // Node hands each-hooks the finished test's context; @types/node 20 does not declare its `passed`.
    const failed = "passed" in context && context.passed === false;
    if (failed) await saveFailureEvidence(context.name, pages);
    await Promise.all(pages.map((page) => page.context().close()));
  });
}

async function saveFailureEvidence(testName: string, pages: Page[]): Promise<void> {
  mkdirSync(FAILURE_DIR, { recursive: true });
  const base = testName.replace(/[^a-z0-9]+/gi, "-").slice(0, 80);
  for (const [index, page] of pages.entries()) {
    const file = path.join(FAILURE_DIR, `${base}-${index + 1}`);
    // Best effort: a page that crashed cannot be pictured, and the test's own failure is what matters.
    await page.screenshot({ path: `${file}.png`, fullPage: true }).catch(() => undefined);
    const html = await page.content().catch((error: unknown) => `page content unavailable: ${String(error)}`);
    writeFileSync(`${file}.html`, `<!-- ${page.url()} -->\n${html}`);
    console.error(`failure evidence: ${file}.png, ${file}.html`);
  }
}

/** A fresh browser context (own sessionStorage) on the admin SPA's sign-in page. */
export async function openAdmin(browser: Browser, stack: Stack, viewport: Viewport = DESKTOP, route = "/"): Promise<Page> {
  const context = await browser.newContext({ viewport, baseURL: stack.url });
  const page = await context.newPage();
  openPages.add(page);
  page.on("close", () => openPages.delete(page));
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
