import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { type DataSource, In, type EntityManager, QueryFailedError } from "typeorm";
import {
  type ArchiveLimits,
  EVAL_SUITE_LIMITS,
  EVAL_SUITE_PATH,
  type EvalSuite,
  type ExtractedPackage,
  type SkillManifest,
  SkillyardError,
  evalSuiteForManifest,
  parseEvalSuite,
  parseManifest,
  parseSkillMdFrontMatter,
  withExtractedPackage,
} from "@skillyard/core";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { Membership } from "../identity/membership.entity";
import { Team } from "../identity/team.entity";
import { assertMayPublishFor, requireViewer, type Viewer } from "../identity/viewer";
import type { BlobStore } from "../packages/blob-store";
import { PackageBlob } from "../packages/package-blob.entity";
import type { CatalogContext } from "./catalog.context";
import { catalogueEntryName, type PermissionCatalogueService } from "./permission-catalogue.service";
import type { PublishPipeline } from "./publish-pipeline";
import { nameSkeleton } from "./name-skeleton";
import { Skill } from "./skill.entity";
import { SkillVersion } from "./skill-version.entity";
import { VersionDependency } from "./version-dependency.entity";
import { VersionPermission } from "./version-permission.entity";
import { VersionStatus } from "./version-status";

const README_MAX_BYTES = 512 * 1024;
const MANIFEST_MAX_BYTES = 256 * 1024;

export interface PublishInput {
  packageSha256: string;
  /** Needed for SKILL.md-only packages; must match skill.yaml when both are given. */
  version?: string | null;
  /** Owning team for a first publish when the publisher belongs to several. */
  team?: string | null;
}

export interface PublishResult {
  version: SkillVersion;
  /** False when the same bytes were already published as this name@version (idempotent retry). */
  created: boolean;
  warnings: string[];
}

interface InspectedPackage {
  manifest: SkillManifest;
  evalSuite: EvalSuite | null;
  warnings: string[];
  readme: string | null;
  files: ExtractedPackage["files"];
}

const UNIQUE_VIOLATION = "23505";

function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION;
}

async function readRootFile(pkg: ExtractedPackage, name: string, maxBytes: number): Promise<string | undefined> {
  const entry = pkg.files.find((f) => f.path === name);
  if (!entry) return undefined;
  const file = path.join(pkg.dir, name);
  if ((await stat(file)).size > maxBytes) {
    throw new SkillyardError("MANIFEST_INVALID", `${name} is over ${maxBytes} bytes.`, { errors: [{ path: `/${name}`, message: "too large" }] });
  }
  return readFile(file, "utf8");
}

/** The package's eval suite, checked against its manifest (core owns both rules); null when it has none. */
async function readEvalSuite(pkg: ExtractedPackage, manifest: SkillManifest): Promise<EvalSuite | null> {
  const entry = pkg.files.find((f) => f.path === EVAL_SUITE_PATH);
  if (!entry) return null;
  if (entry.size > EVAL_SUITE_LIMITS.maxBytes) {
    throw new SkillyardError("EVAL_SUITE_INVALID", `${EVAL_SUITE_PATH} is over ${EVAL_SUITE_LIMITS.maxBytes} bytes.`, {
      errors: [{ path: "", message: "too large" }],
    });
  }
  return evalSuiteForManifest(parseEvalSuite(await readFile(path.join(pkg.dir, EVAL_SUITE_PATH), "utf8")), manifest);
}

export class PublishService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly blobStore: BlobStore,
    private readonly archiveLimits: ArchiveLimits,
    private readonly permissionCatalogue: PermissionCatalogueService,
    private readonly audit: AuditService,
    private readonly pipeline: PublishPipeline,
    /** Names no skill may take (nor a look-alike of): Skillyard's own plugins in the catalogs. */
    private readonly reservedNames: ReadonlySet<string> = new Set(),
  ) {}

  /**
   * Publishes name@version from an uploaded package. Versions are immutable: the same bytes again
   * succeed without change; different bytes under a taken name@version fail with VERSION_EXISTS,
   * whatever the existing version's status (yanked included).
   */
  async publishSkillVersion(ctx: CatalogContext, input: PublishInput): Promise<PublishResult> {
    const viewer = requireViewer(ctx);
    const { dataSource, blobStore } = this;
    const blob = await dataSource.getRepository(PackageBlob).findOneBy({ sha256: input.packageSha256 });
    if (!blob || !(await blobStore.has(blob.sha256))) {
      throw new SkillyardError("PACKAGE_NOT_FOUND", `No package with sha256 ${input.packageSha256} was uploaded (POST /packages first).`, {
        packageSha256: input.packageSha256,
      });
    }
    const knownPermissions = await this.permissionCatalogue.names(dataSource.manager);
    const inspected = await blobStore.withLocalFile(blob.sha256, "tgz", (file) =>
      withExtractedPackage(file, this.archiveLimits, blobStore.tmpDir, async (pkg): Promise<InspectedPackage> => {
        const skillYaml = await readRootFile(pkg, "skill.yaml", MANIFEST_MAX_BYTES);
        const skillMd = await readRootFile(pkg, "SKILL.md", MANIFEST_MAX_BYTES);
        const { manifest, warnings } = parseManifest({ skillYaml, skillMd }, { version: input.version ?? undefined, knownPermissions });
        const readme = (await readRootFile(pkg, "README.md", README_MAX_BYTES)) ?? skillMdBody(skillMd);
        const evalSuite = await readEvalSuite(pkg, manifest);
        return { manifest, evalSuite, warnings, readme, files: pkg.files };
      }),
    );
    // Two publishers racing on a new name both pass the checks; the unique index decides and the loser retries once.
    for (let attempt = 0; ; attempt++) {
      try {
        return await dataSource.transaction((em) => this.record(ctx, em, viewer, blob, inspected, input.team ?? null, knownPermissions));
      } catch (error) {
        if (attempt === 0 && isUniqueViolation(error)) continue;
        throw error;
      }
    }
  }

  private async record(
    ctx: CatalogContext,
    em: EntityManager,
    viewer: Viewer,
    blob: PackageBlob,
    inspected: InspectedPackage,
    teamName: string | null,
    permissionNames: ReadonlySet<string>,
  ): Promise<PublishResult> {
    const { manifest } = inspected;
    const userId = viewer.user.id;
    let skill = await em.getRepository(Skill).findOne({ where: { name: manifest.name }, lock: { mode: "pessimistic_write" } });
    if (skill) {
      await this.assertMember(em, userId, skill.teamId, `Only members of the team that owns "${skill.name}" can publish it.`);
      assertMayPublishFor(viewer, skill.teamId, `publish "${skill.name}"`);
      const existing = await em.getRepository(SkillVersion).findOneBy({ skillId: skill.id, version: manifest.version });
      if (existing) {
        if (existing.packageSha256 === blob.sha256) return { version: existing, created: false, warnings: inspected.warnings };
        throw new SkillyardError(
          "VERSION_EXISTS",
          `${manifest.name}@${manifest.version} already exists with different contents; versions are immutable, publish a new version.`,
          { name: manifest.name, version: manifest.version, existingSha256: existing.packageSha256 },
        );
      }
    } else {
      const reserved = [...this.reservedNames].find((name) => nameSkeleton(name) === nameSkeleton(manifest.name));
      if (reserved) {
        throw new SkillyardError(
          "NAME_RESERVED",
          `"${manifest.name}" is too close to "${reserved}", which Skillyard uses for its own plugin; choose another name.`,
          {
            name: manifest.name,
            reserved,
          },
        );
      }
      const lookAlike = await em.getRepository(Skill).findOneBy({ nameSkeleton: nameSkeleton(manifest.name) });
      if (lookAlike) {
        // Names are one namespace, so a taken name must be refused; but an unreleased skill is not named to those who may not see it.
        const shown = await ctx.visibility.canSeeSkill(lookAlike);
        throw new SkillyardError(
          "NAME_TOO_SIMILAR",
          `"${manifest.name}" is too similar to ${shown ? `the existing skill "${lookAlike.name}"` : "the name of an existing skill"}; choose a clearly different name.`,
          shown ? { name: manifest.name, similarTo: lookAlike.name } : { name: manifest.name },
        );
      }
      const teamId = await this.owningTeam(em, userId, teamName);
      assertMayPublishFor(viewer, teamId, `publish a new skill for ${teamName ? `team "${teamName}"` : "your team"}`);
      skill = await em.getRepository(Skill).save(
        em.getRepository(Skill).create({
          name: manifest.name,
          nameSkeleton: nameSkeleton(manifest.name),
          teamId,
          description: manifest.description,
          category: manifest.category,
          tags: manifest.tags,
        }),
      );
    }
    const dependencySkills = await this.dependencySkills(em, manifest);
    // Created UPLOADED here; after this only VersionLifecycle writes the row (its status).
    const version = await em.getRepository(SkillVersion).save(
      em.getRepository(SkillVersion).create({
        skillId: skill.id,
        version: manifest.version,
        // The publish pipeline moves it on from here (see PublishPipeline).
        status: VersionStatus.UPLOADED,
        statusReason: null,
        manifest,
        packageSha256: blob.sha256,
        packageSize: blob.size,
        readme: inspected.readme,
        evalSuite: inspected.evalSuite,
        files: inspected.files.map(({ path: p, size, sha256 }) => ({ path: p, size, sha256 })),
        publishedById: userId,
        publishedAt: null,
      }),
    );
    if (manifest.dependencies.length > 0) {
      await em
        .getRepository(VersionDependency)
        .insert(manifest.dependencies.map((d) => ({ versionId: version.id, dependencySkillId: dependencySkills.get(d.name)!.id, range: d.range })));
    }
    if (manifest.permissions.length > 0) {
      await em
        .getRepository(VersionPermission)
        .insert(manifest.permissions.map((name) => ({ versionId: version.id, name, catalogueEntryName: catalogueEntryName(name, permissionNames)! })));
    }
    await this.audit.record(em, {
      actorId: userId,
      action: AuditAction.PUBLISH,
      targetType: "SkillVersion",
      targetId: version.id,
      skillId: skill.id,
      after: { name: skill.name, version: version.version, packageSha256: blob.sha256 },
    });
    // The gates (tests, then review) decide what it becomes.
    await this.pipeline.start(em, version, userId);
    return { version, created: true, warnings: inspected.warnings };
  }

  private async dependencySkills(em: EntityManager, manifest: SkillManifest): Promise<Map<string, Skill>> {
    const names = manifest.dependencies.map((d) => d.name);
    if (names.length === 0) return new Map();
    const found = await em.getRepository(Skill).findBy({ name: In(names) });
    const byName = new Map(found.map((s) => [s.name, s]));
    const missing = names.filter((n) => !byName.has(n));
    if (missing.length > 0) {
      throw new SkillyardError("DEPENDENCY_NOT_FOUND", `Dependencies that do not exist in the catalog: ${missing.join(", ")}.`, { missing });
    }
    return byName;
  }

  private async owningTeam(em: EntityManager, userId: string, teamName: string | null): Promise<string> {
    const memberships = await em.getRepository(Membership).find({ where: { userId }, relations: { team: true } });
    if (teamName) {
      const membership = memberships.find((m) => m.team.name === teamName);
      if (!membership) {
        const exists = await em.getRepository(Team).existsBy({ name: teamName });
        throw exists
          ? new SkillyardError("FORBIDDEN", `You are not a member of team "${teamName}".`, { team: teamName })
          : new SkillyardError("NOT_FOUND", `There is no team "${teamName}".`, { team: teamName });
      }
      return membership.teamId;
    }
    if (memberships.length === 1) return memberships[0].teamId;
    if (memberships.length === 0) throw new SkillyardError("FORBIDDEN", "You must belong to a team to publish a new skill.");
    throw new SkillyardError(
      "BAD_USER_INPUT",
      `You belong to several teams; name the owning team (one of: ${memberships
        .map((m) => m.team.name)
        .sort()
        .join(", ")}).`,
      {
        argument: "team",
      },
    );
  }

  private async assertMember(em: EntityManager, userId: string, teamId: string, message: string): Promise<void> {
    if (!(await em.getRepository(Membership).existsBy({ userId, teamId }))) throw new SkillyardError("FORBIDDEN", message);
  }
}

/** A SKILL.md-only package has no README: its Markdown body serves as one. */
function skillMdBody(skillMd: string | undefined): string | null {
  return skillMd === undefined ? null : parseSkillMdFrontMatter(skillMd).body.trim() || null;
}
