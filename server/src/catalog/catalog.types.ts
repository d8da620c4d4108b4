import { Directive, Field, ID, InputType, Int, InterfaceType, ObjectType, registerEnumType } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { connectionTypes } from "../common/connection";
import { PermissionRisk } from "./permission.entity";
import { COUNT_CAP } from "./skill-search.service";
import { Skill } from "./skill.entity";
import { SkillVersion } from "./skill-version.entity";
import { VersionStatus } from "./version-status";

registerEnumType(VersionStatus, { name: "VersionStatus", description: "Where a version is in its lifecycle; only PUBLISHED and DEPRECATED install." });
registerEnumType(PermissionRisk, { name: "PermissionRisk" });

/** Root value of a community-owned type (Team, User) referenced from this subgraph. */
export interface Reference {
  __typename: "Team" | "User";
  id: string;
}

/** Node's concrete type: catalog entities by class, community references by their tag. */
function resolveNodeType(value: Skill | SkillVersion | Reference): string {
  if (value instanceof Skill) return "Skill";
  if (value instanceof SkillVersion) return "SkillVersion";
  return value.__typename;
}

@InterfaceType("Node", { description: "Anything with a global id, fetchable with Query.node.", resolveType: resolveNodeType })
export abstract class NodeInterface {
  @Field(() => ID)
  id: string;
}

@ObjectType("Skill", { implements: NodeInterface })
@Directive(`@key(fields: "id")`)
export class SkillType extends NodeInterface {
  @Field()
  name: string;

  @Field()
  description: string;

  @Field()
  category: string;

  @Field(() => [String])
  tags: string[];

  @Field()
  createdAt: Date;

  @Field()
  updatedAt: Date;
}

@ObjectType("SkillVersion", { implements: NodeInterface })
@Directive(`@key(fields: "id")`)
export class SkillVersionType extends NodeInterface {
  @Field()
  version: string;

  @Field(() => VersionStatus)
  status: VersionStatus;

  @Field(() => String, { nullable: true, description: "Why the version is in its status (e.g. a rejection reason)." })
  statusReason: string | null;

  @Field(() => GraphQLJSONObject, { description: "The validated, normalised manifest." })
  manifest: object;

  @Field()
  packageSha256: string;

  @Field(() => Int)
  packageSize: number;

  @Field(() => Date, { nullable: true })
  publishedAt: Date | null;

  @Field()
  createdAt: Date;
}

/** Stub of the community subgraph's Team so catalog fields can point at it. */
@ObjectType("Team", { implements: NodeInterface })
@Directive(`@key(fields: "id", resolvable: false)`)
export class TeamReference extends NodeInterface {}

/** Stub of the community subgraph's User. */
@ObjectType("User", { implements: NodeInterface })
@Directive(`@key(fields: "id", resolvable: false)`)
export class UserReference extends NodeInterface {}

@ObjectType("Permission", { description: "A catalogue entry: what a permission allows and how risky it is." })
export class PermissionType {
  @Field()
  name: string;

  @Field()
  description: string;

  @Field(() => PermissionRisk)
  risk: PermissionRisk;
}

@ObjectType("VersionPermission", { description: "A permission a version requests; `name` may be a scoped form of its catalogue entry." })
export class VersionPermissionType {
  @Field()
  name: string;

  @Field(() => PermissionType)
  catalogueEntry: PermissionType;

  @Field(() => PermissionRisk)
  risk: PermissionRisk;
}

@ObjectType("Dependency", { description: "A version's dependency on another skill by semver range." })
export class DependencyType {
  @Field()
  range: string;

  @Field(() => SkillVersionType, {
    nullable: true,
    description: "The version `range` resolves to now, as installSkill picks it (yanked versions only for exact pins); null when none matches.",
  })
  resolved: SkillVersionType | null;
}

export const { ConnectionType: SkillConnection } = connectionTypes("Skill", SkillType, { countCap: COUNT_CAP });
export const { ConnectionType: SkillVersionConnection } = connectionTypes("SkillVersion", SkillVersionType);
export const { ConnectionType: DependencyConnection } = connectionTypes("Dependency", DependencyType);
export const { ConnectionType: VersionPermissionConnection } = connectionTypes("VersionPermission", VersionPermissionType);
export const { ConnectionType: PermissionConnection } = connectionTypes("Permission", PermissionType);

@InputType()
export class PublishSkillVersionInput {
  @Field({ description: "sha256 answered by POST /packages." })
  packageSha256: string;

  @Field(() => String, { nullable: true, description: "Required for a package with only SKILL.md; must match skill.yaml otherwise." })
  version: string | null;

  @Field(() => String, { nullable: true, description: "Owning team for a new skill, when you belong to several." })
  team: string | null;
}

@ObjectType()
export class PublishSkillVersionPayload {
  @Field(() => SkillVersionType)
  version: SkillVersion;

  @Field({ description: "False when these exact bytes were already published as this version (an idempotent retry)." })
  created: boolean;

  @Field(() => [String], { description: "Non-fatal notes, e.g. allowed-tools with no permission mapping." })
  warnings: string[];
}
