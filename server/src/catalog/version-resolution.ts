import semver from "semver";
import { LATEST_CHANNEL } from "./channel.service";
import type { SkillVersion } from "./skill-version.entity";
import { INSTALLABLE_STATUSES, isInstallable, VersionStatus } from "./version-status";

/** What resolution may pick: installable versions, plus yanked ones for exact pins and channels. */
export const RESOLVABLE_STATUSES: readonly VersionStatus[] = [...INSTALLABLE_STATUSES, VersionStatus.YANKED];

/** The version an exact pin (`1.2.3`, `=1.2.3`) names; null for any other range. */
export function exactPin(range: string): string | null {
  return semver.valid(range) ?? semver.valid(range.replace(/^=\s*/, ""));
}

/**
 * The version a dependency range picks, as installSkill resolves it: `latest` is the skill's latest
 * version, an exact pin may name a yanked version, any other range takes the highest installable
 * match. Null when nothing matches.
 */
export function resolveRange(versions: readonly SkillVersion[], range: string, latestVersionId: string | null): SkillVersion | null {
  const candidates = versions.filter((v) => isInstallable(v.status));
  if (range === LATEST_CHANNEL) return candidates.find((v) => v.id === latestVersionId) ?? null;
  const pinned = exactPin(range);
  if (pinned) return versions.find((v) => RESOLVABLE_STATUSES.includes(v.status) && semver.eq(v.version, pinned)) ?? null;
  const best = semver.maxSatisfying(
    candidates.map((c) => c.version),
    range,
  );
  return candidates.find((v) => v.version === best) ?? null;
}
