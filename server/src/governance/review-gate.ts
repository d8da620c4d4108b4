import type { EntityManager } from "typeorm";
import type { GateDecision, PublishGate } from "../catalog/publish-pipeline";
import type { SkillVersion } from "../catalog/skill-version.entity";
import { VersionStatus } from "../catalog/version-status";
import type { ReviewPolicy, ReviewReason } from "./review-policy";
import { ReviewRequest } from "./review.entities";

export const REVIEW_GATE = "review";

/**
 * The review step of the publish pipeline: the policy decides whether a version whose tests passed
 * needs a reviewer; if so, a review request is opened for the exact package digest and the version
 * waits in AWAITING_REVIEW until VersionReviewService's decisions pass or fail the gate.
 */
export class ReviewGate implements PublishGate {
  readonly name = REVIEW_GATE;
  readonly waitingStatus = VersionStatus.AWAITING_REVIEW;

  constructor(private readonly policy: ReviewPolicy) {}

  async enter(em: EntityManager, version: SkillVersion): Promise<GateDecision> {
    const assessment = await this.policy.assess(em, version);
    if (assessment.reasons.length === 0) return { kind: "pass" };
    const requests = em.getRepository(ReviewRequest);
    await requests.save(
      requests.create({
        versionId: version.id,
        reasons: assessment.reasons as unknown as Record<string, unknown>[],
        requiredApprovals: assessment.requiredApprovals,
        packageSha256: version.packageSha256,
      }),
    );
    const who = assessment.requiredApprovals === 2 ? "two reviewers" : "a reviewer";
    return {
      kind: "wait",
      reason: `Waiting for ${who}: ${describeReasons(assessment.reasons)}.`,
      details: { reasons: assessment.reasons, requiredApprovals: assessment.requiredApprovals },
    };
  }
}

function describeReasons(reasons: readonly ReviewReason[]): string {
  return reasons.map(describeReason).join("; ");
}

function describeReason(r: ReviewReason): string {
  switch (r.kind) {
    case "RISK":
      return `${r.permission} is ${r.risk}`;
    case "ESCALATION":
      return `adds ${r.added.join(", ")}`;
    case "TREE_ESCALATION":
      return `its dependencies add ${r.added.join(", ")}`;
    case "USAGE_TIER":
      return `the skill is ${r.tier} tier (${Math.round(r.weeklyInvocations)} invocations a week)`;
    case "EVALS_MISSING":
      return `the skill is ${r.tier} tier and the version has no eval suite`;
    case "EVALS_NOT_SCORED":
      return `${r.cases.length} rubric case${r.cases.length === 1 ? " was" : "s were"} not scored (${r.why})`;
    case "EVAL_REGRESSION":
      return `its evals score ${r.score.toFixed(2)} against ${r.baselineScore.toFixed(2)} for ${r.baselineVersion}`;
  }
}
