import type { EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { Permission, PermissionRisk } from "../catalog/permission.entity";
import { catalogueEntryName } from "../catalog/permission-catalogue.service";
import { Skill } from "../catalog/skill.entity";
import { SkillVersion } from "../catalog/skill-version.entity";

import { createCatalogLoaders } from "../catalog/catalog.loaders";
import { DependencyTreeResolver } from "../catalog/dependency-tree-resolver";

/** A CRITICAL permission needs this many approvals, from distinct reviewers (the two-person rule). */
export const CRITICAL_APPROVALS = 2;

export const RISK_ORDER: readonly PermissionRisk[] = [PermissionRisk.LOW, PermissionRisk.MEDIUM, PermissionRisk.HIGH, PermissionRisk.CRITICAL];

export function riskAtLeast(risk: PermissionRisk, threshold: PermissionRisk): boolean {
  return RISK_ORDER.indexOf(risk) >= RISK_ORDER.indexOf(threshold);
}

/** A granted permission covers itself and its scoped forms: `database:read` covers `database:read:analytics`. */
export function covers(granted: string, requested: string): boolean {
  return requested === granted || requested.startsWith(`${granted}:`);
}

/** The permissions of `next` that nothing in `previous` covers. */
export function widening(previous: readonly string[], next: readonly string[]): string[] {
  return next.filter((p) => !previous.some((g) => covers(g, p)));
}

export type PermissionChangeKind = "ADDED" | "WIDENED" | "REMOVED" | "UNCHANGED";

export interface PermissionChange {
  name: string;
  change: PermissionChangeKind;
  risk: PermissionRisk;
  /** For WIDENED: the narrower permission it replaces. */
  previous: string | null;
}

/** Permission diff between a version and the previous published one (everything ADDED when there is none). */
export function permissionDiff(previous: readonly string[], next: readonly string[], riskOf: (name: string) => PermissionRisk): PermissionChange[] {
  const changes: PermissionChange[] = [];
  for (const name of next) {
    if (previous.includes(name)) changes.push({ name, change: "UNCHANGED", risk: riskOf(name), previous: null });
    else if (previous.some((g) => covers(g, name)))
      changes.push({ name, change: "UNCHANGED", risk: riskOf(name), previous: previous.find((g) => covers(g, name)) ?? null });
    else {
      const narrower = previous.find((old) => covers(name, old)) ?? null;
      changes.push({ name, change: narrower ? "WIDENED" : "ADDED", risk: riskOf(name), previous: narrower });
    }
  }
  for (const name of previous) {
    if (!next.some((n) => covers(n, name) || covers(name, n))) changes.push({ name, change: "REMOVED", risk: riskOf(name), previous: null });
  }
  return changes.sort((a, b) => a.name.localeCompare(b.name));
}

export interface BlastRadiusEntry {
  permission: string;
  risk: PermissionRisk;
  /** name@version of each skill in the tree (the version itself included) that requests it. */
  requestedBy: string[];
}

export type ReviewReason =
  | { kind: "RISK"; permission: string; risk: PermissionRisk }
  | { kind: "ESCALATION"; added: string[] }
  | { kind: "TREE_ESCALATION"; added: string[] }
  /** The skill is heavily used: every new version of it needs a reviewer, whatever it requests. */
  | { kind: "USAGE_TIER"; tier: string; weeklyInvocations: number }
  /** The skill's tier needs evals (EVAL_GATED_TIERS) and the version ships no evals/suite.yaml. */
  | { kind: "EVALS_MISSING"; tier: string }
  /**
   * Rubric cases the judge did not score (none configured, budget spent, no valid answer): the gate
   * cannot pass them. Run ids here and below are global ids: reasons reach clients as stored.
   */
  | { kind: "EVALS_NOT_SCORED"; evalRunId: string; cases: string[]; why: string }
  /**
   * The version's suite scores lower on it than on the version `latest` points to, by more than
   * EVAL_MAX_REGRESSION. Approving it accepts the regression, which needs a written reason.
   */
  | {
      kind: "EVAL_REGRESSION";
      evalRunId: string;
      baselineRunId: string;
      baselineVersion: string;
      score: number;
      baselineScore: number;
      worse: { name: string; before: number; after: number }[];
    };

/** The reasons that come from a version's permissions (the ones CRITICAL approvals count). */
function flaggedPermissions(reason: ReviewReason): string[] {
  switch (reason.kind) {
    case "RISK":
      return [reason.permission];
    case "ESCALATION":
    case "TREE_ESCALATION":
      return reason.added;
    default:
      return [];
  }
}

/**
 * Another domain's reason to hold a version for a reviewer (usage: the skill is in the High tier;
 * evals: a gated skill ships no suite, or its score regressed).
 * Wired in the composition root, so governance depends on no such domain.
 */
export interface ReviewTrigger {
  /** `skill` is the version's, read once by the policy for every trigger. */
  reasons(em: EntityManager, version: SkillVersion, skill: Skill): Promise<ReviewReason[]>;
}

export interface ReviewAssessment {
  reasons: ReviewReason[];
  requiredApprovals: number;
  previous: SkillVersion | null;
  blastRadius: BlastRadiusEntry[];
}

/**
 * Decides whether a version whose tests passed needs a reviewer: it requests a permission at or above
 * the configured risk, widens the previous published version's permissions, or widens the combined
 * permissions of its whole dependency tree, or a trigger (such as the usage tier) asks for one.
 * CRITICAL permissions need two distinct approvers.
 */
export class ReviewPolicy {
  constructor(
    private readonly threshold: PermissionRisk,
    private readonly triggers: readonly ReviewTrigger[] = [],
  ) {}

  async assess(em: EntityManager, version: SkillVersion): Promise<ReviewAssessment> {
    const catalogue = new Map((await em.find(Permission)).map((p) => [p.name, p.risk]));
    const names = new Set(catalogue.keys());
    const riskOf = (name: string) => catalogue.get(catalogueEntryName(name, names) ?? "") ?? PermissionRisk.CRITICAL;
    const own = version.manifest.permissions;
    const previous = await this.previousPublished(em, version);
    const blastRadius = await this.blastRadius(em, version, riskOf);
    const reasons: ReviewReason[] = [];
    for (const name of own) if (riskAtLeast(riskOf(name), this.threshold)) reasons.push({ kind: "RISK", permission: name, risk: riskOf(name) });
    if (previous) {
      const added = widening(previous.manifest.permissions, own);
      if (added.length) reasons.push({ kind: "ESCALATION", added });
      const previousRadius = (await this.blastRadius(em, previous, riskOf)).map((e) => e.permission);
      const treeAdded = widening(
        previousRadius,
        blastRadius.map((e) => e.permission),
      ).filter((p) => !added.includes(p));
      if (treeAdded.length) reasons.push({ kind: "TREE_ESCALATION", added: treeAdded });
    }
    if (this.triggers.length > 0) {
      const skill = await em.findOneByOrFail(Skill, { id: version.skillId });
      for (const trigger of this.triggers) reasons.push(...(await trigger.reasons(em, version, skill)));
    }
    const flagged = new Set(reasons.flatMap(flaggedPermissions));
    const requiredApprovals = [...flagged].some((p) => riskOf(p) === PermissionRisk.CRITICAL) ? CRITICAL_APPROVALS : 1;
    return { reasons, requiredApprovals, previous, blastRadius };
  }

  /** The skill's highest installable version other than this one (what `latest` points at meanwhile). */
  async previousPublished(em: EntityManager, version: SkillVersion): Promise<SkillVersion | null> {
    const skill = await em.findOneByOrFail(Skill, { id: version.skillId });
    if (!skill.latestVersionId || skill.latestVersionId === version.id) return null;
    return em.findOneBy(SkillVersion, { id: skill.latestVersionId });
  }

  /** Every permission the version and its resolved dependency tree request, with who requests it. */
  async blastRadius(em: EntityManager, version: SkillVersion, riskOf: (name: string) => PermissionRisk): Promise<BlastRadiusEntry[]> {
    const skill = await em.findOneByOrFail(Skill, { id: version.skillId });
    const members: { label: string; permissions: string[] }[] = [{ label: `${skill.name}@${version.version}`, permissions: version.manifest.permissions }];
    // Through the caller's manager: inside a transaction, resolution sees what the transaction sees.
    const loaders = createCatalogLoaders(em);
    for (const dep of version.manifest.dependencies) {
      const depSkill = await em.findOneBy(Skill, { name: dep.name });
      if (!depSkill) continue;
      try {
        // The install resolver decides which versions a tenant would get.
        for (const node of await new DependencyTreeResolver(loaders).resolve(depSkill, dep.range)) {
          members.push({ label: `${node.skill.name}@${node.version.version}`, permissions: node.version.manifest.permissions });
        }
      } catch (error) {
        // An unresolvable dependency contributes nothing installable; installs will say why.
        if (!(error instanceof SkillyardError)) throw error;
      }
    }
    const byPermission = new Map<string, Set<string>>();
    for (const m of members) for (const p of m.permissions) (byPermission.get(p) ?? byPermission.set(p, new Set()).get(p)!).add(m.label);
    return [...byPermission.entries()]
      .map(([permission, by]) => ({ permission, risk: riskOf(permission), requestedBy: [...by].sort() }))
      .sort((a, b) => RISK_ORDER.indexOf(b.risk) - RISK_ORDER.indexOf(a.risk) || a.permission.localeCompare(b.permission));
  }
}
