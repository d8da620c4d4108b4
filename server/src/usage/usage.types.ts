import { Directive, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { UsageTier } from "../catalog/skill.entity";
import { PlatformUpdateKind, QualityReviewOutcome } from "./quality-review.entity";

registerEnumType(UsageTier, {
  name: "UsageTier",
  description: "How much a skill is used (average invocations a week over the last full weeks); it sets the quality-review cadence.",
  valuesConfig: {
    HIGH: { description: "Above the high threshold (100 a week by default): reviewed monthly; every new version needs a reviewer." },
    MEDIUM: { description: "From the medium threshold (10 a week) up to the high one: reviewed quarterly." },
    LOW: { description: "Below the medium threshold: reviewed after significant platform updates." },
  },
});
registerEnumType(QualityReviewOutcome, {
  name: "QualityReviewOutcome",
  valuesConfig: {
    PASS: { description: "Holds up; nothing to do." },
    NEEDS_WORK: { description: "Works, but the owning team should improve it." },
    PULL: { description: "Should not be used: the version is deprecated with the notes as its message." },
  },
});
registerEnumType(PlatformUpdateKind, { name: "PlatformUpdateKind" });

/** Stubs of entities other subgraphs own. */
@ObjectType("Team")
@Directive(`@key(fields: "id", resolvable: false)`)
export class UsageTeamRef {
  @Field(() => ID)
  id: string;
}

@ObjectType("User")
@Directive(`@key(fields: "id", resolvable: false)`)
export class UsageUserRef {
  @Field(() => ID)
  id: string;
}

@ObjectType("SkillVersion")
@Directive(`@key(fields: "id", resolvable: false)`)
export class UsageVersionRef {
  @Field(() => ID)
  id: string;
}

@ObjectType("EvalRun")
@Directive(`@key(fields: "id", resolvable: false)`)
export class UsageEvalRunRef {
  @Field(() => ID)
  id: string;
}

@ObjectType("Skill")
@Directive(`@key(fields: "id")`)
export class SkillUsageType {
  @Field(() => ID)
  id: string;
}

@ObjectType("UsageTeamCount")
export class UsageTeamCountType {
  @Field({ description: "The team as Claude Code's resource attribute named it; empty when none did." })
  team: string;

  @Field(() => Int)
  invocations: number;
}

@ObjectType("UsageTeam")
export class UsageTeamType extends UsageTeamCountType {
  @Field(() => Int)
  distinctUsers: number;
}

@ObjectType("UsageWeek")
export class UsageWeekType {
  @Field({ description: "The Monday (UTC) that starts the week, YYYY-MM-DD." })
  weekStart: string;

  @Field(() => Int)
  invocations: number;

  @Field(() => [UsageTeamCountType], { description: "By team, most invocations first." })
  teams: UsageTeamCountType[];
}

@ObjectType("UsageVersion")
export class UsageVersionType {
  @Field({ description: "Empty when the version was not known (a user or project skill, or no plugin_loaded seen)." })
  version: string;

  @Field(() => Int)
  invocations: number;

  @Field(() => Float, { nullable: true })
  successRate: number | null;
}

@ObjectType("SkillUsage", { description: "Invocations reported by Claude Code's telemetry over the last `weeks` weeks (the current one so far included)." })
export class SkillUsageReportType {
  @Field(() => Int)
  weeks: number;

  @Field({ description: "First day counted (a Monday), YYYY-MM-DD." })
  from: string;

  @Field(() => Int)
  invocations: number;

  @Field(() => Int)
  distinctUsers: number;

  @Field(() => Float, { nullable: true, description: "Successful Skill tool calls over those with an outcome; null when none reported one." })
  successRate: number | null;

  @Field(() => [UsageWeekType], { description: "Every week of the window, oldest first (zero weeks included)." })
  byWeek: UsageWeekType[];

  @Field(() => [UsageTeamType])
  byTeam: UsageTeamType[];

  @Field(() => [UsageVersionType])
  byVersion: UsageVersionType[];
}

@ObjectType("QualityReview")
export class QualityReviewType {
  @Field(() => ID)
  id: string;

  @Field(() => QualityReviewOutcome)
  outcome: QualityReviewOutcome;

  @Field()
  notes: string;

  @Field(() => UsageVersionRef)
  version: UsageVersionRef;

  @Field(() => UsageUserRef, { nullable: true })
  reviewer: UsageUserRef | null;

  @Field(() => UsageEvalRunRef, { nullable: true, description: "The eval run the reviewer relied on, if they named one." })
  evalRun: UsageEvalRunRef | null;

  @Field()
  createdAt: Date;
}

@ObjectType("QualityReviewStatus")
export class QualityReviewStatusType {
  @Field(() => QualityReviewType, { nullable: true })
  lastReview: QualityReviewType | null;

  @Field(() => Date, { nullable: true, description: "When the next review is due; null for a Low-tier skill until a platform update." })
  dueAt: Date | null;

  @Field(() => String, { nullable: true, description: "Why it is due then (the tier's cadence, or the platform update)." })
  reason: string | null;
}

@ObjectType("QualityReviewDue")
export class QualityReviewDueType {
  @Field(() => SkillUsageType)
  skill: SkillUsageType;

  @Field(() => UsageTier)
  tier: UsageTier;

  @Field(() => Float)
  weeklyInvocations: number;

  @Field()
  dueSince: Date;

  @Field()
  reason: string;

  @Field(() => QualityReviewType, { nullable: true })
  lastReview: QualityReviewType | null;
}

@ObjectType("TopSkill")
export class TopSkillType {
  @Field(() => SkillUsageType)
  skill: SkillUsageType;

  @Field(() => Int)
  invocations: number;

  @Field(() => Int)
  distinctUsers: number;
}

@ObjectType("UnmanagedSkillUse", {
  description: "A skill in use that Skillyard does not distribute: a plugin from another marketplace, or a user or project skill.",
})
export class UnmanagedSkillUseType {
  @Field()
  name: string;

  @Field({ description: "Claude Code's skill.source: plugin, userSettings, projectSettings, …" })
  source: string;

  @Field(() => String, { nullable: true })
  plugin: string | null;

  @Field(() => String, { nullable: true })
  marketplace: string | null;

  @Field(() => Int)
  invocations: number;

  @Field(() => Int)
  distinctUsers: number;

  @Field(() => [String])
  teams: string[];

  @Field()
  firstSeenAt: Date;

  @Field()
  lastSeenAt: Date;
}

@ObjectType("ReclaimableInstall", { description: "A team installed a skill by name and has never invoked it." })
export class ReclaimableInstallType {
  @Field(() => UsageTeamRef)
  team: UsageTeamRef;

  @Field(() => SkillUsageType)
  skill: SkillUsageType;

  @Field(() => Int)
  installs: number;

  @Field()
  lastInstalledAt: Date;
}

@ObjectType("UsageOverview")
export class UsageOverviewType {
  @Field(() => Int)
  weeks: number;

  @Field()
  from: string;

  @Field(() => [TopSkillType], { description: "The 20 most-invoked Skillyard skills in the window." })
  topSkills: TopSkillType[];

  @Field(() => [UnmanagedSkillUseType], { description: "The 50 most-invoked skills Skillyard does not know: a security signal." })
  unmanagedSkills: UnmanagedSkillUseType[];

  @Field(() => [ReclaimableInstallType], { description: "Up to 100 installs never invoked by the installing team, oldest first." })
  reclaimableInstalls: ReclaimableInstallType[];
}

@ObjectType("PlatformUpdate")
export class PlatformUpdateType {
  @Field(() => ID)
  id: string;

  @Field(() => PlatformUpdateKind)
  kind: PlatformUpdateKind;

  @Field()
  description: string;

  @Field(() => UsageUserRef, { nullable: true })
  createdBy: UsageUserRef | null;

  @Field()
  createdAt: Date;
}

@InputType()
export class RecordQualityReviewInput {
  @Field({ description: "Skill name." })
  skill: string;

  @Field({ description: "The installable version reviewed, e.g. 1.2.0." })
  version: string;

  @Field(() => QualityReviewOutcome)
  outcome: QualityReviewOutcome;

  @Field({ description: "What was checked and found (1-2000 characters); for PULL, the deprecation message." })
  notes: string;

  @Field(() => ID, {
    nullable: true,
    description: "The eval run the review relied on (such as the re-evaluation that found a drift); a finished run of this version.",
  })
  evalRun?: string | null;
}

@InputType()
export class MarkPlatformUpdateInput {
  @Field(() => PlatformUpdateKind)
  kind: PlatformUpdateKind;

  @Field({ description: 'What changed, e.g. "python 3.12 runtime image" or "Claude Code 2.2".' })
  description: string;
}
