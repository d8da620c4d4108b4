import semver from "semver";
import { In, type EntityManager } from "typeorm";
import { batchLoader, byKey, groupBy } from "../common/loader-utils";
import { createChannelLoaders } from "./channel.loaders";
import { Permission } from "./permission.entity";
import { Skill } from "./skill.entity";
import { SkillVersion } from "./skill-version.entity";
import { VersionDependency } from "./version-dependency.entity";
import { VersionPermission } from "./version-permission.entity";

/**
 * One instance per request: every relation the catalog graph walks is fetched in one query per level.
 * Over the data source's manager, or a transaction's when code inside one resolves a tree (the review policy).
 */
export function createCatalogLoaders(em: EntityManager) {
  const versionById = batchLoader<string, SkillVersion | null>(async (ids) => byKey(ids, await em.findBy(SkillVersion, { id: In([...ids]) }), (v) => v.id));
  /**
   * Every version a list query loads is primed into `versionById`: the fields other subgraphs add to a
   * version look it up by id for their visibility check, and find it without a statement (and so all
   * in the same turn, which keeps their own loads in one batch).
   */
  const primed = (versions: SkillVersion[]): SkillVersion[] => {
    // clear() first: a `versionById` load still in flight for the same id (a skill's latestVersion) would keep its key otherwise.
    for (const v of versions) versionById.clear(v.id).prime(v.id, v);
    return versions;
  };
  return {
    skillById: batchLoader<string, Skill | null>(async (ids) => byKey(ids, await em.findBy(Skill, { id: In([...ids]) }), (s) => s.id)),
    skillByName: batchLoader<string, Skill | null>(async (names) => byKey(names, await em.findBy(Skill, { name: In([...names]) }), (s) => s.name)),
    versionById,
    /** Versions whose package has this sha256 (the same bytes may be published under several versions). */
    versionsBySha256: batchLoader<string, SkillVersion[]>(async (digests) =>
      groupBy(digests, primed(await em.findBy(SkillVersion, { packageSha256: In([...digests]) })), (v) => v.packageSha256),
    ),
    /** All versions of each skill, highest semver first. */
    versionsBySkillId: batchLoader<string, SkillVersion[]>(async (skillIds) => {
      const rows = primed(await em.findBy(SkillVersion, { skillId: In([...skillIds]) }));
      return groupBy(skillIds, rows, (v) => v.skillId).map((list) => list.sort((a, b) => semver.rcompare(a.version, b.version)));
    }),
    /** The readme of each version: the one column a version list does not select. */
    readmeByVersionId: batchLoader<string, string | null>(async (ids) => {
      const rows = (await em.query(`SELECT id, readme FROM skill_version WHERE id = ANY($1::uuid[])`, [[...ids]])) as { id: string; readme: string | null }[];
      return byKey(ids, rows, (r) => r.id).map((row) => row?.readme ?? null);
    }),
    dependenciesByVersionId: batchLoader<string, VersionDependency[]>(async (versionIds) => {
      const rows = await em.find(VersionDependency, { where: { versionId: In([...versionIds]) }, relations: { dependencySkill: true } });
      return groupBy(versionIds, rows, (d) => d.versionId).map((list) => list.sort((a, b) => a.dependencySkill.name.localeCompare(b.dependencySkill.name)));
    }),
    /** Versions whose dependencies point at each skill (its dependents). */
    dependentsBySkillId: batchLoader<string, VersionDependency[]>(async (skillIds) => {
      const rows = await em.find(VersionDependency, { where: { dependencySkillId: In([...skillIds]) }, relations: { version: true } });
      return groupBy(skillIds, rows, (d) => d.dependencySkillId);
    }),
    permissionsByVersionId: batchLoader<string, VersionPermission[]>(async (versionIds) => {
      const rows = await em.find(VersionPermission, { where: { versionId: In([...versionIds]) }, relations: { catalogueEntry: true } });
      return groupBy(versionIds, rows, (p) => p.versionId).map((list) => list.sort((a, b) => a.name.localeCompare(b.name)));
    }),
    permissionByName: batchLoader<string, Permission | null>(async (names) =>
      byKey(names, await em.findBy(Permission, { name: In([...names]) }), (p) => p.name),
    ),
    ...createChannelLoaders(em),
  };
}

export type CatalogLoaders = ReturnType<typeof createCatalogLoaders>;
