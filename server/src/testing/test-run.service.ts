import { In, type EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { type RequestContext, requireViewer } from "../common/request-context";
import { SkillVersion } from "../catalog/skill-version.entity";
import { VersionStatus } from "../catalog/version-lifecycle";
import { Membership } from "../identity/membership.entity";
import { GlobalRole } from "../identity/user.entity";
import type { TestQueue } from "./test-queue";
import { TestRunEvent, TestRunEventKind } from "./test-run-event.entity";
import { TestRun, TestRunStatus } from "./test-run.entity";

/** What became of a version when its test run was scheduled. */
export interface ScheduledRun {
  run: TestRun;
  versionStatus: VersionStatus;
  statusReason: string | null;
}

/**
 * Schedules the publish gate. A version that declares a runtime gets a queued sandbox run (its job
 * is enqueued in the caller's transaction). A version with no runtime is instruction-only (SKILL.md
 * and documents an agent reads): there is nothing to execute, so its run is recorded as PASSED at
 * once with that reason; but one that ships tests/ without a runtime is an ERROR, since they could not run.
 */
export class TestRunService {
  constructor(private readonly queue: TestQueue) {}

  async schedule(em: EntityManager, version: SkillVersion): Promise<ScheduledRun> {
    const runtime = version.manifest.requirements.runtime;
    const hasTests = version.files.some((f) => f.path.startsWith("tests/"));
    if (!runtime) {
      const status = hasTests ? TestRunStatus.ERROR : TestRunStatus.PASSED;
      const reason = hasTests
        ? "The package has tests/ but skill.yaml declares no requirements.runtime, so they cannot run."
        : "Instruction-only skill (no runtime declared): there is no code to execute.";
      const run = await em.getRepository(TestRun).save(
        em.getRepository(TestRun).create({ versionId: version.id, status, reason, startedAt: new Date(), finishedAt: new Date() }),
      );
      await em.getRepository(TestRunEvent).insert({ runId: run.id, seq: 1, kind: TestRunEventKind.STATUS, status, text: reason, stream: null });
      return hasTests
        ? { run, versionStatus: VersionStatus.REJECTED, statusReason: reason }
        : { run, versionStatus: VersionStatus.PUBLISHED, statusReason: null };
    }
    return { run: await this.enqueue(em, version.id), versionStatus: VersionStatus.TESTING, statusReason: "Waiting for its tests to run." };
  }

  /** An author (or admin) re-runs the tests of a version whose last run failed on infrastructure. */
  async rerun(ctx: RequestContext, versionId: string): Promise<TestRun> {
    const viewer = requireViewer(ctx);
    return ctx.runtime.dataSource.transaction(async (em) => {
      const version = await em.getRepository(SkillVersion).findOne({ where: { id: versionId }, relations: { skill: true }, lock: { mode: "pessimistic_write", tables: ["skill_version"] } });
      if (!version) throw new SkillyardError("NOT_FOUND", "There is no such skill version.");
      const isAdmin = viewer.user.roles.includes(GlobalRole.ADMIN);
      if (!isAdmin && !(await em.getRepository(Membership).existsBy({ userId: viewer.user.id, teamId: version.skill.teamId }))) {
        throw new SkillyardError("FORBIDDEN", `Only members of the team that owns "${version.skill.name}" can re-run its tests.`);
      }
      const inFlight = await em.getRepository(TestRun).existsBy({ versionId, status: In([TestRunStatus.QUEUED, TestRunStatus.RUNNING]) });
      if (version.status !== VersionStatus.TESTING || inFlight) {
        throw new SkillyardError("BAD_USER_INPUT", "Tests can be re-run only for a version still in TESTING whose last run could not complete (INFRA_ERROR).");
      }
      return this.enqueue(em, versionId);
    });
  }

  private async enqueue(em: EntityManager, versionId: string): Promise<TestRun> {
    const run = await em.getRepository(TestRun).save(em.getRepository(TestRun).create({ versionId, status: TestRunStatus.QUEUED }));
    await em.getRepository(TestRunEvent).insert({ runId: run.id, seq: 1, kind: TestRunEventKind.STATUS, status: TestRunStatus.QUEUED, text: null, stream: null });
    run.jobId = await this.queue.enqueue(em, { testRunId: run.id });
    await em.getRepository(TestRun).update(run.id, { jobId: run.jobId });
    return run;
  }
}
