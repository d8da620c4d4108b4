import { In, type DataSource, type EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import type { CatalogContext } from "../catalog/catalog.context";
import { VersionStatus } from "../catalog/version-status";
import type { SandboxJobQueue } from "../sandbox/sandbox-job-queue";
import { lockVersionToRerun } from "./rerun-access";
import { TestRunEvent, TestRunEventKind } from "./test-run-event.entity";
import { TestRun, TestRunStatus } from "./test-run.entity";

export const TEST_RUN_QUEUE = "test-run";

export interface TestRunJob {
  testRunId: string;
}

export type TestQueue = SandboxJobQueue<TestRunJob>;

/** Queues test runs: the publish gate's first run of a version, and re-runs after infrastructure failures. */
export class TestRunService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: TestQueue,
  ) {}

  /** An author (or admin) re-runs the tests of a version whose last run failed on infrastructure. */
  async rerun(ctx: CatalogContext, versionId: string): Promise<TestRun> {
    return this.dataSource.transaction(async (em) => {
      const version = await lockVersionToRerun(em, ctx, versionId, "tests");
      const inFlight = await em.getRepository(TestRun).existsBy({ versionId, status: In([TestRunStatus.QUEUED, TestRunStatus.RUNNING]) });
      if (version.status !== VersionStatus.TESTING || inFlight) {
        throw new SkillyardError("BAD_USER_INPUT", "Tests can be re-run only for a version still in TESTING whose last run could not complete (INFRA_ERROR).");
      }
      return this.enqueue(em, versionId);
    });
  }

  /** A QUEUED run with its first event and its durable job, in the caller's transaction. */
  async enqueue(em: EntityManager, versionId: string): Promise<TestRun> {
    const run = await em.getRepository(TestRun).save(em.getRepository(TestRun).create({ versionId, status: TestRunStatus.QUEUED }));
    await em
      .getRepository(TestRunEvent)
      .insert({ runId: run.id, seq: 1, kind: TestRunEventKind.STATUS, status: TestRunStatus.QUEUED, text: null, stream: null });
    run.jobId = await this.queue.enqueue(em, { testRunId: run.id });
    await em.getRepository(TestRun).update(run.id, { jobId: run.jobId });
    return run;
  }

  /** A run that ended when it was recorded (nothing to execute, or nothing that could be executed). */
  async recordFinished(em: EntityManager, versionId: string, status: TestRunStatus, reason: string): Promise<TestRun> {
    const run = await em
      .getRepository(TestRun)
      .save(em.getRepository(TestRun).create({ versionId, status, reason, startedAt: new Date(), finishedAt: new Date() }));
    await em.getRepository(TestRunEvent).insert({ runId: run.id, seq: 1, kind: TestRunEventKind.STATUS, status, text: reason, stream: null });
    return run;
  }
}
