import { randomUUID } from "node:crypto";
import type PgBoss from "pg-boss";
import type { DataSource, QueryRunner } from "typeorm";
import { type ArchiveLimits, type EvalCase, type EvalSuite, caseScore, evalEntrypoint, suiteScore, withExtractedPackage } from "@skillyard/core";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import type { PublishPipeline } from "../catalog/publish-pipeline";
import { SkillVersion } from "../catalog/skill-version.entity";
import type { VersionLifecycle } from "../catalog/version-lifecycle";
import { VersionStatus } from "../catalog/version-status";
import type { EvalConfig } from "../config";
import type { Logger } from "../common/logger";
import type { PgNotificationListener } from "../common/pg-notifications";
import type { Metrics } from "../observability/metrics";
import type { BlobStore } from "../packages/blob-store";
import type { EvalSandbox, EvalSandboxCaseResult, EvalSandboxResult } from "../sandbox/eval-sandbox";
import { acquireSandboxSlot, forEachUnheldRun, releaseSandboxSlot, runLockKey, tryLock, unlock } from "../sandbox/sandbox-locks";
import { LogStream } from "../testing/test-run-event.entity";
import { TestRunEventWriter } from "../testing/test-run-events";
import { TestRunStatus } from "../testing/test-run.entity";
import { EvalCaseResult } from "./eval-case.entity";
import { EVAL_GATE } from "./eval-gate";
import type { EvalJudge } from "./eval-judge";
import { IsolatedGrader } from "./isolated-grader";
import { EvalRun, EvalRunPurpose, EvalRunStatus } from "./eval-run.entity";
import type { EvalQueue, EvalRunJob } from "./eval-run.service";

const SWEEP_INTERVAL_MS = 10_000;
/** How many failing cases a run's reason names. */
const SUMMARY_CASES = 5;

/** How one run's cases went, before it is recorded. */
interface Execution {
  outcome: "COMPLETED" | "INFRA_ERROR";
  reason: string | null;
  score: number | null;
  unscored: number;
  judgeCalls: number;
  logBytes: number;
  logTruncated: boolean;
  cases: EvalCaseResult[];
}

/**
 * Executes eval-run jobs: the cases in the sandbox (one container per suite), the deterministic
 * graders as each case arrives, the judge for rubric cases afterwards (on this server, never in the
 * sandbox), then the score, and for a GATE run its BASELINE run and the gate's decision. Crash
 * safety is the test worker's: a session advisory lock per run, and a sweep that hands RUNNING runs
 * whose lock is free back to the queue. Runs share the test runs' sandbox slots.
 */
export class EvalRunWorker {
  readonly id = randomUUID();
  private sweeper: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly active = new Set<string>();
  /** The author's patterns run off this event loop (see IsolatedGrader). */
  private readonly grader = new IsolatedGrader();

  constructor(
    private readonly deps: {
      dataSource: DataSource;
      logger: Logger;
      blobStore: BlobStore;
      archiveLimits: ArchiveLimits;
      maxConcurrency: number;
      config: EvalConfig;
      audit: AuditService;
      lifecycle: VersionLifecycle;
      pipeline: PublishPipeline;
      queue: EvalQueue;
      /** Wakes the queue's pollers when a run is enqueued (by any process). */
      notifications: PgNotificationListener;
      sandbox: EvalSandbox;
      judge: EvalJudge;
      metrics: Pick<Metrics, "sandboxRunFinished">;
    },
  ) {}

  async start(): Promise<void> {
    await this.sweep().catch((e: unknown) => this.deps.logger.error("eval sweep failed", { message: String(e) }));
    await this.deps.queue.work(this.deps.maxConcurrency, (job) => this.handle(job), this.deps.notifications);
    this.sweeper = setInterval(
      () => void this.sweep().catch((e: unknown) => this.deps.logger.error("eval sweep failed", { message: String(e) })),
      SWEEP_INTERVAL_MS,
    );
    this.sweeper.unref();
  }

  /** Stops taking runs and removes the sandboxes of those in flight; they stay RUNNING and the next sweep re-queues them. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.all([...this.active].map((runId) => this.deps.sandbox.removeContainersOf(runId).catch(() => 0)));
    await this.grader.close();
  }

  /** RUNNING runs that no live worker holds go back to the queue (their containers removed first). */
  async sweep(): Promise<void> {
    const { dataSource, logger } = this.deps;
    const lock = dataSource.createQueryRunner();
    await lock.connect();
    try {
      const running = await dataSource.getRepository(EvalRun).findBy({ status: EvalRunStatus.RUNNING });
      await forEachUnheldRun(
        lock,
        running.map((r) => r.id),
        async (runId) => {
          const run = await dataSource.getRepository(EvalRun).findOneBy({ id: runId });
          if (run?.status !== EvalRunStatus.RUNNING) return;
          await this.deps.sandbox.removeContainersOf(run.id);
          logger.warn("recovering an eval run whose worker stopped", { evalRunId: run.id });
          await dataSource.getRepository(EvalRun).update({ id: run.id, status: EvalRunStatus.RUNNING }, { status: EvalRunStatus.QUEUED });
          const writer = await TestRunEventWriter.open(dataSource, run.id);
          await writer.status(TestRunStatus.QUEUED, "The worker running these evals stopped; they will run again.");
          // A BASELINE run has no job of its own: its GATE run's job runs it again.
          if (run.jobId) await this.deps.queue.failJob(run.jobId, "worker stopped");
        },
      );
    } finally {
      await lock.release();
    }
  }

  private async handle(job: PgBoss.JobWithMetadata<EvalRunJob>): Promise<void> {
    const { dataSource, logger } = this.deps;
    const runId = job.data.evalRunId;
    const lock = dataSource.createQueryRunner();
    await lock.connect();
    try {
      if (!(await tryLock(lock, runLockKey(runId)))) throw new Error(`eval run ${runId} is held by another worker`);
      this.active.add(runId);
      try {
        const run = await dataSource.getRepository(EvalRun).findOneBy({ id: runId });
        if (!run || (run.status !== EvalRunStatus.QUEUED && run.status !== EvalRunStatus.RUNNING)) return;
        const startedAt = performance.now();
        const execution = await this.execute(run, lock);
        if (execution === null || this.stopped) throw new Error("the worker is stopping; the run will be picked up again");
        const baseline = run.baselineRunId ? await dataSource.getRepository(EvalRun).findOneBy({ id: run.baselineRunId }) : null;
        const baselineStartedAt = performance.now();
        const baselineExecution = baseline ? await this.executeBaseline(baseline, lock) : null;
        if (this.stopped) throw new Error("the worker is stopping; the run will be picked up again");
        const retriesLeft = job.retryCount < job.retryLimit;
        if ((execution.outcome === "INFRA_ERROR" || baselineExecution?.outcome === "INFRA_ERROR") && retriesLeft) {
          await this.requeue(run, execution.reason ?? baselineExecution?.reason ?? "the sandbox failed");
          if (baseline) await this.requeue(baseline, baselineExecution?.reason ?? "retrying with its run");
          throw new Error(`infrastructure error: ${execution.reason ?? baselineExecution?.reason}`);
        }
        await this.finish(run, execution, baseline, baselineExecution, { run: startedAt, baseline: baselineStartedAt });
      } finally {
        this.active.delete(runId);
        await unlock(lock, runLockKey(runId));
      }
    } catch (error) {
      logger.warn("eval run attempt did not finish", { evalRunId: runId, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      await lock.release();
    }
  }

  /**
   * The GATE run's BASELINE, under its own run lock (its containers carry its id, and an orphan
   * sweep must see them held). Null when it is not waiting to run, or the worker stops.
   */
  private async executeBaseline(baseline: EvalRun, lock: QueryRunner): Promise<Execution | null> {
    if (baseline.status !== EvalRunStatus.QUEUED && baseline.status !== EvalRunStatus.RUNNING) return null;
    if (!(await tryLock(lock, runLockKey(baseline.id)))) throw new Error(`eval run ${baseline.id} is held by another worker`);
    this.active.add(baseline.id);
    try {
      return await this.execute(baseline, lock);
    } finally {
      this.active.delete(baseline.id);
      await unlock(lock, runLockKey(baseline.id));
    }
  }

  private async requeue(run: EvalRun, reason: string): Promise<void> {
    await this.deps.dataSource.getRepository(EvalRun).update({ id: run.id }, { status: EvalRunStatus.QUEUED, reason });
    const writer = await TestRunEventWriter.open(this.deps.dataSource, run.id);
    await writer.status(TestRunStatus.QUEUED, `The sandbox could not run the evals (${reason}); retrying.`);
  }

  /**
   * Runs one suite against one version: cases in the sandbox, graded as they arrive, rubric cases
   * judged afterwards, each case stored and announced as it is scored. Null when the worker stops.
   */
  private async execute(run: EvalRun, lock: QueryRunner): Promise<Execution | null> {
    const { dataSource, blobStore, archiveLimits, config } = this.deps;
    const version = await dataSource.getRepository(SkillVersion).findOneByOrFail({ id: run.versionId });
    const suiteVersion =
      run.suiteVersionId === run.versionId ? version : await dataSource.getRepository(SkillVersion).findOneByOrFail({ id: run.suiteVersionId });
    const suite = suiteVersion.evalSuite!;
    const attempt = run.attempts + 1;
    await dataSource.getRepository(EvalRun).update(run.id, { status: EvalRunStatus.RUNNING, attempts: attempt, startedAt: new Date() });
    run.attempts = attempt;
    // A retried run starts its cases over.
    await dataSource.getRepository(EvalCaseResult).delete({ runId: run.id });
    const writer = await TestRunEventWriter.open(dataSource, run.id);
    const entrypoint = evalEntrypoint(suite, version.manifest);
    const runtime = version.manifest.requirements.runtime;
    if (!entrypoint || !runtime) {
      const why = !runtime ? "its skill.yaml declares no runtime" : "neither the suite nor its skill.yaml names an entry point";
      return this.scoreAll(run, writer, suite, version, [], `${version.version} cannot run this suite: ${why}`, 0, false);
    }
    const slots = this.deps.maxConcurrency;
    const slot = await acquireSandboxSlot(
      lock,
      slots,
      () => this.stopped,
      () => writer.status(TestRunStatus.RUNNING, `Waiting for a free sandbox (all ${slots} are busy).`),
    );
    if (slot === null) return null;
    const arrived: EvalSandboxCaseResult[] = [];
    let sandboxed: EvalSandboxResult;
    try {
      await writer.status(TestRunStatus.RUNNING, run.attempts > 1 ? `Attempt ${run.attempts}.` : `${suite.cases.length} cases.`);
      sandboxed = await blobStore.withLocalFile(version.packageSha256, "tgz", (file) =>
        withExtractedPackage(file, archiveLimits, blobStore.tmpDir, (pkg) =>
          this.deps.sandbox.run({
            runId: run.id,
            versionId: version.id,
            packageDir: pkg.dir,
            runtime,
            memoryMb: version.manifest.requirements.memoryMb,
            entrypoint,
            inputs: suite.cases.map((c) => c.input),
            caseTimeoutSeconds: this.caseTimeoutSeconds(version),
            outputCapBytes: config.outputCapBytes,
            onLog: (stream, line) => writer.log(stream === "STDERR" ? LogStream.STDERR : LogStream.STDOUT, line),
            onCase: async (result) => {
              arrived.push(result);
              const evalCase = suite.cases[result.index];
              // Deterministic cases are final now: store and announce them while the suite runs on.
              if (evalCase.rubric === null) await this.storeCase(run, writer, evalCase, result, version, null);
            },
          }),
        ),
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      sandboxed = { outcome: "INFRA_ERROR", reason: `the sandbox failed: ${message}`, cases: [], durationMs: 0, logBytes: 0, logTruncated: false };
    } finally {
      await releaseSandboxSlot(lock, slot);
    }
    await writer.flush();
    if (sandboxed.outcome === "INFRA_ERROR") {
      return {
        outcome: "INFRA_ERROR",
        reason: sandboxed.reason,
        score: null,
        unscored: 0,
        judgeCalls: 0,
        logBytes: sandboxed.logBytes,
        logTruncated: sandboxed.logTruncated,
        cases: [],
      };
    }
    return this.scoreAll(
      run,
      writer,
      suite,
      version,
      arrived,
      sandboxed.outcome === "ERROR" ? sandboxed.reason : null,
      sandboxed.logBytes,
      sandboxed.logTruncated,
    );
  }

  /** Judges the rubric cases that passed their graders, stores every case not stored yet, and scores the run. */
  private async scoreAll(
    run: EvalRun,
    writer: TestRunEventWriter,
    suite: EvalSuite,
    version: SkillVersion,
    arrived: readonly EvalSandboxCaseResult[],
    /** Why the suite ended early (its container died, or it could not start); null when every case ran. */
    endedEarly: string | null,
    logBytes: number,
    logTruncated: boolean,
  ): Promise<Execution> {
    const budget = this.deps.judge.budget();
    const byIndex = new Map(arrived.map((r) => [r.index, r]));
    for (const [index, evalCase] of suite.cases.entries()) {
      const result = byIndex.get(index);
      if (!result) {
        await this.storeNeverRan(run, writer, evalCase, index, endedEarly ?? "the suite ended before this case");
      } else if (evalCase.rubric !== null) {
        await this.storeCase(run, writer, evalCase, result, version, budget);
      }
    }
    await writer.flush();
    const cases = await this.deps.dataSource.getRepository(EvalCaseResult).find({ where: { runId: run.id }, order: { index: "ASC" } });
    return {
      outcome: "COMPLETED",
      reason: endedEarly,
      score: suiteScore(cases),
      unscored: cases.filter((c) => c.score === null).length,
      judgeCalls: budget.used,
      logBytes,
      logTruncated,
      cases,
    };
  }

  private async storeCase(
    run: EvalRun,
    writer: TestRunEventWriter,
    evalCase: EvalCase,
    result: EvalSandboxCaseResult,
    version: SkillVersion,
    budget: ReturnType<EvalJudge["budget"]> | null,
  ): Promise<void> {
    let grade = await this.grader.grade(evalCase, result.stdout, version.manifest.outputs);
    let judgeScore: number | null = null;
    let judgeReason: string | null = null;
    if (result.timedOut) grade = { ...grade, passed: false };
    let reason = result.timedOut ? `timed out after ${this.caseTimeoutSeconds(version)} s` : grade.reason;
    if (evalCase.rubric !== null && grade.passed && budget) {
      const verdict = await this.deps.judge.score({ caseName: evalCase.name, rubric: evalCase.rubric, input: evalCase.input, output: grade.parsed }, budget);
      judgeScore = verdict.kind === "SCORED" ? verdict.score : null;
      judgeReason = verdict.reason;
      if (verdict.kind === "NOT_SCORED") reason = `not scored: ${verdict.reason}`;
      else if (verdict.score < run.minScore) reason = `judge: ${verdict.reason}`;
    }
    const score = caseScore(grade, evalCase, judgeScore);
    await this.deps.dataSource.getRepository(EvalCaseResult).insert({
      runId: run.id,
      index: result.index,
      name: evalCase.name,
      weight: evalCase.weight,
      input: evalCase.input as object,
      output: result.stdout,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      truncated: result.truncated,
      durationMs: result.durationMs,
      graders: grade.results,
      rubric: evalCase.rubric,
      judgeScore,
      judgeReason,
      score,
      passed: score !== null && (evalCase.rubric === null ? score === 1 : score >= run.minScore),
      reason: score === 1 ? null : reason,
    });
    writer.caseScored(evalCase.name);
  }

  /** EVAL_CASE_TIMEOUT_SECONDS, or the manifest's own timeout_seconds when that is lower. */
  private caseTimeoutSeconds(version: SkillVersion): number {
    const configured = this.deps.config.caseTimeoutSeconds;
    return Math.min(configured, version.manifest.requirements.timeoutSeconds ?? configured);
  }

  private async storeNeverRan(run: EvalRun, writer: TestRunEventWriter, evalCase: EvalCase, index: number, why: string): Promise<void> {
    await this.deps.dataSource.getRepository(EvalCaseResult).insert({
      runId: run.id,
      index,
      name: evalCase.name,
      weight: evalCase.weight,
      input: evalCase.input as object,
      output: null,
      graders: [],
      rubric: evalCase.rubric,
      score: 0,
      passed: false,
      reason: `never ran: ${why}`,
    });
    writer.caseScored(evalCase.name);
  }

  /**
   * Records the outcome of a run (and its baseline) and, for a GATE run, what the gate makes of it.
   * `startedAt`: when each began executing (performance.now()), for their durations.
   */
  private async finish(
    run: EvalRun,
    execution: Execution,
    baseline: EvalRun | null,
    baselineExecution: Execution | null,
    startedAt: { run: number; baseline: number },
  ): Promise<void> {
    const { dataSource, audit, lifecycle, pipeline, config } = this.deps;
    const status = statusOf(run, execution);
    let baselineScore: number | null = null;
    let regressed = false;
    if (baseline && baselineExecution && baselineExecution.outcome === "COMPLETED" && execution.score !== null) {
      const compared = compareOnSharedCases(execution.cases, baselineExecution.cases);
      if (compared) {
        baselineScore = compared.baseline;
        regressed = compared.baseline - compared.candidate > config.maxRegression;
      }
    }
    if (run.purpose === EvalRunPurpose.REEVALUATION && run.previousScore !== null && execution.score !== null) {
      regressed = run.previousScore - execution.score > config.maxRegression;
    }
    const writers: { id: string; status: EvalRunStatus; reason: string; startedAt: number }[] = [];
    await dataSource.transaction(async (em) => {
      if (baseline && baselineExecution) {
        const bStatus = statusOf(baseline, baselineExecution);
        const bReason = describe(baseline, baselineExecution, bStatus);
        const updated = await em
          .getRepository(EvalRun)
          .update({ id: baseline.id, status: EvalRunStatus.RUNNING }, { ...recorded(baselineExecution, bStatus, bReason) });
        if (updated.affected === 1) writers.push({ id: baseline.id, status: bStatus, reason: bReason, startedAt: startedAt.baseline });
      }
      const reason = describe(run, execution, status, regressed, baselineScore);
      const update = await em
        .getRepository(EvalRun)
        .update({ id: run.id, status: EvalRunStatus.RUNNING, attempts: run.attempts }, { ...recorded(execution, status, reason), baselineScore, regressed });
      if (update.affected !== 1) return;
      writers.push({ id: run.id, status, reason, startedAt: startedAt.run });
      const version = await em.getRepository(SkillVersion).findOneByOrFail({ id: run.versionId });
      const target = { targetType: "SkillVersion", targetId: version.id, skillId: version.skillId };
      await audit.record(em, {
        actorId: null,
        action: run.purpose === EvalRunPurpose.REEVALUATION && regressed ? AuditAction.EVAL_DRIFT : AuditAction.EVAL_OUTCOME,
        ...target,
        after: {
          evalRunId: run.id,
          version: version.version,
          purpose: run.purpose,
          status,
          score: execution.score,
          minScore: run.minScore,
          ...(baselineScore !== null ? { baselineScore } : {}),
          ...(run.previousScore !== null ? { previousScore: run.previousScore } : {}),
          regressed,
        },
      });
      if (run.purpose !== EvalRunPurpose.GATE) return;
      if (execution.outcome === "INFRA_ERROR") {
        // Never blamed on the author: the version waits in EVALUATING for a re-run.
        await lifecycle.explain(em, version, VersionStatus.EVALUATING, `Its evals could not run: ${execution.reason}`);
      } else if (status === EvalRunStatus.FAILED) {
        const failing = execution.cases.filter((c) => !c.passed).map((c) => ({ name: c.name, score: c.score, reason: c.reason }));
        await pipeline.failed(em, version, EVAL_GATE, reason, null, { evalRunId: run.id, failingCases: failing });
      } else {
        // On to review: EvalReviewTrigger holds it there for a regression or unscored cases.
        await pipeline.passed(em, version, EVAL_GATE, null);
      }
    });
    // Counted where each run's one final status was committed: once per run, whichever attempt got there.
    for (const w of writers) this.deps.metrics.sandboxRunFinished("eval", w.status, (performance.now() - w.startedAt) / 1000);
    for (const w of writers) {
      const writer = await TestRunEventWriter.open(dataSource, w.id);
      await writer.status(TestRunStatus[w.status], w.reason);
    }
  }
}

function statusOf(run: EvalRun, execution: Execution): EvalRunStatus {
  if (execution.outcome === "INFRA_ERROR") return EvalRunStatus.INFRA_ERROR;
  if (execution.score === null) return EvalRunStatus.ERROR;
  return execution.score >= run.minScore ? EvalRunStatus.PASSED : EvalRunStatus.FAILED;
}

type RecordedOutcome = Pick<EvalRun, "status" | "reason" | "score" | "unscoredCases" | "judgeCalls" | "logBytes" | "logTruncated" | "finishedAt">;

function recorded(execution: Execution, status: EvalRunStatus, reason: string): RecordedOutcome {
  return {
    status,
    reason,
    score: execution.score,
    unscoredCases: execution.unscored,
    judgeCalls: execution.judgeCalls,
    logBytes: execution.logBytes,
    logTruncated: execution.logTruncated,
    finishedAt: new Date(),
  };
}

/** One line for the author: the score against the minimum, what went wrong, and the worst cases. */
function describe(run: EvalRun, execution: Execution, status: EvalRunStatus, regressed = false, baselineScore: number | null = null): string {
  if (status === EvalRunStatus.INFRA_ERROR) return `The evals could not run: ${execution.reason}`;
  const parts: string[] = [];
  if (execution.score === null) parts.push(`No case could be scored (${execution.unscored} not scored)`);
  else parts.push(`Scored ${execution.score.toFixed(2)} (minimum ${run.minScore.toFixed(2)})`);
  if (execution.reason) parts.push(execution.reason);
  if (execution.unscored > 0 && execution.score !== null) parts.push(`${execution.unscored} rubric case(s) not scored`);
  if (regressed && baselineScore !== null) parts.push(`below the previous version's ${baselineScore.toFixed(2)} on the same cases`);
  if (regressed && run.purpose === EvalRunPurpose.REEVALUATION && run.previousScore !== null) parts.push(`down from ${run.previousScore.toFixed(2)} before`);
  const failing = execution.cases.filter((c) => !c.passed && c.score !== null);
  if (status === EvalRunStatus.FAILED && failing.length > 0) {
    const shown = failing.slice(0, SUMMARY_CASES).map((c) => `${c.name} (${c.reason ?? `score ${c.score?.toFixed(2)}`})`);
    parts.push(`failing: ${shown.join("; ")}${failing.length > SUMMARY_CASES ? `; and ${failing.length - SUMMARY_CASES} more` : ""}`);
  }
  // One sentence per part; a part from elsewhere (the sandbox's reason) may start in lower case.
  return `${parts.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join(". ")}.`;
}

/** Both runs' scores over the cases both scored (same suite, so matched by name); null when they share none. */
function compareOnSharedCases(candidate: readonly EvalCaseResult[], baseline: readonly EvalCaseResult[]): { candidate: number; baseline: number } | null {
  const before = new Map(baseline.filter((c) => c.score !== null).map((c) => [c.name, c]));
  const shared = candidate.filter((c) => c.score !== null && before.has(c.name));
  const candidateScore = suiteScore(shared);
  const baselineScore = suiteScore(shared.map((c) => before.get(c.name)!));
  return candidateScore === null || baselineScore === null ? null : { candidate: candidateScore, baseline: baselineScore };
}
