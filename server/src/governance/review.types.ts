import { Directive, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { connectionTypes } from "../common/connection";
import { PermissionRisk } from "../catalog/permission.entity";
import { ApiTokenOrigin } from "../identity/identity.types";
import { GovernanceUserRef } from "./governance.types";
import { ReviewDecisionKind } from "./review.entities";

registerEnumType(ReviewDecisionKind, { name: "ReviewDecisionKind" });

@ObjectType("SkillVersion")
@Directive(`@key(fields: "id")`)
export class ReviewedVersionRef {
  @Field(() => ID)
  id: string;
}

@ObjectType("PermissionChange", { description: "A permission compared with the previous published version." })
export class PermissionChangeType {
  @Field()
  name: string;

  @Field({ description: "ADDED, WIDENED (replaces a narrower scoped form), REMOVED or UNCHANGED." })
  change: string;

  @Field(() => PermissionRisk)
  risk: PermissionRisk;

  @Field(() => String, { nullable: true, description: "For WIDENED: the narrower permission it replaces." })
  previous: string | null;
}

@ObjectType("BlastRadiusEntry", { description: "A permission the version or any skill in its dependency tree requests." })
export class BlastRadiusEntryType {
  @Field()
  permission: string;

  @Field(() => PermissionRisk)
  risk: PermissionRisk;

  @Field(() => [String], { description: "name@version of each skill in the tree that requests it." })
  requestedBy: string[];
}

@ObjectType("FileChange", { description: "A package file compared with the previous published version." })
export class FileChangeType {
  @Field()
  path: string;

  @Field({ description: "ADDED, REMOVED, CHANGED or UNCHANGED." })
  change: string;

  @Field(() => Int, { nullable: true })
  size: number | null;
}

@ObjectType("ReviewerCredential", {
  description:
    "How the token a decision was made with came to be. With local accounts an admin controls identities, so this is what shows a second approver was a second person.",
})
export class ReviewerCredentialType {
  @Field(() => ApiTokenOrigin, { nullable: true, description: "Null for a token created before this was recorded." })
  origin: ApiTokenOrigin | null;

  @Field()
  tokenName: string;

  @Field({ description: "When the token was created (for INVITATION: when the invitation was redeemed)." })
  tokenCreatedAt: Date;

  @Field(() => GovernanceUserRef, {
    nullable: true,
    description: "For INVITATION: the admin who created the invitation (null when the system did); for SELF and SERVICE_ACCOUNT: who created the token.",
  })
  createdBy: GovernanceUserRef | null;

  @Field(() => GovernanceUserRef, {
    nullable: true,
    description:
      "The admin whose invitation started this credential's chain: for INVITATION the one redeemed, for SELF the one behind the token it was created with. Null for bootstrap and service-account tokens, or when the system invited.",
  })
  invitedBy: GovernanceUserRef | null;

  @Field(() => Date, { nullable: true, description: "When that root invitation was created." })
  invitedAt: Date | null;

  @Field(() => Date, { nullable: true, description: "When that root invitation was redeemed." })
  invitationRedeemedAt: Date | null;
}

@ObjectType("ReviewDecision")
export class ReviewDecisionType {
  @Field(() => GovernanceUserRef, { description: "The reviewer who decided." })
  reviewer: GovernanceUserRef;

  @Field(() => ReviewDecisionKind)
  decision: ReviewDecisionKind;

  @Field()
  comment: string;

  @Field({ description: "The package digest this decision was made for." })
  packageSha256: string;

  @Field()
  createdAt: Date;
}

@ObjectType("ReviewRequest", { description: "What a reviewer needs to decide on a version." })
export class ReviewRequestType {
  @Field(() => ID)
  id: string;

  @Field(() => [GraphQLJSONObject], { description: "Why the version waits: RISK, ESCALATION, TREE_ESCALATION or USAGE_TIER entries." })
  reasons: Record<string, unknown>[];

  @Field(() => Int, { description: "2 for CRITICAL permissions (two distinct approvers), else 1." })
  requiredApprovals: number;

  @Field()
  packageSha256: string;

  @Field()
  createdAt: Date;
}

export const { ConnectionType: ReviewRequestConnection } = connectionTypes("ReviewRequest", ReviewRequestType);
export const { ConnectionType: ReviewDecisionConnection } = connectionTypes("ReviewDecision", ReviewDecisionType);

@InputType()
export class ApproveVersionInput {
  @Field(() => ID)
  versionId: string;

  @Field({ defaultValue: "" })
  comment: string;
}

@InputType()
export class RejectVersionInput {
  @Field(() => ID)
  versionId: string;

  @Field({ description: "Shown to the author." })
  reason: string;
}

@ObjectType()
export class ReviewDecisionPayload {
  @Field(() => ReviewedVersionRef)
  version: { id: string };

  @Field({ description: "True when this decision published the version (enough approvals)." })
  published: boolean;
}

@ObjectType("ReviewPolicy", { description: "The publish gate's settings, so clients can explain why a version waits." })
export class ReviewPolicyType {
  @Field(() => PermissionRisk, { description: "Versions requesting a permission at or above this risk wait for a reviewer." })
  riskThreshold: PermissionRisk;

  @Field(() => Int, { description: "Approvals a version with a CRITICAL permission needs, from distinct reviewers." })
  criticalApprovals: number;

  @Field(() => Float, { description: "Share of tests (0-1) that must pass before a version goes further." })
  testPassThreshold: number;
}
