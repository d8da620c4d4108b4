import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { Access, AccessRule } from "./access";
import { connectionFromArray, type Connection, PageArgs } from "../common/connection";
import { expectGlobalId, fromGlobalId, toGlobalId } from "../common/global-id";
import { ApiToken, TokenScope } from "./api-token.entity";
import type { IdentityContext } from "./identity.loaders";
import type { IdentityService } from "./identity.service";
import { Membership } from "./membership.entity";
import { Team } from "./team.entity";
import { User } from "./user.entity";
import { isAdmin, type ViewerContext } from "./viewer";
import {
  AddTeamMemberInput,
  ApiTokenConnection,
  ApiTokenType,
  CreateApiTokenInput,
  CreateApiTokenPayload,
  CreateInvitationInput,
  CreateInvitationPayload,
  CreateTeamInput,
  CreateUserInput,
  PendingInvitationType,
  RedeemInvitationInput,
  RedeemInvitationPayload,
  RemoveTeamMemberInput,
  SetUserRolesInput,
  TeamMembershipConnection,
  TeamMembershipType,
  TeamType,
  UserConnection,
  UserType,
} from "./identity.types";

type IdentityRequest = ViewerContext & IdentityContext;

@Resolver(() => UserType)
export class UserResolver {
  constructor(private readonly identity: IdentityService) {}

  @FieldResolver(() => ID)
  id(@Root() user: User): string {
    return toGlobalId("User", user.id);
  }

  @Access(AccessRule.PUBLIC, TokenScope.READ)
  @Query(() => UserType, { nullable: true, description: "The user the request's token belongs to." })
  viewer(@Ctx() ctx: ViewerContext): User | null {
    return ctx.viewer?.user ?? null;
  }

  @Access(AccessRule.ADMIN, TokenScope.READ)
  @Query(() => UserConnection, { description: "Every user, ordered by handle. Admins only." })
  users(
    @Args() page: PageArgs,
    @Arg("query", () => String, { nullable: true, description: "Only users whose handle contains this text (case-insensitive)." }) query: string | null,
  ): Promise<Connection<User>> {
    return this.identity.listUsers({ ...page, query });
  }

  @Access(AccessRule.ADMIN, TokenScope.ADMIN)
  @Mutation(() => UserType, { description: "Creates a person (who then needs an invitation) or a service account. Admins only." })
  createUser(@Ctx() ctx: ViewerContext, @Arg("input") input: CreateUserInput): Promise<User> {
    return this.identity.createUser(ctx, input);
  }

  @Access(AccessRule.ADMIN, TokenScope.ADMIN)
  @Mutation(() => UserType, { description: "Sets a person's global roles (ADMIN, REVIEWER). Admins only." })
  setUserRoles(@Ctx() ctx: ViewerContext, @Arg("input") input: SetUserRolesInput): Promise<User> {
    return this.identity.setUserRoles(ctx, input);
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.READ)
  @Mutation(() => CreateApiTokenPayload, {
    description:
      "A new token for yourself, or (admins) for a service account; never for another person. It can do no more than the credential that creates it. The secret is in the answer, once.",
  })
  async createApiToken(@Ctx() ctx: ViewerContext, @Arg("input") input: CreateApiTokenInput): Promise<CreateApiTokenPayload> {
    const { token, secret } = await this.identity.createApiToken(ctx, input);
    return { token: secret, apiToken: token };
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.READ)
  @Mutation(() => ApiTokenType, {
    description: "Fails every later request with this token, and closes its open subscriptions. Your own tokens, or any for admins.",
  })
  revokeApiToken(@Ctx() ctx: ViewerContext, @Arg("id", () => ID) id: string): Promise<ApiToken> {
    const decoded = fromGlobalId(id);
    return this.identity.revokeApiToken(ctx, decoded.type === "ApiToken" ? decoded.id : "00000000-0000-0000-0000-000000000000");
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.READ)
  @Query(() => ApiTokenConnection, {
    description: "Working tokens that expire within `withinDays`, soonest first: every user's for admins, your own for others.",
  })
  async expiringApiTokens(
    @Ctx() ctx: ViewerContext,
    @Args() page: PageArgs,
    @Arg("withinDays", () => Int, { defaultValue: 14 }) withinDays: number,
  ): Promise<Connection<ApiToken>> {
    return connectionFromArray("expiringApiTokens", await this.identity.expiringApiTokens(ctx, withinDays), page);
  }

  @Access(AccessRule.ADMIN, TokenScope.ADMIN)
  @Mutation(() => CreateInvitationPayload, {
    description: "A one-time, expiring code for a person with no working token; they redeem it to get their own. Admins only.",
  })
  async createInvitation(@Ctx() ctx: ViewerContext, @Arg("input") input: CreateInvitationInput): Promise<CreateInvitationPayload> {
    const { invitation, code, user } = await this.identity.createInvitation(ctx, input);
    return { code, expiresAt: invitation.expiresAt, user };
  }

  @Access(AccessRule.ANYONE, TokenScope.READ)
  @Mutation(() => RedeemInvitationPayload, { description: "Redeems an invitation code (no token needed) and answers the new token's secret, once." })
  async redeemInvitation(@Arg("input") input: RedeemInvitationInput): Promise<RedeemInvitationPayload> {
    const { token, secret, user } = await this.identity.redeemInvitation(input);
    return { token: secret, apiToken: token, user };
  }

  @FieldResolver(() => Boolean, { description: "True when the person signs in through the identity provider (single sign-on)." })
  ssoLinked(@Root() user: User): boolean {
    return user.oidcSubject !== null;
  }

  @FieldResolver(() => String, { nullable: true, description: "Visible to the user and to admins." })
  email(@Ctx() ctx: ViewerContext, @Root() user: User): string | null {
    return canSeePrivate(ctx, user) ? user.email : null;
  }

  @FieldResolver(() => ApiTokenConnection, { description: "The user's tokens without their secrets; the user and admins only." })
  async apiTokens(@Ctx() ctx: IdentityRequest, @Root() user: User, @Args() page: PageArgs): Promise<Connection<ApiToken>> {
    if (!canSeePrivate(ctx, user)) return connectionFromArray("apiTokens", [], page);
    return connectionFromArray("apiTokens", await ctx.loaders.identity.apiTokensByUserId.load(user.id), page);
  }

  @FieldResolver(() => TeamMembershipConnection)
  async teams(@Ctx() ctx: IdentityRequest, @Root() user: User, @Args() page: PageArgs): Promise<Connection<Membership>> {
    return connectionFromArray("teams", await ctx.loaders.identity.membershipsByUserId.load(user.id), page);
  }

  @FieldResolver(() => PendingInvitationType, {
    nullable: true,
    description: "The user's invitation that can still be redeemed, if any. Admins only (null for others).",
  })
  async pendingInvitation(@Ctx() ctx: IdentityRequest, @Root() user: User): Promise<PendingInvitationView | null> {
    if (!ctx.viewer || !isAdmin(ctx.viewer.user)) return null;
    const invitation = await ctx.loaders.identity.pendingInvitationByUserId.load(user.id);
    return invitation ? { createdAt: invitation.createdAt, expiresAt: invitation.expiresAt, createdById: invitation.createdById } : null;
  }
}

/** Root value of PendingInvitation. */
interface PendingInvitationView {
  createdAt: Date;
  expiresAt: Date;
  createdById: string | null;
}

@Resolver(() => PendingInvitationType)
export class PendingInvitationResolver {
  @FieldResolver(() => UserType, { nullable: true })
  createdBy(@Ctx() ctx: IdentityRequest, @Root() invitation: PendingInvitationView): Promise<User | null> | null {
    return invitation.createdById ? ctx.loaders.identity.userById.load(invitation.createdById) : null;
  }
}

@Resolver(() => ApiTokenType)
export class ApiTokenResolver {
  @FieldResolver(() => ID)
  id(@Root() token: ApiToken): string {
    return Buffer.from(`ApiToken:${token.id}`, "utf8").toString("base64url");
  }

  @FieldResolver(() => UserType, { description: "Whose token it is." })
  async user(@Ctx() ctx: IdentityRequest, @Root() token: ApiToken): Promise<User> {
    return (await ctx.loaders.identity.userById.load(token.userId))!;
  }

  @FieldResolver(() => [TeamType], { nullable: true, description: "The teams its PUBLISH scope is limited to; null: every team its user may publish to." })
  async publishTeams(@Ctx() ctx: IdentityRequest, @Root() token: ApiToken): Promise<Team[] | null> {
    if (token.publishTeamIds === null) return null;
    const teams = await Promise.all(token.publishTeamIds.map((id) => ctx.loaders.identity.teamById.load(id)));
    // Teams are never deleted; a missing one would be a team a token can publish for that nobody can see.
    return teams.filter((t): t is Team => t !== null);
  }
}

@Resolver(() => TeamType)
export class TeamResolver {
  constructor(private readonly identity: IdentityService) {}

  @FieldResolver(() => ID)
  id(@Root() team: Team): string {
    return toGlobalId("Team", team.id);
  }

  @Access(AccessRule.ADMIN, TokenScope.ADMIN)
  @Mutation(() => TeamType, { description: "Admins only." })
  createTeam(@Ctx() ctx: ViewerContext, @Arg("input") input: CreateTeamInput): Promise<Team> {
    return this.identity.createTeam(ctx, input);
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.PUBLISH)
  @Mutation(() => TeamMembershipType, { description: "Adds a member or changes their role. Admins and the team's maintainers." })
  addTeamMember(@Ctx() ctx: ViewerContext, @Arg("input") input: AddTeamMemberInput): Promise<Membership> {
    return this.identity.addTeamMember(ctx, input);
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.PUBLISH)
  @Mutation(() => TeamMembershipType, {
    description: "Removes a member: they stop seeing the team's unreleased versions at once. Admins and the team's maintainers; the last maintainer stays.",
  })
  removeTeamMember(@Ctx() ctx: ViewerContext, @Arg("input") input: RemoveTeamMemberInput): Promise<Membership> {
    return this.identity.removeTeamMember(ctx, input);
  }

  @FieldResolver(() => TeamMembershipConnection)
  async members(@Ctx() ctx: IdentityRequest, @Root() team: Team, @Args() page: PageArgs): Promise<Connection<Membership>> {
    return connectionFromArray("members", await ctx.loaders.identity.membershipsByTeamId.load(team.id), page);
  }
}

@Resolver(() => TeamMembershipType)
export class TeamMembershipResolver {
  @FieldResolver(() => TeamType)
  async team(@Ctx() ctx: IdentityRequest, @Root() membership: Membership): Promise<Team> {
    return (await ctx.loaders.identity.teamById.load(membership.teamId))!;
  }

  @FieldResolver(() => UserType)
  async user(@Ctx() ctx: IdentityRequest, @Root() membership: Membership): Promise<User> {
    return (await ctx.loaders.identity.userById.load(membership.userId))!;
  }
}

function canSeePrivate(ctx: ViewerContext, user: User): boolean {
  const viewer = ctx.viewer?.user;
  return Boolean(viewer && (viewer.id === user.id || isAdmin(viewer)));
}

/** Federation entry points for people and teams (public: handles and team names). */
export const identityReferenceResolvers = {
  User: {
    __resolveReference: (ref: { id: string }, ctx: IdentityContext) => ctx.loaders.identity.userById.load(expectGlobalId(ref.id, "User")),
  },
  Team: {
    __resolveReference: (ref: { id: string }, ctx: IdentityContext) => ctx.loaders.identity.teamById.load(expectGlobalId(ref.id, "Team")),
  },
};

export const IDENTITY_RESOLVERS = [UserResolver, ApiTokenResolver, TeamResolver, TeamMembershipResolver, PendingInvitationResolver] as const;
