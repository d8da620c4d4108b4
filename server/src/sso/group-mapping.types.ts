import { Field, ID, InputType, ObjectType } from "type-graphql";
import { connectionTypes } from "../common/connection";
import { TeamRole } from "../identity/membership.entity";
import { GlobalRole } from "../identity/user.entity";

@ObjectType("GroupMapping", {
  description: "What a directory group means in Skillyard: a team membership with a role, or a global role. Applied at every sign-in and SCIM group change.",
})
export class GroupMappingType {
  @Field(() => ID)
  id: string;

  @Field({ description: "The group's name exactly as the identity provider sends it (groups claim, SCIM displayName)." })
  group: string;

  @Field(() => TeamRole, { nullable: true, description: "The role in `team`; null for a global-role mapping." })
  teamRole: TeamRole | null;

  @Field(() => GlobalRole, { nullable: true, description: "The global role; null for a team mapping." })
  role: GlobalRole | null;

  @Field()
  createdAt: Date;
}

export const { ConnectionType: GroupMappingConnection } = connectionTypes("GroupMapping", GroupMappingType);

@InputType()
export class SetGroupMappingInput {
  @Field({ description: "The directory group's name, as the provider sends it." })
  group: string;

  @Field(() => String, { nullable: true, description: "Team name; give it with teamRole, or give role instead." })
  team: string | null;

  @Field(() => TeamRole, { nullable: true, description: "The role in the team (default MEMBER)." })
  teamRole: TeamRole | null;

  @Field(() => GlobalRole, { nullable: true, description: "A global role (ADMIN, REVIEWER) instead of a team." })
  role: GlobalRole | null;
}

@InputType()
export class DeleteGroupMappingInput {
  @Field(() => ID)
  id: string;
}
