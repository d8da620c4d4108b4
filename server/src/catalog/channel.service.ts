import semver from "semver";
import type { DataSource, EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { requireViewer } from "../identity/viewer";
import type { CatalogContext } from "./catalog.context";
import { SkillChannel } from "./skill-channel.entity";
import { Skill } from "./skill.entity";
import { SkillVersion } from "./skill-version.entity";
import { isInstallable } from "./version-status";
import { assertCanManageSkill, requiredText } from "./yank-and-deprecate.service";

/** The virtual channel: always the skill's latest version (Skill.latestVersionId), never stored or set. */
export const LATEST_CHANNEL = "latest";

const CHANNEL_NAME = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/**
 * A name a channel can have: a lowercase slug of 1-32 characters starting with a letter, other than
 * `latest`, that is not also a semver range (`x`, `v1`): so `installSkill(range:)` can take either a
 * range or a channel without ambiguity.
 */
export function isChannelName(name: string): boolean {
  return CHANNEL_NAME.test(name) && name !== LATEST_CHANNEL && semver.validRange(name) === null;
}

/** What the Channel GraphQL type is built from: a stored channel, or the virtual `latest`. */
export interface ChannelView {
  name: string;
  versionId: string | null;
  /** When the channel was last moved; null for `latest`, which moves with publishing and yanking. */
  movedAt: Date | null;
  movedById: string | null;
}

export function latestChannel(skill: Pick<Skill, "latestVersionId">): ChannelView {
  return { name: LATEST_CHANNEL, versionId: skill.latestVersionId, movedAt: null, movedById: null };
}

export function storedChannel(channel: SkillChannel): ChannelView {
  return { name: channel.name, versionId: channel.versionId, movedAt: channel.updatedAt, movedById: channel.movedById };
}

/** A skill's channels as listed: `latest` first, then the stored ones by name. */
export function channelViews(skill: Pick<Skill, "latestVersionId">, stored: readonly SkillChannel[]): ChannelView[] {
  return [latestChannel(skill), ...[...stored].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(storedChannel)];
}

export interface SetChannelInput {
  /** Skill name. */
  skill: string;
  channel: string;
  /** Exact version, e.g. `1.2.0`. */
  version: string;
  /** Why it moves (a rollback's cause, a promotion's ticket), kept in the audit log. */
  reason?: string | null;
}

export interface SetChannelResult {
  channel: SkillChannel;
  version: SkillVersion;
  /** Where the channel pointed before; null when it was just created. */
  previousVersion: SkillVersion | null;
  /** False when the channel already pointed at the version (nothing changed, nothing audited). */
  moved: boolean;
}

/**
 * Named pointers at installable versions (`stable`, `beta`, …), moved by maintainers. A rollback is a
 * move back; every move is in the audit log with the version before and after, who moved it and why.
 */
export class ChannelService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async setChannel(ctx: CatalogContext, input: SetChannelInput): Promise<SetChannelResult> {
    const viewer = requireViewer(ctx);
    const name = input.channel.trim();
    if (name === LATEST_CHANNEL) {
      throw new SkillyardError("BAD_USER_INPUT", `"${LATEST_CHANNEL}" always follows the highest published version and cannot be set.`, {
        argument: "channel",
      });
    }
    if (!isChannelName(name)) {
      throw new SkillyardError(
        "BAD_USER_INPUT",
        `"${input.channel}" is not a channel name: use 1-32 lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen, and not a semver range (such as "x" or "v1").`,
        { argument: "channel" },
      );
    }
    const versionString = semver.valid(input.version.trim());
    if (!versionString) {
      throw new SkillyardError("BAD_USER_INPUT", `"${input.version}" is not a version; a channel points at one exact version such as 1.2.0.`, {
        argument: "version",
      });
    }
    const reason = !input.reason?.trim() ? null : requiredText(input.reason, "reason");
    const result = await this.dataSource.transaction(async (em) => {
      // The skill lock serialises moves of one skill's channels (and lifecycle changes, and publishing).
      const skill = await ctx.visibility.skillOrNull(
        await em.getRepository(Skill).findOne({ where: { name: input.skill }, lock: { mode: "pessimistic_write" } }),
      );
      if (!skill) throw new SkillyardError("NOT_FOUND", `There is no skill named "${input.skill}".`, { name: input.skill });
      await assertCanManageSkill(em, viewer, skill, "move channels of");
      const version = await em.getRepository(SkillVersion).findOneBy({ skillId: skill.id, version: versionString });
      if (!version) {
        throw new SkillyardError("NOT_FOUND", `${skill.name} has no version ${versionString}.`, { name: skill.name, version: versionString });
      }
      if (!isInstallable(version.status)) {
        throw new SkillyardError(
          "BAD_USER_INPUT",
          `${skill.name}@${version.version} is ${version.status}; a channel can only point at a PUBLISHED or DEPRECATED version.`,
          { argument: "version", status: version.status },
        );
      }
      return this.move(em, viewer.user.id, skill, name, version, reason);
    });
    ctx.loaders.catalog.channelsBySkillId.clear(result.channel.skillId);
    return result;
  }

  private async move(em: EntityManager, actorId: string, skill: Skill, name: string, version: SkillVersion, reason: string | null): Promise<SetChannelResult> {
    const repo = em.getRepository(SkillChannel);
    const existing = await repo.findOneBy({ skillId: skill.id, name });
    const previousVersion = existing ? await em.getRepository(SkillVersion).findOneByOrFail({ id: existing.versionId }) : null;
    if (existing && existing.versionId === version.id) return { channel: existing, version, previousVersion, moved: false };
    const channel = await repo.save(
      existing
        ? Object.assign(existing, { versionId: version.id, movedById: actorId })
        : repo.create({ skillId: skill.id, name, versionId: version.id, movedById: actorId }),
    );
    await this.audit.record(em, {
      actorId,
      action: AuditAction.CHANNEL_MOVE,
      targetType: "SkillChannel",
      targetId: channel.id,
      skillId: skill.id,
      before: previousVersion ? { name: skill.name, channel: name, version: previousVersion.version, versionId: previousVersion.id } : null,
      after: {
        name: skill.name,
        channel: name,
        version: version.version,
        versionId: version.id,
        reason,
        // Moving a channel to a lower version is a rollback: every machine following it goes down too.
        rollback: previousVersion !== null && semver.lt(version.version, previousVersion.version),
      },
    });
    return { channel, version, previousVersion, moved: true };
  }
}
