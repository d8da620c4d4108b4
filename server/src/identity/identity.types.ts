import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { connectionTypes } from "../common/connection";
import { ApiTokenOrigin, TokenScope } from "./api-token.entity";
import { TeamRole } from "./membership.entity";
import type { Team } from "./team.entity";
import { GlobalRole, type User, UserKind } from "./user.entity";

registerEnumType(GlobalRole, { name: "GlobalRole" });
registerEnumType(TeamRole, { name: "TeamRole" });
registerEnumType(UserKind, { name: "UserKind", description: "PERSON, or SERVICE: an automation account that holds no global role and can never review." });
registerEnumType(ApiTokenOrigin, {
  name: "ApiTokenOrigin",
  description:
    "How a token came to be: BOOTSTRAP, INVITATION (redeemed), SELF (created by its user), SERVICE_ACCOUNT (created by an admin), DISTRIBUTION (in generated Claude Code settings), SSO (a single sign-on from the CLI).",
});
registerEnumType(TokenScope, {
  name: "TokenScope",
  description:
    "What a token may do. READ: every query and subscription, installSkill, rateSkill, downloads. PUBLISH: uploads, publishing, yank/deprecate, channels, required skills, re-runs, team membership (limited to its publishTeams when set). REVIEW: review decisions and quality reviews. ADMIN: admin-only operations. INGEST: telemetry to /v1/logs only. CATALOG_READ: catalogs and plugin archives only (made by Skillyard).",
});

@ObjectType("User")
@Directive(`@key(fields: "id")`)
export class UserType {
  @Field(() => ID)
  id: string;

  @Field()
  handle: string;

  @Field(() => [GlobalRole])
  roles: GlobalRole[];

  @Field(() => UserKind)
  kind: UserKind;

  @Field(() => String, { nullable: true, description: "The person's name from the directory; null for local accounts." })
  name: string | null;

  @Field(() => Date, { nullable: true, description: "When the directory deactivated the person (SCIM); null while active." })
  deactivatedAt: Date | null;

  @Field()
  createdAt: Date;
}

@ObjectType("Team", { description: "A namespace that owns skills and a tenant that installs them." })
@Directive(`@key(fields: "id")`)
export class TeamType {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field()
  createdAt: Date;
}

@ObjectType("ApiToken", { description: "An API token as listed: never its secret." })
export class ApiTokenType {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field({ description: "The first characters of the secret, to tell tokens apart." })
  prefix: string;

  @Field(() => ApiTokenOrigin, { nullable: true, description: "Null for tokens created before this was recorded." })
  origin: ApiTokenOrigin | null;

  @Field(() => [TokenScope])
  scopes: TokenScope[];

  @Field(() => Date, { nullable: true, description: "Null only for bootstrap and distribution tokens, which are rotated instead." })
  expiresAt: Date | null;

  @Field(() => Date, { nullable: true, description: "When it last authenticated a request, to the minute; null if never." })
  lastUsedAt: Date | null;

  @Field(() => [String], { nullable: true, description: "The networks (CIDR) it may be used from; null: anywhere." })
  allowedCidrs: string[] | null;

  @Field()
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  revokedAt: Date | null;
}

@ObjectType("PendingInvitation", { description: "An invitation that can still be redeemed (its code is never shown again)." })
export class PendingInvitationType {
  @Field()
  createdAt: Date;

  @Field()
  expiresAt: Date;

  @Field(() => UserType, { nullable: true, description: "The admin who created it; null when the system did." })
  createdBy: User | null;
}

@ObjectType("TeamMembership")
export class TeamMembershipType {
  @Field(() => TeamType)
  team: Team;

  @Field(() => UserType)
  user: User;

  @Field(() => TeamRole)
  role: TeamRole;
}

export const { ConnectionType: UserConnection } = connectionTypes("User", UserType);
export const { ConnectionType: ApiTokenConnection } = connectionTypes("ApiToken", ApiTokenType);
export const { ConnectionType: TeamMembershipConnection } = connectionTypes("TeamMembership", TeamMembershipType);

@InputType()
export class CreateUserInput {
  @Field()
  handle: string;

  @Field()
  email: string;

  @Field(() => [GlobalRole], { defaultValue: [] })
  roles: GlobalRole[];

  @Field(() => UserKind, { defaultValue: UserKind.PERSON, description: "SERVICE accounts hold no role; admins create their tokens." })
  kind: UserKind;
}

@InputType()
export class SetUserRolesInput {
  @Field({ description: "User handle." })
  user: string;

  @Field(() => [GlobalRole])
  roles: GlobalRole[];
}

@InputType()
export class CreateTeamInput {
  @Field()
  name: string;
}

@InputType()
export class AddTeamMemberInput {
  @Field({ description: "Team name." })
  team: string;

  @Field({ description: "User handle." })
  user: string;

  @Field(() => TeamRole, { defaultValue: TeamRole.MEMBER })
  role: TeamRole;
}

@InputType()
export class RemoveTeamMemberInput {
  @Field({ description: "Team name." })
  team: string;

  @Field({ description: "User handle." })
  user: string;
}

@InputType()
export class CreateApiTokenInput {
  @Field(() => String, { nullable: true, description: "Handle of a service account (admins only); omit for a token of your own." })
  user: string | null;

  @Field()
  name: string;

  @Field(() => [TokenScope], {
    nullable: true,
    description:
      "Omitted: every scope the credential you create it with holds that the user's roles allow (INGEST aside). Each must be held by that credential and allowed by the user's roles; INGEST goes alone (admins make those).",
  })
  scopes: TokenScope[] | null;

  @Field(() => [String], {
    nullable: true,
    description: "Team names PUBLISH is limited to (teams the user belongs to). Omitted: the creating credential's own limit, usually none.",
  })
  publishTeams: string[] | null;

  @Field(() => Int, { nullable: true, description: "Days until it expires: TOKEN_DEFAULT_TTL_DAYS (90) when omitted, at most TOKEN_MAX_TTL_DAYS (365)." })
  expiresInDays: number | null;

  @Field(() => [String], {
    nullable: true,
    description: "Networks (CIDR, e.g. 10.0.0.0/8) it may be used from. Omitted: anywhere, or the creating token's own networks if it has some.",
  })
  allowedCidrs: string[] | null;
}

@ObjectType()
export class CreateApiTokenPayload {
  @Field({ description: "The secret: shown this once, never again." })
  token: string;

  @Field(() => ApiTokenType)
  apiToken: ApiTokenType;
}

@InputType()
export class CreateInvitationInput {
  @Field({ description: "Handle of the person to invite (one with no working token)." })
  user: string;
}

@ObjectType()
export class CreateInvitationPayload {
  @Field({ description: "The one-time code to hand to the person: shown this once, never again." })
  code: string;

  @Field()
  expiresAt: Date;

  @Field(() => UserType)
  user: User;
}

@InputType()
export class RedeemInvitationInput {
  @Field()
  code: string;

  @Field({ description: "A name for the new token, e.g. the machine it is for." })
  tokenName: string;
}

@ObjectType()
export class RedeemInvitationPayload {
  @Field({ description: "The new API token's secret: shown this once, never again." })
  token: string;

  @Field(() => ApiTokenType)
  apiToken: ApiTokenType;

  @Field(() => UserType)
  user: User;
}
export { ApiTokenOrigin };
