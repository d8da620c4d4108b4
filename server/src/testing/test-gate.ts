import type { EntityManager } from "typeorm";
import type { GateDecision, PublishGate } from "../catalog/publish-pipeline";
import type { SkillVersion } from "../catalog/skill-version.entity";
import { VersionStatus } from "../catalog/version-status";
import { TestRunStatus } from "./test-run.entity";
import type { TestRunService } from "./test-run.service";

export const TEST_GATE = "tests";

/**
 * The first publish gate. A version that declares a runtime gets a queued sandbox run (its job is
 * enqueued in the publishing transaction) and waits in TESTING until TestRunWorker passes or fails
 * the gate. A version with no runtime is instruction-only (SKILL.md and documents an agent reads):
 * there is nothing to execute, so its run is recorded as PASSED at once; but one that ships tests/
 * without a runtime is an ERROR, since they could not run.
 */
export class TestGate implements PublishGate {
  readonly name = TEST_GATE;
  readonly waitingStatus = VersionStatus.TESTING;

  constructor(private readonly testRuns: TestRunService) {}

  async enter(em: EntityManager, version: SkillVersion): Promise<GateDecision> {
    if (version.manifest.requirements.runtime) {
      await this.testRuns.enqueue(em, version.id);
      return { kind: "wait", reason: "Waiting for its tests to run." };
    }
    if (version.files.some((f) => f.path.startsWith("tests/"))) {
      const reason = "The package has tests/ but skill.yaml declares no requirements.runtime, so they cannot run.";
      const run = await this.testRuns.recordFinished(em, version.id, TestRunStatus.ERROR, reason);
      return { kind: "reject", reason, details: { testRunId: run.id } };
    }
    await this.testRuns.recordFinished(em, version.id, TestRunStatus.PASSED, "Instruction-only skill (no runtime declared): there is no code to execute.");
    return { kind: "pass" };
  }
}
