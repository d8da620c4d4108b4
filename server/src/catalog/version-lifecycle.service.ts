import type { EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { expectGlobalId } from "../common/global-id";
import { type RequestContext, requireViewer } from "../common/request-context";
import { AuditAction } from "../governance/audit-event.entity";
import type { Viewer } from "../identity/api-token.service";
import { Membership, TeamRole } from "../identity/membership.entity";
import { Team } from "../identity/team.entity";
import { GlobalRole } from "../identity/user.entity";
import { SkillChannel } from "./skill-channel.entity";
import { Skill } from "./skill.entity";
import { lockSkillRow } from "./latest-version.service";
import { SkillVersion } from "./skill-version.entity";
import { canTransition, VersionStatus } from "./version-lifecycle";

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
 * ADMINs. Plain MEMBERs may publish but not change what others install.
 */
export async function assertCanManageSkill(em: EntityManager, viewer: Viewer, skill: Skill, what: string): Promise<void> {
  if (viewer.user.roles.includes(GlobalRole.ADMIN)) return;
  const maintainer = await em.getRepository(Membership).existsBy({ userId: viewer.user.id, teamId: skill.teamId, role: TeamRole.MAINTAINER });
  if (maintainer) return;
  const team = await em.getRepository(Team).findOneBy({ id: skill.teamId });
  throw new SkillyardError("FORBIDDEN", `Only maintainers of team "${team?.name ?? skill.teamId}" (or admins) can ${what} "${skill.name}".`, {
    skill: skill.name,
  });
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

/**
 * Yank and deprecate: the maintainer-driven part of a published version's lifecycle.
 * Both lock the skill row first (as publishing and channel moves do), so lifecycle changes of one
 * skill apply one after another and `latest` is recomputed from a settled set of versions.
 */
export class VersionLifecycleService {
  /**
   * PUBLISHED or DEPRECATED → YANKED. The version stops matching ranges and `latest` moves off it;
   * an exact pin still installs it, with a warning. Channels pointing at it are left where they are
   * (installing through them warns) so maintainers choose where to move them.
   */
  async yankVersion(ctx: RequestContext, input: YankInput): Promise<SkillVersion> {
    const viewer = requireViewer(ctx);
    const versionId = expectGlobalId(input.versionId, "SkillVersion");
    const reason = requiredText(input.reason, "reason");
    return ctx.runtime.dataSource.transaction(async (em) => {
      const { skill, version } = await this.lockVersion(em, versionId);
      await assertCanManageSkill(em, viewer, skill, "yank versions of");
      this.assertTransition(skill, version, VersionStatus.YANKED, "yanked");
      const before = { status: version.status, statusReason: version.statusReason, latestVersionId: skill.latestVersionId };
      await this.setStatus(em, version, { status: VersionStatus.YANKED, statusReason: reason });
      await ctx.runtime.services.publish.refreshLatest(em, skill.id);
      const latestVersionId = (await em.getRepository(Skill).findOneByOrFail({ id: skill.id })).latestVersionId;
      const channels = await em.getRepository(SkillChannel).find({ where: { versionId: version.id }, order: { name: "ASC" } });
      await ctx.runtime.services.audit.record(em, {
        actorId: viewer.user.id,
        action: AuditAction.YANK,
        targetType: "SkillVersion",
        targetId: version.id,
        skillId: skill.id,
        before: { name: skill.name, version: version.version, ...before },
        after: {
          name: skill.name,
          version: version.version,
          status: version.status,
          statusReason: reason,
          latestVersionId,
          // Channels still pointing here; installing through them warns until they are moved.
          channels: channels.map((c) => c.name),
        },
      });
      this.forget(ctx, skill, version.id);
      return version;
    });
  }

  /**
   * PUBLISHED → DEPRECATED (or a DEPRECATED version's message and replacement updated). The version
   * stays installable; installs warn with the message and the replacement.
   */
  async deprecateVersion(ctx: RequestContext, input: DeprecateInput): Promise<SkillVersion> {
    const viewer = requireViewer(ctx);
    const versionId = expectGlobalId(input.versionId, "SkillVersion");
    const message = requiredText(input.message, "message");
    const replacementName = input.replacement?.trim() || null;
    return ctx.runtime.dataSource.transaction(async (em) => {
      const { skill, version } = await this.lockVersion(em, versionId);
      await assertCanManageSkill(em, viewer, skill, "deprecate versions of");
      let replacement: Skill | null = null;
      if (replacementName) {
        replacement = await em.getRepository(Skill).findOneBy({ name: replacementName });
        if (!replacement) {
          throw new SkillyardError("NOT_FOUND", `There is no skill named "${replacementName}" to name as the replacement.`, {
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
      // Deprecating again updates the message and replacement (and is audited like the first time).
      if (version.status !== VersionStatus.DEPRECATED) this.assertTransition(skill, version, VersionStatus.DEPRECATED, "deprecated");
      const before = { status: version.status, statusReason: version.statusReason, replacementSkillId: version.replacementSkillId };
      await this.setStatus(em, version, { status: VersionStatus.DEPRECATED, statusReason: message, replacementSkillId: replacement?.id ?? null });
      await ctx.runtime.services.audit.record(em, {
        actorId: viewer.user.id,
        action: AuditAction.DEPRECATE,
        targetType: "SkillVersion",
        targetId: version.id,
        skillId: skill.id,
        before: { name: skill.name, version: version.version, ...before },
        after: {
          name: skill.name,
          version: version.version,
          status: version.status,
          statusReason: message,
          replacementSkillId: replacement?.id ?? null,
          replacement: replacement?.name ?? null,
        },
      });
      this.forget(ctx, skill, version.id);
      return version;
    });
  }

  /** Locks the version's skill (then reads the version); NOT_FOUND when either is missing. */
  private async lockVersion(em: EntityManager, versionId: string): Promise<{ skill: Skill; version: SkillVersion }> {
    const found = await em.getRepository(SkillVersion).findOne({ where: { id: versionId }, select: { id: true, skillId: true } });
    if (!found) throw new SkillyardError("NOT_FOUND", "There is no such skill version.", { argument: "versionId" });
    const skill = await lockSkillRow(em, found.skillId);
    const version = await em.getRepository(SkillVersion).findOneBy({ id: versionId });
    if (!skill || !version) throw new SkillyardError("NOT_FOUND", "There is no such skill version.", { argument: "versionId" });
    return { skill, version };
  }

  private assertTransition(skill: Skill, version: SkillVersion, to: VersionStatus, verb: string): void {
    if (!canTransition(version.status, to)) {
      throw new SkillyardError(
        "BAD_USER_INPUT",
        `${skill.name}@${version.version} is ${version.status} and cannot be ${verb}; only PUBLISHED${to === VersionStatus.YANKED ? " or DEPRECATED" : ""} versions can.`,
        { argument: "versionId", status: version.status },
      );
    }
  }

  /**
   * Writes the new status only if nobody changed it since it was read (the gate and review move
   * pending versions without the skill lock); a lost race is reported rather than overwritten.
   */
  private async setStatus(
    em: EntityManager,
    version: SkillVersion,
    change: Pick<SkillVersion, "status" | "statusReason"> & Partial<Pick<SkillVersion, "replacementSkillId">>,
  ): Promise<void> {
    const result = await em.getRepository(SkillVersion).update({ id: version.id, status: version.status }, change);
    if (result.affected !== 1) {
      throw new SkillyardError("BAD_USER_INPUT", "The version's status changed while this request ran; read it again and retry.", { argument: "versionId" });
    }
    Object.assign(version, change);
  }

  /** The request's loaders may hold the skill or version as they were before the change. */
  private forget(ctx: RequestContext, skill: Skill, versionId: string): void {
    ctx.loaders.catalog.skillById.clear(skill.id);
    ctx.loaders.catalog.skillByName.clear(skill.name);
    ctx.loaders.catalog.versionById.clear(versionId);
    ctx.loaders.catalog.versionsBySkillId.clear(skill.id);
  }
}
