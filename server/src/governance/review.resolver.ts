import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { Access, AccessRule } from "../identity/access";
import { TokenScope } from "../identity/api-token.entity";
import { connectionFromArray, type Connection, PageArgs } from "../common/connection";
import { expectGlobalId, toGlobalId } from "../common/global-id";
import { PermissionRisk } from "../catalog/permission.entity";
import type { SkillVersion } from "../catalog/skill-version.entity";
import { ApiTokenOrigin } from "../identity/api-token.entity";
import type { ViewerContext } from "../identity/viewer";
import { type FileChange, fileChanges } from "./file-patch";
import type { GovernanceContext } from "./governance.context";
import { GovernanceUserRef } from "./governance.types";
import { cannotDecideReason, type VersionReviewService } from "./review.service";
import { type BlastRadiusEntry, CRITICAL_APPROVALS, permissionDiff, type PermissionChange } from "./review-policy";
import { ReviewDecision, ReviewDecisionKind, ReviewRequest } from "./review.entities";
import {
  ApproveVersionInput,
  BlastRadiusEntryType,
  FileChangeType,
  PermissionChangeType,
  RejectVersionInput,
  ReviewDecisionConnection,
  ReviewDecisionPayload,
  ReviewDecisionType,
  ReviewerCredentialType,
  ReviewPolicyType,
  ReviewedVersionRef,
  ReviewRequestConnection,
  ReviewRequestType,
} from "./review.types";

/** The publish gate's settings that reviewPolicy reports. */
export interface ReviewPolicySettings {
  riskThreshold: PermissionRisk;
  testPassThreshold: number;
}

async function versionOf(ctx: GovernanceContext, request: ReviewRequest): Promise<SkillVersion> {
  return (await ctx.loaders.catalog.versionById.load(request.versionId))!;
}

/** The previous published version (what `latest` points at while this one waits), through the request's loaders. */
async function previousOf(ctx: GovernanceContext, request: ReviewRequest): Promise<SkillVersion | null> {
  const version = await versionOf(ctx, request);
  const skill = await ctx.loaders.catalog.skillById.load(version.skillId);
  return skill?.latestVersionId && skill.latestVersionId !== version.id ? ctx.loaders.catalog.versionById.load(skill.latestVersionId) : null;
}

/** A version referenced by uuid in this subgraph, if the viewer may see it. */
async function visibleVersion(ctx: GovernanceContext, versionId: string): Promise<SkillVersion | null> {
  return ctx.visibility.versionOrNull(await ctx.loaders.catalog.versionById.load(versionId));
}

@Resolver(() => ReviewRequestType)
export class ReviewRequestResolver {
  constructor(
    private readonly reviews: VersionReviewService,
    private readonly settings: ReviewPolicySettings,
  ) {}

  @Access(AccessRule.REVIEWER, TokenScope.READ)
  @Query(() => ReviewRequestConnection, { description: "Versions awaiting review, riskiest then oldest first. Reviewers and admins." })
  async reviewQueue(@Args() page: PageArgs): Promise<Connection<ReviewRequest>> {
    return connectionFromArray("reviewQueue", await this.reviews.queue(), page);
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.READ)
  @Query(() => ReviewPolicyType, { description: "The publish gate's settings. Any signed-in user." })
  reviewPolicy(): ReviewPolicyType {
    return { riskThreshold: this.settings.riskThreshold, criticalApprovals: CRITICAL_APPROVALS, testPassThreshold: this.settings.testPassThreshold };
  }

  @Access(AccessRule.REVIEWER, TokenScope.REVIEW)
  @Mutation(() => ReviewDecisionPayload, { description: "Approves the exact package under review. Reviewers and admins, never the publisher." })
  async approveVersion(@Ctx() ctx: ViewerContext, @Arg("input") input: ApproveVersionInput): Promise<ReviewDecisionPayload> {
    const { version, published } = await this.reviews.approve(ctx, expectGlobalId(input.versionId, "SkillVersion"), input.comment);
    return { version: { id: version.id }, published };
  }

  @Access(AccessRule.REVIEWER, TokenScope.REVIEW)
  @Mutation(() => ReviewDecisionPayload, { description: "Rejects the version; the reason reaches its author. Reviewers and admins, never the publisher." })
  async rejectVersion(@Ctx() ctx: ViewerContext, @Arg("input") input: RejectVersionInput): Promise<ReviewDecisionPayload> {
    const { version, published } = await this.reviews.reject(ctx, expectGlobalId(input.versionId, "SkillVersion"), input.reason);
    return { version: { id: version.id }, published };
  }

  @FieldResolver(() => ID)
  id(@Root() request: ReviewRequest): string {
    return Buffer.from(`ReviewRequest:${request.id}`, "utf8").toString("base64url");
  }

  @FieldResolver(() => ReviewedVersionRef)
  version(@Root() request: ReviewRequest): { id: string } {
    return { id: request.versionId };
  }

  @FieldResolver(() => ReviewedVersionRef, { nullable: true, description: "The previous published version the diffs compare with." })
  async previousVersion(@Ctx() ctx: GovernanceContext, @Root() request: ReviewRequest): Promise<{ id: string } | null> {
    const previous = await previousOf(ctx, request);
    return previous ? { id: previous.id } : null;
  }

  @FieldResolver(() => Int, { description: "Approvals counted for the package digest under review." })
  async approvals(@Root() request: ReviewRequest, @Ctx() ctx: GovernanceContext): Promise<number> {
    const decisions = await ctx.loaders.governance.decisionsByVersionId.load(request.versionId);
    return decisions.filter((d) => d.decision === ReviewDecisionKind.APPROVE && d.packageSha256 === request.packageSha256).length;
  }

  @FieldResolver(() => ReviewDecisionConnection)
  async decisions(@Ctx() ctx: GovernanceContext, @Root() request: ReviewRequest, @Args() page: PageArgs): Promise<Connection<ReviewDecision>> {
    return connectionFromArray("decisions", await ctx.loaders.governance.decisionsByVersionId.load(request.versionId), page);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: "Why the viewer cannot approve or reject (own version, not a reviewer, already decided); null when they can.",
  })
  async viewerCannotDecide(@Ctx() ctx: GovernanceContext, @Root() request: ReviewRequest): Promise<string | null> {
    const decisions = await ctx.loaders.governance.decisionsByVersionId.load(request.versionId);
    return cannotDecideReason(ctx.viewer?.user ?? null, await versionOf(ctx, request), decisions);
  }

  @FieldResolver(() => [PermissionChangeType], { description: "Added, widened, removed and unchanged permissions against the previous published version." })
  async permissionDiff(@Ctx() ctx: GovernanceContext, @Root() request: ReviewRequest): Promise<PermissionChange[]> {
    const version = await versionOf(ctx, request);
    const previous = await previousOf(ctx, request);
    return permissionDiff(previous?.manifest.permissions ?? [], version.manifest.permissions, await ctx.loaders.governance.riskOf());
  }

  @FieldResolver(() => [BlastRadiusEntryType], { description: "The combined permissions of the version and its whole dependency tree." })
  async blastRadius(@Ctx() ctx: GovernanceContext, @Root() request: ReviewRequest): Promise<BlastRadiusEntry[]> {
    return this.reviews.blastRadiusOf(await versionOf(ctx, request), await ctx.loaders.governance.riskOf());
  }

  @FieldResolver(() => [FileChangeType], { description: "The package's files against the previous published version." })
  async fileDiff(@Ctx() ctx: GovernanceContext, @Root() request: ReviewRequest): Promise<FileChange[]> {
    return fileChanges(await previousOf(ctx, request), await versionOf(ctx, request));
  }
}

@Resolver(() => FileChangeType)
export class FileChangeResolver {
  constructor(private readonly reviews: VersionReviewService) {}

  @FieldResolver(() => String, {
    nullable: true,
    description:
      "Unified diff (3 lines of context) against the previous published version; an ADDED file is diffed against empty, a REMOVED one to empty. " +
      "Null for UNCHANGED files and when either side is binary (a NUL byte in the first 8 KiB, or not UTF-8) or over 256 KiB. " +
      "When more than 1000 lines changed, one hunk replaces the whole file.",
  })
  patch(@Ctx() ctx: GovernanceContext, @Root() change: FileChange): Promise<string | null> {
    return this.reviews.filePatch(ctx, change);
  }
}

/** Root value of ReviewerCredential. */
interface CredentialView {
  origin: ApiTokenOrigin | null;
  tokenName: string;
  tokenCreatedAt: Date;
  createdById: string | null;
  invitedById: string | null;
  invitedAt: Date | null;
  invitationRedeemedAt: Date | null;
}

@Resolver(() => ReviewDecisionType)
export class ReviewDecisionResolver {
  @FieldResolver(() => GovernanceUserRef, { description: "The reviewer who decided." })
  reviewer(@Root() decision: ReviewDecision): GovernanceUserRef {
    return { id: toGlobalId("User", decision.reviewerId) };
  }

  @FieldResolver(() => ReviewerCredentialType, {
    nullable: true,
    description:
      "How the reviewer's credential came to be (origin SSO: a console session after signing in at the identity provider); null for decisions recorded before tokens were.",
  })
  async credential(@Ctx() ctx: GovernanceContext, @Root() decision: ReviewDecision): Promise<CredentialView | null> {
    if (decision.sessionId) {
      // Signed in at the identity provider: nobody in Skillyard made this credential.
      const session = await ctx.loaders.governance.sessionById.load(decision.sessionId);
      if (!session) return null;
      return {
        origin: ApiTokenOrigin.SSO,
        tokenName: "console session (single sign-on)",
        tokenCreatedAt: session.createdAt,
        createdById: null,
        invitedById: null,
        invitedAt: null,
        invitationRedeemedAt: null,
      };
    }
    const token = decision.tokenId ? await ctx.loaders.identity.apiTokenById.load(decision.tokenId) : null;
    if (!token) return null;
    const invitation = token.invitationId ? await ctx.loaders.identity.invitationById.load(token.invitationId) : null;
    return {
      origin: token.origin,
      tokenName: token.name,
      tokenCreatedAt: token.createdAt,
      createdById: token.origin === ApiTokenOrigin.INVITATION ? (invitation?.createdById ?? null) : token.createdById,
      invitedById: invitation?.createdById ?? null,
      invitedAt: invitation?.createdAt ?? null,
      invitationRedeemedAt: invitation?.redeemedAt ?? null,
    };
  }
}

@Resolver(() => ReviewerCredentialType)
export class ReviewerCredentialResolver {
  @FieldResolver(() => GovernanceUserRef, { nullable: true })
  createdBy(@Root() credential: CredentialView): GovernanceUserRef | null {
    return credential.createdById ? { id: toGlobalId("User", credential.createdById) } : null;
  }

  @FieldResolver(() => GovernanceUserRef, { nullable: true })
  invitedBy(@Root() credential: CredentialView): GovernanceUserRef | null {
    return credential.invitedById ? { id: toGlobalId("User", credential.invitedById) } : null;
  }
}

/** Like the other subgraphs, version roots here carry the uuid; the id field makes it global. */
@Resolver(() => ReviewedVersionRef)
export class ReviewedVersionResolver {
  @FieldResolver(() => ID)
  id(@Root() version: { id: string }): string {
    return toGlobalId("SkillVersion", version.id);
  }

  @FieldResolver(() => ReviewRequestType, { nullable: true, description: "The version's review request, if it needed one (and you may see the version)." })
  async reviewRequest(@Ctx() ctx: GovernanceContext, @Root() version: { id: string }): Promise<ReviewRequest | null> {
    if (!(await visibleVersion(ctx, version.id))) return null;
    return ctx.loaders.governance.reviewRequestByVersionId.load(version.id);
  }
}
