import type { EntityManager } from "typeorm";
import type { SkillVersion } from "./skill-version.entity";
import type { VersionLifecycle } from "./version-lifecycle";
import { VersionStatus } from "./version-status";

/** What a gate decides about a version entering it. */
export type GateDecision =
  /** Nothing to wait for: on to the next gate (or published after the last). */
  | { kind: "pass" }
  /** The version waits in the gate's status until the gate's owner calls `PublishPipeline.passed` or `failed`. */
  | { kind: "wait"; reason: string; details?: Record<string, unknown> }
  | { kind: "reject"; reason: string; details?: Record<string, unknown> };

/**
 * A step between upload and publication, implemented by the domain that owns it (testing runs the
 * sandbox, governance the review) and wired in the composition root. Later gates (evals, usage tier)
 * plug in the same way. `enter` runs in the caller's transaction.
 */
export interface PublishGate {
  readonly name: string;
  /** The status a version waits in at this gate. */
  readonly waitingStatus: VersionStatus;
  enter(em: EntityManager, version: SkillVersion): Promise<GateDecision>;
}

/**
 * Runs a new version through the gates in order; a gate that makes it wait resumes the pipeline
 * later (`passed`) or ends it (`failed`). Every status change goes through VersionLifecycle.transition.
 */
export class PublishPipeline {
  constructor(
    private readonly lifecycle: VersionLifecycle,
    private readonly gates: readonly PublishGate[],
  ) {}

  /** A version just recorded as UPLOADED enters the first gate. */
  start(em: EntityManager, version: SkillVersion, actorId: string): Promise<SkillVersion> {
    return this.from(em, version, 0, actorId);
  }

  /**
   * The gate the version waits at is satisfied (its tests passed; enough reviewers approved): on to
   * the next gates. Answers false, changing nothing, when the version is no longer waiting there.
   */
  async passed(em: EntityManager, version: SkillVersion, gateName: string, actorId: string | null): Promise<boolean> {
    const index = this.indexOf(gateName);
    const { version: current } = await this.lifecycle.lock(em, version.id);
    if (current.status !== this.gates[index].waitingStatus) return false;
    Object.assign(version, current);
    await this.from(em, version, index + 1, actorId);
    return true;
  }

  /** The gate the version waits at refuses it: REJECTED with the reason. False when it no longer waits there. */
  async failed(
    em: EntityManager,
    version: SkillVersion,
    gateName: string,
    reason: string,
    actorId: string | null,
    details?: Record<string, unknown>,
  ): Promise<boolean> {
    const index = this.indexOf(gateName);
    const { version: current } = await this.lifecycle.lock(em, version.id);
    if (current.status !== this.gates[index].waitingStatus) return false;
    await this.lifecycle.transition(em, version, VersionStatus.REJECTED, { reason, actorId, details: { gate: gateName, ...details } });
    return true;
  }

  private async from(em: EntityManager, version: SkillVersion, start: number, actorId: string | null): Promise<SkillVersion> {
    for (const gate of this.gates.slice(start)) {
      const decision = await gate.enter(em, version);
      if (decision.kind === "wait") {
        return this.lifecycle.transition(em, version, gate.waitingStatus, {
          reason: decision.reason,
          actorId,
          details: { gate: gate.name, ...decision.details },
        });
      }
      if (decision.kind === "reject") {
        return this.lifecycle.transition(em, version, VersionStatus.REJECTED, {
          reason: decision.reason,
          actorId,
          details: { gate: gate.name, ...decision.details },
        });
      }
    }
    return this.lifecycle.transition(em, version, VersionStatus.PUBLISHED, { reason: null, actorId });
  }

  private indexOf(gateName: string): number {
    const index = this.gates.findIndex((g) => g.name === gateName);
    if (index < 0) throw new Error(`No publish gate is named ${gateName}`);
    return index;
  }
}
