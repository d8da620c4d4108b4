import type { RequestContext } from "../common/request-context";
import { GlobalRole } from "../identity/user.entity";
import type { SkillVersion } from "./skill-version.entity";
import { VersionStatus } from "./version-lifecycle";

/** Versions anyone may see: installable ones, and yanked ones (their history matters to those who installed them). */
const PUBLIC_STATUSES: readonly VersionStatus[] = [VersionStatus.PUBLISHED, VersionStatus.DEPRECATED, VersionStatus.YANKED];

/**
 * Who sees a version that is not public (being tested, awaiting review, rejected): members of the
 * team that owns the skill, reviewers and admins. Applies wherever a version (or its test runs and
 * logs) is reachable: nested lists, node(id), testRun(id) and the live-output subscription.
 */
export async function canSeeVersion(ctx: RequestContext, version: Pick<SkillVersion, "status" | "skillId">): Promise<boolean> {
  if (PUBLIC_STATUSES.includes(version.status)) return true;
  const user = ctx.viewer?.user;
  if (!user) return false;
  if (user.roles.includes(GlobalRole.ADMIN) || user.roles.includes(GlobalRole.REVIEWER)) return true;
  const skill = await ctx.loaders.catalog.skillById.load(version.skillId);
  const memberships = await ctx.loaders.community.membershipsByUserId.load(user.id);
  return Boolean(skill && memberships.some((m) => m.teamId === skill.teamId));
}

/** Keeps the versions the viewer may see, in order. */
export async function visibleVersions(ctx: RequestContext, versions: SkillVersion[]): Promise<SkillVersion[]> {
  const visible = await Promise.all(versions.map((v) => canSeeVersion(ctx, v)));
  return versions.filter((_, i) => visible[i]);
}
