import type { DataSource } from "typeorm";
import { In } from "typeorm";
import { Skill } from "../catalog/skill.entity";
import { TokenScope } from "../identity/api-token.entity";
import type { Team } from "../identity/team.entity";
import type { Viewer } from "../identity/viewer";
import type { CatalogPlugin } from "./catalog-format";
import type { DistributionCredentialsService } from "./distribution-credentials.service";
import type { MarketplaceCatalogService } from "./marketplace-catalog";
import { policyHookCommand } from "./policy-plugin";
import { assertCanManageDistribution, type RequiredSkillsService, teamByName } from "./required-skills.service";
import type { RuntimePolicyService } from "./runtime-policy.service";

/** A marketplace declared in settings: its catalog URL, the read token when reads need one, and auto-update. */
export interface MarketplaceDeclaration {
  source: { source: "url"; url: string; headers?: Record<string, string> };
  autoUpdate: true;
}

/** `/etc/claude-code/managed-settings.json` as Skillyard generates it. */
export interface ManagedSettings {
  strictKnownMarketplaces: { source: "hostPattern"; hostPattern: string }[];
  extraKnownMarketplaces: Record<string, MarketplaceDeclaration>;
  enabledPlugins: Record<string, true>;
  env: Record<string, string>;
  hooks: { PreToolUse: { matcher: string; hooks: { type: "command"; command: string; timeout: number }[] }[] };
}

export interface ManagedSettingsRequest {
  /** A channel name, or null for `latest`. */
  channel: string | null;
  /** A team name, or null for the settings every machine of the organisation gets. */
  team: string | null;
}

/** `^skills\.corp\.test$` for https://skills.corp.test:8443: Claude Code matches host patterns against the host without its port. */
export function hostPatternOf(publicUrl: string): string {
  const host = new URL(publicUrl).hostname.replace(/^\[|\]$/g, "");
  return `^${host.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
}

/**
 * Generates the managed settings file an MDM tool puts on every machine of a team: only this
 * Skillyard's marketplaces are allowed; the channel's catalog is declared (with the read token when
 * reads need one, since Claude Code sends `headers` only for declared sources) and auto-updates;
 * the team's required skills and the runtime policy plugin are enabled, and the policy's hook runs
 * before every tool call; telemetry goes back to Skillyard with the team's ingest-only token.
 */
export class ManagedSettingsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly catalogs: MarketplaceCatalogService,
    private readonly required: RequiredSkillsService,
    private readonly credentials: DistributionCredentialsService,
    private readonly policy: RuntimePolicyService,
    private readonly options: { publicUrl: string; requireAuthForRead: boolean; teamAttribute: string },
  ) {}

  async generate(viewer: Viewer, request: ManagedSettingsRequest): Promise<ManagedSettings> {
    const team = request.team ? await teamByName(this.dataSource.manager, request.team) : null;
    await assertCanManageDistribution(this.dataSource.manager, viewer, team, "generate managed settings");
    return this.settingsFor(request.channel, team, viewer.user.id);
  }

  private async settingsFor(channel: string | null, team: Team | null, actorId: string): Promise<ManagedSettings> {
    const headers = this.options.requireAuthForRead
      ? { Authorization: `Bearer ${await this.credentials.secretFor(TokenScope.CATALOG_READ, null, actorId)}` }
      : undefined;
    const declare = (name: string | null): MarketplaceDeclaration => ({
      source: { source: "url", url: this.catalogs.urlOf(name), ...(headers ? { headers } : {}) },
      autoUpdate: true,
    });
    const marketplace = this.catalogs.nameOf(channel);
    const extraKnownMarketplaces: Record<string, MarketplaceDeclaration> = { [marketplace]: declare(channel) };
    const enabledPlugins: Record<string, true> = { [`${this.policy.pluginName}@${marketplace}`]: true };

    // Each required skill from exactly one catalog: the channel's when it lists the skill, else the
    // base catalog (the same plugin from two marketplaces would be two plugins with one skill name).
    // Dependencies are enabled too, from the same catalog: Claude Code installs a plugin's
    // dependencies on `plugin install`, but not for plugins that settings enable.
    const requirements = await this.required.list(this.dataSource.manager, team);
    const skills = await this.dataSource.getRepository(Skill).findBy({ id: In(requirements.map((r) => r.skillId)) });
    const onChannel = new Map((await this.catalogs.render(channel)).catalog.plugins.map((p) => [p.name, p]));
    const onLatest = channel ? new Map((await this.catalogs.render(null)).catalog.plugins.map((p) => [p.name, p])) : onChannel;
    const enabledNames = new Set<string>();
    const enable = (name: string, catalogName: string, catalog: Map<string, CatalogPlugin>): void => {
      // A plugin already enabled (from either catalog) stays where it is: one marketplace per plugin name.
      if (enabledNames.has(name)) return;
      enabledNames.add(name);
      enabledPlugins[`${name}@${catalogName}`] = true;
      for (const dependency of catalog.get(name)?.dependencies ?? []) enable(dependency, catalogName, catalog);
    };
    const names = skills.map((s) => s.name).sort();
    // The channel's skills first, so a dependency shared with a skill from the base catalog comes from the channel.
    for (const name of names.filter((n) => onChannel.has(n))) enable(name, marketplace, onChannel);
    for (const name of names.filter((n) => !onChannel.has(n) && onLatest.has(n))) {
      const base = this.catalogs.nameOf(null);
      extraKnownMarketplaces[base] ??= declare(null);
      enable(name, base, onLatest);
    }

    const ingest = await this.credentials.secretFor(TokenScope.INGEST, team, actorId);
    const env: Record<string, string> = {
      // Without it Claude Code does not download enabled plugins on a machine's first run.
      CLAUDE_CODE_SYNC_PLUGIN_INSTALL: "1",
      CLAUDE_CODE_ENABLE_TELEMETRY: "1",
      OTEL_LOGS_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: this.options.publicUrl,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${ingest}`,
      OTEL_LOG_TOOL_DETAILS: "1",
    };
    if (team) env.OTEL_RESOURCE_ATTRIBUTES = `${this.options.teamAttribute}=${team.name}`;

    return {
      strictKnownMarketplaces: [{ source: "hostPattern", hostPattern: hostPatternOf(this.options.publicUrl) }],
      extraKnownMarketplaces,
      enabledPlugins,
      env,
      hooks: { PreToolUse: [{ matcher: "*", hooks: [{ type: "command", command: policyHookCommand(marketplace, this.policy.pluginName), timeout: 30 }] }] },
    };
  }
}
