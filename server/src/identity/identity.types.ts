import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { connectionTypes } from "../common/connection";
import { GlobalRole } from "./user.entity";
import { TeamRole } from "./membership.entity";
import { TeamType, UserType } from "../community/community.types";
import type { Team } from "./team.entity";
import type { User } from "./user.entity";

registerEnumType(TeamRole, { name: "TeamRole" });

@ObjectType("ApiToken", { description: "An API token as listed: never its secret." })
export class ApiTokenType {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field({ description: "The first characters of the secret, to tell tokens apart." })
  prefix: string;

  @Field()
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  revokedAt: Date | null;
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
export class CreateApiTokenInput {
  @Field({ description: "User handle: yourself, or anyone for admins." })
  user: string;

  @Field()
  name: string;
}

@ObjectType()
export class CreateApiTokenPayload {
  @Field({ description: "The secret: shown this once, never again." })
  token: string;

  @Field(() => ApiTokenType)
  apiToken: ApiTokenType;
}
