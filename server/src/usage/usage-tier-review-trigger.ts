import type { EntityManager } from "typeorm";
import { type Skill, UsageTier } from "../catalog/skill.entity";
import type { SkillVersion } from "../catalog/skill-version.entity";
import type { ReviewReason, ReviewTrigger } from "../governance/review-policy";

/**
 * "The platform team approves updates to popular skills": a version published to a High-tier skill
 * waits for a reviewer with reason USAGE_TIER, even when it requests nothing new.
 */
export class UsageTierReviewTrigger implements ReviewTrigger {
  async reasons(_em: EntityManager, _version: SkillVersion, skill: Skill): Promise<ReviewReason[]> {
    return skill.usageTier === UsageTier.HIGH ? [{ kind: "USAGE_TIER", tier: skill.usageTier, weeklyInvocations: skill.usageWeekly }] : [];
  }
}
