import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Resolver, Root } from "type-graphql";
import { connectionFromArray, connectionTypes, type Connection, PageArgs } from "../common/connection";
import { Access, AccessRule } from "../identity/access";
import { TokenScope } from "../identity/api-token.entity";
import type { CatalogContext } from "./catalog.context";
import { type ChannelService, type ChannelView, channelViews, LATEST_CHANNEL, latestChannel, storedChannel } from "./channel.service";
import { SkillType, SkillVersionType, UserReference, type Reference } from "./catalog.types";
import type { Skill } from "./skill.entity";
import type { SkillVersion } from "./skill-version.entity";
import { VersionStatus } from "./version-status";
import type { YankAndDeprecateService } from "./yank-and-deprecate.service";

@ObjectType("Channel", {
  description:
    "A named pointer at one of a skill's versions. `latest` follows the highest published version; others (`stable`, `beta`, …) are moved by maintainers.",
})
export class ChannelType {
  @Field()
  name: string;

  @Field(() => Date, { nullable: true, description: "When a maintainer last moved it; null for `latest`, which moves by itself." })
  movedAt: Date | null;
}

@ObjectType("Deprecation", { description: "Why a version is deprecated and what to use instead." })
export class DeprecationType {
  @Field()
  message: string;
}

/** Root value of Deprecation. */
interface DeprecationView {
  message: string;
  replacementSkillId: string | null;
}

export const { ConnectionType: SkillChannelConnection } = connectionTypes("SkillChannel", ChannelType);

@InputType()
export class SetChannelInput {
  @Field({ description: "Skill name." })
  skill: string;

  @Field({ description: "Channel name: 1-32 lowercase letters, digits and hyphens, starting with a letter; not `latest` and not a semver range." })
  channel: string;

  @Field({ description: "The exact version to point at (PUBLISHED or DEPRECATED)." })
  version: string;

  @Field(() => String, {
    nullable: true,
    description: "Why the channel moves (up to 1000 characters), kept in the audit log: the cause of a rollback, the ticket of a promotion.",
  })
  reason?: string | null;
}

@ObjectType()
export class SetChannelPayload {
  @Field(() => ChannelType)
  channel: ChannelView;

  @Field(() => SkillVersionType, { nullable: true, description: "Where the channel pointed before; null when it was just created." })
  previousVersion: SkillVersion | null;
}

@InputType()
export class YankVersionInput {
  @Field(() => ID)
  versionId: string;

  @Field({ description: "Shown to everyone who still installs the version by an exact pin or a channel." })
  reason: string;
}

@InputType()
export class DeprecateVersionInput {
  @Field(() => ID)
  versionId: string;

  @Field({ description: "Shown to everyone who installs the version." })
  message: string;

  @Field(() => String, { nullable: true, description: "Name of a skill to use instead." })
  replacement: string | null;
}

@Resolver(() => ChannelType)
export class ChannelResolver {
  constructor(private readonly channels: ChannelService) {}

  @FieldResolver(() => SkillVersionType, { nullable: true, description: "Null only for `latest` while the skill has no installable version." })
  version(@Ctx() ctx: CatalogContext, @Root() channel: ChannelView): Promise<SkillVersion | null> | null {
    return channel.versionId ? ctx.loaders.catalog.versionById.load(channel.versionId) : null;
  }

  @FieldResolver(() => UserReference, { nullable: true, description: "Who last moved it; null for `latest`." })
  movedBy(@Root() channel: ChannelView): Reference | null {
    return channel.movedById ? { __typename: "User", id: channel.movedById } : null;
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.PUBLISH)
  @Mutation(() => SetChannelPayload, {
    description: "Points a channel at a version (creating it if needed); moving it back is a rollback. Maintainers and admins.",
  })
  async setChannel(@Ctx() ctx: CatalogContext, @Arg("input") input: SetChannelInput): Promise<SetChannelPayload> {
    const result = await this.channels.setChannel(ctx, input);
    return { channel: storedChannel(result.channel), previousVersion: result.previousVersion };
  }
}

@Resolver(() => SkillType)
export class SkillChannelsResolver {
  @FieldResolver(() => SkillChannelConnection, { description: "`latest` first, then the other channels by name." })
  async channels(@Ctx() ctx: CatalogContext, @Root() skill: Skill, @Args() page: PageArgs): Promise<Connection<ChannelView>> {
    return connectionFromArray("channels", channelViews(skill, await ctx.loaders.catalog.channelsBySkillId.load(skill.id)), page);
  }

  @FieldResolver(() => ChannelType, { nullable: true, description: "One channel by name (`latest` included); null if there is none." })
  async channel(@Ctx() ctx: CatalogContext, @Root() skill: Skill, @Arg("name") name: string): Promise<ChannelView | null> {
    if (name === LATEST_CHANNEL) return latestChannel(skill);
    const stored = (await ctx.loaders.catalog.channelsBySkillId.load(skill.id)).find((c) => c.name === name);
    return stored ? storedChannel(stored) : null;
  }
}

@Resolver(() => SkillVersionType)
export class VersionLifecycleResolver {
  constructor(private readonly yankAndDeprecate: YankAndDeprecateService) {}

  @FieldResolver(() => DeprecationType, { nullable: true, description: "Set while the version is DEPRECATED." })
  deprecation(@Root() version: SkillVersion): DeprecationView | null {
    if (version.status !== VersionStatus.DEPRECATED) return null;
    return { message: version.statusReason ?? "", replacementSkillId: version.replacementSkillId };
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.PUBLISH)
  @Mutation(() => SkillVersionType, {
    description:
      "Yanks a PUBLISHED or DEPRECATED version: ranges and `latest` skip it; exact pins and channels still install it, with a warning. Maintainers and admins.",
  })
  yankVersion(@Ctx() ctx: CatalogContext, @Arg("input") input: YankVersionInput): Promise<SkillVersion> {
    return this.yankAndDeprecate.yankVersion(ctx, input);
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.PUBLISH)
  @Mutation(() => SkillVersionType, {
    description:
      "Deprecates a PUBLISHED version (or updates a deprecation): it stays installable, with a warning naming the message and replacement. Maintainers and admins.",
  })
  deprecateVersion(@Ctx() ctx: CatalogContext, @Arg("input") input: DeprecateVersionInput): Promise<SkillVersion> {
    return this.yankAndDeprecate.deprecateVersion(ctx, input);
  }
}

@Resolver(() => DeprecationType)
export class DeprecationResolver {
  @FieldResolver(() => SkillType, { nullable: true, description: "The skill to use instead, if the maintainers named one." })
  async replacement(@Ctx() ctx: CatalogContext, @Root() deprecation: DeprecationView): Promise<Skill | null> {
    return deprecation.replacementSkillId ? ctx.visibility.skillOrNull(await ctx.loaders.catalog.skillById.load(deprecation.replacementSkillId)) : null;
  }
}
