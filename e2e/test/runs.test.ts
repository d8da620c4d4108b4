import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { TestRunPage } from "../pages/runs";
import { closePagesAfterEachTest, DESKTOP, launchBrowser, MOBILE, saveScreenshot, signedInPage } from "../support/browser";
import { createTeam, createUser, latestTestRunId, publish, pythonSkill, type SeededUser } from "../support/seed";
import { startStack, type Stack } from "../support/stack";
import { waitFor } from "../support/wait";

// Live test output end to end: an author publishes a version whose tests print slowly (to stdout
// and stderr) in the real sandbox, opens its run while it is RUNNING and watches the lines arrive
// over the graphql-ws subscription; the run ends PASSED with its counts; reloading the finished
// run replays exactly the same log.

const TEST_COUNT = 8;
const LINES_PER_TEST = 4;
const FINAL = ["PASSED", "FAILED", "TIMEOUT", "MEMORY_LIMIT", "ERROR", "INFRA_ERROR"];

/** Each test prints a few lines 0.4 s apart, then one line to stderr: the run lasts ~13 s. */
const SLOW_TESTS = [
  "import sys",
  "import time",
  "",
  "",
  "def _work(n):",
  `    for step in range(${LINES_PER_TEST}):`,
  '        print(f"test {n} step {step}", flush=True)',
  "        time.sleep(0.4)",
  '    sys.stderr.write(f"warning from test {n}\\n")',
  "    sys.stderr.flush()",
  "",
  ...Array.from({ length: TEST_COUNT }, (_, n) => `\ndef test_slow_${n}():\n    _work(${n})\n`),
].join("\n");

let stack: Stack;
let browser: Browser;
let author: SeededUser;
let runId: string;
/** Every line the finished run showed, in order: what a reload must replay. */
let finishedLines: string[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  author = await createUser(stack, "lin");
  await createTeam(stack, "observability", { lin: "MAINTAINER" });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

closePagesAfterEachTest();

test("the author watches a run's output arrive line by line until it passes", async () => {
  const version = await publish(stack, author.token, pythonSkill("slow-printer", "1.0.0", { tests: SLOW_TESTS }));
  // The run id comes from SkillVersion.latestTestRun, as a client would find it.
  runId = await latestTestRunId(stack, version.id);

  const page = await signedInPage(browser, stack, author.token, DESKTOP, `/runs/${runId}`);
  const run = new TestRunPage(page);
  await run.waitUntilLoaded();
  const log = run.log();
  assert.match((await run.title().textContent()) ?? "", /slow-printer@1\.0\.0/);

  const samples: { status: string | null; lines: number }[] = [];
  let liveShot = false;
  let pauseChecked = false;
  const deadline = Date.now() + 180_000;
  for (;;) {
    const sample = await log.sample();
    samples.push(sample);
    if (sample.status && FINAL.includes(sample.status)) break;
    if (Date.now() > deadline) throw new Error(`the run did not finish; last sample ${JSON.stringify(sample)}`);

    if (sample.status === "RUNNING" && sample.lines >= 6 && !liveShot) {
      await saveScreenshot(page, "test-run-live");
      liveShot = true;
    } else if (liveShot && !pauseChecked && sample.status === "RUNNING") {
      // Pausing stops follow-tail; the lines that arrive meanwhile are counted on a resume button.
      await log.followToggle().click();
      assert.equal(await log.following(), false, "Pause stops following");
      await log.resumeButton().waitFor({ timeout: 10_000 });
      assert.match((await log.resumeButton().textContent()) ?? "", /^\d+ new lines? — resume$/);
      await log.resumeButton().click();
      assert.equal(await log.following(), true, "resume follows again");
      pauseChecked = true;
    }
    await sleep(200);
  }

  // Lines appeared incrementally while the run was RUNNING: the count grew several times.
  const running = samples.filter((sample) => sample.status === "RUNNING");
  const distinctCounts = [...new Set(running.map((sample) => sample.lines))];
  assert.ok(distinctCounts.length >= 3, `the log grew while running (counts seen: ${distinctCounts.join(", ")})`);
  for (let i = 1; i < running.length; i += 1) {
    assert.ok(running[i]!.lines >= running[i - 1]!.lines, "lines are only ever added");
  }
  assert.ok(pauseChecked, "the run stayed RUNNING long enough to pause and resume");

  assert.equal(await log.status(), "PASSED");
  await log.outcome().waitFor();
  const outcome = (await log.outcome().textContent()) ?? "";
  assert.match(outcome, new RegExp(`${TEST_COUNT} passed`));
  assert.match(outcome, /0 failed/);
  assert.match(outcome, /pass rate 100%/);
  // The header moves with the log (the run is refetched when it ends).
  await waitFor(async () => (await run.headerStatus()) === "PASSED", "the header status to show PASSED", 15_000);
  await waitFor(async () => (await run.testCases().count()) === TEST_COUNT, "the test cases table", 15_000);
  assert.deepEqual(await run.testCaseStatuses(), Array(TEST_COUNT).fill("passed"));

  // stderr lines are marked; stdout lines are not.
  const stderrTexts = await log.stderrLines().evaluateAll((lines) => lines.map((line) => line.textContent ?? ""));
  assert.equal(stderrTexts.length, TEST_COUNT, "one stderr line per test");
  for (const text of stderrTexts) assert.match(text, /err\s*warning from test \d/);
  const stdoutTexts = await log.stdoutLines().evaluateAll((lines) => lines.map((line) => line.lastElementChild?.textContent ?? ""));
  assert.ok(stdoutTexts.filter((text) => /test \d step \d/.test(text)).length >= TEST_COUNT * LINES_PER_TEST - TEST_COUNT, "the printed lines are on stdout");
  assert.ok(!stdoutTexts.some((text) => text.includes("warning from")), "no stderr line is shown as stdout");

  // The stderr filter shows only stderr lines.
  await log.filter("stderr");
  await waitFor(async () => (await log.lines().count()) === TEST_COUNT, "the stderr filter to apply", 5_000);
  assert.equal(await log.stdoutLines().count(), 0);
  await log.filter("All");

  finishedLines = await log.texts();
  assert.ok(finishedLines.length > TEST_COUNT * LINES_PER_TEST, `the whole log is shown (${finishedLines.length} lines)`);
  await saveScreenshot(page, "test-run-finished");

  // A reload replays the finished run: the same lines, in the same order.
  await page.reload();
  await run.waitUntilLoaded();
  await waitFor(async () => (await log.status()) === "PASSED", "the replayed status", 15_000);
  await waitFor(async () => (await log.lines().count()) === finishedLines.length, `the replay to reach ${finishedLines.length} lines`, 15_000);
  assert.deepEqual(await log.texts(), finishedLines);
});

test("a finished run reads well on a phone, and the page asks for the run once", async () => {
  assert.ok(runId, "the first test published a run");
  const page = await signedInPage(browser, stack, author.token, MOBILE);
  // Every GraphQL operation the run page sends, by name: the log viewer must read the run from the
  // page's own query (cache), not fetch it a second time.
  const operations: string[] = [];
  page.on("request", (request) => {
    const body = request.method() === "POST" && request.url().endsWith("/graphql") ? request.postDataJSON() : null;
    if (body && typeof body.operationName === "string") operations.push(body.operationName);
  });
  const run = await new TestRunPage(page).open(runId);
  await waitFor(async () => (await run.log().lines().count()) === finishedLines.length, "the replayed log", 15_000);
  assert.equal(await run.log().status(), "PASSED");
  assert.deepEqual(
    operations.filter((name) => name.startsWith("Runs")),
    ["RunsTestRun"],
    `operations sent: ${operations.join(", ")}`,
  );
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal page overflow at 390px (${overflow}px)`);
  await saveScreenshot(page, "test-run-mobile");
});

test("without a websocket the finished run's stored log still shows, with the reason", async () => {
  assert.ok(runId, "the first test published a run");
  const page = await signedInPage(browser, stack, author.token, DESKTOP);
  // Every websocket to /graphql is refused: the subscription cannot connect.
  await page.routeWebSocket(/\/graphql/, (socket) => socket.close({ code: 1011, reason: "refused by the test" }));
  const run = await new TestRunPage(page).open(runId);
  const log = run.log();
  await page.getByTestId("log-live-error").waitFor();
  await waitFor(async () => (await log.lines().count()) === finishedLines.length, "the stored log, page by page", 15_000);
  assert.deepEqual(await log.texts(), finishedLines);
  assert.equal(await log.status(), "PASSED", "the status comes from the run itself");
  await log.outcome().waitFor();
});

test("a run id that does not exist says so", async () => {
  const missing = Buffer.from("TestRun:00000000-0000-4000-8000-000000000000").toString("base64");
  const page = await signedInPage(browser, stack, author.token, DESKTOP, `/runs/${missing}`);
  await page.getByTestId("empty-state").waitFor();
  assert.match((await page.getByTestId("empty-state").textContent()) ?? "", /No such test run/);
});
