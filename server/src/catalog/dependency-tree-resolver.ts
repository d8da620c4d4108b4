import semver from "semver";
import { SkillyardError } from "@skillyard/core";
import type { CatalogLoaders } from "./catalog.loaders";
import { isChannelName, LATEST_CHANNEL } from "./channel.service";
import type { Skill } from "./skill.entity";
import type { SkillVersion } from "./skill-version.entity";
import type { VersionDependency } from "./version-dependency.entity";
import { exactPin, resolveRange, RESOLVABLE_STATUSES } from "./version-resolution";
import { VersionStatus } from "./version-status";

/** What resolution reads: a request's catalog loaders (installSkill), or ones over a transaction's EntityManager (the review policy). */
export type ResolutionLoaders = Pick<CatalogLoaders, "skillById" | "versionById" | "versionsBySkillId" | "dependenciesByVersionId" | "channelsBySkillId">;

export interface ResolvedNode {
  skill: Skill;
  version: SkillVersion;
  /** The range this node was chosen for (`latest` for the root when no range was given, or the channel name). */
  range: string;
  /** name@version of each ancestor, root first; empty for the root. */
  path: string[];
}

const label = (skill: Skill, version: SkillVersion) => `${skill.name}@${version.version}`;

/**
 * Resolves a skill's whole dependency tree: for each skill the highest installable version that
 * satisfies the range, one version per skill. A skill needed twice must satisfy both ranges with
 * the version already chosen (DEPENDENCY_CONFLICT otherwise); a skill that depends back on an
 * ancestor is a DEPENDENCY_CYCLE. Errors name the path that led to them.
 *
 * Yanked versions never match a range or `latest`, but an exact pin (`1.2.3`) still resolves to a
 * yanked version, and so does a channel still pointing at one: both with a warning, so builds that
 * pinned it keep working while everyone else moves off it. Deprecated versions resolve normally,
 * with a warning naming the deprecation message and replacement.
 */
export class DependencyTreeResolver {
  /** Notes about what was chosen, in resolution order: yanked versions installed anyway, deprecated ones. */
  readonly warnings: string[] = [];

  constructor(private readonly loaders: ResolutionLoaders) {}

  /** The tree under `root` for `range` (a semver range, `latest`, or one of the root's channels), root first. */
  async resolve(root: Skill, range: string): Promise<ResolvedNode[]> {
    const chosen = new Map<string, ResolvedNode>();
    const order: ResolvedNode[] = [];
    const visit = async (skill: Skill, wanted: string, path: ResolvedNode[]): Promise<void> => {
      const trail = path.map((n) => label(n.skill, n.version));
      const ancestor = path.find((n) => n.skill.id === skill.id);
      if (ancestor) {
        const cycle = [...trail.slice(path.indexOf(ancestor)), skill.name];
        throw new SkillyardError("DEPENDENCY_CYCLE", `Dependency cycle: ${cycle.join(" → ")}.`, { path: cycle });
      }
      const already = chosen.get(skill.id);
      if (already) {
        if (wanted !== "latest" && !semver.satisfies(already.version.version, wanted, { includePrerelease: false })) {
          const first = [...already.path, label(skill, already.version)];
          const second = [...trail, `${skill.name}@${wanted}`];
          throw new SkillyardError(
            "DEPENDENCY_CONFLICT",
            `${skill.name} is needed as ${already.range} by ${first.join(" → ")} and as ${wanted} by ${second.join(" → ")}; no single version satisfies both.`,
            { skill: skill.name, paths: [first, second] },
          );
        }
        return;
      }
      const version = await this.pick(skill, wanted, trail, path.length === 0);
      await this.warnAbout(skill, version, wanted, trail);
      const node: ResolvedNode = { skill, version, range: wanted, path: trail };
      chosen.set(skill.id, node);
      order.push(node);
      for (const dep of await this.dependenciesOf(version)) {
        await visit(dep.dependencySkill, dep.range, [...path, node]);
      }
    };
    await visit(root, range, []);
    return order;
  }

  private async pick(skill: Skill, wanted: string, trail: string[], isRoot: boolean): Promise<SkillVersion> {
    if (isRoot && isChannelName(wanted)) return this.pickChannel(skill, wanted);
    const found = resolveRange(await this.loaders.versionsBySkillId.load(skill.id), wanted, skill.latestVersionId);
    if (!found) {
      const where = trail.length ? ` (needed by ${trail.join(" → ")})` : "";
      throw new SkillyardError("NO_MATCHING_VERSION", `No installable version of ${skill.name} satisfies ${wanted}${where}.`, {
        skill: skill.name,
        range: wanted,
        path: trail,
      });
    }
    return found;
  }

  /** The version a channel points at; an unknown channel is NO_MATCHING_VERSION naming the ones there are. */
  private async pickChannel(skill: Skill, channel: string): Promise<SkillVersion> {
    const stored = await this.loaders.channelsBySkillId.load(skill.id);
    const pointer = stored.find((c) => c.name === channel);
    const found = pointer ? await this.loaders.versionById.load(pointer.versionId) : null;
    // Channels only ever point at installable versions, which can later only become yanked.
    if (!found || !RESOLVABLE_STATUSES.includes(found.status)) {
      const names = [LATEST_CHANNEL, ...stored.map((c) => c.name).sort()];
      throw new SkillyardError("NO_MATCHING_VERSION", `${skill.name} has no channel "${channel}" (its channels: ${names.join(", ")}).`, {
        skill: skill.name,
        channel,
        channels: names,
        path: [],
      });
    }
    return found;
  }

  private async warnAbout(skill: Skill, version: SkillVersion, wanted: string, trail: string[]): Promise<void> {
    const neededBy = trail.length ? ` (needed by ${trail.join(" → ")})` : "";
    if (version.status === VersionStatus.YANKED) {
      const how = exactPin(wanted) ? `the exact pin ${wanted}` : `channel "${wanted}", which still points at it`;
      this.warnings.push(`${label(skill, version)} was yanked: ${version.statusReason ?? "no reason given"}; installed only because of ${how}${neededBy}.`);
    } else if (version.status === VersionStatus.DEPRECATED) {
      const replacement = version.replacementSkillId ? await this.loaders.skillById.load(version.replacementSkillId) : null;
      const instead = replacement ? `; use ${replacement.name} instead` : "";
      this.warnings.push(`${label(skill, version)} is deprecated: ${version.statusReason ?? "no message given"}${instead}${neededBy}.`);
    }
  }

  /** The version's dependencies, ordered by name. Its rows are its manifest's dependencies (written with the version), so none to read when that is empty. */
  private async dependenciesOf(version: SkillVersion): Promise<VersionDependency[]> {
    return version.manifest.dependencies.length === 0 ? [] : this.loaders.dependenciesByVersionId.load(version.id);
  }
}
