import { Directive, Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { connectionTypes } from "../common/connection";
import { TeamType } from "../identity/identity.types";
import type { Team } from "../identity/team.entity";

/** The community subgraph's view of a catalog Skill: its ratings and downloads. */
@ObjectType("Skill")
@Directive(`@key(fields: "id")`)
export class SkillStatsType {
  @Field(() => ID)
  id: string;
}

@ObjectType("TenantInstalls", { description: "One team's installs of a skill (any version)." })
export class TenantInstallsType {
  @Field(() => TeamType)
  team: Team;

  @Field(() => Int, { description: "Install records of any version of the skill by this team." })
  installs: number;

  @Field()
  lastInstalledAt: Date;

  @Field(() => [String], { description: "The distinct versions this team installed, highest first (semver)." })
  versions: string[];
}

@ObjectType("SkillVersion")
@Directive(`@key(fields: "id")`)
export class SkillVersionStatsType {
  @Field(() => ID)
  id: string;
}

@ObjectType("Rating", { description: "A user's 1-5 rating of a skill, with optional text. (Governance reviews are ReviewRequest.)" })
export class RatingType {
  @Field(() => ID)
  id: string;

  @Field(() => Int, { description: "1 to 5." })
  rating: number;

  @Field({ description: "The rating's text; empty when none was written." })
  text: string;

  @Field()
  createdAt: Date;

  @Field()
  updatedAt: Date;
}

export const { ConnectionType: RatingConnection } = connectionTypes("Rating", RatingType);

@InputType()
export class RateSkillInput {
  @Field()
  name: string;

  @Field(() => Int, { description: "1 to 5." })
  rating: number;

  @Field(() => String, { nullable: true, description: "Optional text to go with the rating." })
  review: string | null;
}

@ObjectType()
export class RateSkillPayload {
  @Field(() => RatingType)
  rating: RatingType;

  @Field(() => SkillStatsType)
  skill: { id: string };
}

@InputType()
export class InstallSkillInput {
  @Field()
  name: string;

  @Field(() => String, {
    nullable: true,
    description: 'A semver range, "latest" (the default), or one of the skill\'s channels (e.g. "stable"); dependencies always resolve by their ranges.',
  })
  range: string | null;

  @Field(() => String, { nullable: true, description: "Team to install for; defaults to your only team." })
  tenant: string | null;
}

@ObjectType("ResolvedSkill", { description: "One node of a resolved dependency tree, with what a client needs to fetch and verify it." })
export class ResolvedSkillType {
  @Field()
  name: string;

  @Field()
  version: string;

  @Field({ description: "The range this version was chosen for." })
  range: string;

  @Field()
  sha256: string;

  @Field(() => Int)
  size: number;

  @Field()
  downloadUrl: string;

  @Field(() => [String], { description: "name@version of each ancestor, root first; empty for the requested skill." })
  requiredBy: string[];

  @Field(() => SkillVersionStatsType)
  skillVersion: { id: string };
}

@ObjectType()
export class InstallSkillPayload {
  @Field(() => TeamType)
  tenant: Team;

  @Field(() => ResolvedSkillType)
  root: ResolvedSkillType;

  @Field(() => [ResolvedSkillType], { description: "The whole tree (root first), one version per skill. Bounded by the tree, so not paginated." })
  resolved: ResolvedSkillType[];

  @Field(() => [String], { description: "Yanked versions installed anyway (exact pin or channel) and deprecated ones, one line each." })
  warnings: string[];
}
