import { Arg, Args, Ctx, FieldResolver, Float, ID, Int, Mutation, Resolver, Root } from "type-graphql";
import { Access, AccessRule } from "../identity/access";
import { TokenScope } from "../identity/api-token.entity";
import { connectionFromArray, type Connection, PageArgs } from "../common/connection";
import { expectGlobalId, toGlobalId } from "../common/global-id";
import type { Team } from "../identity/team.entity";
import type { User } from "../identity/user.entity";
import { TeamType, UserType } from "../identity/identity.types";
import type { PublicUrl } from "../packages/public-url";
import type { CommunityContext } from "./community.context";
import type { TenantInstalls } from "./community.loaders";
import type { InstallService } from "./install.service";
import type { Rating } from "./rating.entity";
import type { RatingService } from "./rating.service";
import {
  InstallSkillInput,
  InstallSkillPayload,
  RateSkillInput,
  RateSkillPayload,
  RatingConnection,
  RatingType,
  ResolvedSkillType,
  SkillStatsType,
  SkillVersionStatsType,
  TenantInstallsType,
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
  async rating(@Ctx() ctx: CommunityContext, @Root() skill: EntityRef): Promise<number | null> {
    const stats = await ctx.loaders.community.skillStatsById.load(skill.id);
    return stats && stats.ratingCount > 0 ? Math.round(stats.ratingAverage * 100) / 100 : null;
  }

  @FieldResolver(() => Int, { description: "How many users rated the skill." })
  async reviewCount(@Ctx() ctx: CommunityContext, @Root() skill: EntityRef): Promise<number> {
    return (await ctx.loaders.community.skillStatsById.load(skill.id))?.ratingCount ?? 0;
  }

  @FieldResolver(() => Int, {
    description:
      "Installs of any version by any tenant, as of the last roll-up of the install log: an install shows up here within the server's roll-up interval (5 s by default), not at once.",
  })
  async downloads(@Ctx() ctx: CommunityContext, @Root() skill: EntityRef): Promise<number> {
    return (await ctx.loaders.community.skillStatsById.load(skill.id))?.downloadCount ?? 0;
  }

  @FieldResolver(() => RatingConnection, { description: "Newest first." })
  async ratings(@Ctx() ctx: CommunityContext, @Root() skill: EntityRef, @Args() page: PageArgs): Promise<Connection<Rating>> {
    return connectionFromArray("ratings", await ctx.loaders.community.ratingsBySkillId.load(skill.id), page);
  }

  @FieldResolver(() => [TenantInstallsType], {
    description:
      "One entry per team that installed any version of the skill, most installs first, then by team name. Counted from the install log, so current (unlike downloads). Bounded by the number of teams, so not paginated.",
  })
  installsByTenant(@Ctx() ctx: CommunityContext, @Root() skill: EntityRef): Promise<TenantInstalls[]> {
    return ctx.loaders.community.installsByTenantBySkillId.load(skill.id);
  }
}

@Resolver(() => TenantInstallsType)
export class TenantInstallsResolver {
  @FieldResolver(() => TeamType)
  async team(@Ctx() ctx: CommunityContext, @Root() entry: TenantInstalls): Promise<Team> {
    return (await ctx.loaders.identity.teamById.load(entry.teamId))!;
  }
}

@Resolver(() => SkillVersionStatsType)
export class SkillVersionStatsResolver {
  @FieldResolver(() => ID)
  id(@Root() version: EntityRef): string {
    return toGlobalId("SkillVersion", version.id);
  }

  @FieldResolver(() => Int, { description: "Installs of this version, as of the last roll-up of the install log (like Skill.downloads)." })
  async downloads(@Ctx() ctx: CommunityContext, @Root() version: EntityRef): Promise<number> {
    // Lists of versions primed this loader: no statement of its own.
    return (await ctx.loaders.catalog.versionById.load(version.id))?.downloadCount ?? 0;
  }
}

@Resolver(() => RatingType)
export class RatingResolver {
  @FieldResolver(() => ID)
  id(@Root() rating: Rating): string {
    return toGlobalId("Rating", rating.id);
  }

  @FieldResolver(() => UserType)
  async author(@Ctx() ctx: CommunityContext, @Root() rating: Rating): Promise<User> {
    return (await ctx.loaders.identity.userById.load(rating.userId))!;
  }

  @FieldResolver(() => SkillStatsType)
  skill(@Root() rating: Rating): EntityRef {
    return { id: rating.skillId };
  }
}

@Resolver()
export class CommunityMutationResolver {
  constructor(
    private readonly ratings: RatingService,
    private readonly installs: InstallService,
    private readonly publicUrl: PublicUrl,
  ) {}

  @Access(AccessRule.SIGNED_IN, TokenScope.READ)
  @Mutation(() => RateSkillPayload, { description: "Rates a skill 1-5 with optional text; rating again edits your rating. Not for your own team's skills." })
  async rateSkill(@Ctx() ctx: CommunityContext, @Arg("input") input: RateSkillInput): Promise<RateSkillPayload> {
    const { rating, skill } = await this.ratings.rateSkill(ctx, input);
    ctx.loaders.community.skillStatsById.clear(skill.id).prime(skill.id, skill);
    return { rating, skill: { id: skill.id } };
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.READ)
  @Mutation(() => InstallSkillPayload, { description: "Resolves the dependency tree and records the install for a tenant (a team you belong to)." })
  async installSkill(@Ctx() ctx: CommunityContext, @Arg("input") input: InstallSkillInput): Promise<InstallSkillPayload> {
    const { tenant, nodes, warnings } = await this.installs.installSkill(ctx, input);
    const resolved: ResolvedSkillType[] = nodes.map((n) => ({
      name: n.skill.name,
      version: n.version.version,
      range: n.range,
      sha256: n.version.packageSha256,
      size: n.version.packageSize,
      downloadUrl: this.publicUrl.packageUrl(n.version.packageSha256),
      requiredBy: n.path,
      skillVersion: { id: n.version.id },
    }));
    return { tenant, root: resolved[0], resolved, warnings };
  }
}

/**
 * Federation entry points: catalog entities need only their uuid here, but only for those who may
 * see them (ratings, downloads and installs of an unreleased skill stay with its team).
 */
export const communityReferenceResolvers = {
  Skill: {
    __resolveReference: async (ref: { id: string }, ctx: CommunityContext): Promise<EntityRef | null> => {
      const skill = await ctx.visibility.skillOrNull(await ctx.loaders.catalog.skillById.load(expectGlobalId(ref.id, "Skill")));
      return skill ? { id: skill.id } : null;
    },
  },
  SkillVersion: {
    __resolveReference: async (ref: { id: string }, ctx: CommunityContext): Promise<EntityRef | null> => {
      const version = await ctx.visibility.versionOrNull(await ctx.loaders.catalog.versionById.load(expectGlobalId(ref.id, "SkillVersion")));
      return version ? { id: version.id } : null;
    },
  },
};

export const COMMUNITY_RESOLVERS = [SkillStatsResolver, TenantInstallsResolver, SkillVersionStatsResolver, RatingResolver, CommunityMutationResolver] as const;
