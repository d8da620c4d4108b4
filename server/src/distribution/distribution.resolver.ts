import { GraphQLJSONObject } from "graphql-scalars";
import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { catalogChannel, type MarketplaceCatalogService } from "./marketplace-catalog";
import type { ManagedSettingsService } from "./managed-settings.service";
import type { RequiredSkillsService } from "./required-skills.service";
import { teamByName } from "./required-skills.service";
import type { RuntimePolicyService } from "./runtime-policy.service";
import type { RuntimePolicy } from "./runtime-policy.entity";
import type { RequiredSkill } from "./required-skill.entity";
import type { DistributionContext } from "./distribution.context";
import {
  MarketplaceType,
  PluginArchiveType,
  RequiredSkillType,
  RuntimePolicyType,
  SetRequiredSkillInput,
  SetRequiredSkillPayload,
  SetRuntimePolicyInput,
  SkillVersionPluginType,
} from "./distribution.types";
import { Access, AccessRule } from "../identity/access";
import { TokenScope } from "../identity/api-token.entity";
import { requireViewer } from "../identity/viewer";
import { expectGlobalId, toGlobalId } from "../common/global-id";
import type { DataSource } from "typeorm";

interface EntityRef {
  id: string;
}

const skillRef = (id: string) => ({ id: toGlobalId("Skill", id) });
const teamRef = (id: string | null) => (id ? { id: toGlobalId("Team", id) } : null);
const userRef = (id: string | null) => (id ? { id: toGlobalId("User", id) } : null);

function requirementView(r: RequiredSkill): RequiredSkillType {
  return { skill: skillRef(r.skillId), team: teamRef(r.teamId), createdBy: userRef(r.createdById), createdAt: r.createdAt };
}

@Resolver()
export class DistributionResolver {
  constructor(
    private readonly dataSource: DataSource,
    private readonly catalogs: MarketplaceCatalogService,
    private readonly required: RequiredSkillsService,
    private readonly policy: RuntimePolicyService,
    private readonly settings: ManagedSettingsService,
  ) {}

  @Access(AccessRule.PUBLIC, TokenScope.READ)
  @Query(() => [MarketplaceType], { description: "The Claude Code marketplaces this Skillyard serves: the base catalog, then each channel's." })
  async marketplaces(): Promise<MarketplaceType[]> {
    return (await this.catalogs.channels()).map((channel) => {
      const url = this.catalogs.urlOf(channel);
      return { channel, name: this.catalogs.nameOf(channel), url, addCommand: `claude plugin marketplace add '${url}'` };
    });
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.READ)
  @Query(() => [RequiredSkillType], {
    description: "Required skills: with `team`, what that team's machines get (its own and the organisation-wide ones); without, every requirement.",
  })
  async requiredSkills(@Ctx() ctx: DistributionContext, @Arg("team", () => String, { nullable: true }) team: string | null): Promise<RequiredSkillType[]> {
    const rows = await this.required.list(this.dataSource.manager, team ? await teamByName(this.dataSource.manager, team) : undefined);
    const skills = await Promise.all(rows.map((r) => ctx.loaders.catalog.skillById.load(r.skillId)));
    const visible = await Promise.all(skills.map((s) => ctx.visibility.skillOrNull(s)));
    return rows.filter((_, i) => visible[i] !== null).map(requirementView);
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.PUBLISH)
  @Mutation(() => SetRequiredSkillPayload, {
    description:
      "Marks a skill required (or no longer required) for a team, or for everyone when `team` is omitted. Admins; maintainers for their team. Audited.",
  })
  async setRequiredSkill(@Ctx() ctx: DistributionContext, @Arg("input") input: SetRequiredSkillInput): Promise<SetRequiredSkillPayload> {
    const result = await this.required.set(requireViewer(ctx), input);
    return { skill: skillRef(result.skill.id), team: teamRef(result.team?.id ?? null), required: result.required, changed: result.changed };
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.READ)
  @Query(() => RuntimePolicyType, { description: "The runtime policy in force." })
  async runtimePolicy(): Promise<RuntimePolicyType> {
    return this.policyView(await this.policy.current(this.dataSource.manager));
  }

  @Access(AccessRule.ADMIN, TokenScope.ADMIN)
  @Mutation(() => RuntimePolicyType, {
    description: "Replaces the runtime policy's rules with a new version (admins; audited). Machines pick it up with the policy plugin's update.",
  })
  async setRuntimePolicy(@Ctx() ctx: DistributionContext, @Arg("input") input: SetRuntimePolicyInput): Promise<RuntimePolicyType> {
    return this.policyView(await this.policy.set(requireViewer(ctx).user.id, input.rules));
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.READ)
  @Query(() => GraphQLJSONObject, {
    description:
      "Claude Code managed settings for a team (or the whole organisation) on a channel (or latest): the same JSON as GET /managed-settings.json. Admins; maintainers for their team. It carries the distribution tokens, so treat it as a secret.",
  })
  async managedSettings(
    @Ctx() ctx: DistributionContext,
    @Arg("channel", () => String, { nullable: true }) channel: string | null,
    @Arg("team", () => String, { nullable: true }) team: string | null,
  ): Promise<Record<string, unknown>> {
    return { ...(await this.settings.generate(requireViewer(ctx), { channel: catalogChannel(channel), team })) };
  }

  private policyView(policy: RuntimePolicy): RuntimePolicyType {
    return {
      version: policy.version,
      rules: policy.rules,
      plugin: { sha256: policy.pluginSha256, size: policy.pluginSize, url: this.catalogs.pluginUrl(policy.pluginSha256) },
      createdBy: userRef(policy.createdById),
      createdAt: policy.createdAt,
    };
  }
}

@Resolver(() => SkillVersionPluginType)
export class SkillVersionPluginResolver {
  constructor(private readonly catalogs: MarketplaceCatalogService) {}

  @FieldResolver(() => ID)
  id(@Root() version: EntityRef): string {
    return toGlobalId("SkillVersion", version.id);
  }

  @FieldResolver(() => PluginArchiveType, { nullable: true, description: "The Claude Code plugin archive; null until the version is installable." })
  async plugin(@Ctx() ctx: DistributionContext, @Root() version: EntityRef): Promise<PluginArchiveType | null> {
    const bundle = await ctx.loaders.distribution.pluginBundleByVersionId.load(version.id);
    return bundle ? { sha256: bundle.sha256, size: bundle.size, url: this.catalogs.pluginUrl(bundle.sha256) } : null;
  }
}

/** Federation entry point: a version only for those who may see it, as on /graphql. */
export const distributionReferenceResolvers = {
  SkillVersion: {
    __resolveReference: async (ref: { id: string }, ctx: DistributionContext): Promise<EntityRef | null> => {
      const id = expectGlobalId(ref.id, "SkillVersion");
      return (await ctx.visibility.versionOrNull(await ctx.loaders.catalog.versionById.load(id))) ? { id } : null;
    },
  },
};

export const DISTRIBUTION_RESOLVERS = [DistributionResolver, SkillVersionPluginResolver] as const;
