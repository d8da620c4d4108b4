import semver from "semver";
import type { EntityManager } from "typeorm";
import { Skill } from "./skill.entity";
import { SkillVersion } from "./skill-version.entity";
import type { SkillSearchService } from "./skill-search.service";
import { isInstallable } from "./version-status";

/** The highest stable version, or the highest pre-release when there is no stable one. */
export function pickLatest<T extends { version: string }>(versions: readonly T[]): T | null {
  const stable = versions.filter((v) => semver.prerelease(v.version) === null);
  const pool = stable.length > 0 ? stable : versions;
  return pool.reduce<T | null>((best, v) => (!best || semver.gt(v.version, best.version) ? v : best), null);
}

/**
 * Locks the skill row until the transaction ends. Every change to a version's status takes it before
 * touching the version, so two versions finishing together are serialised: under READ COMMITTED the
 * second one then reads the first one's committed status instead of a snapshot without it.
 */
export async function lockSkillRow(em: EntityManager, skillId: string): Promise<Skill | null> {
  return em.getRepository(Skill).findOne({ where: { id: skillId }, lock: { mode: "pessimistic_write" } });
}

/** Keeps Skill.latestVersionId (the `latest` channel) and the skill's listing fields in step with its versions. */
export class LatestVersionService {
  constructor(private readonly search: SkillSearchService) {}

  /** Points `latestVersionId` at the highest installable version (answered); listing fields follow it. */
  async refresh(em: EntityManager, skillId: string): Promise<string | null> {
    await lockSkillRow(em, skillId);
    const versions = await em
      .getRepository(SkillVersion)
      .find({ where: { skillId }, select: { id: true, version: true, status: true, manifest: true, publishedAt: true } });
    const latest = pickLatest(versions.filter((v) => isInstallable(v.status)));
    await em.getRepository(Skill).update(skillId, {
      latestVersionId: latest?.id ?? null,
      lastPublishedAt: latest ? versions.reduce<Date | null>((max, v) => (v.publishedAt && (!max || v.publishedAt > max) ? v.publishedAt : max), null) : null,
      ...(latest ? { description: latest.manifest.description, category: latest.manifest.category, tags: latest.manifest.tags } : {}),
    });
    await this.search.refreshSearchVector(em, skillId);
    return latest?.id ?? null;
  }
}
