import { type DataSource, type EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { expectGlobalId } from "../common/global-id";
import { Membership, TeamRole } from "../identity/membership.entity";
import { Team } from "../identity/team.entity";
import { assertMayPublishFor, isAdmin, requireViewer, type Viewer } from "../identity/viewer";
import type { CatalogContext } from "./catalog.context";
import { SkillChannel } from "./skill-channel.entity";
import { Skill } from "./skill.entity";
import type { SkillVersion } from "./skill-version.entity";
import type { VersionLifecycle } from "./version-lifecycle";
import { VersionStatus } from "./version-status";

export interface YankInput {
  /** Global id of the SkillVersion. */
  versionId: string;
  reason: string;
}

export interface DeprecateInput {
  /** Global id of the SkillVersion. */
  versionId: string;
  message: string;
  /** Name of the skill to use instead; optional. */
  replacement?: string | null;
}

/** Longest yank reason or deprecation message kept (they are shown in install warnings). */
export const MAX_LIFECYCLE_TEXT = 1000;

/**
 * Who may move channels, yank and deprecate: MAINTAINERs of the team that owns the skill, and
 * ADMINs. Plain MEMBERs may publish but not change what others install. The credential's PUBLISH
 * must also cover the skill's team.
 */
export async function assertCanManageSkill(em: EntityManager, viewer: Viewer, skill: Skill, what: string): Promise<void> {
  if (!isAdmin(viewer.user)) {
    const maintainer = await em.getRepository(Membership).existsBy({ userId: viewer.user.id, teamId: skill.teamId, role: TeamRole.MAINTAINER });
    if (!maintainer) {
      const team = await em.getRepository(Team).findOneBy({ id: skill.teamId });
      throw new SkillyardError("FORBIDDEN", `Only maintainers of team "${team?.name ?? skill.teamId}" (or admins) can ${what} "${skill.name}".`, {
        skill: skill.name,
      });
    }
  }
  assertMayPublishFor(viewer, skill.teamId, `${what} "${skill.name}"`);
}

/** A required, bounded free-text argument (yank reason, deprecation message). */
export function requiredText(value: string | null | undefined, argument: string): string {
  const text = value?.trim() ?? "";
  if (!text) throw new SkillyardError("BAD_USER_INPUT", `"${argument}" must not be empty.`, { argument });
  if (text.length > MAX_LIFECYCLE_TEXT) {
    throw new SkillyardError("BAD_USER_INPUT", `"${argument}" is at most ${MAX_LIFECYCLE_TEXT} characters.`, { argument });
  }
  return text;
}

/** Yank and deprecate: the maintainer-driven end of a published version's life. */
export class YankAndDeprecateService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly lifecycle: VersionLifecycle,
  ) {}

  /**
   * PUBLISHED or DEPRECATED → YANKED. The version stops matching ranges and `latest` moves off it;
   * an exact pin still installs it, with a warning. Channels pointing at it are left where they are
   * (installing through them warns) so maintainers choose where to move them.
   */
  async yankVersion(ctx: CatalogContext, input: YankInput): Promise<SkillVersion> {
    const viewer = requireViewer(ctx);
    const versionId = expectGlobalId(input.versionId, "SkillVersion");
    const reason = requiredText(input.reason, "reason");
    return this.dataSource.transaction(async (em) => {
      const { skill, version } = await this.lockVisible(ctx, em, versionId);
      await assertCanManageSkill(em, viewer, skill, "yank versions of");
      const channels = await em.getRepository(SkillChannel).find({ where: { versionId: version.id }, order: { name: "ASC" } });
      // Channels still pointing here; installing through them warns until they are moved.
      await this.lifecycle.transition(em, version, VersionStatus.YANKED, {
        reason,
        actorId: viewer.user.id,
        details: { channels: channels.map((c) => c.name) },
      });
      forget(ctx, skill, version.id);
      return version;
    });
  }

  /**
   * PUBLISHED → DEPRECATED (or a DEPRECATED version's message and replacement updated). The version
   * stays installable; installs warn with the message and the replacement.
   */
  async deprecateVersion(ctx: CatalogContext, input: DeprecateInput): Promise<SkillVersion> {
    const viewer = requireViewer(ctx);
    const versionId = expectGlobalId(input.versionId, "SkillVersion");
    const message = requiredText(input.message, "message");
    const replacementName = input.replacement?.trim() || null;
    return this.dataSource.transaction(async (em) => {
      const { skill, version } = await this.lockVisible(ctx, em, versionId);
      await assertCanManageSkill(em, viewer, skill, "deprecate versions of");
      let replacement: Skill | null = null;
      if (replacementName) {
        // Only a skill everyone can see is worth naming to everyone who installs this version.
        replacement = await em.getRepository(Skill).findOneBy({ name: replacementName });
        if (!replacement || replacement.latestVersionId === null) {
          throw new SkillyardError("NOT_FOUND", `There is no released skill named "${replacementName}" to name as the replacement.`, {
            argument: "replacement",
            name: replacementName,
          });
        }
        if (replacement.id === skill.id) {
          throw new SkillyardError(
            "BAD_USER_INPUT",
            `A version of "${skill.name}" cannot be replaced by "${skill.name}" itself; name the version to move to in the message instead.`,
            { argument: "replacement" },
          );
        }
      }
      await this.lifecycle.transition(em, version, VersionStatus.DEPRECATED, {
        reason: message,
        actorId: viewer.user.id,
        replacementSkillId: replacement?.id ?? null,
        details: { replacementSkillId: replacement?.id ?? null, replacement: replacement?.name ?? null },
      });
      forget(ctx, skill, version.id);
      return version;
    });
  }

  /** Locks the version's skill; a version the viewer may not see is NOT_FOUND, like one that does not exist. */
  private async lockVisible(ctx: CatalogContext, em: EntityManager, versionId: string): Promise<{ skill: Skill; version: SkillVersion }> {
    const locked = await this.lifecycle.lock(em, versionId);
    if (!(await ctx.visibility.canSeeVersion(locked.version)))
      throw new SkillyardError("NOT_FOUND", "There is no such skill version.", { argument: "versionId" });
    return locked;
  }
}

/** The request's loaders may hold the skill or version as they were before the change. */
function forget(ctx: CatalogContext, skill: Skill, versionId: string): void {
  ctx.loaders.catalog.skillById.clear(skill.id);
  ctx.loaders.catalog.skillByName.clear(skill.name);
  ctx.loaders.catalog.versionById.clear(versionId);
  ctx.loaders.catalog.versionsBySkillId.clear(skill.id);
}
