import { SkillyardError } from "@skillyard/core";
import { In, type DataSource, type EntityManager } from "typeorm";
import { EvalRun, FINAL_EVAL_RUN_STATUSES } from "../evals/eval-run.entity";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { Skill, UsageTier } from "../catalog/skill.entity";
import { SkillVersion } from "../catalog/skill-version.entity";
import type { VersionLifecycle } from "../catalog/version-lifecycle";
import { isInstallable, VersionStatus } from "../catalog/version-status";
import type { Viewer } from "../identity/viewer";
import { PlatformUpdate, type PlatformUpdateKind, QualityReview, QualityReviewNotice, QualityReviewOutcome } from "./quality-review.entity";

const DAY_MS = 86_400_000;
const MAX_REVIEW_NOTES = 2000;

/**
 * How often each tier is reviewed: High monthly, Medium quarterly; Low only when an admin marks a
 * significant platform update (a new runtime image, a new Claude Code version).
 */
const REVIEW_CADENCE_DAYS: Readonly<Record<Exclude<UsageTier, UsageTier.LOW>, number>> = { [UsageTier.HIGH]: 30, [UsageTier.MEDIUM]: 91 };

export interface DueReview {
  skill: Skill;
  /** When the review fell due. */
  dueSince: Date;
  /** Why: the cadence, or the platform update (for Low). */
  reason: string;
  lastReview: QualityReview | null;
}

export interface ReviewStatus {
  lastReview: QualityReview | null;
  /** When the next review is due; null for a Low-tier skill until a platform update. */
  dueAt: Date | null;
  reason: string | null;
}

/**
 * The review status of each skill (last review, when the next is due), for many skills in four
 * statements however many are asked for.
 */
export async function reviewStatuses(em: EntityManager, skills: readonly Skill[]): Promise<Map<string, ReviewStatus>> {
  const ids = skills.map((s) => s.id);
  if (ids.length === 0) return new Map();
  const latest = await em
    .getRepository(QualityReview)
    .createQueryBuilder("r")
    .distinctOn(["r.skill_id"])
    .where("r.skill_id = ANY(:ids)", { ids })
    .orderBy("r.skill_id")
    .addOrderBy("r.created_at", "DESC")
    .getMany();
  const last = new Map(latest.map((r) => [r.skillId, r]));
  const firstPublished = new Map(
    (
      (await em.query(`SELECT skill_id, MIN(published_at) AS at FROM skill_version WHERE skill_id = ANY($1) AND published_at IS NOT NULL GROUP BY skill_id`, [
        ids,
      ])) as { skill_id: string; at: Date }[]
    ).map((r) => [r.skill_id, r.at]),
  );
  const updates = await em.getRepository(PlatformUpdate).find({ order: { createdAt: "ASC" } });
  const status = new Map<string, ReviewStatus>();
  for (const skill of skills) {
    const lastReview = last.get(skill.id) ?? null;
    const anchor = lastReview?.createdAt ?? firstPublished.get(skill.id) ?? null;
    if (!anchor) {
      status.set(skill.id, { lastReview, dueAt: null, reason: null });
      continue;
    }
    if (skill.usageTier === UsageTier.LOW) {
      const update = updates.find((u) => u.createdAt > anchor);
      status.set(skill.id, {
        lastReview,
        dueAt: update?.createdAt ?? null,
        reason: update ? `platform update: ${update.description}` : null,
      });
    } else {
      const days = REVIEW_CADENCE_DAYS[skill.usageTier];
      status.set(skill.id, {
        lastReview,
        dueAt: new Date(anchor.getTime() + days * DAY_MS),
        reason: `${skill.usageTier} tier: reviewed every ${days} days`,
      });
    }
  }
  return status;
}

/** Work that follows a quality-review event, in the transaction that records it (a listener that throws rolls it back). */
export interface QualityReviewListener {
  /** A skill's quality review fell due (announced once per due date). */
  reviewDue(em: EntityManager, skillId: string): Promise<void>;
  /** An admin marked a platform update. */
  platformUpdated(em: EntityManager): Promise<void>;
}

/**
 * Quality reviews: when each skill is due (from its tier and its last review, or its first
 * publication), recording a review (audited; PULL deprecates the version), platform updates, and
 * announcing each newly due review once (audit entry, so the QUALITY_REVIEW_DUE webhook fires).
 */
export class QualityReviewService {
  private readonly listeners: QualityReviewListener[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly lifecycle: VersionLifecycle,
  ) {}

  /** Registered by the composition root (evals re-runs suites), so usage imports no such domain. */
  onReviewEvents(listener: QualityReviewListener): void {
    this.listeners.push(listener);
  }

  /** Installable skills whose review is due at `now`, most-used first. */
  async due(now: Date): Promise<DueReview[]> {
    const em = this.dataSource.manager;
    const skills = await em.getRepository(Skill).createQueryBuilder("s").where("s.latest_version_id IS NOT NULL").getMany();
    const status = await reviewStatuses(em, skills);
    const due: DueReview[] = [];
    for (const skill of skills) {
      const s = status.get(skill.id)!;
      if (s.dueAt && s.dueAt <= now) due.push({ skill, dueSince: s.dueAt, reason: s.reason!, lastReview: s.lastReview });
    }
    return due.sort((a, b) => b.skill.usageWeekly - a.skill.usageWeekly || (a.skill.name < b.skill.name ? -1 : 1));
  }

  /** Announces each review that fell due and was not announced yet; answers how many. */
  async announceDue(now: Date): Promise<number> {
    let announced = 0;
    for (const item of await this.due(now)) {
      await this.dataSource.transaction(async (em) => {
        const inserted = await em
          .createQueryBuilder()
          .insert()
          .into(QualityReviewNotice)
          .values({ skillId: item.skill.id, dueSince: item.dueSince })
          .orIgnore()
          .returning("id")
          .execute();
        if ((inserted.raw as unknown[]).length === 0) return;
        announced++;
        await this.audit.record(em, {
          actorId: null,
          action: AuditAction.QUALITY_REVIEW_DUE,
          targetType: "Skill",
          targetId: item.skill.id,
          skillId: item.skill.id,
          before: null,
          after: { name: item.skill.name, tier: item.skill.usageTier, dueSince: item.dueSince.toISOString(), reason: item.reason },
        });
        for (const listener of this.listeners) await listener.reviewDue(em, item.skill.id);
      });
    }
    return announced;
  }

  async record(
    viewer: Viewer,
    input: { skill: string; version: string; outcome: QualityReviewOutcome; notes: string; evalRunId?: string | null },
  ): Promise<{ review: QualityReview; version: SkillVersion }> {
    const notes = input.notes.trim();
    if (!notes || notes.length > MAX_REVIEW_NOTES) {
      throw new SkillyardError("BAD_USER_INPUT", `Notes are 1-${MAX_REVIEW_NOTES} characters: say what was checked and found.`, { argument: "notes" });
    }
    return this.dataSource.transaction(async (em) => {
      const skill = await em.getRepository(Skill).findOneBy({ name: input.skill });
      if (!skill) throw new SkillyardError("NOT_FOUND", `There is no skill named "${input.skill}".`, { argument: "skill" });
      const found = await em.getRepository(SkillVersion).findOneBy({ skillId: skill.id, version: input.version });
      // Locked: a concurrent yank or deprecation cannot slip between this check and the PULL's transition.
      const version = found ? (await this.lifecycle.lock(em, found.id)).version : null;
      if (!version || !isInstallable(version.status)) {
        throw new SkillyardError("QUALITY_REVIEW_INVALID", `${skill.name} has no installable version ${input.version} to review.`, { argument: "version" });
      }
      const evalRunId = input.evalRunId ?? null;
      if (evalRunId !== null && !(await em.getRepository(EvalRun).existsBy({ id: evalRunId, versionId: version.id, status: In(FINAL_EVAL_RUN_STATUSES) }))) {
        throw new SkillyardError("QUALITY_REVIEW_INVALID", `That eval run is not a finished run of ${skill.name}@${version.version}.`, { argument: "evalRun" });
      }
      const review = await em
        .getRepository(QualityReview)
        .save(
          em
            .getRepository(QualityReview)
            .create({ skillId: skill.id, versionId: version.id, outcome: input.outcome, notes, reviewerId: viewer.user.id, evalRunId }),
        );
      await this.audit.record(em, {
        actorId: viewer.user.id,
        action: AuditAction.QUALITY_REVIEW,
        targetType: "SkillVersion",
        targetId: version.id,
        skillId: skill.id,
        before: null,
        after: { name: skill.name, version: version.version, outcome: input.outcome, notes, tier: skill.usageTier, ...(evalRunId ? { evalRunId } : {}) },
      });
      if (input.outcome === QualityReviewOutcome.PULL && version.status === VersionStatus.PUBLISHED) {
        await this.lifecycle.transition(em, version, VersionStatus.DEPRECATED, {
          reason: `Pulled after a quality review: ${notes}`,
          actorId: viewer.user.id,
          details: { qualityReviewId: review.id },
        });
      }
      return { review, version };
    });
  }

  async markPlatformUpdate(viewer: Viewer, input: { kind: PlatformUpdateKind; description: string }): Promise<PlatformUpdate> {
    const description = input.description.trim();
    if (!description || description.length > 500)
      throw new SkillyardError("BAD_USER_INPUT", "Describe the update in 1-500 characters.", { argument: "description" });
    return this.dataSource.transaction(async (em) => {
      const update = await em
        .getRepository(PlatformUpdate)
        .save(em.getRepository(PlatformUpdate).create({ kind: input.kind, description, createdById: viewer.user.id }));
      await this.audit.record(em, {
        actorId: viewer.user.id,
        action: AuditAction.PLATFORM_UPDATE,
        targetType: "PlatformUpdate",
        targetId: update.id,
        before: null,
        after: { kind: input.kind, description },
      });
      for (const listener of this.listeners) await listener.platformUpdated(em);
      return update;
    });
  }
}
