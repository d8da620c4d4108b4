import "reflect-metadata";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import Dockerode from "dockerode";
import { loadConfig, type SandboxConfig } from "../src/config";
import { LogLineSplitter } from "../src/sandbox/log-line-splitter";
import { JunitReportParser } from "../src/sandbox/junit-report-parser";
import { ReportMarkers } from "../src/sandbox/report-markers";
import { RunOutputCollector } from "../src/sandbox/run-output-collector";
import { SandboxRunner } from "../src/sandbox/sandbox-runner";
import type { LogStream, SandboxRunRequest, SandboxRunResult } from "../src/sandbox/types";

/**
 * The sandbox against the real Docker engine (no mocks): the runtime images
 * skillyard/runtime-python:3.11 and skillyard/runtime-node:20 must exist (runtimes/build-offline.sh).
 */
const docker = new Dockerode();
const config = loadConfig({ SANDBOX_DEFAULT_TIMEOUT_SECONDS: "20", SANDBOX_MAX_TIMEOUT_SECONDS: "30" }).sandbox;
/** Every run id this file creates starts with this, so the final clean-up touches nothing else. */
const RUN_PREFIX = `sbxtest-${randomBytes(4).toString("hex")}`;
const runner = new SandboxRunner(docker, config, { scope: RUN_PREFIX });
const unscoped = new SandboxRunner(docker, config);
const PYTHON = { language: "python", version: "3.11" } as const;
const NODE = { language: "node", version: "20" } as const;

let runCounter = 0;
const scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-sandbox-test-"));

interface Logged {
  result: SandboxRunResult;
  runId: string;
  lines: { stream: LogStream; line: string }[];
  stdout: string[];
  stderr: string[];
}

/** Writes a skill folder (path → content) under the scratch folder. */
function skill(files: Record<string, string>): string {
  const dir = path.join(scratch, `skill-${++runCounter}`);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function run(packageDir: string, options: Partial<Omit<SandboxRunRequest, "onLog" | "packageDir">> = {}, using: SandboxRunner = runner): Promise<Logged> {
  const runId = `${RUN_PREFIX}-${++runCounter}`;
  const lines: Logged["lines"] = [];
  const pending = using.run({
    runId,
    versionId: `version-${runCounter}`,
    packageDir,
    runtime: PYTHON,
    memoryMb: null,
    timeoutSeconds: null,
    testCommand: null,
    ...options,
    onLog: (stream, line) => lines.push({ stream, line }),
  });
  const result = await pending;
  return {
    result,
    runId,
    lines,
    stdout: lines.filter((l) => l.stream === "STDOUT").map((l) => l.line),
    stderr: lines.filter((l) => l.stream === "STDERR").map((l) => l.line),
  };
}

/** Nothing of the run is left on the Docker host: no container with its label, no volume. */
async function assertCleanedUp(runId: string): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`skillyard.run=${runId}`] } });
  assert.deepEqual(
    containers.map((c) => c.Names),
    [],
    `containers of ${runId} were left behind`,
  );
  const { Volumes } = await docker.listVolumes({ filters: { name: [`skillyard-run-${runId}`] } });
  assert.deepEqual(
    (Volumes ?? []).filter((v) => v.Name === `skillyard-run-${runId}`),
    [],
    `the volume of ${runId} was left behind`,
  );
}

/** Waits until the run's test container exists and returns its inspect data. */

function names(result: SandboxRunResult): string[] {
  return result.tests.map((t) => t.name).sort();
}

before(async () => {
  for (const image of Object.values(config.images)) {
    await docker
      .getImage(image)
      .inspect()
      .catch(() => assert.fail(`the runtime image ${image} is missing: build it with runtimes/build-offline.sh`));
  }
});

after(async () => {
  // Only runs created by this file (by their id prefix), never anybody else's containers.
  for (const container of await unscoped.listRunContainers()) {
    if (container.runId.startsWith(RUN_PREFIX)) await unscoped.removeContainersOf(container.runId);
  }
  rmSync(scratch, { recursive: true, force: true });
});

describe("SandboxRunner: results", { concurrency: 4 }, () => {
  test("a passing Python skill: PASSED, per-test results, logs in order with stdout and stderr apart", async () => {
    const dir = skill({
      "skill.yaml": "name: demo\n",
      "tests/test_basic.py": [
        "import sys",
        "def test_adds():",
        "    print('hello from a test')",
        "    assert 1 + 1 == 2",
        "def test_writes_stderr():",
        "    print('straight to stderr', file=sys.stderr)",
        "def test_third():",
        "    assert 'x' in 'xyz'",
        "",
      ].join("\n"),
    });
    const { result, runId, stdout, stderr, lines } = await run(dir);
    assert.equal(result.outcome, "PASSED", result.reason);
    assert.equal(result.reason, "3 of 3 tests passed (100%)");
    assert.deepEqual([result.passed, result.failed, result.skipped, result.passRate], [3, 0, 0, 1]);
    assert.deepEqual(names(result), ["test_adds", "test_third", "test_writes_stderr"]);
    assert.ok(result.tests.every((t) => t.status === "passed" && t.classname === "tests.test_basic"));
    assert.equal(result.exitCode, 0);
    assert.equal(result.oomKilled, false);
    assert.equal(result.logTruncated, false);
    assert.equal(
      result.logBytes,
      lines.reduce((sum, l) => sum + Buffer.byteLength(l.line) + 1, 0),
    );
    // pytest's own output, in order, on stdout; the report block never reaches the log.
    const order = ["PASSED tests/test_basic.py::test_adds", "PASSED tests/test_basic.py::test_writes_stderr", "3 passed"].map((text) =>
      stdout.findIndex((l) => l.includes(text)),
    );
    assert.ok(
      order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1])),
      `stdout out of order: ${stdout.join("\n")}`,
    );
    assert.ok(stdout.includes("hello from a test"));
    assert.deepEqual(stderr, ["straight to stderr"]);
    assert.ok(!stdout.some((l) => l.includes("straight to stderr")));
    assert.ok(!lines.some((l) => l.line.includes("__SKILLYARD_REPORT_") || l.line.includes("<testsuite")));
    await assertCleanedUp(runId);
  });

  test("2 of 4 passing is FAILED below the threshold", async () => {
    const dir = skill({
      "test_half.py": [
        "def test_ok_1(): pass",
        "def test_ok_2(): pass",
        "def test_bad_1(): assert 1 == 2",
        "def test_bad_2(): raise ValueError('boom')",
        "",
      ].join("\n"),
    });
    const { result, runId } = await run(dir);
    assert.equal(result.outcome, "FAILED");
    assert.equal(result.reason, "2 of 4 tests passed (50%), below the 80% threshold");
    assert.deepEqual([result.passed, result.failed, result.passRate, result.exitCode], [2, 2, 0.5, 1]);
    const bad = result.tests.find((t) => t.name === "test_bad_2");
    assert.equal(bad?.status, "failed");
    assert.match(bad?.message ?? "", /ValueError: boom/);
    await assertCleanedUp(runId);
  });

  test("a Node skill (node:test) is PASSED with its counts", async () => {
    const dir = skill({
      "package.json": '{"name":"demo","version":"1.0.0"}\n',
      "test/math.test.js": [
        'const test = require("node:test");',
        'const assert = require("node:assert/strict");',
        'test("adds", () => assert.equal(1 + 1, 2));',
        'test("multiplies", () => assert.equal(2 * 3, 6));',
        'test("later", { skip: "not yet" }, () => {});',
        'test.describe("strings", () => { test.it("concatenates", () => assert.equal("a" + "b", "ab")); });',
        "",
      ].join("\n"),
    });
    const { result, runId, stdout } = await run(dir, { runtime: NODE });
    assert.equal(result.outcome, "PASSED", result.reason);
    assert.deepEqual([result.passed, result.failed, result.skipped, result.passRate], [3, 0, 1, 1]);
    assert.deepEqual(names(result), ["adds", "concatenates", "later", "multiplies"]);
    assert.equal(result.reason, "3 of 3 tests passed (100%, 1 skipped)");
    assert.ok(
      stdout.some((l) => l.includes("✔ adds")),
      stdout.join("\n"),
    );
    await assertCleanedUp(runId);
  });

  test("a Node skill with a failing test is FAILED", async () => {
    const dir = skill({
      "a.test.js": ['const test = require("node:test");', 'test("ok", () => {});', 'test("broken", () => { throw new Error("nope"); });', ""].join("\n"),
    });
    const { result, runId } = await run(dir, { runtime: NODE });
    assert.equal(result.outcome, "FAILED");
    assert.deepEqual([result.passed, result.failed], [1, 1]);
    assert.equal(result.tests.find((t) => t.name === "broken")?.message, "nope");
    await assertCleanedUp(runId);
  });

  test("a syntax error at import is FAILED and names the file", async () => {
    const dir = skill({ "test_ok.py": "def test_fine(): pass\n", "test_broken.py": "def test_x(:\n    pass\n" });
    const { result, runId, stdout } = await run(dir);
    assert.equal(result.outcome, "FAILED");
    assert.equal(result.reason, "test_broken.py could not be imported (syntax or import error), so no tests ran");
    assert.deepEqual([result.passed, result.failed, result.exitCode], [0, 1, 2]);
    assert.ok(stdout.some((l) => l.includes("SyntaxError")));
    await assertCleanedUp(runId);
  });

  test("a manifest test command: exit 0 is one passed synthetic test, non-zero one failed, not found is ERROR", async () => {
    const dir = skill({ "README.md": "no tests here\n" });
    const ok = await run(dir, { testCommand: ["sh", "-c", "echo custom; exit 0"] });
    assert.equal(ok.result.outcome, "PASSED", ok.result.reason);
    assert.deepEqual([ok.result.passed, ok.result.failed, ok.result.passRate, ok.result.tests.length], [1, 0, 1, 1]);
    assert.deepEqual(ok.stdout, ["custom"]);
    const bad = await run(dir, { runtime: NODE, testCommand: ["sh", "-c", "echo oops >&2; exit 3"] });
    assert.equal(bad.result.outcome, "FAILED");
    assert.equal(bad.result.reason, "the test command exited with code 3");
    assert.deepEqual([bad.result.passed, bad.result.failed, bad.result.exitCode], [0, 1, 3]);
    assert.deepEqual(bad.stderr, ["oops"]);
    const missing = await run(dir, { testCommand: ["no-such-tool", "--flag"] });
    assert.equal(missing.result.outcome, "ERROR");
    assert.equal(missing.result.reason, "the test command could not be started (exit code 127: command not found or not executable)");
    assert.match(missing.stderr.join("\n"), /no-such-tool: not found/);
    for (const r of [ok, bad, missing]) await assertCleanedUp(r.runId);
  });

  test("a manifest test command that writes JUnit XML to $SKILLYARD_JUNIT_XML is judged by it", async () => {
    const xml =
      '<testsuites><testsuite name="s"><testcase name="one" classname="c"/><testcase name="two" classname="c"><failure message="wrong"/></testcase>' +
      '<testcase name="three" classname="c"><skipped/></testcase></testsuite></testsuites>';
    const dir = skill({ "run-tests.sh": `printf 'partial line without newline'\nprintf '%s' '${xml}' > "$SKILLYARD_JUNIT_XML"\n` });
    const { result, runId, stdout } = await run(dir, { testCommand: ["sh", "run-tests.sh"] });
    assert.equal(result.outcome, "FAILED");
    assert.deepEqual([result.passed, result.failed, result.skipped], [1, 1, 1]);
    assert.equal(result.reason, "1 of 2 tests passed (50%, 1 skipped), below the 80% threshold");
    // The unterminated last line of the test output is kept, the report block is not.
    assert.deepEqual(stdout, ["partial line without newline"]);
    await assertCleanedUp(runId);
  });
});

describe("SandboxRunner: hostile skills", { concurrency: 4 }, () => {
  test("no network inside; the container runs with the hardening flags", async () => {
    const dir = skill({
      "test_net.py": [
        "import socket, urllib.request, pytest, time",
        "def test_cannot_connect_out():",
        "    with pytest.raises(OSError):",
        "        socket.create_connection(('1.1.1.1', 53), timeout=3)",
        "def test_cannot_fetch():",
        "    with pytest.raises(OSError):",
        "        urllib.request.urlopen('http://example.com', timeout=3)",
        "def test_only_loopback():",
        "    names = [name for _, name in socket.if_nameindex()]",
        "    assert names == ['lo']",
        "    time.sleep(4)  # leaves time to inspect the running container, even on a loaded machine",
        "",
      ].join("\n"),
    });
    let inspecting: Promise<Dockerode.ContainerInspectInfo> | undefined;
    const { result, runId } = await run(dir, { onStarted: (id) => (inspecting = docker.getContainer(id).inspect()) });
    const inspected = await inspecting;
    assert.equal(result.outcome, "PASSED", result.reason);
    assert.equal(result.passed, 3);
    const host = inspected?.HostConfig;
    assert.ok(host && inspected);
    assert.equal(host.NetworkMode, "none");
    assert.equal(host.ReadonlyRootfs, true);
    assert.deepEqual(host.CapDrop, ["ALL"]);
    assert.deepEqual(host.SecurityOpt, ["no-new-privileges"]);
    assert.equal(host.PidsLimit, config.pidsLimit);
    assert.equal(host.Memory, config.defaultMemoryMb * 1024 * 1024);
    assert.equal(host.MemorySwap, host.Memory);
    assert.equal(host.NanoCpus, config.cpus * 1e9);
    assert.equal(host.Init, true);
    assert.match(host.Tmpfs?.["/tmp"] ?? "", /noexec.*nosuid.*nodev/);
    assert.equal(inspected.Config.User, "65534:65534");
    assert.equal(inspected.Config.WorkingDir, "/skill");
    assert.equal(inspected.Config.Labels["skillyard.managed"], "true");
    assert.equal(inspected.Config.Labels["skillyard.run"], runId);
    assert.deepEqual(
      inspected.Mounts.map((m) => [m.Type, m.Name, m.Destination, m.RW]),
      [["volume", `skillyard-run-${runId}`, "/skill", false]],
    );
    await assertCleanedUp(runId);
  });

  test("the package, the root file system and /tmp executables are off limits; tests run as nobody", async () => {
    const dir = skill({
      "test_fs.py": [
        "import errno, os, subprocess, pytest",
        "def test_package_is_read_only():",
        "    with pytest.raises(OSError) as info:",
        "        open('/skill/new_file.txt', 'w')",
        "    assert info.value.errno == errno.EROFS",
        "def test_own_test_file_is_read_only():",
        "    with pytest.raises(OSError):",
        "        open(__file__, 'a')",
        "def test_root_fs_is_read_only():",
        "    with pytest.raises(OSError) as info:",
        "        open('/etc/evil', 'w')",
        "    assert info.value.errno == errno.EROFS",
        "def test_tmp_is_writable_not_executable():",
        "    with open('/tmp/tool.sh', 'w') as f:",
        "        f.write('#!/bin/sh\\necho hi\\n')",
        "    os.chmod('/tmp/tool.sh', 0o755)",
        "    with pytest.raises(PermissionError):",
        "        subprocess.run(['/tmp/tool.sh'])",
        "def test_runs_as_nobody():",
        "    assert (os.getuid(), os.getgid()) == (65534, 65534)",
        "",
      ].join("\n"),
    });
    const { result, runId } = await run(dir);
    assert.equal(result.outcome, "PASSED", `${result.reason}\n${JSON.stringify(result.tests, null, 1)}`);
    assert.equal(result.passed, 5);
    await assertCleanedUp(runId);
  });

  test("a fork bomb hits the pids limit and the run still ends in time", async () => {
    const dir = skill({
      "test_bomb.py": [
        "import os, time",
        "def test_fork_bomb():",
        "    parent = os.getpid()",
        "    deadline = time.monotonic() + 2",
        "    last = None",
        "    while time.monotonic() < deadline:",
        "        try:",
        "            os.fork()  # the parent and every child keep forking",
        "        except BlockingIOError as error:",
        "            last = error",
        "            time.sleep(0.01)",
        "    if os.getpid() != parent:",
        "        time.sleep(1000)  # children keep holding their pids",
        "        os._exit(0)",
        "    raise last or AssertionError('the pids limit never stopped the bomb')",
        "",
      ].join("\n"),
    });
    const started = Date.now();
    const { result, runId, lines } = await run(dir, { timeoutSeconds: 10 });
    assert.ok(["FAILED", "ERROR", "TIMEOUT"].includes(result.outcome), `${result.outcome}: ${result.reason}`);
    assert.ok(Date.now() - started < 10_000 + 8_000, `took ${Date.now() - started} ms`);
    assert.ok(
      lines.some((l) => /BlockingIOError|Cannot fork|Resource temporarily unavailable/.test(l.line)),
      lines.map((l) => l.line).join("\n"),
    );
    assert.equal(await runner.ping(), true);
    await assertCleanedUp(runId);
  });

  test("allocating far beyond the memory cap is MEMORY_LIMIT", async () => {
    const dir = skill({ "test_mem.py": "def test_hog():\n    hog = b'x' * (512 * 1024 * 1024)\n    assert len(hog)\n" });
    const { result, runId } = await run(dir, { memoryMb: 64 });
    assert.equal(result.outcome, "MEMORY_LIMIT", result.reason);
    assert.equal(result.reason, "killed: exceeded 64 MiB memory (memory_mb)");
    assert.equal(result.oomKilled, true);
    await assertCleanedUp(runId);
  });

  test("sleeping forever is killed at timeout_seconds: TIMEOUT", async () => {
    const dir = skill({ "test_sleep.py": "import time\ndef test_forever():\n    print('going to sleep', flush=True)\n    time.sleep(100000)\n" });
    const { result, runId } = await run(dir, { timeoutSeconds: 3 });
    assert.equal(result.outcome, "TIMEOUT");
    assert.equal(result.reason, "killed after 3 s (timeout_seconds)");
    assert.equal(result.exitCode, 137);
    assert.ok(result.durationMs >= 3000 && result.durationMs < 3000 + 5000, `took ${result.durationMs} ms`);
    await assertCleanedUp(runId);
  });

  test("the manifest cannot exceed the configured maxima", async () => {
    const dir = skill({ "test_ok.py": "def test_ok(): pass\n" });
    let inspecting: Promise<Dockerode.ContainerInspectInfo> | undefined;
    // Long enough to be inspected while it runs, even on a loaded machine.
    const { result, runId } = await run(dir, {
      memoryMb: 999_999,
      testCommand: ["sh", "-c", "sleep 4"],
      onStarted: (id) => (inspecting = docker.getContainer(id).inspect()),
    });
    const inspected = await inspecting;
    assert.equal(result.outcome, "PASSED", result.reason);
    assert.equal(inspected?.HostConfig.Memory, config.maxMemoryMb * 1024 * 1024);
    await assertCleanedUp(runId);
  });

  test("hundreds of MB of output: the run completes, the stored log is capped, memory stays flat", async () => {
    const dir = skill({ "README.md": "flood\n" });
    const flood = [
      "import os",
      "os.write(1, b'y' * 100000 + b'\\n')",
      "block = (b'x' * 99 + b'\\n') * 10000",
      "for _ in range(300):",
      "    os.write(1, block)",
      "    os.write(2, block[:1000])",
    ].join("\n");
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const { result, runId, lines, stdout } = await run(dir, { testCommand: ["python3", "-c", flood] }).finally(() => clearInterval(sampler));
    assert.equal(result.outcome, "PASSED", result.reason);
    assert.equal(result.logTruncated, true);
    assert.ok(result.logBytes <= config.maxLogBytes && result.logBytes > config.maxLogBytes - 20_000, `logBytes ${result.logBytes}`);
    assert.equal(
      result.logBytes,
      lines.reduce((sum, l) => sum + Buffer.byteLength(l.line) + 1, 0),
    );
    // The 100 kB line was cut to 16 KiB and marked.
    assert.match(stdout[0] ?? "", /^y{16384} … \[line cut: 100000 bytes in total\]$/);
    assert.ok(peak - baseline < 150 * 1024 * 1024, `RSS grew by ${Math.round((peak - baseline) / 1048576)} MiB`);
    await assertCleanedUp(runId);
  });

  test("a detached child that outlives the tests does not keep the run alive", async () => {
    const dir = skill({
      "test_detach.py": ["import subprocess", "def test_leaves_a_child_behind():", "    subprocess.Popen(['sleep', '1000'], start_new_session=True)", ""].join(
        "\n",
      ),
    });
    const { result, runId } = await run(dir, { timeoutSeconds: 20 });
    assert.equal(result.outcome, "PASSED", result.reason);
    assert.ok(result.durationMs < 8000, `took ${result.durationMs} ms`);
    // A background child holding the container's stdout open does not block the log stream either.
    const held = await run(dir, { timeoutSeconds: 20, testCommand: ["sh", "-c", "sleep 1000 & echo started; exit 0"] });
    assert.equal(held.result.outcome, "PASSED", held.result.reason);
    assert.deepEqual(held.stdout, ["started"]);
    assert.ok(held.result.durationMs < 8000, `took ${held.result.durationMs} ms`);
    await assertCleanedUp(runId);
    await assertCleanedUp(held.runId);
  });
});

describe("SandboxRunner: errors", { concurrency: 4 }, () => {
  test("an unknown runtime is ERROR naming the known ones", async () => {
    const { result, runId } = await run(skill({ "a.txt": "a\n" }), { runtime: { language: "python", version: "2.7" } });
    assert.equal(result.outcome, "ERROR");
    assert.equal(result.reason, "unknown runtime python:2.7 (known runtimes: node:20, python:3.11)");
    await assertCleanedUp(runId);
  });

  test("a missing image is INFRA_ERROR", async () => {
    const missing = new SandboxRunner(docker, { ...config, images: { ...config.images, "python:3.11": "skillyard/does-not-exist:1" } }, { scope: RUN_PREFIX });
    const { result, runId } = await run(skill({ "test_a.py": "def test_a(): pass\n" }), {}, missing);
    assert.equal(result.outcome, "INFRA_ERROR");
    assert.match(result.reason, /skillyard\/does-not-exist:1 .*python:3\.11.* not installed/);
    await assertCleanedUp(runId);
  });

  test("the image map comes from SANDBOX_IMAGES", async () => {
    const fromEnv: SandboxConfig = loadConfig({ SANDBOX_IMAGES: '{"python:3.11":"skillyard/does-not-exist:1"}' }).sandbox;
    const { result, runId } = await run(skill({ "test_a.py": "def test_a(): pass\n" }), {}, new SandboxRunner(docker, fromEnv, { scope: RUN_PREFIX }));
    assert.equal(result.outcome, "INFRA_ERROR");
    await assertCleanedUp(runId);
  });

  test("an unreachable Docker is INFRA_ERROR and ping answers false", async () => {
    const nowhere = new SandboxRunner(new Dockerode({ socketPath: "/nonexistent.sock" }), config);
    const { result } = await run(skill({ "test_a.py": "def test_a(): pass\n" }), {}, nowhere);
    assert.equal(result.outcome, "INFRA_ERROR");
    assert.match(result.reason, /^Docker is unreachable: .*nonexistent\.sock/);
    assert.equal(await nowhere.ping(), false);
    assert.equal(await runner.ping(), true);
  });

  test("no tests is ERROR (Python and Node)", async () => {
    const dir = skill({ "README.md": "nothing to test\n", "helper.py": "X = 1\n" });
    const [python, node] = await Promise.all([run(dir), run(dir, { runtime: NODE })]);
    assert.equal(python.result.outcome, "ERROR");
    assert.equal(python.result.reason, "no tests were found");
    assert.equal(python.result.exitCode, 5);
    assert.equal(node.result.outcome, "ERROR");
    assert.equal(node.result.reason, "no tests were found");
    await assertCleanedUp(python.runId);
    await assertCleanedUp(node.runId);
  });

  test("all tests skipped is ERROR", async () => {
    const dir = skill({ "test_skip.py": "import pytest\n@pytest.mark.skip(reason='later')\ndef test_a(): pass\n" });
    const { result } = await run(dir);
    assert.equal(result.outcome, "ERROR");
    assert.equal(result.reason, "no tests ran: all 1 were skipped");
  });

  test("removeContainersOf removes a run's leftovers by label, volume included; a scope hides other scopes", async () => {
    const runId = `${RUN_PREFIX}-leftover`;
    const labels = { "skillyard.managed": "true", "skillyard.scope": RUN_PREFIX, "skillyard.run": runId, "skillyard.version": "v" };
    await docker.createVolume({ Name: `skillyard-run-${runId}`, Labels: labels });
    await docker.createContainer({ Image: config.images["python:3.11"], Cmd: ["true"], Labels: labels, HostConfig: { NetworkMode: "none" } });
    const mine = (list: { runId: string; versionId: string }[]) => list.filter((c) => c.runId === runId && c.versionId === "v").length;
    assert.equal(mine(await runner.listRunContainers()), 1);
    assert.equal(mine(await unscoped.listRunContainers()), 1);
    const elsewhere = new SandboxRunner(docker, config, { scope: "some-other-installation" });
    assert.equal(mine(await elsewhere.listRunContainers()), 0);
    assert.equal(await elsewhere.removeContainersOf(runId), 0);
    assert.equal((await docker.getVolume(`skillyard-run-${runId}`).inspect()).Name, `skillyard-run-${runId}`);
    assert.equal(await runner.removeContainersOf(runId), 1);
    assert.equal(await runner.removeContainersOf(runId), 0);
    await assertCleanedUp(runId);
  });
});

describe("JunitReportParser (no Docker)", () => {
  test("character references in messages are decoded (pytest writes newlines as &#10;)", () => {
    const [failed] = new JunitReportParser().parse(
      `<testsuites><testsuite><testcase classname="t" name="test_a"><failure message="assert 1 == 2&#10;where &lt;x&gt;">trace</failure></testcase></testsuite></testsuites>`,
    );
    assert.equal(failed.status, "failed");
    assert.equal(failed.message, "assert 1 == 2\nwhere <x>");
  });
});

describe("RunOutputCollector (no Docker)", () => {
  const markers = new ReportMarkers("0123456789abcdef0123456789abcdef");

  function collect(chunks: string[], maxLogBytes = 1 << 20) {
    const lines: string[] = [];
    const collector = new RunOutputCollector(markers, { maxLogBytes, maxLineBytes: 32, maxReportBytes: 1024 }, (_s, line) => lines.push(line));
    for (const chunk of chunks) collector.stdout.write(Buffer.from(chunk));
    collector.finish();
    return { lines, collector };
  }

  test("lines survive any chunking; the report block is cut out and kept", () => {
    const text = `first\nsecond line\npartial${markers.begin}\n<testsuites>\n<x/></testsuites>${markers.end}\nafter\nlast-no-newline`;
    for (const size of [1, 2, 3, 7, 64, text.length]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      const { lines, collector } = collect(chunks);
      assert.deepEqual(lines, ["first", "second line", "partial", "after", "last-no-newline"], `chunk size ${size}`);
      assert.equal(collector.reportStatus, "complete");
      assert.equal(collector.report, "<testsuites>\n<x/></testsuites>");
    }
  });

  test("the wrapper's OOM line sets oomKilled and is not logged; output before it on the same line is", () => {
    const { lines, collector } = collect([`running\npartial${markers.oomKilled}\n`]);
    assert.deepEqual(lines, ["running", "partial"]);
    assert.equal(collector.oomKilled, true);
    assert.equal(collect(["running\n", `not ${markers.oomKilled} at the end\n`]).collector.oomKilled, false);
  });

  test("long lines are cut and marked; the byte cap stops delivery", () => {
    const { lines } = collect([`${"a".repeat(100)}\nok\n`]);
    assert.deepEqual(lines, [`${"a".repeat(32)} … [line cut: 100 bytes in total]`, "ok"]);
    const capped = collect(["12345\n12345\n12345\n"], 13);
    assert.deepEqual(capped.lines, ["12345", "12345"]);
    assert.equal(capped.collector.logBytes, 12);
    assert.equal(capped.collector.logTruncated, true);
  });

  test("an unfinished or oversized report is not used", () => {
    assert.equal(collect([`${markers.begin}\n<testsuites>`]).collector.reportStatus, "incomplete");
    assert.equal(collect([`${markers.begin}\n${"x".repeat(2000)}\n${markers.end}\n`]).collector.reportStatus, "too-large");
    assert.equal(collect(["no report\n"]).collector.reportStatus, "absent");
  });

  test("the splitter keeps the tail of an over-long line", () => {
    const got: string[] = [];
    const splitter = new LogLineSplitter(4, (l) => got.push(`${l.head.toString()}|${l.tail.toString()}|${l.totalBytes}`), 3);
    splitter.push(Buffer.from("abcdefgh\nxy"));
    splitter.end();
    for (const chunk of ["abcd", "e", "\n", "ab", "cdefg", "h", "\n"]) splitter.push(Buffer.from(chunk));
    assert.deepEqual(got, ["abcd|fgh|8", "xy||2", "abcd|cde|5", "abcd|fgh|8"]);
  });
});
