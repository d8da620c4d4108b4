import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { Access, AccessRule } from "../identity/access";
import { TokenScope } from "../identity/api-token.entity";
import { type CappedConnection, connectionFromArray, type Connection, PageArgs } from "../common/connection";
import { expectGlobalId, fromGlobalId, toGlobalId } from "../common/global-id";
import type { PublicUrl } from "../packages/public-url";
import type { CatalogContext } from "./catalog.context";
import { ChannelResolver, DeprecationResolver, SkillChannelsResolver, VersionLifecycleResolver } from "./channel.resolver";
import { PermissionAdminResolver } from "./permission.resolver";
import { Permission, PermissionRisk } from "./permission.entity";
import type { PermissionCatalogueService } from "./permission-catalogue.service";
import type { PublishService } from "./publish.service";
import { Skill } from "./skill.entity";
import { SkillSort, type SkillSearchService } from "./skill-search.service";
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
  constructor(
    private readonly search: SkillSearchService,
    private readonly publish: PublishService,
  ) {}

  @Access(AccessRule.PUBLIC, TokenScope.READ)
  @Query(() => SkillConnection, { description: "Search and browse skills that have an installable version." })
  async skills(
    @Ctx() ctx: CatalogContext,
    @Arg("query", () => String, { nullable: true }) query: string | null,
    @Arg("category", () => String, { nullable: true }) category: string | null,
    @Arg("tags", () => [String], { nullable: true }) tags: string[] | null,
    @Arg("sort", () => SkillSort, { nullable: true }) sort: SkillSort | null,
    @Arg("first", () => Int, { nullable: true }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ): Promise<CappedConnection<Skill>> {
    const page = await this.search.search({ query, category, tags, sort, first, after });
    for (const edge of page.edges) ctx.loaders.catalog.skillById.prime(edge.node.id, edge.node);
    return page;
  }

  @Access(AccessRule.PUBLIC, TokenScope.READ)
  @Query(() => SkillType, { nullable: true, description: "Null when there is no such skill, or it has no version you may see." })
  async skill(@Ctx() ctx: CatalogContext, @Arg("name") name: string): Promise<Skill | null> {
    return ctx.visibility.skillOrNull(await ctx.loaders.catalog.skillByName.load(name));
  }

  @FieldResolver(() => ID)
  id(@Root() skill: Skill): string {
    return toGlobalId("Skill", skill.id);
  }

  @FieldResolver(() => SkillVersionType, { nullable: true, description: "The highest published version." })
  latestVersion(@Ctx() ctx: CatalogContext, @Root() skill: Skill): Promise<SkillVersion | null> | null {
    return skill.latestVersionId ? ctx.loaders.catalog.versionById.load(skill.latestVersionId) : null;
  }

  @FieldResolver(() => SkillVersionConnection, { description: "Every version you may see, in any status, highest first." })
  async versions(@Ctx() ctx: CatalogContext, @Root() skill: Skill, @Args() page: PageArgs): Promise<Connection<SkillVersion>> {
    return connectionFromArray("versions", await ctx.visibility.visibleVersions(await ctx.loaders.catalog.versionsBySkillId.load(skill.id)), page);
  }

  @FieldResolver(() => TeamReference, { description: "The team that owns the skill's name and publishes it." })
  owner(@Root() skill: Skill): Reference {
    return { __typename: "Team", id: skill.teamId };
  }

  @FieldResolver(() => SkillConnection, { description: "Skills with a version you may see that depends on this one." })
  async dependents(@Ctx() ctx: CatalogContext, @Root() skill: Skill, @Args() page: PageArgs): Promise<CappedConnection<Skill>> {
    const edges = await ctx.loaders.catalog.dependentsBySkillId.load(skill.id);
    // The depending version reveals the relation: an unreleased version's dependency stays with its team.
    const versions = await ctx.visibility.visibleVersions(edges.map((d) => d.version));
    const skillIds = [...new Set(versions.map((v) => v.skillId))];
    const skills = (await ctx.loaders.catalog.skillById.loadMany(skillIds)).filter((s): s is Skill => s instanceof Skill);
    // All loaded, so counted exactly.
    return {
      ...connectionFromArray(
        "dependents",
        skills.sort((a, b) => a.name.localeCompare(b.name)),
        page,
      ),
      totalCountIsCapped: false,
    };
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.PUBLISH)
  @Mutation(() => PublishSkillVersionPayload, {
    description: "Publishes name@version from a package uploaded with POST /packages. Members of the team that owns the name.",
  })
  async publishSkillVersion(@Ctx() ctx: CatalogContext, @Arg("input") input: PublishSkillVersionInput): Promise<PublishSkillVersionPayload> {
    const result = await this.publish.publishSkillVersion(ctx, input);
    return { version: result.version, created: result.created, warnings: result.warnings };
  }
}

@Resolver(() => SkillVersionType)
export class SkillVersionResolver {
  constructor(private readonly publicUrl: PublicUrl) {}

  @FieldResolver(() => ID)
  id(@Root() version: SkillVersion): string {
    return toGlobalId("SkillVersion", version.id);
  }

  @FieldResolver(() => SkillType)
  async skill(@Ctx() ctx: CatalogContext, @Root() version: SkillVersion): Promise<Skill> {
    return (await ctx.loaders.catalog.skillById.load(version.skillId))!;
  }

  @FieldResolver(() => String, { description: "Where GET /packages/{sha256}.tgz serves this version's package (to those who may see the version)." })
  downloadUrl(@Root() version: SkillVersion): string {
    return this.publicUrl.packageUrl(version.packageSha256);
  }

  @FieldResolver(() => String, { nullable: true })
  async readme(@Ctx() ctx: CatalogContext, @Root() version: SkillVersion): Promise<string | null> {
    return version.readme !== undefined ? version.readme : ctx.loaders.catalog.readmeByVersionId.load(version.id);
  }

  @FieldResolver(() => UserReference)
  publishedBy(@Root() version: SkillVersion): Reference {
    return { __typename: "User", id: version.publishedById };
  }

  @FieldResolver(() => DependencyConnection)
  async dependencies(@Ctx() ctx: CatalogContext, @Root() version: SkillVersion, @Args() page: PageArgs): Promise<Connection<VersionDependency>> {
    return connectionFromArray("dependencies", await ctx.loaders.catalog.dependenciesByVersionId.load(version.id), page);
  }

  @FieldResolver(() => VersionPermissionConnection)
  async permissions(@Ctx() ctx: CatalogContext, @Root() version: SkillVersion, @Args() page: PageArgs): Promise<Connection<VersionPermission>> {
    return connectionFromArray("permissions", await ctx.loaders.catalog.permissionsByVersionId.load(version.id), page);
  }
}

@Resolver(() => DependencyType)
export class DependencyFieldsResolver {
  @FieldResolver(() => String, { description: "The depended-on skill's name, as the manifest gives it." })
  name(@Root() dependency: VersionDependency): string {
    return dependency.dependencySkill.name;
  }

  @FieldResolver(() => SkillType, { nullable: true, description: "Null when the skill has no version you may see." })
  skill(@Ctx() ctx: CatalogContext, @Root() dependency: VersionDependency): Promise<Skill | null> {
    return ctx.visibility.skillOrNull(dependency.dependencySkill);
  }

  @FieldResolver(() => SkillVersionType, { nullable: true })
  async resolved(@Ctx() ctx: CatalogContext, @Root() dependency: VersionDependency): Promise<SkillVersion | null> {
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
  constructor(private readonly permissionCatalogue: PermissionCatalogueService) {}

  @Access(AccessRule.PUBLIC, TokenScope.READ)
  @Query(() => NodeInterface, { nullable: true, description: "Fetches any object by its global id; null when there is none you may see." })
  async node(@Ctx() ctx: CatalogContext, @Arg("id", () => ID) id: string): Promise<Skill | SkillVersion | Reference | null> {
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
        return ctx.visibility.skillOrNull(await ctx.loaders.catalog.skillById.load(uuid));
      case "SkillVersion":
        return ctx.visibility.versionOrNull(await ctx.loaders.catalog.versionById.load(uuid));
      case "Team":
        return (await ctx.loaders.identity.teamById.load(uuid)) ? { __typename: "Team", id: uuid } : null;
      case "User":
        return (await ctx.loaders.identity.userById.load(uuid)) ? { __typename: "User", id: uuid } : null;
      default:
        return null;
    }
  }

  @Access(AccessRule.PUBLIC, TokenScope.READ)
  @Query(() => PermissionConnection, { description: "The permission catalogue, by name." })
  async permissions(@Args() page: PageArgs): Promise<Connection<Permission>> {
    return connectionFromArray("permissions", await this.permissionCatalogue.list(), page);
  }
}

/**
 * Federation entry points (a company router on the subgraph listener, or /graphql's executable schema, hands over
 * `{ id }` and wants the object): the same visibility rule as every other way in.
 */
export const catalogReferenceResolvers = {
  Skill: {
    __resolveReference: async (ref: { id: string }, ctx: CatalogContext) =>
      ctx.visibility.skillOrNull(await ctx.loaders.catalog.skillById.load(expectGlobalId(ref.id, "Skill"))),
  },
  SkillVersion: {
    __resolveReference: async (ref: { id: string }, ctx: CatalogContext) =>
      ctx.visibility.versionOrNull(await ctx.loaders.catalog.versionById.load(expectGlobalId(ref.id, "SkillVersion"))),
  },
};

export const CATALOG_RESOLVERS = [
  SkillResolver,
  SkillVersionResolver,
  DependencyFieldsResolver,
  VersionPermissionResolver,
  TeamReferenceResolver,
  UserReferenceResolver,
  CatalogQueryResolver,
  ChannelResolver,
  SkillChannelsResolver,
  VersionLifecycleResolver,
  DeprecationResolver,
  PermissionAdminResolver,
] as const;
