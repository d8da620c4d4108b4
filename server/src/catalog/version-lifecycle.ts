/**
 * A version's lifecycle. UPLOADED → TESTING → (AWAITING_REVIEW →) PUBLISHED, with REJECTED from
 * TESTING or AWAITING_REVIEW; PUBLISHED → DEPRECATED or YANKED; DEPRECATED → YANKED.
 * Only PUBLISHED and DEPRECATED versions are installable; name@version stays taken in every state.
 */
export enum VersionStatus {
  UPLOADED = "UPLOADED",
  TESTING = "TESTING",
  AWAITING_REVIEW = "AWAITING_REVIEW",
  PUBLISHED = "PUBLISHED",
  REJECTED = "REJECTED",
  DEPRECATED = "DEPRECATED",
  YANKED = "YANKED",
}

const TRANSITIONS: Readonly<Record<VersionStatus, readonly VersionStatus[]>> = {
  [VersionStatus.UPLOADED]: [VersionStatus.TESTING, VersionStatus.PUBLISHED, VersionStatus.REJECTED],
  [VersionStatus.TESTING]: [VersionStatus.AWAITING_REVIEW, VersionStatus.PUBLISHED, VersionStatus.REJECTED],
  [VersionStatus.AWAITING_REVIEW]: [VersionStatus.PUBLISHED, VersionStatus.REJECTED],
  [VersionStatus.PUBLISHED]: [VersionStatus.DEPRECATED, VersionStatus.YANKED],
  [VersionStatus.DEPRECATED]: [VersionStatus.YANKED, VersionStatus.PUBLISHED],
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
