import semver from "semver";
import { In, type EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { type RequestContext, requireViewer } from "../common/request-context";
import { Skill } from "../catalog/skill.entity";
import { SkillVersion } from "../catalog/skill-version.entity";
import { VersionDependency } from "../catalog/version-dependency.entity";
import { isChannelName, LATEST_CHANNEL } from "../catalog/channel.service";
import { SkillChannel } from "../catalog/skill-channel.entity";
import { VersionStatus } from "../catalog/version-lifecycle";
import { exactPin, resolveRange, RESOLVABLE_STATUSES } from "../catalog/version-resolution";
import { Membership } from "../identity/membership.entity";
import { Team } from "../identity/team.entity";
import { GlobalRole } from "../identity/user.entity";
import { Install } from "./install.entity";

export interface InstallInput {
  name: string;
  /**
   * A semver range, `latest` (the default) for the skill's latest version, or the name of one of the
   * skill's channels (`stable`, `beta`, …). Channels apply to the requested skill only; its
   * dependencies are always resolved by their semver ranges.
   */
  range?: string | null;
  /** Team name of the installing tenant; defaults to the viewer's only team. */
  tenant?: string | null;
}

export interface ResolvedNode {
  skill: Skill;
  version: SkillVersion;
  /** The range this node was chosen for (`latest` for the root when no range was given, or the channel name). */
  range: string;
  /** name@version of each ancestor, root first; empty for the root. */
  path: string[];
}

export interface InstallResult {
  tenant: Team;
  nodes: ResolvedNode[];
  /** Yanked versions installed anyway (exact pin or channel) and deprecated ones, one line each. */
  warnings: string[];
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
export class DependencyResolver {
  private readonly skills = new Map<string, Skill>();
  private readonly versions = new Map<string, SkillVersion[]>();
  private readonly dependencies = new Map<string, VersionDependency[]>();
  /** Notes about what was chosen, in resolution order (see InstallResult.warnings). */
  readonly warnings: string[] = [];

  constructor(private readonly em: EntityManager) {}

  async resolve(name: string, range: string): Promise<ResolvedNode[]> {
    const root = await this.em.getRepository(Skill).findOneBy({ name });
    if (!root) throw new SkillyardError("NOT_FOUND", `There is no skill named "${name}".`, { name });
    this.skills.set(root.id, root);
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
        await visit(this.skills.get(dep.dependencySkillId)!, dep.range, [...path, node]);
      }
    };
    await visit(root, range, []);
    return order;
  }

  private async pick(skill: Skill, wanted: string, trail: string[], isRoot: boolean): Promise<SkillVersion> {
    if (isRoot && isChannelName(wanted)) return this.pickChannel(skill, wanted);
    const found = resolveRange(await this.versionsOf(skill), wanted, skill.latestVersionId);
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
    const stored = await this.em.getRepository(SkillChannel).find({ where: { skillId: skill.id }, relations: { version: true } });
    const found = stored.find((c) => c.name === channel)?.version;
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
      const replacement = version.replacementSkillId ? await this.em.getRepository(Skill).findOneBy({ id: version.replacementSkillId }) : null;
      const instead = replacement ? `; use ${replacement.name} instead` : "";
      this.warnings.push(`${label(skill, version)} is deprecated: ${version.statusReason ?? "no message given"}${instead}${neededBy}.`);
    }
  }

  /** Installable and yanked versions of the skill (yanked ones only ever match exact pins and channels). */
  private async versionsOf(skill: Skill): Promise<SkillVersion[]> {
    let list = this.versions.get(skill.id);
    if (!list) {
      list = await this.em.getRepository(SkillVersion).findBy({ skillId: skill.id, status: In([...RESOLVABLE_STATUSES]) });
      this.versions.set(skill.id, list);
    }
    return list;
  }

  private async dependenciesOf(version: SkillVersion): Promise<VersionDependency[]> {
    let deps = this.dependencies.get(version.id);
    if (!deps) {
      deps = await this.em.getRepository(VersionDependency).find({ where: { versionId: version.id }, relations: { dependencySkill: true } });
      deps.sort((a, b) => a.dependencySkill.name.localeCompare(b.dependencySkill.name));
      for (const d of deps) this.skills.set(d.dependencySkill.id, d.dependencySkill);
      this.dependencies.set(version.id, deps);
    }
    return deps;
  }
}

export class InstallService {
  /** Resolves the tree and records one install per node for the tenant, in one transaction. */
  async installSkill(ctx: RequestContext, input: InstallInput): Promise<InstallResult> {
    const viewer = requireViewer(ctx);
    const range = input.range?.trim() || LATEST_CHANNEL;
    if (range !== LATEST_CHANNEL && semver.validRange(range) === null && !isChannelName(range)) {
      throw new SkillyardError("BAD_USER_INPUT", `"${range}" is neither a semver range nor a channel name (such as "latest" or "stable").`, {
        argument: "range",
      });
    }
    return ctx.runtime.dataSource.transaction(async (em) => {
      const tenant = await this.tenantFor(em, viewer.user.id, viewer.user.roles.includes(GlobalRole.ADMIN), input.tenant ?? null);
      const resolver = new DependencyResolver(em);
      const nodes = await resolver.resolve(input.name, range);
      await em.getRepository(Install).insert(
        nodes.map((n, i) => ({ tenantId: tenant.id, skillId: n.skill.id, versionId: n.version.id, installedById: viewer.user.id, transitive: i > 0 })),
      );
      await em.query(`UPDATE skill SET download_count = download_count + 1 WHERE id = ANY($1::uuid[])`, [nodes.map((n) => n.skill.id)]);
      return { tenant, nodes, warnings: resolver.warnings };
    });
  }

  private async tenantFor(em: EntityManager, userId: string, isAdmin: boolean, tenantName: string | null): Promise<Team> {
    if (tenantName) {
      const team = await em.getRepository(Team).findOneBy({ name: tenantName });
      if (!team) throw new SkillyardError("NOT_FOUND", `There is no team "${tenantName}".`, { tenant: tenantName });
      if (!isAdmin && !(await em.getRepository(Membership).existsBy({ userId, teamId: team.id }))) {
        throw new SkillyardError("FORBIDDEN", `You cannot install for team "${tenantName}": you are not a member.`, { tenant: tenantName });
      }
      return team;
    }
    const memberships = await em.getRepository(Membership).find({ where: { userId }, relations: { team: true } });
    if (memberships.length === 1) return memberships[0].team;
    throw new SkillyardError(
      "BAD_USER_INPUT",
      memberships.length === 0 ? "You belong to no team; name the tenant to install for." : "You belong to several teams; name the tenant to install for.",
      { argument: "tenant" },
    );
  }
}
