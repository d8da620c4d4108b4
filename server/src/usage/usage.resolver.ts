import { SkillyardError } from "@skillyard/core";
import { Arg, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { DataSource } from "typeorm";
import { UsageTier } from "../catalog/skill.entity";
import { expectGlobalId, toGlobalId } from "../common/global-id";
import { Access, AccessRule } from "../identity/access";
import { TokenScope } from "../identity/api-token.entity";
import { requireViewer } from "../identity/viewer";
import { PlatformUpdate, type QualityReview } from "./quality-review.entity";
import type { QualityReviewService } from "./quality-reviews.service";
import { reclaimableInstalls, topSkills, unmanagedSkills, usageWindow } from "./usage-report";
import type { UsageContext } from "./usage.context";
import {
  MarkPlatformUpdateInput,
  PlatformUpdateType,
  QualityReviewDueType,
  QualityReviewStatusType,
  QualityReviewType,
  RecordQualityReviewInput,
  SkillUsageReportType,
  SkillUsageType,
  UsageOverviewType,
} from "./usage.types";

/** Catalog entities arrive here as references carrying only the uuid. */
interface EntityRef {
  id: string;
}

const MAX_USAGE_WEEKS = 52;

function checkWeeks(weeks: number): number {
  if (!Number.isInteger(weeks) || weeks < 1 || weeks > MAX_USAGE_WEEKS) {
    throw new SkillyardError("BAD_USER_INPUT", `weeks is a whole number from 1 to ${MAX_USAGE_WEEKS}.`, { argument: "weeks" });
  }
  return weeks;
}

const skillRef = (id: string) => ({ id });
const userRef = (id: string | null) => (id ? { id: toGlobalId("User", id) } : null);

function qualityReviewView(review: QualityReview): QualityReviewType {
  return {
    id: toGlobalId("QualityReview", review.id),
    outcome: review.outcome,
    notes: review.notes,
    version: { id: toGlobalId("SkillVersion", review.versionId) },
    reviewer: userRef(review.reviewerId),
    evalRun: review.evalRunId ? { id: toGlobalId("EvalRun", review.evalRunId) } : null,
    createdAt: review.createdAt,
  };
}

@Resolver(() => SkillUsageType)
export class SkillUsageResolver {
  @FieldResolver(() => ID)
  id(@Root() skill: EntityRef): string {
    return toGlobalId("Skill", skill.id);
  }

  @FieldResolver(() => SkillUsageReportType, {
    nullable: true,
    description:
      "Invocations Claude Code reported over the last `weeks` weeks (1-52), by week and team and by version. Signed-in viewers only (null otherwise).",
  })
  async usage(
    @Ctx() ctx: UsageContext,
    @Root() skill: EntityRef,
    @Arg("weeks", () => Int, { defaultValue: 12 }) weeks: number,
  ): Promise<SkillUsageReportType | null> {
    if (!ctx.viewer) return null;
    const usage = await ctx.loaders.usage.skillUsage.load({ skillId: skill.id, weeks: checkWeeks(weeks) });
    return { ...usage, weeks: usage.window.weeks, from: usage.window.from };
  }

  @FieldResolver(() => UsageTier, { description: "The usage tier, from the average invocations a week over the last full weeks." })
  async usageTier(@Ctx() ctx: UsageContext, @Root() skill: EntityRef): Promise<UsageTier> {
    return (await ctx.loaders.catalog.skillById.load(skill.id))?.usageTier ?? UsageTier.LOW;
  }

  @FieldResolver(() => Float, { description: "Average invocations a week over the last full weeks (what the tier and `skills(sort: USAGE)` use)." })
  async usageWeeklyInvocations(@Ctx() ctx: UsageContext, @Root() skill: EntityRef): Promise<number> {
    return (await ctx.loaders.catalog.skillById.load(skill.id))?.usageWeekly ?? 0;
  }

  @FieldResolver(() => QualityReviewStatusType, { description: "The last quality review and when the next is due (from the tier's cadence)." })
  async qualityReview(@Ctx() ctx: UsageContext, @Root() skill: EntityRef): Promise<QualityReviewStatusType> {
    const status = await ctx.loaders.usage.reviewStatus.load(skill.id);
    return { lastReview: status.lastReview ? qualityReviewView(status.lastReview) : null, dueAt: status.dueAt, reason: status.reason };
  }
}

@Resolver()
export class UsageQueryResolver {
  constructor(
    private readonly dataSource: DataSource,
    private readonly reviews: QualityReviewService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  @Access(AccessRule.REVIEWER, TokenScope.READ)
  @Query(() => UsageOverviewType, {
    description:
      "Usage across the organisation over the last `weeks` weeks (1-52): top skills, unmanaged skills in use, reclaimable installs. Reviewers and admins.",
  })
  async usageOverview(@Ctx() ctx: UsageContext, @Arg("weeks", () => Int, { defaultValue: 4 }) weeks: number): Promise<UsageOverviewType> {
    const window = usageWindow(this.now(), checkWeeks(weeks));
    const [top, unmanaged, reclaimable] = await Promise.all([
      topSkills(this.dataSource, window, 20),
      unmanagedSkills(this.dataSource, window, 50),
      reclaimableInstalls(this.dataSource, 100),
    ]);
    const visible = await this.visibleSkillIds(ctx, [...top.map((t) => t.skillId), ...reclaimable.map((r) => r.skillId)]);
    return {
      weeks: window.weeks,
      from: window.from,
      topSkills: top
        .filter((t) => visible.has(t.skillId))
        .map((t) => ({ skill: skillRef(t.skillId), invocations: t.invocations, distinctUsers: t.distinctUsers })),
      unmanagedSkills: unmanaged,
      reclaimableInstalls: reclaimable
        .filter((r) => visible.has(r.skillId))
        .map((r) => ({ team: { id: toGlobalId("Team", r.teamId) }, skill: skillRef(r.skillId), installs: r.installs, lastInstalledAt: r.lastInstalledAt })),
    };
  }

  @Access(AccessRule.REVIEWER, TokenScope.READ)
  @Query(() => [QualityReviewDueType], {
    description: "Skills whose quality review is due (older than their tier's cadence, or a platform update for Low), most-used first.",
  })
  async qualityReviewsDue(@Ctx() ctx: UsageContext): Promise<QualityReviewDueType[]> {
    const due = await this.reviews.due(this.now());
    const visible = await this.visibleSkillIds(
      ctx,
      due.map((d) => d.skill.id),
    );
    return due
      .filter((d) => visible.has(d.skill.id))
      .map((d) => ({
        skill: skillRef(d.skill.id),
        tier: d.skill.usageTier,
        weeklyInvocations: d.skill.usageWeekly,
        dueSince: d.dueSince,
        reason: d.reason,
        lastReview: d.lastReview ? qualityReviewView(d.lastReview) : null,
      }));
  }

  @Access(AccessRule.REVIEWER, TokenScope.READ)
  @Query(() => [PlatformUpdateType], { description: "Platform updates admins marked, newest first." })
  async platformUpdates(): Promise<PlatformUpdateType[]> {
    const updates = await this.dataSource.getRepository(PlatformUpdate).find({ order: { createdAt: "DESC" }, take: 100 });
    return updates.map((u) => ({
      id: toGlobalId("PlatformUpdate", u.id),
      kind: u.kind,
      description: u.description,
      createdBy: userRef(u.createdById),
      createdAt: u.createdAt,
    }));
  }

  @Access(AccessRule.REVIEWER, TokenScope.REVIEW)
  @Mutation(() => QualityReviewType, {
    description: "Records a quality review of an installable version (audited). PULL deprecates the version with the notes as its message.",
  })
  async recordQualityReview(@Ctx() ctx: UsageContext, @Arg("input") input: RecordQualityReviewInput): Promise<QualityReviewType> {
    const evalRunId = input.evalRun ? expectGlobalId(input.evalRun, "EvalRun") : null;
    const { review } = await this.reviews.record(requireViewer(ctx), { ...input, evalRunId });
    return qualityReviewView(review);
  }

  @Access(AccessRule.ADMIN, TokenScope.ADMIN)
  @Mutation(() => PlatformUpdateType, {
    description:
      "Marks a significant platform update (a runtime image, a Claude Code version): Low-tier skills not reviewed since become due. Admins; audited.",
  })
  async markPlatformUpdate(@Ctx() ctx: UsageContext, @Arg("input") input: MarkPlatformUpdateInput): Promise<PlatformUpdateType> {
    const update = await this.reviews.markPlatformUpdate(requireViewer(ctx), input);
    // Announce now rather than at the next periodic pass: the update is why reviews fall due.
    await this.reviews.announceDue(this.now());
    return {
      id: toGlobalId("PlatformUpdate", update.id),
      kind: update.kind,
      description: update.description,
      createdBy: userRef(update.createdById),
      createdAt: update.createdAt,
    };
  }

  private async visibleSkillIds(ctx: UsageContext, ids: readonly string[]): Promise<Set<string>> {
    const skills = await Promise.all(ids.map((id) => ctx.loaders.catalog.skillById.load(id)));
    const visible = await Promise.all(skills.map((s) => ctx.visibility.skillOrNull(s)));
    return new Set(visible.flatMap((s) => (s ? [s.id] : [])));
  }
}

/** Federation entry point: a skill only for those who may see it, as on /graphql. */
export const usageReferenceResolvers = {
  Skill: {
    __resolveReference: async (ref: { id: string }, ctx: UsageContext): Promise<EntityRef | null> => {
      const skill = await ctx.visibility.skillOrNull(await ctx.loaders.catalog.skillById.load(expectGlobalId(ref.id, "Skill")));
      return skill ? { id: skill.id } : null;
    },
  },
};

export const USAGE_RESOLVERS = [SkillUsageResolver, UsageQueryResolver] as const;
