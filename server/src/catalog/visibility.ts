import type DataLoader from "dataloader";
import type { Membership } from "../identity/membership.entity";
import { isReviewer, type Viewer } from "../identity/viewer";
import type { Skill } from "./skill.entity";
import type { SkillVersion } from "./skill-version.entity";
import { isPublic } from "./version-status";

/** What the policy reads, through the request's loaders (so every check batches). */
export interface VisibilityLoaders {
  skillById: DataLoader<string, Skill | null>;
  versionById: DataLoader<string, SkillVersion | null>;
  versionsBySkillId: DataLoader<string, SkillVersion[]>;
  versionsBySha256: DataLoader<string, SkillVersion[]>;
  membershipsByUserId: DataLoader<string, Membership[]>;
}

/** A package blob a viewer may download. */
export interface VisibleBlob {
  size: number;
  /** Some version with this digest is public: everyone may see it. */
  public: boolean;
}

/**
 * The one answer to "may this viewer see this skill, version, test run or package?", used by every
 * entry point: /graphql, the subgraph listener's reference resolvers, subscriptions, package
 * downloads and the catalogs later issues add. Built per request from the request's loaders.
 *
 * Public versions (PUBLISHED, DEPRECATED, YANKED) are for everyone. Versions that are not public yet
 * (in testing, awaiting review, rejected), their test runs, logs, files and packages are for the
 * team that owns the skill, reviewers and admins. A skill is visible when it has a public version or
 * the viewer may see its unreleased ones: a skill that was never released does not exist for others.
 */
export class VisibilityPolicy {
  constructor(
    private readonly viewer: Viewer | null,
    private readonly loaders: VisibilityLoaders,
  ) {}

  async canSeeSkill(skill: Pick<Skill, "id" | "teamId">): Promise<boolean> {
    if (await this.seesUnreleased(skill.teamId)) return true;
    return (await this.loaders.versionsBySkillId.load(skill.id)).some((v) => isPublic(v.status));
  }

  async canSeeVersion(version: Pick<SkillVersion, "status" | "skillId">): Promise<boolean> {
    if (isPublic(version.status)) return true;
    const skill = await this.loaders.skillById.load(version.skillId);
    return Boolean(skill && (await this.seesUnreleased(skill.teamId)));
  }

  /**
   * A sandbox run (and its logs) is visible exactly when its version is, and for an eval run also
   * the version whose suite gave its cases (a baseline run shows a newer, maybe unreleased, suite).
   */
  async canSeeRun(run: { versionId: string; suiteVersionId?: string }): Promise<boolean> {
    const ids = run.suiteVersionId && run.suiteVersionId !== run.versionId ? [run.versionId, run.suiteVersionId] : [run.versionId];
    for (const id of ids) {
      const version = await this.loaders.versionById.load(id);
      if (!version || !(await this.canSeeVersion(version))) return false;
    }
    return true;
  }

  /**
   * A package blob is served to whoever may see at least one version with that digest (never-published
   * uploads: nobody). Answers null when this viewer may not; otherwise the size published with it and
   * whether everyone may see it (then any cache may keep it).
   */
  async visibleBlob(sha256: string): Promise<VisibleBlob | null> {
    const visible = await this.visibleVersions(await this.loaders.versionsBySha256.load(sha256));
    if (visible.length === 0) return null;
    return { size: visible[0].packageSize, public: visible.some((v) => isPublic(v.status)) };
  }

  async visibleVersions<T extends Pick<SkillVersion, "status" | "skillId">>(versions: readonly T[]): Promise<T[]> {
    const visible = await Promise.all(versions.map((v) => this.canSeeVersion(v)));
    return versions.filter((_, i) => visible[i]);
  }

  async visibleSkills<T extends Pick<Skill, "id" | "teamId">>(skills: readonly T[]): Promise<T[]> {
    const visible = await Promise.all(skills.map((s) => this.canSeeSkill(s)));
    return skills.filter((_, i) => visible[i]);
  }

  /** Null unless the viewer may see the skill. */
  async skillOrNull<T extends Pick<Skill, "id" | "teamId">>(skill: T | null): Promise<T | null> {
    return skill && (await this.canSeeSkill(skill)) ? skill : null;
  }

  /** Null unless the viewer may see the version. */
  async versionOrNull<T extends Pick<SkillVersion, "status" | "skillId">>(version: T | null): Promise<T | null> {
    return version && (await this.canSeeVersion(version)) ? version : null;
  }

  /** Members of the owning team, reviewers and admins see what a team has not released yet. */
  private async seesUnreleased(teamId: string): Promise<boolean> {
    const user = this.viewer?.user;
    if (!user) return false;
    if (isReviewer(user)) return true;
    return (await this.loaders.membershipsByUserId.load(user.id)).some((m) => m.teamId === teamId);
  }
}
