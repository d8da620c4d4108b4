import { SkillyardError } from "@skillyard/core";
import type { EntityManager } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { lockSkillRow, type LatestVersionService } from "./latest-version.service";
import type { Skill } from "./skill.entity";
import { SkillVersion } from "./skill-version.entity";
import { canTransition, VersionStatus } from "./version-status";

export interface TransitionOptions {
  /** Why the version is in its new status (shown to its author and installers); null clears it. */
  reason: string | null;
  /** Who caused the change; null for the system (a test run, the review policy). */
  actorId: string | null;
  /** More facts for the audit entry (review reasons, channels still pointing at a yanked version, …). */
  details?: Record<string, unknown>;
  /** For DEPRECATED: the skill to use instead. */
  replacementSkillId?: string | null;
}

/** A status change, as listeners see it: inside the transaction that made it, with the skill row locked. */
export interface VersionTransition {
  em: EntityManager;
  skill: Skill;
  /** The version as it is now (status `to`). */
  version: SkillVersion;
  from: VersionStatus;
  to: VersionStatus;
}

/**
 * Work that must happen in the same transaction as a status change (distribution builds a version's
 * plugin archive when it becomes installable). A listener that throws rolls the change back.
 */
export type TransitionListener = (transition: VersionTransition) => Promise<void>;

/** The audit action recorded for each status a version can move to. */
const ACTION_OF: Readonly<Record<Exclude<VersionStatus, VersionStatus.UPLOADED>, AuditAction>> = {
  [VersionStatus.TESTING]: AuditAction.VERSION_TESTING,
  [VersionStatus.EVALUATING]: AuditAction.VERSION_EVALUATING,
  [VersionStatus.AWAITING_REVIEW]: AuditAction.REVIEW_REQUESTED,
  [VersionStatus.PUBLISHED]: AuditAction.VERSION_PUBLISHED,
  [VersionStatus.REJECTED]: AuditAction.VERSION_REJECTED,
  [VersionStatus.DEPRECATED]: AuditAction.DEPRECATE,
  [VersionStatus.YANKED]: AuditAction.YANK,
};

/** The statuses from which a version may move to `to`, for error messages. */
function sourcesOf(to: VersionStatus): VersionStatus[] {
  return Object.values(VersionStatus).filter((from) => canTransition(from, to));
}

/**
 * The single owner of SkillVersion.status: nothing else writes it. Every change locks the skill row
 * first, so status changes of one skill apply one after another (two versions finishing together
 * cannot leave `latest` on the lower one), checks the transition table against the status read under
 * that lock, writes conditionally, records the audit entry in the same transaction, and refreshes
 * the skill's `latest`.
 */
export class VersionLifecycle {
  private readonly listeners: TransitionListener[] = [];

  constructor(
    private readonly audit: AuditService,
    private readonly latest: LatestVersionService,
  ) {}

  /** Registered by the composition root, so catalog never imports the domains that react to it. */
  onTransition(listener: TransitionListener): void {
    this.listeners.push(listener);
  }

  /** Locks the version's skill, then reads both; NOT_FOUND when the version does not exist. */
  async lock(em: EntityManager, versionId: string): Promise<{ skill: Skill; version: SkillVersion }> {
    const found = await em.getRepository(SkillVersion).findOne({ where: { id: versionId }, select: { id: true, skillId: true } });
    const skill = found ? await lockSkillRow(em, found.skillId) : null;
    const version = skill ? await em.getRepository(SkillVersion).findOneBy({ id: versionId }) : null;
    if (!skill || !version) throw new SkillyardError("NOT_FOUND", "There is no such skill version.", { argument: "versionId" });
    return { skill, version };
  }

  /** Moves the version to `to`, in the caller's transaction; `version` is updated in place and returned. */
  async transition(em: EntityManager, version: SkillVersion, to: VersionStatus, options: TransitionOptions): Promise<SkillVersion> {
    if (to === VersionStatus.UPLOADED) throw new Error("Versions are created UPLOADED; nothing moves back to it.");
    const { skill, version: current } = await this.lock(em, version.id);
    const from = current.status;
    if (!canTransition(from, to)) {
      const sources = sourcesOf(to);
      throw new SkillyardError(
        "BAD_USER_INPUT",
        `${skill.name}@${current.version} is ${from} and cannot become ${to}${sources.length ? `; only ${sources.join(" or ")} versions can` : ""}.`,
        { argument: "versionId", status: from, to },
      );
    }
    const change: Pick<SkillVersion, "status" | "statusReason"> & Partial<Pick<SkillVersion, "publishedAt" | "replacementSkillId">> = {
      status: to,
      statusReason: options.reason,
    };
    if (to === VersionStatus.PUBLISHED) change.publishedAt = new Date();
    if (to === VersionStatus.DEPRECATED) change.replacementSkillId = options.replacementSkillId ?? null;
    // The skill lock already serialises writers; the condition states the invariant all the same.
    const result = await em.getRepository(SkillVersion).update({ id: current.id, status: from }, change);
    if (result.affected !== 1) throw new Error(`${skill.name}@${current.version} changed status under the skill lock`);
    const latestVersionId = await this.latest.refresh(em, skill.id);
    await this.audit.record(em, {
      actorId: options.actorId,
      action: ACTION_OF[to],
      targetType: "SkillVersion",
      targetId: current.id,
      skillId: skill.id,
      before: { name: skill.name, version: current.version, status: from, statusReason: current.statusReason },
      after: { name: skill.name, version: current.version, status: to, statusReason: options.reason, latestVersionId, ...options.details },
    });
    Object.assign(version, current, change);
    for (const listener of this.listeners) await listener({ em, skill, version, from, to });
    return version;
  }

  /**
   * Changes only why a version is where it is (e.g. its tests could not run and will be retried),
   * and only while it is still `status`; answers whether it was.
   */
  async explain(em: EntityManager, version: SkillVersion, status: VersionStatus, reason: string): Promise<boolean> {
    const { version: current } = await this.lock(em, version.id);
    if (current.status !== status) return false;
    await em.getRepository(SkillVersion).update({ id: current.id, status }, { statusReason: reason });
    version.statusReason = reason;
    return true;
  }
}
