import { SkillyardError } from "@skillyard/core";
import { type DataSource, type EntityManager, In, IsNull } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { Skill } from "../catalog/skill.entity";
import { SkillVersion } from "../catalog/skill-version.entity";
import { INSTALLABLE_STATUSES } from "../catalog/version-status";
import { Membership, TeamRole } from "../identity/membership.entity";
import { Team } from "../identity/team.entity";
import { assertMayPublishFor, isAdmin, type Viewer } from "../identity/viewer";
import { RequiredSkill } from "./required-skill.entity";

export interface SetRequiredSkillInput {
  /** Skill name. */
  skill: string;
  /** Team name; null or absent for the whole organisation. */
  team?: string | null;
  required: boolean;
}

/** What setRequiredSkill answers: the requirement as it now is, and whether the call changed it. */
export interface RequirementChange {
  skill: Skill;
  team: Team | null;
  required: boolean;
  changed: boolean;
}

/** Finds a team by name; NOT_FOUND naming it otherwise. */
export async function teamByName(em: EntityManager, name: string): Promise<Team> {
  const team = await em.getRepository(Team).findOneBy({ name });
  if (!team) throw new SkillyardError("NOT_FOUND", `There is no team named "${name}".`, { argument: "team", team: name });
  return team;
}

/**
 * Who may decide what a team's machines get: admins for every team and for the whole organisation,
 * maintainers for their own team. The same rule covers generating the team's managed settings.
 */
export async function assertCanManageDistribution(em: EntityManager, viewer: Viewer, team: Team | null, what: string): Promise<void> {
  if (isAdmin(viewer.user)) return;
  if (!team) throw new SkillyardError("FORBIDDEN", `Only admins can ${what} for the whole organisation.`);
  const maintainer = await em.getRepository(Membership).existsBy({ userId: viewer.user.id, teamId: team.id, role: TeamRole.MAINTAINER });
  if (!maintainer) throw new SkillyardError("FORBIDDEN", `Only maintainers of team "${team.name}" (or admins) can ${what} for it.`, { team: team.name });
}

/** Skills that every machine of a team, or of the whole organisation, gets through managed settings. */
export class RequiredSkillsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * Marks a skill required (or no longer required) for a team or everyone; audited when it changes
   * anything. Only a skill with an installable version can be required: there must be something to install.
   */
  async set(viewer: Viewer, input: SetRequiredSkillInput): Promise<RequirementChange> {
    return this.dataSource.transaction(async (em) => {
      const team = input.team ? await teamByName(em, input.team) : null;
      await assertCanManageDistribution(em, viewer, team, "choose required skills");
      assertMayPublishFor(viewer, team?.id ?? null, `choose required skills for ${team ? `team "${team.name}"` : "the whole organisation"}`);
      const skill = await em.getRepository(Skill).findOneBy({ name: input.skill });
      const installable = skill ? await em.getRepository(SkillVersion).existsBy({ skillId: skill.id, status: In([...INSTALLABLE_STATUSES]) }) : false;
      if (!skill || !installable) {
        throw new SkillyardError("NOT_FOUND", `There is no skill named "${input.skill}" with an installable version.`, {
          argument: "skill",
          name: input.skill,
        });
      }
      const repo = em.getRepository(RequiredSkill);
      const where = { skillId: skill.id, teamId: team ? team.id : IsNull() };
      const existing = await repo.findOne({ where, lock: { mode: "pessimistic_write" } });
      const scope = { skill: skill.name, team: team?.name ?? null };
      if (input.required) {
        if (existing) return { skill, team, required: true, changed: false };
        // Two maintainers adding the same requirement at once: the partial unique index lets one insert win.
        const inserted = await repo
          .createQueryBuilder()
          .insert()
          .values({ skillId: skill.id, teamId: team?.id ?? null, createdById: viewer.user.id })
          .orIgnore()
          .returning("id")
          .execute();
        const [row] = inserted.raw as { id: string }[];
        if (!row) return { skill, team, required: true, changed: false };
        const requirement = { id: row.id };
        await this.audit.record(em, {
          actorId: viewer.user.id,
          action: AuditAction.REQUIRED_SKILL_ADD,
          targetType: "RequiredSkill",
          targetId: requirement.id,
          skillId: skill.id,
          before: null,
          after: scope,
        });
        return { skill, team, required: true, changed: true };
      }
      if (!existing) return { skill, team, required: false, changed: false };
      await repo.delete({ id: existing.id });
      await this.audit.record(em, {
        actorId: viewer.user.id,
        action: AuditAction.REQUIRED_SKILL_REMOVE,
        targetType: "RequiredSkill",
        targetId: existing.id,
        skillId: skill.id,
        before: scope,
        after: null,
      });
      return { skill, team, required: false, changed: true };
    });
  }

  /** What a team's machines get (its own and the organisation-wide requirements); every requirement when `team` is undefined. */
  async list(em: EntityManager, team: Team | null | undefined): Promise<RequiredSkill[]> {
    const repo = em.getRepository(RequiredSkill);
    if (team === undefined) return repo.find({ order: { createdAt: "ASC", id: "ASC" } });
    const where = team ? [{ teamId: IsNull() }, { teamId: team.id }] : [{ teamId: IsNull() }];
    return repo.find({ where, order: { createdAt: "ASC", id: "ASC" } });
  }
}
