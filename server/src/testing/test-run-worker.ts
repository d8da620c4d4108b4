import { randomUUID } from "node:crypto";
import type PgBoss from "pg-boss";
import type { DataSource, QueryRunner } from "typeorm";
import { type ArchiveLimits, withExtractedPackage } from "@skillyard/core";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import type { PublishPipeline } from "../catalog/publish-pipeline";
import { SkillVersion } from "../catalog/skill-version.entity";
import type { VersionLifecycle } from "../catalog/version-lifecycle";
import { VersionStatus } from "../catalog/version-status";
import type { Logger } from "../common/logger";
import type { PgNotificationListener } from "../common/pg-notifications";
import type { Metrics } from "../observability/metrics";
import type { BlobStore } from "../packages/blob-store";
import type { SandboxRunner, SandboxRunResult } from "../sandbox/sandbox-runner";
import { acquireSandboxSlot, forEachUnheldRun, releaseSandboxSlot, runLockKey, tryLock, unlock } from "../sandbox/sandbox-locks";
import { NO_TESTS_RAN } from "../sandbox/types";
import { TEST_GATE } from "./test-gate";
import type { TestQueue, TestRunJob } from "./test-run.service";
import { LogStream } from "./test-run-event.entity";
import { TestRunEventWriter } from "./test-run-events";
import { TestRun, TestRunStatus } from "./test-run.entity";

const SWEEP_INTERVAL_MS = 10_000;
/** How long stopping waits for in-flight runs to clean up after their sandboxes were removed. */
const STOP_GRACE_MS = 15_000;
/** While stopping, how often the in-flight runs' containers are removed again. */
const STOP_SWEEP_MS = 200;

/**
 * Executes test-run jobs. Crash safety rests on PostgreSQL session advisory locks, which die with
 * the worker's connection: a RUNNING run whose lock is free has no live worker, so the sweep (at
 * start and every few seconds) removes its containers by label and hands its job back to pg-boss,
 * which runs it again. Finishing is conditional on the attempt, so a run ends in exactly one final state.
 */
export class TestRunWorker {
  readonly id = randomUUID();
  private sweeper: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Runs this worker is executing now (run id → the attempt), so stopping can end their sandboxes. */
  private readonly active = new Map<string, Promise<unknown>>();

  constructor(
    private readonly deps: {
      dataSource: DataSource;
      logger: Logger;
      blobStore: BlobStore;
      archiveLimits: ArchiveLimits;
      /** Most sandboxes running at once across every worker (SANDBOX_MAX_CONCURRENCY). */
      maxConcurrency: number;
      audit: AuditService;
      lifecycle: VersionLifecycle;
      pipeline: PublishPipeline;
      queue: TestQueue;
      /** Wakes the queue's pollers when a run is enqueued (by any process). */
      notifications: PgNotificationListener;
      runner: SandboxRunner;
      metrics: Pick<Metrics, "sandboxRunFinished">;
    },
  ) {}

  private get runner(): SandboxRunner {
    return this.deps.runner;
  }

  async start(): Promise<void> {
    // Docker may be down at start; runs then end as INFRA_ERROR after their retries, the process stays up.
    await this.sweep().catch((e: unknown) => this.deps.logger.error("sweep failed", { message: String(e) }));
    await this.deps.queue.work(this.deps.maxConcurrency, (job) => this.handle(job), this.deps.notifications);
    this.sweeper = setInterval(
      () => void this.sweep().catch((e: unknown) => this.deps.logger.error("sweep failed", { message: String(e) })),
      SWEEP_INTERVAL_MS,
    );
    this.sweeper.unref();
  }

  /**
   * Stops taking runs and ends the sandboxes of those in flight without recording an outcome:
   * they stay RUNNING with their locks released, and the next worker's sweep runs them again,
   * exactly as after a crash, but with nothing left behind on the Docker host.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    const inFlight = [...this.active];
    if (inFlight.length === 0) return;
    // A run between two Docker calls creates its next container (the copy helper, then the test
    // container) after a removal has listed them, and a volume still mounted cannot be removed. So
    // keep removing until every attempt has seen its sandbox gone and run its own cleanup (bounded).
    let settled = false;
    const done = Promise.allSettled(inFlight.map(([, attempt]) => attempt)).then(() => {
      settled = true;
    });
    const deadline = Date.now() + STOP_GRACE_MS;
    do {
      await Promise.all(inFlight.map(([runId]) => this.runner.removeContainersOf(runId).catch(() => 0)));
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, STOP_SWEEP_MS))]);
    } while (!settled && Date.now() < deadline);
    await Promise.all(inFlight.map(([runId]) => this.runner.removeContainersOf(runId).catch(() => 0)));
  }

  /** Finds runs and containers no live worker holds, and recovers them. */
  async sweep(): Promise<void> {
    const { dataSource, logger } = this.deps;
    const lock = dataSource.createQueryRunner();
    await lock.connect();
    try {
      const running = await dataSource.getRepository(TestRun).findBy({ status: TestRunStatus.RUNNING });
      await forEachUnheldRun(
        lock,
        running.map((r) => r.id),
        async (runId) => {
          // Re-read under the lock: the run may have finished between the list and the lock.
          const run = await dataSource.getRepository(TestRun).findOneBy({ id: runId });
          if (run?.status !== TestRunStatus.RUNNING) return;
          const removed = await this.runner.removeContainersOf(run.id);
          logger.warn("recovering a test run whose worker stopped", { runId: run.id, containersRemoved: removed });
          await dataSource.getRepository(TestRun).update({ id: run.id, status: TestRunStatus.RUNNING }, { status: TestRunStatus.QUEUED });
          const writer = await TestRunEventWriter.open(dataSource, run.id);
          await writer.status(TestRunStatus.QUEUED, "The worker running these tests stopped; they will run again.");
          if (run.jobId) await this.deps.queue.failJob(run.jobId, "worker stopped");
        },
      );
      // Every sandbox container (test and eval runs carry the same labels) whose run no live worker holds.
      const containers = await this.runner.listRunContainers();
      await forEachUnheldRun(lock, [...new Set(containers.map((c) => c.runId))], async (runId) => {
        await this.runner.removeContainersOf(runId);
        logger.warn("removed an orphaned sandbox container", { runId });
      });
    } finally {
      await lock.release();
    }
  }

  private async handle(job: PgBoss.JobWithMetadata<TestRunJob>): Promise<void> {
    const { dataSource, logger } = this.deps;
    const runId = job.data.testRunId;
    const lock = dataSource.createQueryRunner();
    await lock.connect();
    try {
      if (!(await tryLock(lock, runLockKey(runId)))) throw new Error(`test run ${runId} is held by another worker`);
      try {
        const run = await dataSource.getRepository(TestRun).findOneBy({ id: runId });
        // RUNNING with its lock free means an earlier attempt died: take it over.
        if (!run || (run.status !== TestRunStatus.QUEUED && run.status !== TestRunStatus.RUNNING)) return;
        const version = await dataSource.getRepository(SkillVersion).findOneByOrFail({ id: run.versionId });
        const attempt = run.attempts + 1;
        const startedAt = performance.now();
        await dataSource.getRepository(TestRun).update(run.id, { status: TestRunStatus.RUNNING, attempts: attempt, startedAt: new Date(), jobId: job.id });
        run.attempts = attempt;
        const writer = await TestRunEventWriter.open(dataSource, run.id);
        const running = this.attempt(run, version, lock, writer)
          .catch((error: unknown) => infraFailure(error))
          .finally(() => this.active.delete(run.id));
        this.active.set(run.id, running);
        const result = await running;
        if (result === null || this.stopped) throw new Error("the worker is stopping; the run will be picked up again");
        await writer.flush();
        const retriesLeft = job.retryCount < job.retryLimit;
        if (result.outcome === "INFRA_ERROR" && retriesLeft) {
          // Not the author's fault: back to the queue; pg-boss retries with backoff.
          await dataSource.getRepository(TestRun).update({ id: run.id, attempts: attempt }, { status: TestRunStatus.QUEUED, reason: result.reason });
          await writer.status(TestRunStatus.QUEUED, `The sandbox could not run the tests (${result.reason}); retrying.`);
          throw new Error(`infrastructure error: ${result.reason}`);
        }
        await this.finish(run.id, attempt, version, result, writer, startedAt);
      } finally {
        await unlock(lock, runLockKey(runId));
      }
    } catch (error) {
      logger.warn("test run attempt did not finish", { runId, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      await lock.release();
    }
  }

  /**
   * One attempt: clears what an earlier attempt may have left, waits for a sandbox slot, and runs
   * the tests. Null when the worker is stopping. Docker failures surface as thrown errors here and
   * become INFRA_ERROR results in the caller.
   */
  private async attempt(run: TestRun, version: SkillVersion, lock: QueryRunner, writer: TestRunEventWriter): Promise<SandboxRunResult | null> {
    await this.runner.removeContainersOf(run.id);
    const slots = this.deps.maxConcurrency;
    const slot = await acquireSandboxSlot(
      lock,
      slots,
      () => this.stopped,
      () => writer.status(TestRunStatus.RUNNING, `Waiting for a free sandbox (all ${slots} are busy).`),
    );
    if (slot === null) return null;
    try {
      await writer.status(TestRunStatus.RUNNING, run.attempts > 1 ? `Attempt ${run.attempts}.` : null);
      return await this.runInSandbox(run, version, writer);
    } finally {
      // The container is gone once the run returns: free the slot before the bookkeeping.
      await releaseSandboxSlot(lock, slot);
    }
  }

  private runInSandbox(run: TestRun, version: SkillVersion, writer: TestRunEventWriter): Promise<SandboxRunResult> {
    const { blobStore, archiveLimits } = this.deps;
    const manifest = version.manifest;
    return blobStore.withLocalFile(version.packageSha256, "tgz", (file) =>
      withExtractedPackage(file, archiveLimits, blobStore.tmpDir, (pkg) =>
        this.runner.run({
          runId: run.id,
          versionId: version.id,
          packageDir: pkg.dir,
          runtime: manifest.requirements.runtime,
          memoryMb: manifest.requirements.memoryMb,
          timeoutSeconds: manifest.requirements.timeoutSeconds,
          testCommand: manifest.testCommand,
          onLog: (stream, line) => writer.log(stream === "STDERR" ? LogStream.STDERR : LogStream.STDOUT, line),
        }),
      ),
    );
  }

  /** `startedAt`: when this attempt took the run (performance.now()), for the run's duration. */
  private async finish(
    runId: string,
    attempt: number,
    version: SkillVersion,
    result: SandboxRunResult,
    writer: TestRunEventWriter,
    startedAt: number,
  ): Promise<void> {
    const { dataSource, audit, lifecycle, pipeline } = this.deps;
    const status = TestRunStatus[result.outcome];
    const finished = await dataSource.transaction(async (em) => {
      const update = await em.getRepository(TestRun).update(
        { id: runId, status: TestRunStatus.RUNNING, attempts: attempt },
        {
          status,
          reason: result.reason,
          passed: result.passed,
          failed: result.failed,
          skipped: result.skipped,
          passRate: result.passRate,
          tests: result.tests,
          exitCode: result.exitCode,
          logBytes: result.logBytes,
          logTruncated: result.logTruncated,
          finishedAt: new Date(),
        },
      );
      if (update.affected !== 1) return false;
      const target = { targetType: "SkillVersion", targetId: version.id, skillId: version.skillId };
      await audit.record(em, {
        actorId: null,
        action: AuditAction.TEST_OUTCOME,
        ...target,
        after: { testRunId: runId, status, reason: result.reason, passRate: result.passRate },
      });
      if (status === TestRunStatus.PASSED) {
        // On through the later gates: published now, or waiting for a reviewer.
        await pipeline.passed(em, version, TEST_GATE, null);
      } else if (status === TestRunStatus.INFRA_ERROR) {
        // Never blamed on the author: the version waits in TESTING for a re-run.
        await lifecycle.explain(em, version, VersionStatus.TESTING, `Its tests could not run: ${result.reason}`);
      } else {
        await pipeline.failed(em, version, TEST_GATE, `Tests ${status.toLowerCase().replace("_", " ")}: ${result.reason}`, null, { testRunId: runId });
      }
      return true;
    });
    if (!finished) return;
    // Counted where the one final status was committed: once per run, whichever attempt got there.
    this.deps.metrics.sandboxRunFinished("test", status, (performance.now() - startedAt) / 1000);
    await writer.status(status, result.reason);
  }
}

/** A Docker or host failure while preparing or running the sandbox: never the author's fault. */
function infraFailure(error: unknown): SandboxRunResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    ...NO_TESTS_RAN,
    outcome: "INFRA_ERROR",
    reason: `the sandbox failed: ${message}`,
    durationMs: 0,
    logBytes: 0,
    logTruncated: false,
  };
}
