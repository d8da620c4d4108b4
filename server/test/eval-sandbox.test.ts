import "reflect-metadata";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import Dockerode from "dockerode";
import { loadConfig } from "../src/config";
import {
  EVAL_HARNESS_LABEL,
  EvalSandbox,
  evalHarnessSha256,
  type EvalSandboxCaseResult,
  type EvalSandboxRequest,
  type EvalSandboxResult,
} from "../src/sandbox/eval-sandbox";
import type { LogStream } from "../src/sandbox/types";

/**
 * The eval sandbox against the real Docker engine and the real runtime images (built with their
 * eval harness by runtimes/build-offline.sh). Tests run one after another: after each run, nothing
 * with this file's scope label may be left on the Docker host.
 */
const docker = new Dockerode();
const config = loadConfig({}).sandbox;
/** On every container and volume this file creates (and the prefix of its run ids). */
const SCOPE = `evaltest-${randomBytes(4).toString("hex")}`;
const FIXTURES = path.join(__dirname, "fixtures", "evals");
const PYTHON = { language: "python", version: "3.11" } as const;
const NODE = { language: "node", version: "20" } as const;
const HOSTILE = { packageDir: path.join(FIXTURES, "python-hostile"), entrypoint: ["python3", "-m", "src.hostile"] };

let sandbox: EvalSandbox;
let harnessSha256: string;
let runCounter = 0;

interface Ran {
  result: EvalSandboxResult;
  runId: string;
  logs: { stream: LogStream; line: string }[];
  stderr: string[];
  /** What onCase received, in call order. */
  delivered: EvalSandboxCaseResult[];
  /** onLog lines and onCase calls, interleaved as they happened. */
  events: string[];
}

type Options = Partial<Omit<EvalSandboxRequest, "runId" | "versionId" | "inputs" | "onLog" | "onCase">> & {
  /** Called with the run id on the first log line, while the container runs. */
  whileRunning?: (runId: string, line: string) => void;
};

async function run(inputs: unknown[], options: Options = {}, using: EvalSandbox = sandbox): Promise<Ran> {
  const runId = `${SCOPE}-${++runCounter}`;
  const { whileRunning, ...overrides } = options;
  const logs: Ran["logs"] = [];
  const delivered: EvalSandboxCaseResult[] = [];
  const events: string[] = [];
  const result = await using.run({
    runId,
    versionId: `version-${runCounter}`,
    runtime: PYTHON,
    memoryMb: null,
    caseTimeoutSeconds: 5,
    outputCapBytes: 64 * 1024,
    ...HOSTILE,
    ...overrides,
    inputs,
    onLog: (stream, line) => {
      logs.push({ stream, line });
      events.push(`log:${line}`);
      whileRunning?.(runId, line);
    },
    onCase: (caseResult) => {
      delivered.push(caseResult);
      events.push(`case:${caseResult.index}`);
    },
  });
  await assertNothingLeft();
  return { result, runId, logs, stderr: logs.filter((l) => l.stream === "STDERR").map((l) => l.line), delivered, events };
}

/** No container and no volume with this file's scope label exists. */
async function assertNothingLeft(): Promise<void> {
  const label = [`skillyard.scope=${SCOPE}`];
  const containers = await docker.listContainers({ all: true, filters: { label } });
  assert.deepEqual(
    containers.map((c) => c.Names),
    [],
    "containers were left behind",
  );
  const { Volumes } = await docker.listVolumes({ filters: { label } });
  assert.deepEqual(
    (Volumes ?? []).map((v) => v.Name),
    [],
    "volumes were left behind",
  );
}

function parsed(result: EvalSandboxResult): unknown[] {
  return result.cases.map((c) => JSON.parse(c.stdout) as unknown);
}

before(async () => {
  harnessSha256 = await evalHarnessSha256();
  for (const image of [config.images["python:3.11"], config.images["node:20"]]) {
    const info = await docker
      .getImage(image)
      .inspect()
      .catch(() => assert.fail(`the runtime image ${image} is missing: build it with runtimes/build-offline.sh`));
    assert.equal(info.Config.Labels?.[EVAL_HARNESS_LABEL], harnessSha256, `${image} has an older eval harness: run runtimes/build-offline.sh`);
  }
  sandbox = new EvalSandbox(docker, config, { scope: SCOPE, harnessSha256 });
});

after(async () => {
  // Only what this file created (its scope label), never anybody else's containers.
  const label = [`skillyard.scope=${SCOPE}`];
  for (const info of await docker.listContainers({ all: true, filters: { label } })) {
    await docker
      .getContainer(info.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  for (const volume of (await docker.listVolumes({ filters: { label } })).Volumes ?? []) {
    await docker
      .getVolume(volume.Name)
      .remove()
      .catch(() => undefined);
  }
});

describe("EvalSandbox: suites that run", () => {
  test("a Python suite: outputs in order, durations, onCase as cases finish, live stderr, the hardened container", async () => {
    let inspecting: Promise<Dockerode.ContainerInspectInfo> | undefined;
    const { result, runId, logs, stderr, delivered, events } = await run(
      [
        { numbers: [1, 2], label: "first" },
        { numbers: [-2, 5, 0.5], label: "second" },
        { numbers: [10], label: "third" },
      ],
      {
        packageDir: path.join(FIXTURES, "python-stats"),
        entrypoint: ["python3", "-m", "src.stats"],
        whileRunning: (runId) => {
          inspecting ??= docker
            .listContainers({ filters: { label: [`skillyard.run=${runId}`, "skillyard.role=eval"] } })
            .then(([info]) => docker.getContainer(info.Id).inspect());
        },
      },
    );
    assert.equal(result.outcome, "COMPLETED", result.reason);
    assert.equal(result.reason, "3 cases ran");
    assert.deepEqual(parsed(result), [
      { count: 2, max: 2, mean: 1.5, min: 1 },
      { count: 3, max: 5, mean: 3.5 / 3, min: -2 },
      { count: 1, max: 10, mean: 10, min: 10 },
    ]);
    assert.deepEqual(
      result.cases.map((c) => [c.index, c.exitCode, c.timedOut, c.truncated]),
      [
        [0, 0, false, false],
        [1, 0, false, false],
        [2, 0, false, false],
      ],
    );
    assert.ok(
      result.cases.every((c) => c.durationMs > 0 && c.durationMs < 5000),
      JSON.stringify(result.cases),
    );
    assert.deepEqual(delivered, result.cases);
    assert.deepEqual(stderr, ["stats: 2 numbers (first)", "stats: 3 numbers (second)", "stats: 1 numbers (third)"]);
    assert.deepEqual(
      logs.filter((l) => l.stream === "STDOUT"),
      [],
    );
    assert.equal(
      result.logBytes,
      logs.reduce((sum, l) => sum + Buffer.byteLength(l.line) + 1, 0),
    );
    // Live: the first case's stderr was handed over before the last case had finished.
    assert.ok(events.indexOf("log:stats: 2 numbers (first)") < events.indexOf("case:2"), events.join("\n"));
    assert.deepEqual(
      events.filter((e) => e.startsWith("case:")),
      ["case:0", "case:1", "case:2"],
    );

    const inspected = await inspecting;
    assert.ok(inspected);
    const host = inspected.HostConfig;
    assert.equal(host.NetworkMode, "none");
    assert.equal(host.ReadonlyRootfs, true);
    assert.deepEqual(host.CapDrop, ["ALL"]);
    assert.deepEqual(host.SecurityOpt, ["no-new-privileges"]);
    assert.equal(host.PidsLimit, config.pidsLimit);
    assert.equal(host.Memory, config.defaultMemoryMb * 1024 * 1024);
    assert.equal(host.Init, true);
    assert.match(host.Tmpfs?.["/tmp"] ?? "", /noexec.*nosuid.*nodev/);
    assert.equal(inspected.Config.User, "65534:65534");
    assert.equal(inspected.Config.WorkingDir, "/skill");
    assert.equal(inspected.Config.OpenStdin, true);
    assert.deepEqual(inspected.Config.Labels, {
      "skillyard.managed": "true",
      "skillyard.scope": SCOPE,
      "skillyard.run": runId,
      "skillyard.version": `version-${runCounter}`,
      "skillyard.role": "eval",
      ...Object.fromEntries(Object.entries(inspected.Config.Labels).filter(([key]) => key.startsWith("org.skillyard."))),
    });
    assert.deepEqual(
      inspected.Mounts.map((m) => [m.Type, m.Name, m.Destination, m.RW]),
      [["volume", `skillyard-run-${runId}`, "/skill", false]],
    );
  });

  test("a Node suite: the harness works in the node image; a spinning case times out and the next one still runs", async () => {
    const { result, stderr } = await run([{ numbers: [1, 2], label: "first" }, { spin: true }, { numbers: [4, 6] }, { numbers: [7] }], {
      runtime: NODE,
      packageDir: path.join(FIXTURES, "node-stats"),
      entrypoint: ["node", "src/stats.js"],
      caseTimeoutSeconds: 1,
    });
    assert.equal(result.outcome, "COMPLETED", result.reason);
    const [first, spinning, third, fourth] = result.cases;
    assert.deepEqual(JSON.parse(first.stdout), { count: 2, max: 2, mean: 1.5, min: 1 });
    assert.deepEqual([spinning.timedOut, spinning.exitCode, spinning.stdout], [true, 137, ""]);
    assert.ok(spinning.durationMs >= 1000 && spinning.durationMs < 2500, `${spinning.durationMs} ms`);
    assert.deepEqual(JSON.parse(third.stdout), { count: 2, max: 6, mean: 5, min: 4 });
    assert.deepEqual(JSON.parse(fourth.stdout), { count: 1, max: 7, mean: 7, min: 7 });
    assert.ok(result.cases.every((c, i) => c.index === i && c.durationMs > 0 && (i === 1 || (c.exitCode === 0 && !c.timedOut))));
    assert.deepEqual(stderr, ["stats: 2 numbers (first)", "stats: 2 numbers ()", "stats: 1 numbers ()"]);
  });

  test("output that is not JSON comes back raw; exit codes come back as they are", async () => {
    const { result, stderr } = await run([{ mode: "invalid" }, { mode: "exit", code: 3 }, { mode: "echo", n: 3 }]);
    assert.equal(result.outcome, "COMPLETED", result.reason);
    assert.deepEqual(
      result.cases.map((c) => [c.stdout, c.exitCode, c.timedOut, c.truncated]),
      [
        ["{not json", 0, false, false],
        ["", 3, false, false],
        ['{"mode": "echo", "n": 3}\n', 0, false, false],
      ],
    );
    assert.deepEqual(stderr, ["exiting with 3"]);
  });
});

describe("EvalSandbox: hostile entry points", () => {
  test("a case that loops forever is killed at the case timeout; the next case runs and passes", async () => {
    const { result, stderr } = await run([{ mode: "loop" }, { mode: "echo", n: 2 }], { caseTimeoutSeconds: 1 });
    assert.equal(result.outcome, "COMPLETED", result.reason);
    const [looping, next] = result.cases;
    assert.deepEqual([looping.timedOut, looping.exitCode, looping.stdout, looping.truncated], [true, 137, "", false]);
    assert.ok(looping.durationMs >= 1000 && looping.durationMs < 2500, `${looping.durationMs} ms`);
    assert.deepEqual([next.timedOut, next.exitCode, JSON.parse(next.stdout)], [false, 0, { mode: "echo", n: 2 }]);
    assert.deepEqual(stderr, ["looping forever"]);
  });

  test("a flood of stdout is cut at the cap without filling memory; the writer keeps its exit code; the next case runs", async () => {
    const baseline = process.memoryUsage().rss;
    const { result } = await run(
      [
        { mode: "flood", mebibytes: 256 },
        { mode: "echo", n: 2 },
      ],
      { outputCapBytes: 1000, memoryMb: 64 },
    );
    assert.ok(process.memoryUsage().rss - baseline < 100 * 1024 * 1024, "the server's memory grew");
    assert.equal(result.outcome, "COMPLETED", result.reason);
    const [flood, next] = result.cases;
    assert.deepEqual([flood.stdout, flood.truncated, flood.exitCode, flood.timedOut], ["x".repeat(1000), true, 0, false]);
    assert.deepEqual([JSON.parse(next.stdout), next.truncated], [{ mode: "echo", n: 2 }, false]);
  });

  test("a case cannot read a later case's input anywhere in the container, nor the evals folder", async () => {
    const secret = `SECRET-${randomBytes(8).toString("hex")}`;
    const { result } = await run([
      { mode: "snoop", reversed_secret: [...secret].reverse().join("") },
      { mode: "echo", secret },
    ]);
    assert.equal(result.outcome, "COMPLETED", result.reason);
    const snooped = JSON.parse(result.cases[0].stdout) as { found: Record<string, string[]>; scanned: number; evals_present: boolean };
    assert.deepEqual(snooped.found[secret], [], `case 2's input was found at ${snooped.found[secret].join(", ")}`);
    assert.deepEqual(snooped.found["EVALS-FOLDER-CANARY"], []);
    assert.equal(snooped.evals_present, false);
    // The search did read the package, the harness's command line and file descriptors.
    assert.deepEqual(snooped.found["PACKAGE-CANARY"], ["/skill/CANARY.txt"]);
    assert.ok(
      snooped.found["skillyard-eval"].some((p) => /^\/proc\/\d+\/cmdline$/.test(p)),
      JSON.stringify(snooped),
    );
    assert.ok(snooped.scanned > 20, JSON.stringify(snooped));
    // And case 2 did get it.
    assert.deepEqual(JSON.parse(result.cases[1].stdout), { mode: "echo", secret });
  });

  test("processes a case leaves behind are killed, and its /tmp emptied, before the next case starts", async () => {
    const { result, logs } = await run([
      { mode: "spawn", delay: 1 },
      { mode: "check-leftovers", wait: 2 },
    ]);
    assert.equal(result.outcome, "COMPLETED", result.reason);
    assert.deepEqual(
      result.cases.map((c) => JSON.parse(c.stdout) as unknown),
      [{ spawned: 2 }, { leftover_file: false, tmp: [] }],
    );
    assert.deepEqual(
      logs.filter((l) => l.line.includes("LEFTOVER")),
      [],
    );
  });

  test("a process in its own session that holds stdout open keeps its case only until the timeout + 2 s", async () => {
    const { result } = await run([{ mode: "hold-stdout" }, { mode: "echo", n: 2 }], { caseTimeoutSeconds: 1 });
    assert.equal(result.outcome, "COMPLETED", result.reason);
    const [holding, next] = result.cases;
    assert.deepEqual([JSON.parse(holding.stdout), holding.exitCode, holding.timedOut], [{ held: true }, 0, false]);
    assert.deepEqual(JSON.parse(next.stdout), { mode: "echo", n: 2 });
    assert.ok(result.durationMs < 10_000, `took ${result.durationMs} ms`);
  });

  test("no network: connecting to a port listening on the host's loopback fails, only lo exists", async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const { result } = await run([{ mode: "network", port }]);
      assert.equal(result.outcome, "COMPLETED", result.reason);
      assert.deepEqual(JSON.parse(result.cases[0].stdout), { connected: false, error: "ConnectionRefusedError", interfaces: ["lo"] });
      assert.equal(connections, 0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("a result line forged through the harness's stdout stops the suite before the next input is sent", async () => {
    const secret = `SECRET-${randomBytes(8).toString("hex")}`;
    const { result, delivered } = await run([
      { mode: "forge", index: 0 },
      { mode: "echo", secret },
    ]);
    assert.equal(result.outcome, "ERROR");
    assert.match(result.reason, /^the eval harness's output broke its protocol \(case 1's result arrived while \d+ of its processes still ran\)/);
    assert.deepEqual(result.cases, []);
    assert.deepEqual(delivered, []);
  });

  test("a container that dies mid-suite: the cases before have results, the rest none, outcome ERROR", async () => {
    const { result, delivered } = await run(
      [
        { mode: "echo", n: 1 },
        { mode: "sleep", seconds: 30 },
        { mode: "echo", n: 3 },
      ],
      {
        whileRunning: (runId, line) => {
          if (line !== "sleeping") return;
          void docker
            .listContainers({ filters: { label: [`skillyard.run=${runId}`, "skillyard.role=eval"] } })
            .then(([info]) => docker.getContainer(info.Id).kill());
        },
      },
    );
    assert.equal(result.outcome, "ERROR");
    assert.equal(result.reason, "the eval harness stopped with exit code 137 during case 2 of 3: 2 of 3 cases did not run (see the log)");
    assert.deepEqual(
      result.cases.map((c) => c.index),
      [0],
    );
    assert.deepEqual(delivered, result.cases);
  });
});

describe("EvalSandbox: refusals", () => {
  test("an image whose harness label differs from runtimes/eval-harness.sh is refused", async () => {
    const stale = new EvalSandbox(docker, config, { scope: SCOPE, harnessSha256: "0".repeat(64) });
    const { result } = await run([{ mode: "echo" }], {}, stale);
    assert.equal(result.outcome, "INFRA_ERROR");
    assert.equal(result.reason, `the image ${config.images["python:3.11"]} has no eval harness, or an older one; run runtimes/build-offline.sh`);
    assert.deepEqual(result.cases, []);
  });

  test("an unknown runtime is ERROR, a missing image INFRA_ERROR", async () => {
    const unknown = await run([{ mode: "echo" }], { runtime: { language: "python", version: "2.7" } });
    assert.equal(unknown.result.outcome, "ERROR");
    assert.equal(unknown.result.reason, "unknown runtime python:2.7 (known runtimes: node:20, python:3.11)");
    const missing = new EvalSandbox(
      docker,
      { ...config, images: { ...config.images, "python:3.11": "skillyard/does-not-exist:1" } },
      { scope: SCOPE, harnessSha256 },
    );
    const { result } = await run([{ mode: "echo" }], {}, missing);
    assert.equal(result.outcome, "INFRA_ERROR");
    assert.equal(result.reason, "the image skillyard/does-not-exist:1 for runtime python:3.11 is not installed on the Docker host");
  });
});
