import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";

import { connectionFromArray, type Connection, PageArgs } from "../common/connection";
import { fromGlobalId } from "../common/global-id";
import type { RequestContext } from "../common/request-context";
import { TeamType, UserType } from "../community/community.types";
import { ApiToken } from "./api-token.entity";
import { Membership } from "./membership.entity";
import { Team } from "./team.entity";
import { GlobalRole, User } from "./user.entity";
import {
  AddTeamMemberInput,
  ApiTokenConnection,
  ApiTokenType,
  CreateApiTokenInput,
  CreateApiTokenPayload,
  CreateTeamInput,
  CreateUserInput,
  SetUserRolesInput,
  TeamMembershipConnection,
  TeamMembershipType,
  UserConnection,
} from "./identity.types";

@Resolver(() => UserType)
export class UserAdminResolver {
  @Query(() => UserConnection, { description: "Every user, ordered by handle. Admins only." })
  users(
    @Ctx() ctx: RequestContext,
    @Args() page: PageArgs,
    @Arg("query", () => String, { nullable: true, description: "Only users whose handle contains this text (case-insensitive)." }) query: string | null,
  ): Promise<Connection<User>> {
    return ctx.runtime.services.identity.listUsers(ctx, { ...page, query });
  }

  @Mutation(() => UserType, { description: "Admins only." })
  createUser(@Ctx() ctx: RequestContext, @Arg("input") input: CreateUserInput): Promise<User> {
    return ctx.runtime.services.identity.createUser(ctx, input);
  }

  @Mutation(() => UserType, { description: "Sets a user's global roles (ADMIN, REVIEWER). Admins only." })
  setUserRoles(@Ctx() ctx: RequestContext, @Arg("input") input: SetUserRolesInput): Promise<User> {
    return ctx.runtime.services.identity.setUserRoles(ctx, input);
  }

  @Mutation(() => CreateApiTokenPayload)
  async createApiToken(@Ctx() ctx: RequestContext, @Arg("input") input: CreateApiTokenInput): Promise<CreateApiTokenPayload> {
    const { token, secret } = await ctx.runtime.services.identity.createApiToken(ctx, input);
    return { token: secret, apiToken: token };
  }

  @Mutation(() => ApiTokenType, { description: "Fails every later request with this token, and closes its open subscriptions." })
  revokeApiToken(@Ctx() ctx: RequestContext, @Arg("id", () => ID) id: string): Promise<ApiToken> {
    const decoded = fromGlobalId(id);
    return ctx.runtime.services.identity.revokeApiToken(ctx, decoded.type === "ApiToken" ? decoded.id : "00000000-0000-0000-0000-000000000000");
  }

  @FieldResolver(() => String, { nullable: true, description: "Visible to the user and to admins." })
  email(@Ctx() ctx: RequestContext, @Root() user: User): string | null {
    return canSeePrivate(ctx, user) ? user.email : null;
  }

  @FieldResolver(() => ApiTokenConnection, { description: "The user's tokens without their secrets; the user and admins only." })
  async apiTokens(@Ctx() ctx: RequestContext, @Root() user: User, @Args() page: PageArgs): Promise<Connection<ApiToken>> {
    if (!canSeePrivate(ctx, user)) return connectionFromArray("apiTokens", [], page);
    return connectionFromArray("apiTokens", await ctx.loaders.community.apiTokensByUserId.load(user.id), page);
  }

  @FieldResolver(() => TeamMembershipConnection)
  async teams(@Ctx() ctx: RequestContext, @Root() user: User, @Args() page: PageArgs): Promise<Connection<Membership>> {
    return connectionFromArray("teams", await ctx.loaders.community.membershipsByUserId.load(user.id), page);
  }
}

@Resolver(() => ApiTokenType)
export class ApiTokenResolver {
  @FieldResolver(() => ID)
  id(@Root() token: ApiToken): string {
    return Buffer.from(`ApiToken:${token.id}`, "utf8").toString("base64url");
  }
}

@Resolver(() => TeamType)
export class TeamAdminResolver {
  @Mutation(() => TeamType, { description: "Admins only." })
  createTeam(@Ctx() ctx: RequestContext, @Arg("input") input: CreateTeamInput): Promise<Team> {
    return ctx.runtime.services.identity.createTeam(ctx, input);
  }

  @Mutation(() => TeamMembershipType, { description: "Adds a member or changes their role. Admins and the team's maintainers." })
  addTeamMember(@Ctx() ctx: RequestContext, @Arg("input") input: AddTeamMemberInput): Promise<Membership> {
    return ctx.runtime.services.identity.addTeamMember(ctx, input);
  }

  @FieldResolver(() => TeamMembershipConnection)
  async members(@Ctx() ctx: RequestContext, @Root() team: Team, @Args() page: PageArgs): Promise<Connection<Membership>> {
    return connectionFromArray("members", await ctx.loaders.community.membershipsByTeamId.load(team.id), page);
  }
}

@Resolver(() => TeamMembershipType)
export class TeamMembershipResolver {
  @FieldResolver(() => TeamType)
  async team(@Ctx() ctx: RequestContext, @Root() membership: Membership): Promise<Team> {
    return (await ctx.loaders.community.teamById.load(membership.teamId))!;
  }

  @FieldResolver(() => UserType)
  async user(@Ctx() ctx: RequestContext, @Root() membership: Membership): Promise<User> {
    return (await ctx.loaders.community.userById.load(membership.userId))!;
  }
}

function canSeePrivate(ctx: RequestContext, user: User): boolean {
  const viewer = ctx.viewer?.user;
  return Boolean(viewer && (viewer.id === user.id || viewer.roles.includes(GlobalRole.ADMIN)));
}

export const IDENTITY_RESOLVERS = [UserAdminResolver, ApiTokenResolver, TeamAdminResolver, TeamMembershipResolver] as const;
