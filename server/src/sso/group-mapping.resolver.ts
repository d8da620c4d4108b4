import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { type Connection, PageArgs } from "../common/connection";
import { toGlobalId } from "../common/global-id";
import { Access, AccessRule } from "../identity/access";
import { TokenScope } from "../identity/api-token.entity";
import type { IdentityContext } from "../identity/identity.loaders";
import { TeamType } from "../identity/identity.types";
import type { Team } from "../identity/team.entity";
import type { ViewerContext } from "../identity/viewer";
import type { GroupMapping } from "./group-mapping.entity";
import type { GroupMappingService } from "./group-mapping.service";
import { DeleteGroupMappingInput, GroupMappingConnection, GroupMappingType, SetGroupMappingInput } from "./group-mapping.types";

@Resolver(() => GroupMappingType)
export class GroupMappingResolver {
  constructor(private readonly mappings: GroupMappingService) {}

  @FieldResolver(() => ID)
  id(@Root() mapping: GroupMapping): string {
    return toGlobalId("GroupMapping", mapping.id);
  }

  @FieldResolver(() => TeamType, { nullable: true, description: "The team; null for a global-role mapping." })
  team(@Ctx() ctx: IdentityContext, @Root() mapping: GroupMapping): Promise<Team | null> | null {
    return mapping.teamId ? ctx.loaders.identity.teamById.load(mapping.teamId) : null;
  }

  @Access(AccessRule.ADMIN, TokenScope.READ)
  @Query(() => GroupMappingConnection, { description: "How directory groups map to teams and roles. Admins only." })
  groupMappings(@Args() page: PageArgs): Promise<Connection<GroupMapping>> {
    return this.mappings.list(page);
  }

  @Access(AccessRule.ADMIN, TokenScope.ADMIN)
  @Mutation(() => GroupMappingType, {
    description:
      "Maps a directory group to a team role (team, teamRole) or a global role (role); audited. Applies at once to people known to be in the group, and to others at their next sign-in. Admins only.",
  })
  setGroupMapping(@Ctx() ctx: ViewerContext, @Arg("input") input: SetGroupMappingInput): Promise<GroupMapping> {
    return this.mappings.set(ctx, input);
  }

  @Access(AccessRule.ADMIN, TokenScope.ADMIN)
  @Mutation(() => GroupMappingType, { description: "Deletes a group mapping (answers it as it was); audited. Admins only." })
  deleteGroupMapping(@Ctx() ctx: ViewerContext, @Arg("input") input: DeleteGroupMappingInput): Promise<GroupMapping> {
    return this.mappings.delete(ctx, input);
  }
}

export const SSO_RESOLVERS = [GroupMappingResolver] as const;
