import semver from "semver";
import type { DataSource } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import type { CatalogContext } from "../catalog/catalog.context";
import { isChannelName, LATEST_CHANNEL } from "../catalog/channel.service";
import { DependencyTreeResolver, type ResolvedNode } from "../catalog/dependency-tree-resolver";
import { Team } from "../identity/team.entity";
import { isAdmin, requireViewer, type Viewer } from "../identity/viewer";

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

export interface InstallResult {
  tenant: Team;
  nodes: ResolvedNode[];
  /** Yanked versions installed anyway (exact pin or channel) and deprecated ones, one line each. */
  warnings: string[];
}

export class InstallService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Resolves the tree and appends one install per node for the tenant. Every read goes through the
   * request's loaders, which the visibility check shares (memberships, the skill's versions); the
   * rows go in with one INSERT, atomic on its own, so no transaction is opened. No counter is
   * touched: DownloadCounters rolls the log up into `downloads`.
   */
  async installSkill(ctx: CatalogContext, input: InstallInput): Promise<InstallResult> {
    const viewer = requireViewer(ctx);
    const range = input.range?.trim() || LATEST_CHANNEL;
    if (range !== LATEST_CHANNEL && semver.validRange(range) === null && !isChannelName(range)) {
      throw new SkillyardError("BAD_USER_INPUT", `"${range}" is neither a semver range nor a channel name (such as "latest" or "stable").`, {
        argument: "range",
      });
    }
    const tenant = await this.tenantFor(ctx, viewer, input.tenant ?? null);
    // A skill that was never released does not exist for those who may not see it.
    const root = await ctx.visibility.skillOrNull(await ctx.loaders.catalog.skillByName.load(input.name));
    if (!root) throw new SkillyardError("NOT_FOUND", `There is no skill named "${input.name}".`, { name: input.name });
    const resolver = new DependencyTreeResolver(ctx.loaders.catalog);
    const nodes = await resolver.resolve(root, range);
    await this.dataSource.query(
      `INSERT INTO install (tenant_id, skill_id, version_id, installed_by_id, transitive)
       SELECT $1::uuid, node.skill_id, node.version_id, $2::uuid, node.ord > 1 FROM unnest($3::uuid[], $4::uuid[]) WITH ORDINALITY AS node(skill_id, version_id, ord)`,
      [tenant.id, viewer.user.id, nodes.map((n) => n.skill.id), nodes.map((n) => n.version.id)],
    );
    return { tenant, nodes, warnings: resolver.warnings };
  }

  /** The named team, or the viewer's only one; from the viewer's memberships, which the visibility check loads anyway. */
  private async tenantFor(ctx: CatalogContext, viewer: Viewer, tenantName: string | null): Promise<Team> {
    const memberships = await ctx.loaders.identity.membershipsByUserId.load(viewer.user.id);
    if (tenantName) {
      const own = memberships.find((m) => m.team.name === tenantName);
      if (own) return own.team;
      const team = await this.dataSource.getRepository(Team).findOneBy({ name: tenantName });
      if (!team) throw new SkillyardError("NOT_FOUND", `There is no team "${tenantName}".`, { tenant: tenantName });
      if (!isAdmin(viewer.user)) {
        throw new SkillyardError("FORBIDDEN", `You cannot install for team "${tenantName}": you are not a member.`, { tenant: tenantName });
      }
      return team;
    }
    if (memberships.length === 1) return memberships[0].team;
    throw new SkillyardError(
      "BAD_USER_INPUT",
      memberships.length === 0 ? "You belong to no team; name the tenant to install for." : "You belong to several teams; name the tenant to install for.",
      { argument: "tenant" },
    );
  }
}
