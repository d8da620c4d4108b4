import { Directive, Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { connectionTypes } from "../common/connection";
import { AuditAction } from "../audit/audit-event.entity";

registerEnumType(AuditAction, { name: "AuditAction" });

/** Stubs of entities other subgraphs own, so governance fields can point at them. */
@ObjectType("User")
@Directive(`@key(fields: "id", resolvable: false)`)
export class GovernanceUserRef {
  @Field(() => ID)
  id: string;
}

@ObjectType("Skill")
@Directive(`@key(fields: "id", resolvable: false)`)
export class GovernanceSkillRef {
  @Field(() => ID)
  id: string;
}

@ObjectType("AuditEvent", { description: "One governance action: who did what to what, with the state before and after." })
export class AuditEventType {
  @Field(() => ID)
  id: string;

  @Field()
  at: Date;

  @Field(() => AuditAction)
  action: AuditAction;

  @Field({ description: "The kind of object acted on, e.g. SkillVersion or ApiToken." })
  targetType: string;

  @Field()
  targetId: string;

  @Field(() => GraphQLJSONObject, { nullable: true })
  before: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  after: Record<string, unknown> | null;
}

export const { ConnectionType: AuditEventConnection } = connectionTypes("AuditEvent", AuditEventType);
