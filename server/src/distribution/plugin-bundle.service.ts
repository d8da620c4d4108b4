import { readFile } from "node:fs/promises";
import path from "node:path";
import { type ArchiveLimits, withExtractedPackage } from "@skillyard/core";
import { type DataSource, type EntityManager, In } from "typeorm";
import type { Skill } from "../catalog/skill.entity";
import { SkillVersion } from "../catalog/skill-version.entity";
import type { VersionTransition } from "../catalog/version-lifecycle";
import { INSTALLABLE_STATUSES, isInstallable } from "../catalog/version-status";
import type { Logger } from "../common/logger";
import type { BlobStore } from "../packages/blob-store";
import { type ArchiveEntry, deterministicZip, pluginEntries } from "./plugin-archive";
import { PluginBundle } from "./plugin-bundle.entity";

/**
 * Builds and keeps each installable version's Claude Code plugin archive. The archive is built in
 * the transaction that makes the version installable (a failure there rolls the publish back, so
 * no installable version lacks one) and never rebuilt differently: its row is immutable, and a
 * blob lost from disk is rebuilt only if the rebuild has the recorded digest.
 */
export class PluginBundleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly blobStore: BlobStore,
    private readonly limits: ArchiveLimits,
    private readonly logger: Logger,
  ) {}

  /** The lifecycle listener: a version entering an installable status gets its archive, once. */
  readonly onTransition = async ({ em, skill, version, from, to }: VersionTransition): Promise<void> => {
    if (isInstallable(to) && !isInstallable(from)) await this.ensure(em, skill, version);
  };

  /** The bytes of a version's plugin, from its stored package; the same package gives the same bytes. */
  async build(skill: Pick<Skill, "name">, version: Pick<SkillVersion, "manifest" | "packageSha256">): Promise<Buffer> {
    if (version.manifest.name !== skill.name) throw new Error(`Version manifest names ${version.manifest.name}, not ${skill.name}`);
    const files = await this.blobStore.withLocalFile(version.packageSha256, "tgz", (file) =>
      withExtractedPackage(file, this.limits, this.blobStore.tmpDir, async (pkg) => {
        const entries: ArchiveEntry[] = [];
        // Paths were validated by the extraction, so each join stays inside the staging folder.
        for (const file of pkg.files) {
          entries.push({ path: file.path, bytes: await readFile(path.join(pkg.dir, ...file.path.split("/"))), executable: (file.mode & 0o111) !== 0 });
        }
        return entries;
      }),
    );
    return deterministicZip(pluginEntries(version.manifest, files));
  }

  /** Stores the version's archive and its row unless it has one; returns the row. */
  async ensure(em: EntityManager, skill: Pick<Skill, "name">, version: Pick<SkillVersion, "id" | "manifest" | "packageSha256">): Promise<PluginBundle> {
    const existing = await em.getRepository(PluginBundle).findOneBy({ versionId: version.id });
    if (existing) return existing;
    // The blob is written before the row commits; if the transaction rolls back, an unreferenced
    // content-addressed file stays behind, which serves nothing (the route looks rows up first).
    const stored = await this.blobStore.putBuffer(await this.build(skill, version), "zip");
    await em.getRepository(PluginBundle).insert({ versionId: version.id, sha256: stored.sha256, size: stored.size });
    return em.getRepository(PluginBundle).findOneByOrFail({ versionId: version.id });
  }

  /**
   * At start-up: archives for installable versions that have none (published before this feature),
   * and lost blob files rebuilt when the rebuild has the recorded digest. Returns how many it built.
   */
  async backfill(): Promise<number> {
    const missing = await this.dataSource
      .getRepository(SkillVersion)
      .createQueryBuilder("v")
      .innerJoinAndSelect("v.skill", "s")
      .leftJoin(PluginBundle, "b", "b.version_id = v.id")
      .where("v.status IN (:...statuses)", { statuses: INSTALLABLE_STATUSES })
      .andWhere("b.version_id IS NULL")
      .orderBy("v.created_at")
      .getMany();
    for (const version of missing) {
      await this.dataSource.transaction(async (em) => this.ensure(em, version.skill, version));
    }
    if (missing.length > 0) this.logger.info("built plugin archives for installable versions that had none", { count: missing.length });
    const bundles = await this.dataSource.getRepository(PluginBundle).find({ select: { versionId: true, sha256: true } });
    const lost: string[] = [];
    // A few existence checks at a time: with S3 each is a HEAD request.
    for (let i = 0; i < bundles.length; i += 16) {
      const batch = bundles.slice(i, i + 16);
      const present = await Promise.all(batch.map((b) => this.blobStore.has(b.sha256, "zip")));
      batch.forEach((b, j) => present[j] || lost.push(b.versionId));
    }
    if (lost.length === 0) return missing.length;
    for (const bundle of await this.dataSource.getRepository(PluginBundle).find({ where: { versionId: In(lost) }, relations: { version: { skill: true } } })) {
      const bytes = await this.build(bundle.version.skill, bundle.version);
      const stored = await this.blobStore.putBuffer(bytes, "zip");
      if (stored.sha256 !== bundle.sha256) {
        this.logger.error("a lost plugin archive rebuilt to other bytes and cannot be served under its digest", {
          version: `${bundle.version.skill.name}@${bundle.version.version}`,
          recorded: bundle.sha256,
          rebuilt: stored.sha256,
        });
      }
    }
    return missing.length;
  }
}
