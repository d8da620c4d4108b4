import { In, IsNull, type DataSource } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import type { PublishPipeline } from "../catalog/publish-pipeline";
import { SkillVersion } from "../catalog/skill-version.entity";
import type { VersionLifecycle } from "../catalog/version-lifecycle";
import { VersionStatus } from "../catalog/version-status";
import { type User, UserKind } from "../identity/user.entity";
import { isReviewer, requireViewer, type ViewerContext } from "../identity/viewer";
import { type FileChange, unifiedPatch } from "./file-patch";
import type { GovernanceContext } from "./governance.context";
import { REVIEW_GATE } from "./review-gate";
import { RISK_ORDER, type ReviewPolicy, type ReviewReason } from "./review-policy";
import { ReviewDecision, ReviewDecisionKind, ReviewRequest } from "./review.entities";

/** Why the viewer may not decide on a version, or null when they may. Shown before anyone clicks. */
export function cannotDecideReason(user: User | null, version: SkillVersion, decisions: ReviewDecision[]): string | null {
  if (!user) return "Sign in as a reviewer.";
  // Own version first: it is the reason an author needs to read, whatever their roles.
  if (version.publishedById === user.id) return "You cannot review your own version.";
  if (user.kind === UserKind.SERVICE) return "Service accounts never review.";
  if (!isReviewer(user)) return "Only reviewers and admins decide on reviews.";
  if (version.status !== VersionStatus.AWAITING_REVIEW) return `The version is ${version.status}, not awaiting review.`;
  if (decisions.some((d) => d.reviewerId === user.id && d.packageSha256 === version.packageSha256)) return "You have already decided on this version.";
  return null;
}

/**
 * Reviewers' decisions on versions waiting at the review gate: reviewers (never the publisher, never
 * a service account) approve or reject; approvals count only for the exact package digest reviewed;
 * CRITICAL permissions need two distinct approvers. Each decision records the token it was made with,
 * so the review page can show how that credential came to be.
 */
export class VersionReviewService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly lifecycle: VersionLifecycle,
    private readonly pipeline: PublishPipeline,
    private readonly policy: ReviewPolicy,
  ) {}

  approve(ctx: ViewerContext, versionId: string, comment: string): Promise<{ version: SkillVersion; published: boolean }> {
    return this.decide(ctx, versionId, ReviewDecisionKind.APPROVE, comment);
  }

  reject(ctx: ViewerContext, versionId: string, reason: string): Promise<{ version: SkillVersion; published: boolean }> {
    if (!reason.trim()) throw new SkillyardError("BAD_USER_INPUT", "A rejection needs a reason for the author.", { argument: "reason" });
    return this.decide(ctx, versionId, ReviewDecisionKind.REJECT, reason);
  }

  /** Pending reviews, riskiest first, then oldest first. */
  async queue(): Promise<ReviewRequest[]> {
    const em = this.dataSource.manager;
    const pending = await em.find(SkillVersion, { where: { status: VersionStatus.AWAITING_REVIEW }, select: { id: true } });
    if (pending.length === 0) return [];
    const requests = await em.find(ReviewRequest, { where: { versionId: In(pending.map((v) => v.id)), outcome: IsNull() } });
    const riskOf = (r: ReviewRequest) =>
      Math.max(-1, ...(r.reasons as unknown as ReviewReason[]).map((reason) => (reason.kind === "RISK" ? RISK_ORDER.indexOf(reason.risk) : 2)));
    return requests.sort((a, b) => riskOf(b) - riskOf(a) || a.createdAt.getTime() - b.createdAt.getTime());
  }

  /**
   * A changed, added or removed file's unified diff against the previous published version; null
   * for unchanged files and when either side is binary or over 256 KiB. Each package is read once
   * per request (the request's loader), however many patches are asked for.
   */
  async filePatch(ctx: GovernanceContext, change: FileChange): Promise<string | null> {
    if (change.change === "UNCHANGED") return null;
    const sideOf = async (sha256: string | null): Promise<string | null | undefined> =>
      // undefined: the file is not on this side (diffed against empty); null: binary or too large.
      sha256 === null ? undefined : ((await ctx.loaders.governance.packageTextsBySha256.load(sha256)).get(change.path) ?? null);
    const [before, after] = await Promise.all([sideOf(change.beforeSha256), sideOf(change.afterSha256)]);
    if (before === null || after === null) return null;
    return unifiedPatch(change.path, before ?? null, after ?? null);
  }

  blastRadiusOf(version: SkillVersion, riskOf: Parameters<ReviewPolicy["blastRadius"]>[2]) {
    return this.policy.blastRadius(this.dataSource.manager, version, riskOf);
  }

  private async decide(
    ctx: ViewerContext,
    versionId: string,
    kind: ReviewDecisionKind,
    comment: string,
  ): Promise<{ version: SkillVersion; published: boolean }> {
    const viewer = requireViewer(ctx);
    return this.dataSource.transaction(async (em) => {
      const { version } = await this.lifecycle.lock(em, versionId);
      const request = await em.findOneBy(ReviewRequest, { versionId });
      const decisions = await em.findBy(ReviewDecision, { versionId });
      const refusal = cannotDecideReason(viewer.user, version, decisions);
      if (refusal)
        throw new SkillyardError(
          refusal.startsWith("You cannot review your own") || refusal.startsWith("Service accounts") ? "FORBIDDEN" : "BAD_USER_INPUT",
          refusal,
        );
      if (!request || request.packageSha256 !== version.packageSha256) throw new SkillyardError("BAD_USER_INPUT", "This version has no open review request.");
      const text = comment.trim();
      if (kind === ReviewDecisionKind.APPROVE && text === "" && request.reasons.some((r) => r["kind"] === "EVAL_REGRESSION")) {
        throw new SkillyardError("BAD_USER_INPUT", "Approving this version accepts its eval regression: say why in the comment.", { argument: "comment" });
      }
      // Re-deciding (e.g. after a new request) replaces the reviewer's earlier decision.
      await em.delete(ReviewDecision, { versionId, reviewerId: viewer.user.id });
      await em.save(
        em.create(ReviewDecision, {
          versionId,
          reviewerId: viewer.user.id,
          tokenId: viewer.tokenId,
          sessionId: viewer.sessionId,
          decision: kind,
          comment: text,
          packageSha256: version.packageSha256,
        }),
      );
      const target = { targetType: "SkillVersion", targetId: version.id, skillId: version.skillId };
      if (kind === ReviewDecisionKind.REJECT) {
        await this.audit.record(em, {
          actorId: viewer.user.id,
          action: AuditAction.REJECT,
          ...target,
          after: { reason: text, packageSha256: version.packageSha256 },
        });
        await em.update(ReviewRequest, request.id, { outcome: ReviewDecisionKind.REJECT, decidedAt: new Date() });
        await this.pipeline.failed(em, version, REVIEW_GATE, `Rejected in review: ${text}`, viewer.user.id);
        return { version, published: false };
      }
      const approvals = await em.countBy(ReviewDecision, { versionId, decision: ReviewDecisionKind.APPROVE, packageSha256: version.packageSha256 });
      await this.audit.record(em, {
        actorId: viewer.user.id,
        action: AuditAction.APPROVE,
        ...target,
        after: { comment: text, approvals, requiredApprovals: request.requiredApprovals, packageSha256: version.packageSha256 },
      });
      if (approvals < request.requiredApprovals) return { version, published: false };
      await em.update(ReviewRequest, request.id, { outcome: ReviewDecisionKind.APPROVE, decidedAt: new Date() });
      await this.pipeline.passed(em, version, REVIEW_GATE, viewer.user.id);
      return { version, published: version.status === VersionStatus.PUBLISHED };
    });
  }
}
