import { createHash } from "node:crypto";
import { SkillyardError } from "@skillyard/core";
import semver from "semver";
import { type DataSource, type EntityManager, In } from "typeorm";
import { isChannelName, LATEST_CHANNEL } from "../catalog/channel.service";
import { SkillChannel } from "../catalog/skill-channel.entity";
import { Skill } from "../catalog/skill.entity";
import { SkillVersion } from "../catalog/skill-version.entity";
import { VersionDependency } from "../catalog/version-dependency.entity";
import { resolveRange } from "../catalog/version-resolution";
import { INSTALLABLE_STATUSES, VersionStatus } from "../catalog/version-status";
import type { Logger } from "../common/logger";
import type { PublicUrl } from "../packages/public-url";
import type { CatalogPlugin, MarketplaceCatalog } from "./catalog-format";
import { PluginBundle } from "./plugin-bundle.entity";
import type { RuntimePolicyService } from "./runtime-policy.service";

export interface RenderedCatalog {
  catalog: MarketplaceCatalog;
  /** The JSON served, byte for byte. */
  body: string;
  /** A strong validator of `body`. */
  etag: string;
}

/** `channel` as a catalog asks for it: null (or `latest`) for the base catalog, else a channel name. */
export function catalogChannel(channel: string | null | undefined): string | null {
  if (channel === undefined || channel === null || channel === "" || channel === LATEST_CHANNEL) return null;
  if (!isChannelName(channel)) {
    throw new SkillyardError("BAD_USER_INPUT", `"${channel}" is not a channel name: 1-32 lowercase letters, digits and hyphens, starting with a letter.`, {
      argument: "channel",
    });
  }
  return channel;
}

interface Chosen {
  skill: Skill;
  version: SkillVersion;
}

/**
 * The marketplace catalogs Claude Code reads, generated from installable versions only: the base
 * catalog lists each skill's latest version, a channel's catalog each skill's version on that
 * channel. A listed skill's dependencies are listed too (Claude Code installs them by name from the
 * same marketplace): at their own place in this catalog when they have one, else at the highest
 * installable version that satisfies every range asking for them. A skill whose dependencies
 * cannot all be listed is left out, since Claude Code could not install it. Yanked versions are not
 * installable, so they drop out of every catalog at the moment of the yank.
 *
 * Each catalog is read in one REPEATABLE READ snapshot: a yank or channel move that commits while a
 * catalog is being built is either wholly in it or wholly absent, never half (an entry whose
 * dependency is gone, or whose archive row is not visible yet).
 */
export class MarketplaceCatalogService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly publicUrl: PublicUrl,
    private readonly marketplaceName: string,
    private readonly policy: RuntimePolicyService,
    private readonly logger: Logger,
  ) {}

  /** `skillyard` for the base catalog, `skillyard-<channel>` for a channel's. */
  nameOf(channel: string | null): string {
    return channel ? `${this.marketplaceName}-${channel}` : this.marketplaceName;
  }

  /** Where Claude Code fetches the catalog of `channel`. */
  urlOf(channel: string | null): string {
    return channel ? `${this.publicUrl.base}/marketplace.json?channel=${channel}` : `${this.publicUrl.base}/marketplace.json`;
  }

  pluginUrl(sha256: string): string {
    return `${this.publicUrl.base}/plugins/${sha256}.zip`;
  }

  /** The base catalog, then one per channel that points at an installable version of some skill, by name. */
  async channels(): Promise<(string | null)[]> {
    const rows = (await this.dataSource
      .getRepository(SkillChannel)
      .createQueryBuilder("c")
      .select("DISTINCT c.name", "name")
      .innerJoin(SkillVersion, "v", "v.id = c.version_id")
      .where("v.status IN (:...statuses)", { statuses: INSTALLABLE_STATUSES })
      .orderBy("name")
      .getRawMany()) as { name: string }[];
    return [null, ...rows.map((r) => r.name)];
  }

  async render(channel: string | null): Promise<RenderedCatalog> {
    const catalog = await this.dataSource.transaction("REPEATABLE READ", (em) => this.build(em, channel));
    const body = `${JSON.stringify(catalog, null, 2)}\n`;
    return { catalog, body, etag: `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"` };
  }

  private async build(em: EntityManager, channel: string | null): Promise<MarketplaceCatalog> {
    const roots = await this.roots(em, channel);
    const chosen = new Map<string, Chosen>(roots.map((r) => [r.skill.id, r]));
    const dependencies = new Map<string, VersionDependency[]>();
    // Close over dependencies, one query per level of the tree.
    let frontier = roots.map((r) => r.version.id);
    while (frontier.length > 0) {
      const found = await em.getRepository(VersionDependency).find({ where: { versionId: In(frontier) }, order: { id: "ASC" } });
      for (const dep of found) dependencies.set(dep.versionId, [...(dependencies.get(dep.versionId) ?? []), dep]);
      const wanted = [...new Set(found.map((d) => d.dependencySkillId))].filter((id) => !chosen.has(id));
      frontier = [];
      if (wanted.length === 0) break;
      const skills = await em.getRepository(Skill).findBy({ id: In(wanted) });
      const versions = await em.getRepository(SkillVersion).find({ where: { skillId: In(wanted), status: In([...INSTALLABLE_STATUSES]) } });
      for (const skill of skills) {
        const candidates = versions.filter((v) => v.skillId === skill.id);
        const ranges = found.filter((d) => d.dependencySkillId === skill.id).map((d) => d.range);
        const version = pickForAll(candidates, ranges, skill.latestVersionId);
        if (!version) continue;
        chosen.set(skill.id, { skill, version });
        frontier.push(version.id);
      }
    }
    const bundles = new Map(
      (await em.getRepository(PluginBundle).findBy({ versionId: In([...chosen.values()].map((c) => c.version.id)) })).map((b) => [b.versionId, b]),
    );
    const listable = this.listable(chosen, dependencies, bundles);
    const replacements = new Map(
      (await em.getRepository(Skill).findBy({ id: In([...listable].map((c) => c.version.replacementSkillId).filter((id): id is string => id !== null)) })).map(
        (s) => [s.id, s.name],
      ),
    );
    const plugins = [...listable]
      .sort((a, b) => (a.skill.name < b.skill.name ? -1 : a.skill.name > b.skill.name ? 1 : 0))
      .map((c) => this.entry(c, bundles.get(c.version.id)!, dependencies.get(c.version.id) ?? [], chosen, replacements));
    plugins.unshift(await this.policy.catalogEntry(em, (sha256) => this.pluginUrl(sha256)));
    return {
      name: this.nameOf(channel),
      owner: { name: "Skillyard" },
      metadata: {
        description: channel
          ? `Skills on the ${channel} channel, as approved in Skillyard (${this.publicUrl.base}).`
          : `The latest approved version of every skill in Skillyard (${this.publicUrl.base}).`,
      },
      plugins,
    };
  }

  /** The versions a catalog starts from: each skill's latest, or its version on the channel (when installable). */
  private async roots(em: EntityManager, channel: string | null): Promise<Chosen[]> {
    const query = em
      .getRepository(SkillVersion)
      .createQueryBuilder("v")
      .innerJoinAndSelect("v.skill", "s")
      .where("v.status IN (:...statuses)", { statuses: INSTALLABLE_STATUSES });
    if (channel) query.innerJoin(SkillChannel, "c", "c.version_id = v.id AND c.name = :channel", { channel });
    else query.andWhere("s.latest_version_id = v.id");
    const versions = await query.getMany();
    return versions.filter((v) => v.skill.name !== this.policy.pluginName).map((version) => ({ skill: version.skill, version }));
  }

  /**
   * The chosen versions whose archive exists and whose every dependency is listed at a version its
   * range accepts (one version per plugin name in a marketplace), to a fixed point.
   */
  private listable(chosen: Map<string, Chosen>, dependencies: Map<string, VersionDependency[]>, bundles: Map<string, PluginBundle>): Set<Chosen> {
    const listed = new Set([...chosen.values()].filter((c) => bundles.has(c.version.id)));
    for (const c of chosen.values()) {
      if (!bundles.has(c.version.id))
        this.logger.error("an installable version has no plugin archive; it is left out of the catalogs", { versionId: c.version.id });
    }
    let changed = true;
    while (changed) {
      changed = false;
      for (const c of listed) {
        const ok = (dependencies.get(c.version.id) ?? []).every((d) => {
          const dep = chosen.get(d.dependencySkillId);
          return dep !== undefined && listed.has(dep) && satisfies(dep.version, d.range, dep.skill.latestVersionId);
        });
        if (!ok) {
          listed.delete(c);
          changed = true;
        }
      }
    }
    return listed;
  }

  private entry(c: Chosen, bundle: PluginBundle, deps: VersionDependency[], chosen: Map<string, Chosen>, replacements: Map<string, string>): CatalogPlugin {
    const { manifest } = c.version;
    let description = manifest.description;
    if (c.version.status === VersionStatus.DEPRECATED) {
      const replacement = c.version.replacementSkillId ? replacements.get(c.version.replacementSkillId) : undefined;
      description = `DEPRECATED: ${c.version.statusReason ?? "no longer maintained"}${replacement ? ` Use ${replacement} instead.` : ""} | ${description}`;
    }
    const plugin: CatalogPlugin = {
      name: c.skill.name,
      version: c.version.version,
      description,
      category: manifest.category,
      tags: manifest.tags,
      source: { source: "archive", url: this.pluginUrl(bundle.sha256), sha256: bundle.sha256 },
    };
    if (manifest.author) plugin.author = { name: manifest.author };
    if (deps.length > 0) plugin.dependencies = deps.map((d) => chosen.get(d.dependencySkillId)!.skill.name).sort();
    return plugin;
  }
}

/** Whether `version` is what `range` may pick (resolveRange's rules: `latest`, an exact pin, or a semver range). */
function satisfies(version: SkillVersion, range: string, latestVersionId: string | null): boolean {
  return resolveRange([version], range, latestVersionId) !== null;
}

/** The highest installable version that every range may pick. */
function pickForAll(candidates: SkillVersion[], ranges: string[], latestVersionId: string | null): SkillVersion | null {
  const fitting = candidates.filter((v) => ranges.every((r) => satisfies(v, r, latestVersionId)));
  return fitting.sort((a, b) => semver.rcompare(a.version, b.version))[0] ?? null;
}
