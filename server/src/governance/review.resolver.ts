import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { connectionFromArray, type Connection, PageArgs } from "../common/connection";
import { expectGlobalId, toGlobalId } from "../common/global-id";
import type { RequestContext } from "../common/request-context";
import { Permission, PermissionRisk } from "../catalog/permission.entity";
import { catalogueEntryName } from "../catalog/permission-catalogue.service";
import { SkillVersion } from "../catalog/skill-version.entity";
import { cannotDecideReason } from "./review.service";
import { type BlastRadiusEntry, permissionDiff, type PermissionChange } from "./review-policy";
import { ReviewDecision, ReviewRequest } from "./review.entities";
import {
  ApproveVersionInput,
  BlastRadiusEntryType,
  FileChangeType,
  PermissionChangeType,
  RejectVersionInput,
  ReviewDecisionConnection,
  ReviewDecisionPayload,
  ReviewedVersionRef,
  ReviewRequestConnection,
  ReviewRequestType,
} from "./review.types";


interface FileChange {
  path: string;
  change: string;
  size: number | null;
}

async function versionOf(ctx: RequestContext, request: ReviewRequest): Promise<SkillVersion> {
  return (await ctx.loaders.catalog.versionById.load(request.versionId))!;
}

@Resolver(() => ReviewRequestType)
export class ReviewRequestResolver {
  @Query(() => ReviewRequestConnection, { description: "Versions awaiting review, riskiest then oldest first. Reviewers and admins." })
  async reviewQueue(@Ctx() ctx: RequestContext, @Args() page: PageArgs): Promise<Connection<ReviewRequest>> {
    return connectionFromArray("reviewQueue", await ctx.runtime.services.versionReviews.queue(ctx), page);
  }

  @Mutation(() => ReviewDecisionPayload, { description: "Approves the exact package under review. Reviewers and admins, never the publisher." })
  async approveVersion(@Ctx() ctx: RequestContext, @Arg("input") input: ApproveVersionInput): Promise<ReviewDecisionPayload> {
    const { version, published } = await ctx.runtime.services.versionReviews.approve(ctx, expectGlobalId(input.versionId, "SkillVersion"), input.comment);
    return { version: { id: toGlobalId("SkillVersion", version.id) }, published };
  }

  @Mutation(() => ReviewDecisionPayload, { description: "Rejects the version; the reason reaches its author." })
  async rejectVersion(@Ctx() ctx: RequestContext, @Arg("input") input: RejectVersionInput): Promise<ReviewDecisionPayload> {
    const { version, published } = await ctx.runtime.services.versionReviews.reject(ctx, expectGlobalId(input.versionId, "SkillVersion"), input.reason);
    return { version: { id: toGlobalId("SkillVersion", version.id) }, published };
  }

  @FieldResolver(() => ID)
  id(@Root() request: ReviewRequest): string {
    return Buffer.from(`ReviewRequest:${request.id}`, "utf8").toString("base64url");
  }

  @FieldResolver(() => ReviewedVersionRef)
  version(@Root() request: ReviewRequest): { id: string } {
    return { id: toGlobalId("SkillVersion", request.versionId) };
  }

  @FieldResolver(() => ReviewedVersionRef, { nullable: true, description: "The previous published version the diffs compare with." })
  async previousVersion(@Ctx() ctx: RequestContext, @Root() request: ReviewRequest): Promise<{ id: string } | null> {
    const previous = await ctx.runtime.services.versionReviews.previousOf(ctx.runtime.dataSource.manager, await versionOf(ctx, request));
    return previous ? { id: toGlobalId("SkillVersion", previous.id) } : null;
  }

  @FieldResolver(() => Int)
  async approvals(@Root() request: ReviewRequest, @Ctx() ctx: RequestContext): Promise<number> {
    return (await ctx.runtime.dataSource.getRepository(ReviewDecision).findBy({ versionId: request.versionId, packageSha256: request.packageSha256 })).filter((d) => d.decision === "APPROVE").length;
  }

  @FieldResolver(() => ReviewDecisionConnection)
  async decisions(@Ctx() ctx: RequestContext, @Root() request: ReviewRequest, @Args() page: PageArgs): Promise<Connection<ReviewDecision>> {
    return connectionFromArray("decisions", await ctx.runtime.dataSource.getRepository(ReviewDecision).find({ where: { versionId: request.versionId }, order: { createdAt: "ASC" } }), page);
  }

  @FieldResolver(() => String, { nullable: true, description: "Why the viewer cannot approve or reject (own version, not a reviewer, already decided); null when they can." })
  async viewerCannotDecide(@Ctx() ctx: RequestContext, @Root() request: ReviewRequest): Promise<string | null> {
    const decisions = await ctx.runtime.dataSource.getRepository(ReviewDecision).findBy({ versionId: request.versionId });
    return cannotDecideReason(ctx.viewer?.user ?? null, await versionOf(ctx, request), decisions);
  }

  @FieldResolver(() => [PermissionChangeType], { description: "Added, widened, removed and unchanged permissions against the previous published version." })
  async permissionDiff(@Ctx() ctx: RequestContext, @Root() request: ReviewRequest): Promise<PermissionChange[]> {
    const version = await versionOf(ctx, request);
    const previous = await ctx.runtime.services.versionReviews.previousOf(ctx.runtime.dataSource.manager, version);
    const riskOf = await riskLookup(ctx);
    return permissionDiff(previous?.manifest.permissions ?? [], version.manifest.permissions, riskOf);
  }

  @FieldResolver(() => [BlastRadiusEntryType], { description: "The combined permissions of the version and its whole dependency tree." })
  async blastRadius(@Ctx() ctx: RequestContext, @Root() request: ReviewRequest): Promise<BlastRadiusEntry[]> {
    return ctx.runtime.services.versionReviews.blastRadiusOf(ctx.runtime.dataSource.manager, await versionOf(ctx, request), await riskLookup(ctx));
  }

  @FieldResolver(() => [FileChangeType], { description: "The package's files against the previous published version." })
  async fileDiff(@Ctx() ctx: RequestContext, @Root() request: ReviewRequest): Promise<FileChange[]> {
    const version = await versionOf(ctx, request);
    const previous = await ctx.runtime.services.versionReviews.previousOf(ctx.runtime.dataSource.manager, version);
    const before = new Map((previous?.files ?? []).map((f) => [f.path, f]));
    const after = new Map(version.files.map((f) => [f.path, f]));
    const changes: FileChange[] = [];
    for (const [path, f] of after) {
      const old = before.get(path);
      changes.push({ path, size: f.size, change: !old ? "ADDED" : old.sha256 === f.sha256 ? "UNCHANGED" : "CHANGED" });
    }
    for (const [path, f] of before) if (!after.has(path)) changes.push({ path, size: f.size, change: "REMOVED" });
    return changes.sort((a, b) => a.path.localeCompare(b.path));
  }
}

@Resolver(() => ReviewedVersionRef)
export class ReviewedVersionResolver {
  @FieldResolver(() => ID)
  id(@Root() version: { id: string }): string {
    return version.id;
  }

  @FieldResolver(() => ReviewRequestType, { nullable: true, description: "The version's review request, if it needed one." })
  async reviewRequest(@Ctx() ctx: RequestContext, @Root() version: { id: string }): Promise<ReviewRequest | null> {
    return ctx.runtime.dataSource.getRepository(ReviewRequest).findOneBy({ versionId: expectGlobalId(version.id, "SkillVersion") });
  }
}

async function riskLookup(ctx: RequestContext): Promise<(name: string) => PermissionRisk> {
  const catalogue = new Map((await ctx.runtime.dataSource.getRepository(Permission).find()).map((p) => [p.name, p.risk]));
  const names = new Set(catalogue.keys());
  return (name) => catalogue.get(catalogueEntryName(name, names) ?? "") ?? PermissionRisk.CRITICAL;
}

