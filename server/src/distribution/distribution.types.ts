import { Directive, Field, ID, InputType, Int, ObjectType } from "type-graphql";

/** Stubs of entities other subgraphs own, so distribution fields can point at them. */
@ObjectType("Skill")
@Directive(`@key(fields: "id", resolvable: false)`)
export class DistributionSkillRef {
  @Field(() => ID)
  id: string;
}

@ObjectType("Team")
@Directive(`@key(fields: "id", resolvable: false)`)
export class DistributionTeamRef {
  @Field(() => ID)
  id: string;
}

@ObjectType("User")
@Directive(`@key(fields: "id", resolvable: false)`)
export class DistributionUserRef {
  @Field(() => ID)
  id: string;
}

@ObjectType("PluginArchive", { description: "A version's Claude Code plugin: a zip built once when the version became installable." })
export class PluginArchiveType {
  @Field({ description: "sha256 of the zip, as the catalogs pin it." })
  sha256: string;

  @Field(() => Int)
  size: number;

  @Field({ description: "Where GET /plugins/{sha256}.zip serves it." })
  url: string;
}

@ObjectType("SkillVersion")
@Directive(`@key(fields: "id")`)
export class SkillVersionPluginType {
  @Field(() => ID)
  id: string;
}

@ObjectType("Marketplace", { description: "A Claude Code marketplace this Skillyard serves: the base catalog (latest) or a channel's." })
export class MarketplaceType {
  @Field(() => String, { nullable: true, description: "The channel; null for the base catalog, which follows each skill's latest version." })
  channel: string | null;

  @Field({ description: "The marketplace's name in Claude Code: `skillyard`, or `skillyard-<channel>`." })
  name: string;

  @Field({ description: "The catalog's URL (GET /marketplace.json[?channel=])." })
  url: string;

  @Field({ description: "The command that adds it to Claude Code: `claude plugin marketplace add <url>`." })
  addCommand: string;
}

@ObjectType("RequiredSkill", { description: "A skill that every machine of a team, or of the whole organisation, gets." })
export class RequiredSkillType {
  @Field(() => DistributionSkillRef)
  skill: DistributionSkillRef;

  @Field(() => DistributionTeamRef, { nullable: true, description: "Null: required for everyone." })
  team: DistributionTeamRef | null;

  @Field(() => DistributionUserRef, { nullable: true, description: "Who marked it required." })
  createdBy: DistributionUserRef | null;

  @Field()
  createdAt: Date;
}

@InputType()
export class SetRequiredSkillInput {
  @Field({ description: "Skill name; it needs an installable version." })
  skill: string;

  @Field(() => String, { nullable: true, description: "Team name; omitted for the whole organisation (admins only)." })
  team?: string | null;

  @Field({ description: "True to require it, false to stop requiring it." })
  required: boolean;
}

@ObjectType()
export class SetRequiredSkillPayload {
  @Field(() => DistributionSkillRef)
  skill: DistributionSkillRef;

  @Field(() => DistributionTeamRef, { nullable: true })
  team: DistributionTeamRef | null;

  @Field()
  required: boolean;

  @Field({ description: "False when it already was as asked (nothing audited)." })
  changed: boolean;
}

@ObjectType("RuntimePolicyRule", { description: "A tool call the runtime policy blocks." })
export class RuntimePolicyRuleType {
  @Field({ description: "POSIX extended regular expression on the tool name, e.g. `^Bash$`." })
  tools: string;

  @Field({
    description: "POSIX extended regular expression on the call's subject: a Bash command, an edited file's path, a fetched URL (else the hook input).",
  })
  pattern: string;

  @Field({ description: "What Claude Code is told when the rule blocks a call." })
  reason: string;
}

@ObjectType("RuntimePolicy", { description: "The organisation's runtime policy: the PreToolUse hook in generated managed settings." })
export class RuntimePolicyType {
  @Field(() => Int, { description: "Increases by one with every edit." })
  version: number;

  @Field(() => [RuntimePolicyRuleType])
  rules: RuntimePolicyRuleType[];

  @Field(() => PluginArchiveType, { description: "The policy plugin that ships the hook script and these rules." })
  plugin: PluginArchiveType;

  @Field(() => DistributionUserRef, { nullable: true, description: "Null for the defaults Skillyard starts with." })
  createdBy: DistributionUserRef | null;

  @Field()
  createdAt: Date;
}

@InputType()
export class RuntimePolicyRuleInput {
  @Field()
  tools: string;

  @Field()
  pattern: string;

  @Field()
  reason: string;
}

@InputType()
export class SetRuntimePolicyInput {
  @Field(() => [RuntimePolicyRuleInput], { description: "The whole new rule list (at most 100), replacing the current one." })
  rules: RuntimePolicyRuleInput[];
}
