import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { packDirectory } from "@skillyard/core";
import type Dockerode from "dockerode";
import type { SandboxConfig } from "../config";
import { describeDockerError, dockerStatusCode } from "./docker-errors";
import { OutcomeClassifier } from "./outcome-classifier";
import { ReportMarkers } from "./report-markers";
import { RunOutputCollector } from "./run-output-collector";
import { DEFAULT_TEST_COMMANDS, JUNIT_REPORT_PATH, wrapTestCommand } from "./test-command";
import { NO_TESTS_RAN, type SandboxContainerRef, type SandboxRunRequest, type SandboxRunResult } from "./types";

export type { LogStream, SandboxContainerRef, SandboxRunRequest, SandboxRunResult, TestCaseResult, TestOutcome } from "./types";

const MiB = 1024 * 1024;

export const LABEL_MANAGED = "skillyard.managed";
export const LABEL_RUN = "skillyard.run";
export const LABEL_VERSION = "skillyard.version";
export const LABEL_ROLE = "skillyard.role";
export const LABEL_SCOPE = "skillyard.scope";

export interface SandboxRunnerOptions {
  /**
   * When set, every container and volume also carries `skillyard.scope=<scope>`, and
   * listRunContainers / removeContainersOf only see that scope. Lets several installations (or
   * parallel test files, each with its own database) share one Docker host without sweeping each
   * other's running sandboxes as orphans.
   */
  scope?: string;
}

/** Where the package appears in the container (read-only). */
export const PACKAGE_MOUNT = "/skill";

/** Fixed limits of every sandbox container (the configurable ones live in SandboxConfig). */
export const SANDBOX_LIMITS = Object.freeze({
  /** Biggest file a test may write (RLIMIT_FSIZE, bytes). */
  maxFileBytes: 64 * MiB,
  maxOpenFiles: 256,
  tmpfsSize: "64m",
  maxLineBytes: 16 * 1024,
  maxReportBytes: 8 * MiB,
  /** After the container has exited, how long its output stream may take to close. */
  drainGraceMs: 10_000,
  /** Docker refuses smaller memory limits. */
  minMemoryMb: 6,
});

/** What a run id may look like: it is used in container and volume names. */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** The environment of every sandbox container (test and eval runs). */
export const SANDBOX_ENV: readonly string[] = Object.freeze([
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "HOME=/tmp",
  "TMPDIR=/tmp",
  "LANG=C.UTF-8",
  "CI=true",
  "PYTHONDONTWRITEBYTECODE=1",
  "PYTHONUNBUFFERED=1",
  "NO_COLOR=1",
]);

const CONTAINER_ENV = [...SANDBOX_ENV, `SKILLYARD_JUNIT_XML=${JUNIT_REPORT_PATH}`];

/**
 * Runs one skill version's tests in a throwaway, hardened container and classifies the result.
 *
 * The package is copied, not bind-mounted, so a remote Docker host works: a named volume is filled
 * through a never-started helper container (`putArchive` is refused on a read-only root file
 * system, but a volume path is fine) and then mounted read-only into the test container. Every
 * container and the volume are removed before `run` returns, whatever happened.
 *
 * What a run costs beyond a bare `docker run` is mostly that copy (volume, helper, `putArchive`:
 * 100–300 ms), so the test container is created and attached meanwhile, and the helper is removed
 * while the tests run. Not done, on purpose:
 * - a bind mount of the extracted package, as `docker run -v` does: the path exists only on a local
 *   engine sharing this process's file system, and the private staging folder would have to be
 *   opened to uid 65534;
 * - the volume mounted read-write so that the test container receives the archive itself (no
 *   helper): the package would no longer be read-only;
 * - pre-created volumes, helpers or containers: their names and labels carry the run id that crash
 *   recovery goes by, and a container's mounts, command and limits are the run's own, so all that
 *   could be made ahead is an empty volume (a few ms), and nothing may pass from one run to another;
 * - preparing the sandbox while the worker claims the run (run lock, reads, RUNNING, slot): those
 *   queries take 10–30 ms, not worth splitting `run` in two;
 * - removing the sandbox after the outcome is recorded: a finished run would still have a container.
 */
export class SandboxRunner {
  private readonly classifier = new OutcomeClassifier();

  private readonly scopeLabels: Readonly<Record<string, string>>;

  constructor(
    private readonly docker: Dockerode,
    private readonly config: SandboxConfig,
    options: SandboxRunnerOptions = {},
  ) {
    this.scopeLabels = options.scope === undefined ? {} : { [LABEL_SCOPE]: options.scope };
  }

  /** Never throws for problems caused by the skill; Docker problems give outcome INFRA_ERROR. */
  async run(request: SandboxRunRequest): Promise<SandboxRunResult> {
    if (!RUN_ID.test(request.runId)) throw new Error(`runId ${JSON.stringify(request.runId)} is not usable in container names`);
    const startedAt = Date.now();
    const memoryMb = sandboxMemoryMb(this.config, request.memoryMb);
    const timeoutSeconds = Math.max(1, Math.min(request.timeoutSeconds ?? this.config.defaultTimeoutSeconds, this.config.maxTimeoutSeconds));
    const markers = ReportMarkers.random();
    const collector = new RunOutputCollector(
      markers,
      { maxLogBytes: this.config.maxLogBytes, maxLineBytes: SANDBOX_LIMITS.maxLineBytes, maxReportBytes: SANDBOX_LIMITS.maxReportBytes },
      (stream, line) => request.onLog(stream, line),
    );
    const finish = (verdict: Pick<SandboxRunResult, "outcome" | "reason"> & Partial<SandboxRunResult>): SandboxRunResult => ({
      ...NO_TESTS_RAN,
      ...verdict,
      durationMs: Date.now() - startedAt,
      logBytes: collector.logBytes,
      logTruncated: collector.logTruncated,
    });

    const known = Object.keys(this.config.images).sort().join(", ") || "none";
    if (request.runtime === null) {
      return finish({ outcome: "ERROR", reason: `the manifest names no runtime to run the tests with (known runtimes: ${known})` });
    }
    const runtimeKey = `${request.runtime.language}:${request.runtime.version}`;
    const image = Object.hasOwn(this.config.images, runtimeKey) ? this.config.images[runtimeKey] : undefined;
    const defaultCommand = Object.hasOwn(DEFAULT_TEST_COMMANDS, request.runtime.language) ? DEFAULT_TEST_COMMANDS[request.runtime.language] : undefined;
    if (image === undefined || defaultCommand === undefined) {
      return finish({ outcome: "ERROR", reason: `unknown runtime ${runtimeKey} (known runtimes: ${known})` });
    }
    const command = request.testCommand ?? defaultCommand;
    if (command.length === 0) return finish({ outcome: "ERROR", reason: "the manifest's test command is empty" });

    const labels = sandboxLabels(this.scopeLabels, request.runId, request.versionId);
    const hostConfig = hardenedHostConfig(this.config, memoryMb);
    const volume = new PackageVolume(this.docker, request.runId, labels);
    /** What exists of the test container so far, for the clean-up below whichever step failed. */
    const made: { container?: Dockerode.Container; output?: NodeJS.ReadWriteStream } = {};
    try {
      // Three independent steps at once, their outcomes judged in this order. A retried run (e.g.
      // after a worker crash) must not find a half-filled volume from before: the volume is
      // created only after the removal.
      const [removed, inspected, packed] = await Promise.allSettled([
        this.removeContainersOf(request.runId),
        this.docker.getImage(image).inspect(),
        packDirectory(request.packageDir),
      ]);
      if (removed.status === "rejected") throw removed.reason;
      if (inspected.status === "rejected") {
        if (dockerStatusCode(inspected.reason) === 404) {
          return finish({ outcome: "INFRA_ERROR", reason: `the image ${image} for runtime ${runtimeKey} is not installed on the Docker host` });
        }
        throw inspected.reason;
      }
      if (packed.status === "rejected") {
        const message = packed.reason instanceof Error ? packed.reason.message : String(packed.reason);
        return finish({ outcome: "INFRA_ERROR", reason: `could not pack the package folder: ${message}` });
      }

      await volume.create();
      // The test container is created and attached while the helper fills the volume: it mounts
      // the volume by name and reads it only once started, after the fill.
      let drained: Promise<void> = Promise.resolve();
      const [filled, prepared] = await Promise.allSettled([
        volume.fill(image, hostConfig, packed.value),
        (async () => {
          const created = (made.container = await this.docker.createContainer({
            name: sandboxContainerName(request.runId),
            Image: image,
            Entrypoint: wrapTestCommand([], markers),
            Cmd: [...command],
            User: "65534:65534",
            WorkingDir: PACKAGE_MOUNT,
            Env: CONTAINER_ENV,
            NetworkDisabled: true,
            AttachStdin: false,
            AttachStdout: true,
            AttachStderr: true,
            OpenStdin: false,
            Tty: false,
            Labels: { ...labels, [LABEL_ROLE]: "test" },
            HostConfig: { ...hostConfig, Mounts: [volume.mount()] },
          }));
          // Attached before start, so not one line is lost.
          const attached = (made.output = await created.attach({ stream: true, stdout: true, stderr: true }));
          drained = new Promise<void>((resolve) => {
            attached.once("end", resolve);
            attached.once("close", resolve);
            attached.once("error", () => resolve());
          });
          this.docker.modem.demuxStream(attached, collector.stdout, collector.stderr);
          return created;
        })(),
      ]);
      if (filled.status === "rejected") throw filled.reason;
      if (prepared.status === "rejected") throw prepared.reason;
      const running = prepared.value;

      await running.start();
      request.onStarted?.(running.id);
      let killed: Promise<boolean> | null = null;
      const timer = setTimeout(() => {
        killed = running.kill({ signal: "SIGKILL" }).then(
          () => true,
          () => false, // already stopped (409) or gone: it ended on its own
        );
      }, timeoutSeconds * 1000);
      try {
        await running.wait();
      } finally {
        clearTimeout(timer);
      }
      const timedOut = killed !== null && (await killed);
      await withinMs(drained, SANDBOX_LIMITS.drainGraceMs);
      collector.finish();
      const state = (await running.inspect()).State;
      const verdict = this.classifier.classify({
        language: request.runtime.language,
        customCommand: request.testCommand !== null,
        command,
        exitCode: typeof state.ExitCode === "number" ? state.ExitCode : null,
        oomKilled: state.OOMKilled === true || collector.oomKilled,
        timedOut,
        timeoutSeconds,
        memoryMb,
        reportStatus: collector.reportStatus,
        report: collector.report,
        passThreshold: this.config.passThreshold,
      });
      return finish({
        ...verdict,
        exitCode: typeof state.ExitCode === "number" ? state.ExitCode : null,
        oomKilled: state.OOMKilled === true || collector.oomKilled,
      });
    } catch (error) {
      collector.finish();
      return finish({ outcome: "INFRA_ERROR", reason: describeDockerError(error) });
    } finally {
      // Whatever still arrives is dropped: onLog is never called after run() has settled.
      collector.finish();
      if (made.output instanceof Readable) made.output.destroy();
      if (made.container) await made.container.remove({ force: true }).catch(() => undefined);
      await volume.remove();
      if (collector.consumerError !== null) {
        // A bug in the caller's onLog, not in the skill: surfaced once the sandbox is cleaned up, over any result.
        // eslint-disable-next-line no-unsafe-finally -- replacing the result with this error is the point
        throw collector.consumerError;
      }
    }
  }

  /** Removes every container of the run (by label) and the run's volume; answers how many containers went. */
  async removeContainersOf(runId: string): Promise<number> {
    if (!RUN_ID.test(runId)) throw new Error(`runId ${JSON.stringify(runId)} is not usable in container names`);
    const found = await this.docker.listContainers({ all: true, filters: { label: [...this.managedFilter(), `${LABEL_RUN}=${runId}`] } });
    let removed = 0;
    for (const info of found) {
      try {
        await this.docker.getContainer(info.Id).remove({ force: true });
        removed++;
      } catch (error) {
        if (dockerStatusCode(error) !== 404) throw error;
      }
    }
    try {
      const volume = this.docker.getVolume(packageVolumeName(runId));
      const scope = this.scopeLabels[LABEL_SCOPE];
      if (scope === undefined || (await volume.inspect()).Labels?.[LABEL_SCOPE] === scope) await volume.remove();
    } catch (error) {
      if (dockerStatusCode(error) !== 404) throw error;
    }
    return removed;
  }

  /** Every container labelled skillyard.managed=true (and of this runner's scope, if any), running or not: to find orphans of crashed workers. */
  async listRunContainers(): Promise<SandboxContainerRef[]> {
    const found = await this.docker.listContainers({ all: true, filters: { label: this.managedFilter() } });
    return found.map((info) => ({ id: info.Id, runId: info.Labels[LABEL_RUN] ?? "", versionId: info.Labels[LABEL_VERSION] ?? "" }));
  }

  async ping(): Promise<boolean> {
    try {
      await this.docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  private managedFilter(): string[] {
    return [`${LABEL_MANAGED}=true`, ...Object.entries(this.scopeLabels).map(([key, value]) => `${key}=${value}`)];
  }
}

/** The manifest's memory limit (null: the default), within the configured maximum and Docker's minimum. */
export function sandboxMemoryMb(config: SandboxConfig, requested: number | null): number {
  return Math.max(SANDBOX_LIMITS.minMemoryMb, Math.min(requested ?? config.defaultMemoryMb, config.maxMemoryMb));
}

/** The labels of every container and volume of a run (scopeLabels: `{}` or the runner's scope label). */
export function sandboxLabels(scopeLabels: Readonly<Record<string, string>>, runId: string, versionId: string): Record<string, string> {
  return { [LABEL_MANAGED]: "true", ...scopeLabels, [LABEL_RUN]: runId, [LABEL_VERSION]: versionId };
}

/** The same isolation for the copy helper and every sandbox container (test and eval runs). */
export function hardenedHostConfig(config: SandboxConfig, memoryMb: number): Dockerode.HostConfig {
  return {
    NetworkMode: "none",
    Memory: memoryMb * MiB,
    MemorySwap: memoryMb * MiB,
    NanoCpus: Math.round(config.cpus * 1e9),
    PidsLimit: config.pidsLimit,
    CapDrop: ["ALL"],
    SecurityOpt: ["no-new-privileges"],
    ReadonlyRootfs: true,
    // noexec: neither pytest nor node needs to execute files from /tmp.
    Tmpfs: { "/tmp": `rw,noexec,nosuid,nodev,size=${SANDBOX_LIMITS.tmpfsSize}` },
    Ulimits: [
      { Name: "fsize", Soft: SANDBOX_LIMITS.maxFileBytes, Hard: SANDBOX_LIMITS.maxFileBytes },
      { Name: "nofile", Soft: SANDBOX_LIMITS.maxOpenFiles, Hard: SANDBOX_LIMITS.maxOpenFiles },
      { Name: "core", Soft: 0, Hard: 0 },
    ],
    // docker-init (tini) as PID 1 reaps orphans and exits when its child (the test wrapper shell or
    // the eval harness) exits, which ends the PID namespace and so kills any process left behind.
    Init: true,
    IpcMode: "private",
    Privileged: false,
    AutoRemove: false,
    // Output is read through attach; the daemon keeps no copy on its disk.
    LogConfig: { Type: "none", Config: {} },
  };
}

/** The name of a run's package volume (one per run id: a retried run replaces it). */
function packageVolumeName(runId: string): string {
  return `skillyard-run-${runId}`;
}

/**
 * The named volume that carries a run's package into its container. Filled through a never-started
 * helper container, because `putArchive` is refused on a read-only root file system but a volume
 * path is fine. The helper's removal is not waited for by `fill` (it runs while the test container
 * starts) but by `remove`, before the volume goes.
 */
export class PackageVolume {
  readonly name: string;
  private created = false;
  /** Settles once the copy helper is gone (or was never made). */
  private helperRemoved: Promise<void> = Promise.resolve();

  constructor(
    private readonly docker: Dockerode,
    private readonly runId: string,
    private readonly labels: Readonly<Record<string, string>>,
  ) {
    this.name = packageVolumeName(runId);
  }

  /**
   * Creates the empty, labelled volume. Before any container names it: Docker would otherwise
   * create it on the fly, without the labels that removeContainersOf and the sweep go by.
   */
  async create(): Promise<void> {
    await this.docker.createVolume({ Name: this.name, Labels: this.labels });
    this.created = true;
  }

  /** Extracts `tarball` (tar or gzipped tar) into the volume, which `create` made. */
  async fill(image: string, hostConfig: Dockerode.HostConfig, tarball: Buffer): Promise<void> {
    if (!this.created) throw new Error(`the volume ${this.name} must be created before it is filled`);
    const helper = await this.docker.createContainer({
      name: `${sandboxContainerName(this.runId)}-copy`,
      Image: image,
      Entrypoint: ["/bin/sh"],
      Cmd: ["-c", "exit 0"],
      User: "0:0",
      NetworkDisabled: true,
      Labels: { ...this.labels, [LABEL_ROLE]: "copy" },
      HostConfig: { ...hostConfig, Mounts: [{ Type: "volume", Source: this.name, Target: PACKAGE_MOUNT, ReadOnly: false }] },
    });
    try {
      await helper.putArchive(tarball, { path: PACKAGE_MOUNT });
    } finally {
      // A failed removal leaves a labelled container, which removeContainersOf and the sweep find.
      this.helperRemoved = helper.remove({ force: true }).then(
        () => undefined,
        () => undefined,
      );
    }
  }

  /** The package, read-only at PACKAGE_MOUNT. */
  mount(): Dockerode.MountSettings {
    return { Type: "volume", Source: this.name, Target: PACKAGE_MOUNT, ReadOnly: true };
  }

  /** Removes the copy helper, then the volume if `create` made it; never throws (the run's other containers must be gone first). */
  async remove(): Promise<void> {
    await this.helperRemoved;
    if (!this.created) return;
    await this.docker
      .getVolume(this.name)
      .remove()
      .catch(() => undefined);
  }
}

/** A container name for a run: its id and a random suffix. */
export function sandboxContainerName(runId: string): string {
  return `skillyard-run-${runId}-${randomBytes(3).toString("hex")}`;
}

/** Whether `promise` settled within `ms`; it is not cancelled otherwise. */
export async function withinMs(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
