import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { createLogger, type LogSink } from "../src/common/logger";
import { repoRoot } from "../src/common/repo-root";

/** A sink that keeps what is written, terminal or not. */
function sink(isTTY: boolean): LogSink & { lines: () => string[] } {
  let written = "";
  return {
    isTTY,
    write(chunk: string) {
      written += chunk;
      return true;
    },
    lines: () => written.split("\n").filter((l) => l !== ""),
  };
}

const ESC = "\x1b[";
const PRETTY_LINE = /^\d{2}:\d{2}:\d{2}\.\d{3} (WARN |ERROR|INFO |DEBUG) /;
const strip = (text: string) => text.replace(new RegExp(`${ESC.replace("[", "\\[")}[0-9;]*m`, "g"), "");

/** `npm start` with a database nobody listens on: it logs "start-up failed" through the logger and exits 1. */
const MAIN = path.join(repoRoot(), "server", "src", "main.ts");
const failingStart = (extra: Record<string, string>) => {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: "postgres://127.0.0.1:1/nowhere", DATA_DIR: "/nonexistent-never-used", LOG_LEVEL: "info" };
  delete env.LOG_FORMAT;
  return Object.assign(env, extra);
};

describe("logger", () => {
  test("not a terminal: one JSON object per line with time, level, message and fields (the call's fields win over base fields)", () => {
    const out = sink(false);
    const logger = createLogger("info", { component: "tests", runId: "base" }, { sink: out });
    logger.debug("not shown");
    logger.info("run finished", { runId: "r-1", passed: 3 });
    logger.error("broke", { stack: "Error: x\n    at y", message: "the error's own message" });
    const lines = out.lines();
    assert.equal(lines.length, 2);
    const first = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.match(String(first.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.deepEqual({ ...first, time: "t" }, { time: "t", level: "info", message: "run finished", component: "tests", runId: "r-1", passed: 3 });
    // A field named like the entry's own keys does not replace them.
    assert.deepEqual(
      { ...(JSON.parse(lines[1]) as object), time: "t" },
      {
        time: "t",
        level: "error",
        message: "broke",
        component: "tests",
        runId: "base",
        stack: "Error: x\n    at y",
        field_message: "the error's own message",
      },
    );
  });

  test("a terminal: pretty lines (time, coloured level, message, key=value fields, a stack below), unless NO_COLOR", () => {
    const saved = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      const out = sink(true);
      const logger = createLogger("debug", { component: "tests" }, { sink: out });
      logger.warn("slow run", { runId: "r-1", seconds: 12.5, reason: "two words", nested: { a: 1 }, absent: undefined });
      logger.error("broke", { stack: "Error: x\n    at y" });
      const lines = out.lines();
      assert.ok(lines[0].includes(`${ESC}33mWARN `), `yellow WARN in ${JSON.stringify(lines[0])}`);
      assert.ok(lines[1].includes(`${ESC}31mERROR`), "red ERROR");
      const plain = lines.map(strip);
      assert.match(plain[0], PRETTY_LINE);
      assert.ok(plain[0].endsWith('WARN  slow run component=tests runId=r-1 seconds=12.5 reason="two words" nested={"a":1}'), plain[0]);
      assert.throws(() => JSON.parse(lines[0]) as unknown);
      assert.deepEqual(plain.slice(2), ["    Error: x", "        at y"]);
      assert.ok(plain[1].endsWith("ERROR broke component=tests"), plain[1]);

      process.env.NO_COLOR = "1";
      const uncoloured = sink(true);
      createLogger("info", {}, { sink: uncoloured }).info("plain");
      assert.ok(!uncoloured.lines()[0].includes(ESC));
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });

  test("the format wins over the detection: pretty (uncoloured) into a pipe, JSON on a terminal", () => {
    const pipe = sink(false);
    createLogger("info", {}, { sink: pipe, format: "pretty" }).info("hello", { n: 1 });
    assert.ok(!pipe.lines()[0].includes(ESC), "no colour codes outside a terminal");
    assert.match(pipe.lines()[0], PRETTY_LINE);
    assert.ok(pipe.lines()[0].endsWith("INFO  hello n=1"));
    const terminal = sink(true);
    createLogger("info", {}, { sink: terminal, format: "json" }).info("hello", { n: 1 });
    assert.deepEqual({ ...(JSON.parse(terminal.lines()[0]) as object), time: "t" }, { time: "t", level: "info", message: "hello", n: 1 });
  });

  test("the server process: JSON lines on a piped stderr, pretty with LOG_FORMAT=pretty", () => {
    const run = (extra: Record<string, string>) =>
      spawnSync(process.execPath, ["-r", "@swc-node/register", MAIN, "--role", "api"], { env: failingStart(extra), encoding: "utf8", timeout: 60_000 });
    const json = run({});
    assert.equal(json.status, 1, json.stderr);
    const entries = json.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { level: string; message: string });
    assert.ok(
      entries.some((e) => e.level === "error" && e.message === "start-up failed"),
      json.stderr,
    );
    const pretty = run({ LOG_FORMAT: "pretty" });
    assert.equal(pretty.status, 1, pretty.stderr);
    assert.ok(!pretty.stderr.split("\n").some((l) => l.startsWith("{")), pretty.stderr);
    assert.ok(
      pretty.stderr.split("\n").some((l) => PRETTY_LINE.test(l) && l.includes("ERROR start-up failed message=")),
      pretty.stderr,
    );
  });

  test("the server process on a terminal: pretty and coloured by itself", (t) => {
    // util-linux's script(1) gives the process a pseudo-terminal.
    if (!existsSync("/usr/bin/script")) {
      t.skip("script(1) is not installed");
      return;
    }
    const command = [process.execPath, "-r", "@swc-node/register", MAIN, "--role", "api"].map((a) => `'${a}'`).join(" ");
    const env = failingStart({});
    delete env.NO_COLOR;
    const result = spawnSync("/usr/bin/script", ["-qec", command, "/dev/null"], { env, encoding: "utf8", timeout: 60_000 });
    assert.equal(result.status, 1, result.stdout + result.stderr);
    const lines = result.stdout.split(/\r?\n/);
    assert.ok(
      lines.some((l) => l.includes(`${ESC}31mERROR`) && strip(l).includes("ERROR start-up failed")),
      result.stdout,
    );
    assert.ok(!lines.some((l) => l.startsWith("{")), result.stdout);
  });
});
