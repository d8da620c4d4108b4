/**
 * A version's lifecycle. UPLOADED → TESTING → (EVALUATING →) (AWAITING_REVIEW →) PUBLISHED, with REJECTED from any
 * waiting status; PUBLISHED → DEPRECATED or YANKED; DEPRECATED → YANKED. Only PUBLISHED and
 * DEPRECATED versions are installable; name@version stays taken in every state. Only catalog's
 * VersionLifecycle.transition changes a status, following TRANSITIONS.
 */
export enum VersionStatus {
  UPLOADED = "UPLOADED",
  TESTING = "TESTING",
  /** Its eval suite runs, and its score decides whether it may go on (gated usage tiers only). */
  EVALUATING = "EVALUATING",
  AWAITING_REVIEW = "AWAITING_REVIEW",
  PUBLISHED = "PUBLISHED",
  REJECTED = "REJECTED",
  DEPRECATED = "DEPRECATED",
  YANKED = "YANKED",
}

/**
 * The publish gates (tests, evals, then review) move a version forward from UPLOADED; each gate it passes
 * may skip the later waiting statuses (an instruction-only skill has no tests to wait for).
 * DEPRECATED → DEPRECATED updates the message and replacement.
 */
const TRANSITIONS: Readonly<Record<VersionStatus, readonly VersionStatus[]>> = {
  [VersionStatus.UPLOADED]: [VersionStatus.TESTING, VersionStatus.EVALUATING, VersionStatus.AWAITING_REVIEW, VersionStatus.PUBLISHED, VersionStatus.REJECTED],
  [VersionStatus.TESTING]: [VersionStatus.EVALUATING, VersionStatus.AWAITING_REVIEW, VersionStatus.PUBLISHED, VersionStatus.REJECTED],
  [VersionStatus.EVALUATING]: [VersionStatus.AWAITING_REVIEW, VersionStatus.PUBLISHED, VersionStatus.REJECTED],
  [VersionStatus.AWAITING_REVIEW]: [VersionStatus.PUBLISHED, VersionStatus.REJECTED],
  [VersionStatus.PUBLISHED]: [VersionStatus.DEPRECATED, VersionStatus.YANKED],
  [VersionStatus.DEPRECATED]: [VersionStatus.DEPRECATED, VersionStatus.YANKED],
  [VersionStatus.REJECTED]: [],
  [VersionStatus.YANKED]: [],
};

export function canTransition(from: VersionStatus, to: VersionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export const INSTALLABLE_STATUSES: readonly VersionStatus[] = [VersionStatus.PUBLISHED, VersionStatus.DEPRECATED];

export function isInstallable(status: VersionStatus): boolean {
  return INSTALLABLE_STATUSES.includes(status);
}

/** Versions anyone may see: installable ones, and yanked ones (their history matters to those who installed them). */
export const PUBLIC_STATUSES: readonly VersionStatus[] = [VersionStatus.PUBLISHED, VersionStatus.DEPRECATED, VersionStatus.YANKED];

export function isPublic(status: VersionStatus): boolean {
  return PUBLIC_STATUSES.includes(status);
}
