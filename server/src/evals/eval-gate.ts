import type { EntityManager } from "typeorm";
import type { GateDecision, PublishGate } from "../catalog/publish-pipeline";
import { Skill } from "../catalog/skill.entity";
import type { SkillVersion } from "../catalog/skill-version.entity";
import { VersionStatus } from "../catalog/version-status";
import { toGlobalId } from "../common/global-id";
import type { ReviewReason, ReviewTrigger } from "../governance/review-policy";
import { EvalCaseResult } from "./eval-case.entity";
import { EvalRun, EvalRunPurpose } from "./eval-run.entity";
import type { EvalRunService } from "./eval-run.service";

export const EVAL_GATE = "evals";

/**
 * The publish gate after the tests. A version that ships a suite gets an eval run; for a skill in a
 * gated tier (EVAL_GATED_TIERS) it waits in EVALUATING until EvalRunWorker passes or fails the
 * gate on its score; for any other skill the run is informational and the version goes straight on.
 * A gated skill's version with no suite passes here and is held by EvalReviewTrigger instead.
 */
export class EvalGate implements PublishGate {
  readonly name = EVAL_GATE;
  readonly waitingStatus = VersionStatus.EVALUATING;

  constructor(private readonly evalRuns: EvalRunService) {}

  async enter(em: EntityManager, version: SkillVersion): Promise<GateDecision> {
    if (!version.evalSuite) return { kind: "pass" };
    const skill = await em.findOneByOrFail(Skill, { id: version.skillId });
    const run = await this.evalRuns.enqueueForNewVersion(em, skill, version);
    if (run.purpose !== EvalRunPurpose.GATE) return { kind: "pass" };
    return { kind: "wait", reason: "Waiting for its evals to run.", details: { evalRunId: run.id } };
  }
}

/**
 * What the evals say a reviewer must look at, for the review gate: a gated skill's version with no
 * suite (EVALS_MISSING), rubric cases nobody scored (EVALS_NOT_SCORED), or a score that fell below
 * the previous version's on the same cases (EVAL_REGRESSION).
 */
export class EvalReviewTrigger implements ReviewTrigger {
  constructor(private readonly evalRuns: Pick<EvalRunService, "isGated">) {}

  async reasons(em: EntityManager, version: SkillVersion, skill: Skill): Promise<ReviewReason[]> {
    if (!this.evalRuns.isGated(skill)) return [];
    if (!version.evalSuite) return [{ kind: "EVALS_MISSING", tier: skill.usageTier }];
    const run = await em.getRepository(EvalRun).findOne({
      where: { versionId: version.id, purpose: EvalRunPurpose.GATE },
      order: { createdAt: "DESC" },
    });
    if (!run) return [];
    const reasons: ReviewReason[] = [];
    const cases = await em.getRepository(EvalCaseResult).find({ where: { runId: run.id }, order: { index: "ASC" } });
    const unscored = cases.filter((c) => c.score === null);
    if (unscored.length > 0) {
      reasons.push({
        kind: "EVALS_NOT_SCORED",
        evalRunId: toGlobalId("EvalRun", run.id),
        cases: unscored.map((c) => c.name),
        why: unscored[0].judgeReason ?? "not scored",
      });
    }
    if (run.regressed && run.baselineRunId && run.score !== null && run.baselineScore !== null) {
      const baseline = await em.getRepository(EvalRun).findOneOrFail({ where: { id: run.baselineRunId }, relations: { version: true } });
      const before = new Map((await em.getRepository(EvalCaseResult).findBy({ runId: baseline.id })).map((c) => [c.name, c.score] as const));
      const worse = cases.flatMap((c) => {
        const was = before.get(c.name);
        return c.score !== null && was !== undefined && was !== null && c.score < was ? [{ name: c.name, before: was, after: c.score }] : [];
      });
      reasons.push({
        kind: "EVAL_REGRESSION",
        evalRunId: toGlobalId("EvalRun", run.id),
        baselineRunId: toGlobalId("EvalRun", baseline.id),
        baselineVersion: baseline.version.version,
        score: run.score,
        baselineScore: run.baselineScore,
        worse,
      });
    }
    return reasons;
  }
}
