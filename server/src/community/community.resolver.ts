import { Arg, Args, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { connectionFromArray, type Connection, PageArgs } from "../common/connection";
import { expectGlobalId, toGlobalId } from "../common/global-id";
import type { RequestContext } from "../common/request-context";
import type { Team } from "../identity/team.entity";
import type { User } from "../identity/user.entity";
import type { Review } from "./review.entity";
import type { TenantInstalls } from "./community.loaders";
import {
  InstallSkillInput,
  InstallSkillPayload,
  RateSkillInput,
  RateSkillPayload,
  ResolvedSkillType,
  ReviewConnection,
  ReviewType,
  SkillStatsType,
  SkillVersionStatsType,
  TeamType,
  TenantInstallsType,
  UserType,
} from "./community.types";

/** Catalog entities arrive here as references carrying only the uuid. */
interface EntityRef {
  id: string;
}

@Resolver(() => SkillStatsType)
export class SkillStatsResolver {
  @FieldResolver(() => ID)
  id(@Root() skill: EntityRef): string {
    return toGlobalId("Skill", skill.id);
  }

  @FieldResolver(() => Float, { nullable: true, description: "Mean of all stored ratings (1-5); null when unrated." })
  async rating(@Ctx() ctx: RequestContext, @Root() skill: EntityRef): Promise<number | null> {
    const stats = await ctx.loaders.community.skillStatsById.load(skill.id);
    return stats && stats.ratingCount > 0 ? Math.round(stats.ratingAverage * 100) / 100 : null;
  }

  @FieldResolver(() => Int)
  async reviewCount(@Ctx() ctx: RequestContext, @Root() skill: EntityRef): Promise<number> {
    return (await ctx.loaders.community.skillStatsById.load(skill.id))?.ratingCount ?? 0;
  }

  @FieldResolver(() => Int, { description: "Installs of any version by any tenant." })
  async downloads(@Ctx() ctx: RequestContext, @Root() skill: EntityRef): Promise<number> {
    return (await ctx.loaders.community.skillStatsById.load(skill.id))?.downloadCount ?? 0;
  }

  @FieldResolver(() => ReviewConnection, { description: "Newest first." })
  async reviews(
    @Ctx() ctx: RequestContext,
    @Root() skill: EntityRef,
    @Args() page: PageArgs,
  ): Promise<Connection<Review>> {
    return connectionFromArray("reviews", await ctx.loaders.community.reviewsBySkillId.load(skill.id), page);
  }

  @FieldResolver(() => [TenantInstallsType], {
    description: "One entry per team that installed any version of the skill, most installs first, then by team name. Bounded by the number of teams, so not paginated.",
  })
  installsByTenant(@Ctx() ctx: RequestContext, @Root() skill: EntityRef): Promise<TenantInstalls[]> {
    return ctx.loaders.community.installsByTenantBySkillId.load(skill.id);
  }
}

@Resolver(() => TenantInstallsType)
export class TenantInstallsResolver {
  @FieldResolver(() => TeamType)
  async team(@Ctx() ctx: RequestContext, @Root() entry: TenantInstalls): Promise<Team> {
    return (await ctx.loaders.community.teamById.load(entry.teamId))!;
  }
}

@Resolver(() => SkillVersionStatsType)
export class SkillVersionStatsResolver {
  @FieldResolver(() => ID)
  id(@Root() version: EntityRef): string {
    return toGlobalId("SkillVersion", version.id);
  }

  @FieldResolver(() => Int, { description: "Installs of this version." })
  downloads(@Ctx() ctx: RequestContext, @Root() version: EntityRef): Promise<number> {
    return ctx.loaders.community.installCountByVersionId.load(version.id);
  }
}

@Resolver(() => ReviewType)
export class ReviewResolver {
  @FieldResolver(() => ID)
  id(@Root() review: Review): string {
    return toGlobalId("Review", review.id);
  }

  @FieldResolver(() => UserType)
  async author(@Ctx() ctx: RequestContext, @Root() review: Review): Promise<User> {
    return (await ctx.loaders.community.userById.load(review.userId))!;
  }

  @FieldResolver(() => SkillStatsType)
  skill(@Root() review: Review): EntityRef {
    return { id: review.skillId };
  }
}

@Resolver(() => UserType)
export class UserResolver {
  @FieldResolver(() => ID)
  id(@Root() user: User): string {
    return toGlobalId("User", user.id);
  }

  @Query(() => UserType, { nullable: true, description: "The user the request's token belongs to." })
  viewer(@Ctx() ctx: RequestContext): User | null {
    return ctx.viewer?.user ?? null;
  }
}

@Resolver(() => TeamType)
export class TeamResolver {
  @FieldResolver(() => ID)
  id(@Root() team: Team): string {
    return toGlobalId("Team", team.id);
  }
}

@Resolver()
export class CommunityMutationResolver {
  @Mutation(() => RateSkillPayload, { description: "Rates a skill 1-5 with an optional review; rating again edits your review." })
  async rateSkill(@Ctx() ctx: RequestContext, @Arg("input") input: RateSkillInput): Promise<RateSkillPayload> {
    const { review, skill } = await ctx.runtime.services.reviews.rateSkill(ctx, input);
    ctx.loaders.community.skillStatsById.clear(skill.id).prime(skill.id, skill);
    return { review, skill: { id: skill.id } };
  }

  @Mutation(() => InstallSkillPayload, { description: "Resolves the dependency tree and records the install for a tenant." })
  async installSkill(@Ctx() ctx: RequestContext, @Arg("input") input: InstallSkillInput): Promise<InstallSkillPayload> {
    const { tenant, nodes, warnings } = await ctx.runtime.services.installs.installSkill(ctx, input);
    const resolved: ResolvedSkillType[] = nodes.map((n) => ({
      name: n.skill.name,
      version: n.version.version,
      range: n.range,
      sha256: n.version.packageSha256,
      size: n.version.packageSize,
      downloadUrl: `${ctx.runtime.config.publicUrl}/packages/${n.version.packageSha256}.tgz`,
      requiredBy: n.path,
      skillVersion: { id: n.version.id },
    }));
    return { tenant, root: resolved[0], resolved, warnings };
  }
}

/** Federation entry points: catalog entities need only their uuid here; users and teams are loaded. */
export const communityReferenceResolvers = {
  Skill: { __resolveReference: (ref: { id: string }): EntityRef => ({ id: expectGlobalId(ref.id, "Skill") }) },
  SkillVersion: { __resolveReference: (ref: { id: string }): EntityRef => ({ id: expectGlobalId(ref.id, "SkillVersion") }) },
  User: {
    __resolveReference: (ref: { id: string }, ctx: RequestContext) => ctx.loaders.community.userById.load(expectGlobalId(ref.id, "User")),
  },
  Team: {
    __resolveReference: (ref: { id: string }, ctx: RequestContext) => ctx.loaders.community.teamById.load(expectGlobalId(ref.id, "Team")),
  },
};

export const COMMUNITY_RESOLVERS = [
  SkillStatsResolver,
  TenantInstallsResolver,
  SkillVersionStatsResolver,
  ReviewResolver,
  UserResolver,
  TeamResolver,
  CommunityMutationResolver,
] as const;
