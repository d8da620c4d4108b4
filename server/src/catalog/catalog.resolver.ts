import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { SkillyardError } from "@skillyard/core";
import { connectionFromArray, type Connection, PageArgs } from "../common/connection";
import { fromGlobalId, toGlobalId } from "../common/global-id";
import type { RequestContext } from "../common/request-context";
import { ChannelResolver, DeprecationResolver, SkillChannelsResolver, VersionLifecycleResolver } from "./channel.resolver";
import { Permission, PermissionRisk } from "./permission.entity";
import { Skill } from "./skill.entity";
import { canSeeVersion, visibleVersions } from "./version-visibility";
import { SkillSort } from "./skill-search.service";
import { SkillVersion } from "./skill-version.entity";
import type { VersionDependency } from "./version-dependency.entity";
import { resolveRange } from "./version-resolution";
import type { VersionPermission } from "./version-permission.entity";
import {
  DependencyConnection,
  DependencyType,
  NodeInterface,
  PermissionConnection,
  PermissionType,
  PublishSkillVersionInput,
  PublishSkillVersionPayload,
  SkillConnection,
  SkillType,
  SkillVersionConnection,
  SkillVersionType,
  TeamReference,
  UserReference,
  VersionPermissionConnection,
  VersionPermissionType,
  type Reference,
} from "./catalog.types";


@Resolver(() => SkillType)
export class SkillResolver {
  @Query(() => SkillConnection, { description: "Search and browse skills that have an installable version." })
  async skills(
    @Ctx() ctx: RequestContext,
    @Arg("query", () => String, { nullable: true }) query: string | null,
    @Arg("category", () => String, { nullable: true }) category: string | null,
    @Arg("tags", () => [String], { nullable: true }) tags: string[] | null,
    @Arg("sort", () => SkillSort, { nullable: true }) sort: SkillSort | null,
    @Arg("first", () => Int, { nullable: true }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ): Promise<Connection<Skill>> {
    const page = await ctx.runtime.services.search.search(ctx.runtime.dataSource.manager, { query, category, tags, sort, first, after });
    for (const edge of page.edges) ctx.loaders.catalog.skillById.prime(edge.node.id, edge.node);
    return page;
  }

  @Query(() => SkillType, { nullable: true })
  skill(@Ctx() ctx: RequestContext, @Arg("name") name: string): Promise<Skill | null> {
    return ctx.loaders.catalog.skillByName.load(name);
  }

  @FieldResolver(() => ID)
  id(@Root() skill: Skill): string {
    return toGlobalId("Skill", skill.id);
  }

  @FieldResolver(() => SkillVersionType, { nullable: true, description: "The highest published version." })
  latestVersion(@Ctx() ctx: RequestContext, @Root() skill: Skill): Promise<SkillVersion | null> | null {
    return skill.latestVersionId ? ctx.loaders.catalog.versionById.load(skill.latestVersionId) : null;
  }

  @FieldResolver(() => SkillVersionConnection, { description: "Every version in any status, highest first." })
  async versions(
    @Ctx() ctx: RequestContext,
    @Root() skill: Skill,
    @Args() page: PageArgs,
  ): Promise<Connection<SkillVersion>> {
    return connectionFromArray("versions", await visibleVersions(ctx, await ctx.loaders.catalog.versionsBySkillId.load(skill.id)), page);
  }

  @FieldResolver(() => TeamReference, { description: "The team that owns the skill's name and publishes it." })
  owner(@Root() skill: Skill): Reference {
    return { __typename: "Team", id: skill.teamId };
  }

  @FieldResolver(() => SkillConnection, { description: "Skills with a version that depends on this one." })
  async dependents(
    @Ctx() ctx: RequestContext,
    @Root() skill: Skill,
    @Args() page: PageArgs,
  ): Promise<Connection<Skill>> {
    const edges = await ctx.loaders.catalog.dependentsBySkillId.load(skill.id);
    const skillIds = [...new Set(edges.map((d) => d.version.skillId))];
    const skills = (await ctx.loaders.catalog.skillById.loadMany(skillIds)).filter((s): s is Skill => s instanceof Skill);
    return connectionFromArray("dependents", skills.sort((a, b) => a.name.localeCompare(b.name)), page);
  }

  @Mutation(() => PublishSkillVersionPayload, { description: "Publishes name@version from a package uploaded with POST /packages." })
  async publishSkillVersion(@Ctx() ctx: RequestContext, @Arg("input") input: PublishSkillVersionInput): Promise<PublishSkillVersionPayload> {
    const result = await ctx.runtime.services.publish.publishSkillVersion(ctx, input);
    return { version: result.version, created: result.created, warnings: result.warnings };
  }
}

@Resolver(() => SkillVersionType)
export class SkillVersionResolver {
  @FieldResolver(() => ID)
  id(@Root() version: SkillVersion): string {
    return toGlobalId("SkillVersion", version.id);
  }

  @FieldResolver(() => SkillType)
  async skill(@Ctx() ctx: RequestContext, @Root() version: SkillVersion): Promise<Skill> {
    return (await ctx.loaders.catalog.skillById.load(version.skillId))!;
  }

  @FieldResolver(() => String, { description: "Where GET /packages/{sha256}.tgz serves this version's package." })
  downloadUrl(@Ctx() ctx: RequestContext, @Root() version: SkillVersion): string {
    return `${ctx.runtime.config.publicUrl}/packages/${version.packageSha256}.tgz`;
  }

  @FieldResolver(() => UserReference)
  publishedBy(@Root() version: SkillVersion): Reference {
    return { __typename: "User", id: version.publishedById };
  }

  @FieldResolver(() => DependencyConnection)
  async dependencies(
    @Ctx() ctx: RequestContext,
    @Root() version: SkillVersion,
    @Args() page: PageArgs,
  ): Promise<Connection<VersionDependency>> {
    return connectionFromArray("dependencies", await ctx.loaders.catalog.dependenciesByVersionId.load(version.id), page);
  }

  @FieldResolver(() => VersionPermissionConnection)
  async permissions(
    @Ctx() ctx: RequestContext,
    @Root() version: SkillVersion,
    @Args() page: PageArgs,
  ): Promise<Connection<VersionPermission>> {
    return connectionFromArray("permissions", await ctx.loaders.catalog.permissionsByVersionId.load(version.id), page);
  }
}

@Resolver(() => DependencyType)
export class DependencyResolver {
  @FieldResolver(() => SkillType)
  skill(@Root() dependency: VersionDependency): Skill {
    return dependency.dependencySkill;
  }

  @FieldResolver(() => SkillVersionType, { nullable: true })
  async resolved(@Ctx() ctx: RequestContext, @Root() dependency: VersionDependency): Promise<SkillVersion | null> {
    const versions = await ctx.loaders.catalog.versionsBySkillId.load(dependency.dependencySkillId);
    return resolveRange(versions, dependency.range, dependency.dependencySkill.latestVersionId);
  }
}

@Resolver(() => VersionPermissionType)
export class VersionPermissionResolver {
  @FieldResolver(() => PermissionType)
  catalogueEntry(@Root() permission: VersionPermission): Permission {
    return permission.catalogueEntry;
  }

  @FieldResolver(() => PermissionRisk)
  risk(@Root() permission: VersionPermission): PermissionRisk {
    return permission.catalogueEntry.risk;
  }
}

@Resolver(() => TeamReference)
export class TeamReferenceResolver {
  @FieldResolver(() => ID)
  id(@Root() team: Reference): string {
    return toGlobalId("Team", team.id);
  }
}

@Resolver(() => UserReference)
export class UserReferenceResolver {
  @FieldResolver(() => ID)
  id(@Root() user: Reference): string {
    return toGlobalId("User", user.id);
  }
}

@Resolver()
export class CatalogQueryResolver {
  @Query(() => NodeInterface, { nullable: true, description: "Fetches any object by its global id." })
  async node(@Ctx() ctx: RequestContext, @Arg("id", () => ID) id: string): Promise<Skill | SkillVersion | Reference | null> {
    let decoded: { type: string; id: string };
    try {
      decoded = fromGlobalId(id);
    } catch {
      return null;
    }
    const uuid = /^[0-9a-f-]{36}$/.test(decoded.id) ? decoded.id : null;
    if (!uuid) return null;
    switch (decoded.type) {
      case "Skill":
        return ctx.loaders.catalog.skillById.load(uuid);
      case "SkillVersion": {
        const version = await ctx.loaders.catalog.versionById.load(uuid);
        return version && (await canSeeVersion(ctx, version)) ? version : null;
      }
      case "Team":
        return (await ctx.loaders.community.teamById.load(uuid)) ? { __typename: "Team", id: uuid } : null;
      case "User":
        return (await ctx.loaders.community.userById.load(uuid)) ? { __typename: "User", id: uuid } : null;
      default:
        return null;
    }
  }

  @Query(() => PermissionConnection, { description: "The permission catalogue, by name." })
  async permissions(
    @Ctx() ctx: RequestContext,
    @Args() page: PageArgs,
  ): Promise<Connection<Permission>> {
    const all = await ctx.runtime.dataSource.getRepository(Permission).find({ order: { name: "ASC" } });
    return connectionFromArray("permissions", all, page);
  }
}

/** Federation entry points: the gateway hands us `{ id }` (a global id) and wants the full object. */
export const catalogReferenceResolvers = {
  Skill: {
    __resolveReference: (ref: { id: string }, ctx: RequestContext) => loadByGlobalId(ref.id, "Skill", (id) => ctx.loaders.catalog.skillById.load(id)),
  },
  SkillVersion: {
    __resolveReference: (ref: { id: string }, ctx: RequestContext) =>
      loadByGlobalId(ref.id, "SkillVersion", (id) => ctx.loaders.catalog.versionById.load(id)),
  },
};

async function loadByGlobalId<T>(globalId: string, type: string, load: (uuid: string) => Promise<T | null>): Promise<T | null> {
  const decoded = fromGlobalId(globalId);
  if (decoded.type !== type) throw new SkillyardError("BAD_USER_INPUT", `"${globalId}" is not a ${type} id.`);
  return load(decoded.id);
}

export const CATALOG_RESOLVERS = [
  SkillResolver,
  SkillVersionResolver,
  DependencyResolver,
  VersionPermissionResolver,
  TeamReferenceResolver,
  UserReferenceResolver,
  CatalogQueryResolver,
  ChannelResolver,
  SkillChannelsResolver,
  VersionLifecycleResolver,
  DeprecationResolver,
] as const;
