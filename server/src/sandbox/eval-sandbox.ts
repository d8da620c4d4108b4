import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { packDirectory } from "@skillyard/core";
import type Dockerode from "dockerode";
import { extract as tarExtract, type Header as TarHeader, pack as tarPack } from "tar-stream";
import { repoRoot } from "../common/repo-root";
import type { SandboxConfig } from "../config";
import { describeDockerError, dockerStatusCode } from "./docker-errors";
import { ReportMarkers } from "./report-markers";
import { RunOutputCollector } from "./run-output-collector";
import {
  hardenedHostConfig,
  LABEL_ROLE,
  LABEL_SCOPE,
  PACKAGE_MOUNT,
  PackageVolume,
  RUN_ID,
  SANDBOX_ENV,
  SANDBOX_LIMITS,
  SandboxRunner,
  type SandboxRunnerOptions,
  sandboxContainerName,
  sandboxLabels,
  sandboxMemoryMb,
  withinMs,
} from "./sandbox-runner";
import type { LogStream, SandboxLanguage } from "./types";

const MiB = 1024 * 1024;

/** Where the runtime images install runtimes/eval-harness.sh. */
const EVAL_HARNESS_PATH = "/usr/local/bin/skillyard-eval";
/** The image label holding the sha256 (hex) of the harness the image carries. */
export const EVAL_HARNESS_LABEL = "org.skillyard.eval-harness";

const EVAL_LIMITS = Object.freeze({
  /** Bigger output caps are lowered to this (the harness holds the capture in memory, base64-encoded). */
  maxOutputCapBytes: 16 * MiB,
  /** The suite's deadline is cases × (case timeout + caseSlackSeconds) + suiteSlackSeconds … */
  caseSlackSeconds: 2,
  suiteSlackSeconds: 30,
  /** … but never more than this (200 cases, the suite format's maximum, at the default 30 s fit). */
  maxSuiteSeconds: 2 * 3600,
});

/** The package folder that holds the suite (evals/suite.yaml): never copied into the container. */
const EVALS_FOLDER = "evals";
/** The processes of an eval container between cases: docker-init (PID 1) and the harness. */
const IDLE_PROCESSES = 2;

/** sha256 (hex) of runtimes/eval-harness.sh: what an image's EVAL_HARNESS_LABEL must say. The server reads it once at start. */
export async function evalHarnessSha256(): Promise<string> {
  const script = await readFile(path.join(repoRoot(), "runtimes", "eval-harness.sh"));
  return createHash("sha256").update(script).digest("hex");
}

export interface EvalSandboxRequest {
  /** Same rules as SandboxRunRequest.runId; the containers carry the test runs' labels, role "eval". */
  runId: string;
  versionId: string;
  /** Host folder with the extracted package; its evals/ folder stays out of the container. */
  packageDir: string;
  runtime: { language: SandboxLanguage; version: string };
  /** From the manifest; null → config default; capped like test runs. */
  memoryMb: number | null;
  /** argv, run without a shell in /skill. */
  entrypoint: string[];
  /** One JSON value per case, in order. */
  inputs: unknown[];
  /** Whole seconds, at least 1, at most the sandbox's maxTimeoutSeconds. */
  caseTimeoutSeconds: number;
  /** At most EVAL_LIMITS.maxOutputCapBytes. */
  outputCapBytes: number;
  /** The entry point's stderr (and any harness noise), line by line, capped like test logs (maxLogBytes). */
  onLog(stream: LogStream, line: string): void;
  /** Each case's result as it finishes, in order; each call waits for the previous one to settle. */
  onCase(result: EvalSandboxCaseResult): void | Promise<void>;
}

export interface EvalSandboxCaseResult {
  index: number;
  /** The entry point's exit status (128 + signal when killed); 137 when timedOut. Never null from EvalSandbox. */
  exitCode: number | null;
  /** The first outputCapBytes bytes of its stdout (cut at a character boundary), decoded as UTF-8. */
  stdout: string;
  /** It wrote more than outputCapBytes bytes. */
  truncated: boolean;
  /** It was killed (SIGKILL) at caseTimeoutSeconds. */
  timedOut: boolean;
  /** Wall-clock time of the entry point, measured inside the container. */
  durationMs: number;
}

export interface EvalSandboxResult {
  /** COMPLETED: every case has a result. ERROR: the suite ended early (cases has those that finished). */
  outcome: "COMPLETED" | "ERROR" | "INFRA_ERROR";
  /** One sentence a skill author understands. */
  reason: string;
  cases: EvalSandboxCaseResult[];
  durationMs: number;
  /** Bytes handed to onLog (each line counted with its newline). */
  logBytes: number;
  logTruncated: boolean;
}

/** One result line of the harness, parsed. */
interface ResultLine {
  index: number;
  exitCode: number;
  durationMs: number;
  timedOut: boolean;
  output: Buffer;
}

/**
 * Runs a skill's eval cases in one hardened container per suite (the test sandbox's HostConfig,
 * labels and package volume). The runtime image's harness (runtimes/eval-harness.sh) runs the
 * entry point once per case; the protocol is in runtimes/README.md. Lockstep: a case's input is
 * written to the harness's stdin only once the previous case's result line has been read AND the
 * container holds nothing but docker-init and the harness (`docker top`), so no process of one case
 * ever coexists with a later case's input, even one that forged a result line through
 * /proc/<harness>/fd/1 (the nonce is no secret: it is on the harness's command line).
 *
 * Every container and the volume are removed before `run` returns, whatever happened.
 */
export class EvalSandbox {
  private readonly scopeLabels: Readonly<Record<string, string>>;
  private readonly harnessSha256: string;
  /** For the run's leftovers: eval containers carry the same labels as test containers. */
  private readonly runs: SandboxRunner;

  constructor(
    private readonly docker: Dockerode,
    private readonly config: SandboxConfig,
    options: SandboxRunnerOptions & { harnessSha256: string },
  ) {
    this.scopeLabels = options.scope === undefined ? {} : { [LABEL_SCOPE]: options.scope };
    this.harnessSha256 = options.harnessSha256;
    this.runs = new SandboxRunner(docker, config, { scope: options.scope });
  }

  /** Never throws for problems caused by the skill; Docker problems give outcome INFRA_ERROR. Rethrows what onLog/onCase threw, after cleaning up. */
  async run(request: EvalSandboxRequest): Promise<EvalSandboxResult> {
    if (!RUN_ID.test(request.runId)) throw new Error(`runId ${JSON.stringify(request.runId)} is not usable in container names`);
    if (!Number.isFinite(request.caseTimeoutSeconds) || !Number.isFinite(request.outputCapBytes)) {
      throw new Error("caseTimeoutSeconds and outputCapBytes must be finite numbers");
    }
    const lines = request.inputs.map((input, index) => {
      const json: string | undefined = JSON.stringify(input);
      if (json === undefined) throw new Error(`the input of case ${index} is not a JSON value`);
      return `${Buffer.from(json).toString("base64")}\n`;
    });
    const startedAt = Date.now();
    const total = lines.length;
    const memoryMb = sandboxMemoryMb(this.config, request.memoryMb);
    const caseTimeoutSeconds = Math.max(1, Math.min(Math.ceil(request.caseTimeoutSeconds), this.config.maxTimeoutSeconds));
    const outputCapBytes = Math.max(0, Math.min(Math.floor(request.outputCapBytes), EVAL_LIMITS.maxOutputCapBytes));
    const suiteSeconds = Math.min(total * (caseTimeoutSeconds + EVAL_LIMITS.caseSlackSeconds) + EVAL_LIMITS.suiteSlackSeconds, EVAL_LIMITS.maxSuiteSeconds);
    const nonce = randomBytes(16).toString("hex");
    // The harness never prints report markers: the collector serves only its line cutting and log cap.
    const collector = new RunOutputCollector(
      ReportMarkers.random(),
      { maxLogBytes: this.config.maxLogBytes, maxLineBytes: SANDBOX_LIMITS.maxLineBytes, maxReportBytes: SANDBOX_LIMITS.maxReportBytes },
      (stream, line) => request.onLog(stream, line),
    );
    const results = new ResultQueue();
    const stdout = new HarnessStdout(nonce, outputCapBytes, collector.stdout, results);
    const cases: EvalSandboxCaseResult[] = [];
    const delivery = new CaseDelivery(request.onCase);
    const finish = (outcome: EvalSandboxResult["outcome"], reason: string): EvalSandboxResult => ({
      outcome,
      reason,
      cases: [...cases],
      durationMs: Date.now() - startedAt,
      logBytes: collector.logBytes,
      logTruncated: collector.logTruncated,
    });

    const known = Object.keys(this.config.images).sort().join(", ") || "none";
    const runtimeKey = `${request.runtime.language}:${request.runtime.version}`;
    const image = Object.hasOwn(this.config.images, runtimeKey) ? this.config.images[runtimeKey] : undefined;
    if (image === undefined) return finish("ERROR", `unknown runtime ${runtimeKey} (known runtimes: ${known})`);
    if (request.entrypoint.length === 0) return finish("ERROR", "the entry point is empty");
    if (total === 0) return finish("COMPLETED", "the suite has no cases");

    const labels = sandboxLabels(this.scopeLabels, request.runId, request.versionId);
    const hostConfig = hardenedHostConfig(this.config, memoryMb);
    const volume = new PackageVolume(this.docker, request.runId, labels);
    let container: Dockerode.Container | null = null;
    let attached: NodeJS.ReadWriteStream | null = null;
    let deadline: NodeJS.Timeout | undefined;
    try {
      // A retried run (e.g. after a worker crash) must not find a half-filled volume from before.
      await this.runs.removeContainersOf(request.runId);
      let harnessLabel: string | undefined;
      try {
        // Labels is null when the image has none.
        harnessLabel = (await this.docker.getImage(image).inspect()).Config.Labels?.[EVAL_HARNESS_LABEL];
      } catch (error) {
        if (dockerStatusCode(error) === 404) return finish("INFRA_ERROR", `the image ${image} for runtime ${runtimeKey} is not installed on the Docker host`);
        throw error;
      }
      if (harnessLabel !== this.harnessSha256) {
        return finish("INFRA_ERROR", `the image ${image} has no eval harness, or an older one; run runtimes/build-offline.sh`);
      }

      let tarball: Buffer;
      try {
        tarball = await packWithout(request.packageDir, EVALS_FOLDER);
      } catch (error) {
        return finish("INFRA_ERROR", `could not pack the package folder: ${error instanceof Error ? error.message : String(error)}`);
      }
      await volume.create();
      await volume.fill(image, hostConfig, tarball);

      container = await this.docker.createContainer({
        name: sandboxContainerName(request.runId),
        Image: image,
        Entrypoint: [EVAL_HARNESS_PATH],
        Cmd: [nonce, String(caseTimeoutSeconds), String(outputCapBytes), "--", ...request.entrypoint],
        User: "65534:65534",
        WorkingDir: PACKAGE_MOUNT,
        Env: [...SANDBOX_ENV],
        NetworkDisabled: true,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        OpenStdin: true,
        // Closing our end of the attach stream closes the harness's stdin: its signal to exit.
        StdinOnce: true,
        Tty: false,
        Labels: { ...labels, [LABEL_ROLE]: "eval" },
        HostConfig: { ...hostConfig, Mounts: [volume.mount()] },
      });

      // Attached before start, so not one line is lost; hijacked, so the same stream carries stdin.
      const stream = (attached = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream);
      const drained = new Promise<void>((resolve) => {
        stream.once("end", resolve);
        stream.once("close", resolve);
        stream.once("error", () => resolve());
      });
      // Whatever ends the output (the container exited, was killed, or the connection broke) ends the suite.
      void drained.then(() => results.close());
      this.docker.modem.demuxStream(stream, stdout.sink, collector.stderr);

      await container.start();
      const running = container;
      let deadlineHit = false;
      deadline = setTimeout(() => {
        deadlineHit = true;
        void running.kill({ signal: "SIGKILL" }).catch(() => undefined); // already stopped or gone
      }, suiteSeconds * 1000);

      let violation: string | null = null;
      for (let index = 0; index < total; index++) {
        if (!(await writeTo(stream, lines[index]))) break;
        const line = await results.next();
        if (line === null) break;
        if (line.index !== index) {
          violation = `a result for case ${line.index + 1} arrived while case ${index + 1} ran`;
          break;
        }
        if (index + 1 < total) {
          // The harness prints a result only after every process of the case is gone, and reads its
          // next line without starting any: more processes now means this line was not the harness's.
          const processes = await countProcesses(running);
          if (processes === null) break; // the container stopped: reported below
          if (processes > IDLE_PROCESSES) {
            violation = `case ${index + 1}'s result arrived while ${processes - IDLE_PROCESSES} of its processes still ran`;
            break;
          }
        }
        const result = caseResult(line, outputCapBytes);
        cases.push(result);
        delivery.push(result);
      }
      const allRan = cases.length === total && violation === null;
      if (allRan) stream.end();
      else await running.kill({ signal: "SIGKILL" }).catch(() => undefined);
      await running.wait();
      clearTimeout(deadline);
      await withinMs(drained, SANDBOX_LIMITS.drainGraceMs);
      stdout.end();
      collector.finish();
      // A line after the last case can only come from a process that wrote to the harness's stdout.
      violation ??= results.leftover();
      if (violation !== null) {
        return finish("ERROR", `the eval harness's output broke its protocol (${violation}); the skill may have written to the harness's stdout`);
      }
      if (allRan) return finish("COMPLETED", `${total} ${total === 1 ? "case" : "cases"} ran`);
      const notRun = `${total - cases.length} of ${total} cases did not run`;
      if (deadlineHit) {
        return finish(
          "ERROR",
          `the suite did not finish within ${suiteSeconds} s (${EVAL_LIMITS.suiteSlackSeconds} s + ${caseTimeoutSeconds + EVAL_LIMITS.caseSlackSeconds} s a case): ${notRun}`,
        );
      }
      const state = (await running.inspect()).State;
      const during = `during case ${cases.length + 1} of ${total}`;
      if (state.OOMKilled === true) return finish("ERROR", `the container ran out of memory (${memoryMb} MiB, memory_mb) ${during}: ${notRun}`);
      return finish("ERROR", `the eval harness stopped with exit code ${state.ExitCode} ${during}: ${notRun} (see the log)`);
    } catch (error) {
      return finish("INFRA_ERROR", describeDockerError(error));
    } finally {
      clearTimeout(deadline);
      // Whatever still arrives is dropped: onLog is never called after run() has settled.
      stdout.end();
      collector.finish();
      results.close();
      if (attached instanceof Readable) attached.destroy();
      if (container) await container.remove({ force: true }).catch(() => undefined);
      await volume.remove();
      // No onCase call outlives run() either.
      const caseError = await delivery.settled();
      const consumerError = collector.consumerError ?? caseError;
      if (consumerError !== null) {
        // A bug in the caller's onLog or onCase, not in the skill: surfaced once the sandbox is cleaned up, over any result.
        // eslint-disable-next-line no-unsafe-finally -- replacing the result with this error is the point
        throw consumerError;
      }
    }
  }

  /** Removes every container of the run (by label) and the run's volume; answers how many containers went. */
  removeContainersOf(runId: string): Promise<number> {
    return this.runs.removeContainersOf(runId);
  }
}

/**
 * Result lines in arrival order, for a reader that takes one at a time. Closed when the container's
 * output ends: a waiting reader then gets null.
 */
class ResultQueue {
  private readonly queued: ResultLine[] = [];
  private waiter: ((line: ResultLine | null) => void) | null = null;
  private closed = false;
  /** A malformed result line: reported instead of a line that never comes. */
  private malformed: string | null = null;

  push(line: ResultLine): void {
    if (this.closed) return;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter(line);
    } else {
      this.queued.push(line);
    }
  }

  reject(problem: string): void {
    this.malformed ??= problem;
    this.close();
  }

  close(): void {
    this.closed = true;
    // A reader waits only while nothing is queued.
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.(null);
  }

  next(): Promise<ResultLine | null> {
    const line = this.queued.shift();
    if (line !== undefined || this.closed) return Promise.resolve(line ?? null);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** What broke the protocol besides the lines taken: a malformed line, or lines nobody asked for. */
  leftover(): string | null {
    if (this.malformed !== null) return this.malformed;
    return this.queued.length > 0 ? `a result for case ${this.queued[0].index + 1} arrived after the last case` : null;
  }
}

/**
 * The sink for the container's demultiplexed stdout, where only the harness writes (the entry
 * point's stdout is captured into result lines). A line that starts with the run's marker is a
 * result line and is kept whole, however long (up to the size the output cap allows); any other
 * line is harness noise and streams on to the log sink as it arrives, where it is cut and capped
 * like every log line.
 */
class HarnessStdout {
  readonly sink: Writable;
  private readonly marker: Buffer;
  private readonly maxResultBytes: number;
  private kind: "undecided" | "result" | "log" = "undecided";
  /** The line so far while undecided (a prefix of the marker) or a result line. */
  private parts: Buffer[] = [];
  private held = 0;
  private oversized = false;
  private ended = false;

  constructor(
    nonce: string,
    outputCapBytes: number,
    private readonly log: Writable,
    private readonly results: ResultQueue,
  ) {
    this.marker = Buffer.from(`__SKILLYARD_EVAL_${nonce}__ `);
    // Four numbers, their spaces, and the base64 of outputCapBytes + 1 bytes.
    this.maxResultBytes = this.marker.length + 64 + 4 * Math.ceil((outputCapBytes + 1) / 3);
    this.sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        if (!this.ended) this.push(chunk);
        callback();
      },
    });
  }

  /** Passes on a final partial log line; a partial result line (the container died printing it) is dropped. Later output is ignored. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.kind !== "result" && this.held > 0) this.log.write(Buffer.concat(this.parts, this.held));
  }

  private push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      if (end > start) this.take(chunk.subarray(start, end));
      if (newline === -1) return;
      this.endLine();
      start = newline + 1;
    }
  }

  private take(segment: Buffer): void {
    if (this.kind === "log") {
      this.log.write(segment);
      return;
    }
    if (this.kind === "result") {
      this.hold(segment);
      return;
    }
    // Undecided: what is held so far is a proper prefix of the marker.
    const head = Buffer.concat([...this.parts, segment]);
    this.parts = [];
    this.held = 0;
    const compared = Math.min(head.length, this.marker.length);
    if (!head.subarray(0, compared).equals(this.marker.subarray(0, compared))) {
      this.kind = "log";
      this.log.write(head);
    } else if (head.length < this.marker.length) {
      this.parts = [head];
      this.held = head.length;
    } else {
      this.kind = "result";
      this.hold(head);
    }
  }

  private hold(segment: Buffer): void {
    if (this.oversized) return;
    if (this.held + segment.length > this.maxResultBytes) {
      this.oversized = true;
      this.parts = [];
      return;
    }
    // Copied: the chunk belongs to the socket's buffer pool.
    this.parts.push(Buffer.from(segment));
    this.held += segment.length;
  }

  private endLine(): void {
    if (this.kind === "result") {
      if (this.oversized) this.results.reject(`a result line longer than ${this.maxResultBytes} bytes`);
      else this.parseResult(Buffer.concat(this.parts, this.held).subarray(this.marker.length).toString("latin1"));
    } else {
      if (this.held > 0) this.log.write(Buffer.concat(this.parts, this.held));
      this.log.write(NEWLINE);
    }
    this.kind = "undecided";
    this.parts = [];
    this.held = 0;
    this.oversized = false;
  }

  /** `<case> <exit-code> <duration-ms> <timed-out> <base64>`, as printed by eval-harness.sh. */
  private parseResult(fields: string): void {
    const [index, exitCode, durationMs, timedOut, output, ...rest] = fields.split(" ");
    if (
      rest.length > 0 ||
      output === undefined ||
      !/^\d{1,9}$/.test(index) ||
      !/^\d{1,3}$/.test(exitCode) ||
      !/^\d{1,12}$/.test(durationMs) ||
      !/^[01]$/.test(timedOut) ||
      !/^[A-Za-z0-9+/]*={0,2}$/.test(output)
    ) {
      this.results.reject(`a malformed result line: ${JSON.stringify(fields.slice(0, 80))}`);
      return;
    }
    this.results.push({
      index: Number(index),
      exitCode: Number(exitCode),
      durationMs: Number(durationMs),
      timedOut: timedOut === "1",
      output: Buffer.from(output, "base64"),
    });
  }
}

const NEWLINE = Buffer.from("\n");

/** Calls onCase for each result in order, each after the previous call settled, without holding up the suite. */
class CaseDelivery {
  private chain: Promise<void> = Promise.resolve();
  private error: unknown = null;

  constructor(private readonly onCase: (result: EvalSandboxCaseResult) => void | Promise<void>) {}

  push(result: EvalSandboxCaseResult): void {
    this.chain = this.chain.then(async () => {
      if (this.error !== null) return;
      try {
        await this.onCase(result);
      } catch (error) {
        this.error = error;
      }
    });
  }

  /** Waits for every call; answers the first error one threw, or null. */
  async settled(): Promise<unknown> {
    await this.chain;
    return this.error;
  }
}

function caseResult(line: ResultLine, outputCapBytes: number): EvalSandboxCaseResult {
  const truncated = line.output.length > outputCapBytes;
  return {
    index: line.index,
    exitCode: line.exitCode,
    stdout: utf8Prefix(line.output, outputCapBytes).toString("utf8"),
    truncated,
    timedOut: line.timedOut,
    durationMs: line.durationMs,
  };
}

/** At most `max` bytes of `bytes`, without the partial character a cut at `max` would leave. */
function utf8Prefix(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let end = max;
  // bytes[end] is the first byte left out; while it continues a character (10xxxxxx), that character
  // started before the cut: leave it out whole. A UTF-8 character has at most 3 continuation bytes.
  for (let steps = 0; steps < 3 && end > 0 && (bytes[end] & 0xc0) === 0x80; steps++) end--;
  return bytes.subarray(0, end);
}

/** Writes to the harness's stdin; false when the stream is gone (the container stopped). */
function writeTo(stream: NodeJS.ReadWriteStream, text: string): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      stream.write(text, (error) => resolve(!error));
    } catch {
      resolve(false);
    }
  });
}

/** How many processes the container runs, or null when it is not running any more. */
async function countProcesses(container: Dockerode.Container): Promise<number | null> {
  try {
    const top = (await container.top()) as { Processes?: unknown[] | null };
    return top.Processes?.length ?? 0;
  } catch (error) {
    const status = dockerStatusCode(error);
    if (status === 409 || status === 404) return null;
    throw error;
  }
}

/** The package as packDirectory packs it (.skillignore honoured), as a plain tar without `folder`/ at its root. */
async function packWithout(dir: string, folder: string): Promise<Buffer> {
  const kept: { header: TarHeader; data: Buffer }[] = [];
  const extract = tarExtract();
  extract.on("entry", (header, entry, next) => {
    const parts: Buffer[] = [];
    // streamx types chunks as unknown; tar entries are Buffers.
    entry.on("data", (chunk: unknown) => parts.push(chunk as Buffer));
    entry.on("end", () => {
      if (header.name !== `${folder}/` && !header.name.startsWith(`${folder}/`)) kept.push({ header, data: Buffer.concat(parts) });
      next();
    });
  });
  await pipeline(Readable.from([await packDirectory(dir)]), createGunzip(), extract);
  const pack = tarPack();
  for (const { header, data } of kept) pack.entry(header, data);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
