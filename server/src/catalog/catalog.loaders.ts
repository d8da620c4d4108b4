import DataLoader from "dataloader";
import semver from "semver";
import { In, type DataSource } from "typeorm";
import { byKey, groupBy } from "../common/loader-utils";
import { createChannelLoaders } from "./channel.loaders";
import { Permission } from "./permission.entity";
import { Skill } from "./skill.entity";
import { SkillVersion } from "./skill-version.entity";
import { VersionDependency } from "./version-dependency.entity";
import { VersionPermission } from "./version-permission.entity";

/** One instance per request: every relation the catalog graph walks is fetched in one query per level. */
export function createCatalogLoaders(dataSource: DataSource) {
  const em = dataSource.manager;
  return {
    skillById: new DataLoader<string, Skill | null>(async (ids) => byKey(ids, await em.findBy(Skill, { id: In([...ids]) }), (s) => s.id)),
    skillByName: new DataLoader<string, Skill | null>(async (names) => byKey(names, await em.findBy(Skill, { name: In([...names]) }), (s) => s.name)),
    versionById: new DataLoader<string, SkillVersion | null>(async (ids) => byKey(ids, await em.findBy(SkillVersion, { id: In([...ids]) }), (v) => v.id)),
    /** Versions whose package has this sha256 (the same bytes may be published under several versions). */
    versionsBySha256: new DataLoader<string, SkillVersion[]>(async (digests) =>
      groupBy(digests, await em.findBy(SkillVersion, { packageSha256: In([...digests]) }), (v) => v.packageSha256),
    ),
    /** All versions of each skill, highest semver first. */
    versionsBySkillId: new DataLoader<string, SkillVersion[]>(async (skillIds) => {
      const rows = await em.findBy(SkillVersion, { skillId: In([...skillIds]) });
      return groupBy(skillIds, rows, (v) => v.skillId).map((list) => list.sort((a, b) => semver.rcompare(a.version, b.version)));
    }),
    dependenciesByVersionId: new DataLoader<string, VersionDependency[]>(async (versionIds) => {
      const rows = await em.find(VersionDependency, { where: { versionId: In([...versionIds]) }, relations: { dependencySkill: true } });
      return groupBy(versionIds, rows, (d) => d.versionId).map((list) => list.sort((a, b) => a.dependencySkill.name.localeCompare(b.dependencySkill.name)));
    }),
    /** Versions whose dependencies point at each skill (its dependents). */
    dependentsBySkillId: new DataLoader<string, VersionDependency[]>(async (skillIds) => {
      const rows = await em.find(VersionDependency, { where: { dependencySkillId: In([...skillIds]) }, relations: { version: true } });
      return groupBy(skillIds, rows, (d) => d.dependencySkillId);
    }),
    permissionsByVersionId: new DataLoader<string, VersionPermission[]>(async (versionIds) => {
      const rows = await em.find(VersionPermission, { where: { versionId: In([...versionIds]) }, relations: { catalogueEntry: true } });
      return groupBy(versionIds, rows, (p) => p.versionId).map((list) => list.sort((a, b) => a.name.localeCompare(b.name)));
    }),
    permissionByName: new DataLoader<string, Permission | null>(async (names) =>
      byKey(names, await em.findBy(Permission, { name: In([...names]) }), (p) => p.name),
    ),
    ...createChannelLoaders(dataSource),
  };
}

export type CatalogLoaders = ReturnType<typeof createCatalogLoaders>;
