import { SkillyardError } from "@skillyard/core";
import type { EntityManager } from "typeorm";
import type { CatalogContext } from "../catalog/catalog.context";
import type { Skill } from "../catalog/skill.entity";
import { SkillVersion } from "../catalog/skill-version.entity";
import { Membership } from "../identity/membership.entity";
import { assertMayPublishFor, isAdmin, requireViewer } from "../identity/viewer";

/**
 * Who may re-run a version's sandbox runs (its tests, its evals): members of the team that owns it,
 * and admins, with a credential whose PUBLISH covers that team. Locks the version row for the caller's transaction, so two re-runs queue one run.
 */
export async function lockVersionToRerun(
  em: EntityManager,
  ctx: CatalogContext,
  versionId: string,
  what: "tests" | "evals",
): Promise<SkillVersion & { skill: Skill }> {
  const viewer = requireViewer(ctx);
  const version = await em
    .getRepository(SkillVersion)
    .findOne({ where: { id: versionId }, relations: { skill: true }, lock: { mode: "pessimistic_write", tables: ["skill_version"] } });
  if (!version || !(await ctx.visibility.canSeeVersion(version))) throw new SkillyardError("NOT_FOUND", "There is no such skill version.");
  if (!isAdmin(viewer.user) && !(await em.getRepository(Membership).existsBy({ userId: viewer.user.id, teamId: version.skill.teamId }))) {
    throw new SkillyardError("FORBIDDEN", `Only members of the team that owns "${version.skill.name}" can re-run its ${what}.`);
  }
  assertMayPublishFor(viewer, version.skill.teamId, `re-run the ${what} of "${version.skill.name}"`);
  return version;
}
