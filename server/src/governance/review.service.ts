import { In, IsNull, type EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { type RequestContext, requireViewer } from "../common/request-context";
import { lockSkillRow, type LatestVersionService } from "../catalog/latest-version.service";
import { SkillVersion } from "../catalog/skill-version.entity";
import { canTransition, VersionStatus } from "../catalog/version-lifecycle";
import { GlobalRole, type User } from "../identity/user.entity";
import { AuditAction } from "./audit-event.entity";
import { type FileChange, unifiedPatch } from "./file-patch";
import type { AuditService } from "./audit.service";
import { RISK_ORDER, type ReviewPolicy, type ReviewReason } from "./review-policy";
import { ReviewDecision, ReviewDecisionKind, ReviewRequest } from "./review.entities";

export function isReviewer(user: User): boolean {
  return user.roles.includes(GlobalRole.REVIEWER) || user.roles.includes(GlobalRole.ADMIN);
}

/** Why the viewer may not decide on a version, or null when they may. Shown before anyone clicks. */
export function cannotDecideReason(user: User | null, version: SkillVersion, decisions: ReviewDecision[]): string | null {
  if (!user) return "Sign in as a reviewer.";
  // Own version first: it is the reason an author needs to read, whatever their roles.
  if (version.publishedById === user.id) return "You cannot review your own version.";
  if (!isReviewer(user)) return "Only reviewers and admins decide on reviews.";
  if (version.status !== VersionStatus.AWAITING_REVIEW) return `The version is ${version.status}, not awaiting review.`;
  if (decisions.some((d) => d.reviewerId === user.id && d.packageSha256 === version.packageSha256)) return "You have already decided on this version.";
  return null;
}

/**
 * The review step of the publish gate: after a passing test run the policy decides between
 * AWAITING_REVIEW and PUBLISHED; reviewers (never the publisher) approve or reject, approvals count
 * only for the exact package digest reviewed, and CRITICAL permissions need two distinct approvers.
 */
export class VersionReviewService {
  constructor(
    private readonly policy: ReviewPolicy,
    private readonly latest: LatestVersionService,
    private readonly audit: AuditService,
  ) {}

  /** Called in the transaction that records a passing test run (or a version with nothing to test). */
  async afterTestsPassed(em: EntityManager, version: SkillVersion): Promise<VersionStatus> {
    const assessment = await this.policy.assess(em, version);
    const target = { targetType: "SkillVersion", targetId: version.id, skillId: version.skillId };
    if (assessment.reasons.length > 0) {
      const statusReason = `Waiting for ${assessment.requiredApprovals === 2 ? "two reviewers" : "a reviewer"}: ${describeReasons(assessment.reasons)}.`;
      await em.getRepository(SkillVersion).update(version.id, { status: VersionStatus.AWAITING_REVIEW, statusReason });
      await em.getRepository(ReviewRequest).save(
        em.getRepository(ReviewRequest).create({ versionId: version.id, reasons: assessment.reasons as unknown as Record<string, unknown>[], requiredApprovals: assessment.requiredApprovals, packageSha256: version.packageSha256 }),
      );
      await this.audit.record(em, { actorId: null, action: AuditAction.REVIEW_REQUESTED, ...target, after: { reasons: assessment.reasons, requiredApprovals: assessment.requiredApprovals } });
      return VersionStatus.AWAITING_REVIEW;
    }
    await this.publish(em, version, null);
    return VersionStatus.PUBLISHED;
  }

  async approve(ctx: RequestContext, versionId: string, comment: string): Promise<{ version: SkillVersion; published: boolean }> {
    return this.decide(ctx, versionId, ReviewDecisionKind.APPROVE, comment);
  }

  async reject(ctx: RequestContext, versionId: string, reason: string): Promise<{ version: SkillVersion; published: boolean }> {
    if (!reason.trim()) throw new SkillyardError("BAD_USER_INPUT", "A rejection needs a reason for the author.", { argument: "reason" });
    return this.decide(ctx, versionId, ReviewDecisionKind.REJECT, reason);
  }

  /** Pending reviews, riskiest first, then oldest first. Reviewers and admins only. */
  async queue(ctx: RequestContext): Promise<ReviewRequest[]> {
    const viewer = requireViewer(ctx);
    if (!isReviewer(viewer.user)) throw new SkillyardError("FORBIDDEN", "Only reviewers and admins see the review queue.");
    const em = ctx.runtime.dataSource.manager;
    const pending = await em.find(SkillVersion, { where: { status: VersionStatus.AWAITING_REVIEW }, select: { id: true } });
    if (pending.length === 0) return [];
    const requests = await em.find(ReviewRequest, { where: { versionId: In(pending.map((v) => v.id)), outcome: IsNull() } });
    const riskOf = (r: ReviewRequest) => Math.max(-1, ...(r.reasons as unknown as ReviewReason[]).map((reason) => (reason.kind === "RISK" ? RISK_ORDER.indexOf(reason.risk) : 2)));
    return requests.sort((a, b) => riskOf(b) - riskOf(a) || a.createdAt.getTime() - b.createdAt.getTime());
  }

  /**
   * A changed, added or removed file's unified diff against the previous published version; null
   * for unchanged files and when either side is binary or over 256 KiB. Each package is read once
   * per request (the request's loader), however many patches are asked for.
   */
  async filePatch(ctx: RequestContext, change: FileChange): Promise<string | null> {
    if (change.change === "UNCHANGED") return null;
    const sideOf = async (sha256: string | null): Promise<string | null | undefined> =>
      // undefined: the file is not on this side (diffed against empty); null: binary or too large.
      sha256 === null ? undefined : ((await ctx.loaders.governance.packageTextsBySha256.load(sha256)).get(change.path) ?? null);
    const [before, after] = await Promise.all([sideOf(change.beforeSha256), sideOf(change.afterSha256)]);
    if (before === null || after === null) return null;
    return unifiedPatch(change.path, before ?? null, after ?? null);
  }

  blastRadiusOf(em: EntityManager, version: SkillVersion, riskOf: Parameters<ReviewPolicy["blastRadius"]>[2]) {
    return this.policy.blastRadius(em, version, riskOf);
  }

  private async decide(ctx: RequestContext, versionId: string, kind: ReviewDecisionKind, comment: string): Promise<{ version: SkillVersion; published: boolean }> {
    const viewer = requireViewer(ctx);
    if (!isReviewer(viewer.user)) throw new SkillyardError("FORBIDDEN", "Only reviewers and admins decide on reviews.");
    return ctx.runtime.dataSource.transaction(async (em) => {
      const found = await em.findOne(SkillVersion, { where: { id: versionId }, select: { id: true, skillId: true } });
      if (!found) throw new SkillyardError("NOT_FOUND", "There is no such skill version.");
      await lockSkillRow(em, found.skillId);
      const version = await em.findOneOrFail(SkillVersion, { where: { id: versionId }, lock: { mode: "pessimistic_write" } });
      const request = await em.findOneBy(ReviewRequest, { versionId });
      const decisions = await em.findBy(ReviewDecision, { versionId });
      const refusal = cannotDecideReason(viewer.user, version, decisions);
      if (refusal) throw new SkillyardError(refusal.startsWith("You cannot review your own") ? "FORBIDDEN" : "BAD_USER_INPUT", refusal);
      if (!request || request.packageSha256 !== version.packageSha256) throw new SkillyardError("BAD_USER_INPUT", "This version has no open review request.");
      // Re-deciding (e.g. after a new request) replaces the reviewer's earlier decision.
      await em.delete(ReviewDecision, { versionId, reviewerId: viewer.user.id });
      await em.save(em.create(ReviewDecision, { versionId, reviewerId: viewer.user.id, decision: kind, comment: comment.trim(), packageSha256: version.packageSha256 }));
      const target = { targetType: "SkillVersion", targetId: version.id, skillId: version.skillId };
      if (kind === ReviewDecisionKind.REJECT) {
        await em.update(SkillVersion, version.id, { status: VersionStatus.REJECTED, statusReason: `Rejected in review: ${comment.trim()}` });
        await em.update(ReviewRequest, request.id, { outcome: ReviewDecisionKind.REJECT, decidedAt: new Date() });
        await this.audit.record(em, { actorId: viewer.user.id, action: AuditAction.REJECT, ...target, before: { status: version.status }, after: { status: VersionStatus.REJECTED, reason: comment.trim() } });
        return { version: { ...version, status: VersionStatus.REJECTED } as SkillVersion, published: false };
      }
      const approvals = await em.countBy(ReviewDecision, { versionId, decision: ReviewDecisionKind.APPROVE, packageSha256: version.packageSha256 });
      await this.audit.record(em, {
        actorId: viewer.user.id,
        action: AuditAction.APPROVE,
        ...target,
        after: { comment: comment.trim(), approvals, requiredApprovals: request.requiredApprovals, packageSha256: version.packageSha256 },
      });
      if (approvals < request.requiredApprovals) return { version, published: false };
      await em.update(ReviewRequest, request.id, { outcome: ReviewDecisionKind.APPROVE, decidedAt: new Date() });
      await this.publish(em, version, viewer.user.id);
      return { version: { ...version, status: VersionStatus.PUBLISHED } as SkillVersion, published: true };
    });
  }

  private async publish(em: EntityManager, version: SkillVersion, actorId: string | null): Promise<void> {
    if (!canTransition(version.status === VersionStatus.UPLOADED ? VersionStatus.UPLOADED : version.status, VersionStatus.PUBLISHED)) {
      throw new Error(`cannot publish a ${version.status} version`);
    }
    await em.update(SkillVersion, version.id, { status: VersionStatus.PUBLISHED, statusReason: null, publishedAt: new Date() });
    await this.audit.record(em, { actorId, action: AuditAction.VERSION_PUBLISHED, targetType: "SkillVersion", targetId: version.id, skillId: version.skillId, before: { status: version.status }, after: { status: VersionStatus.PUBLISHED } });
    await this.latest.refresh(em, version.skillId);
  }
}

function describeReasons(reasons: readonly ReviewReason[]): string {
  return reasons
    .map((r) => (r.kind === "RISK" ? `${r.permission} is ${r.risk}` : r.kind === "ESCALATION" ? `adds ${r.added.join(", ")}` : `its dependencies add ${r.added.join(", ")}`))
    .join("; ");
}
