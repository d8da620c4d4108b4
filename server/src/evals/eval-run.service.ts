import { In, MoreThan, type DataSource, type EntityManager } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import type { CatalogContext } from "../catalog/catalog.context";
import { Skill } from "../catalog/skill.entity";
import { SkillVersion } from "../catalog/skill-version.entity";
import { isInstallable, VersionStatus } from "../catalog/version-status";
import type { EvalConfig } from "../config";
import type { SandboxJobQueue } from "../sandbox/sandbox-job-queue";
import { lockVersionToRerun } from "../testing/rerun-access";
import { TestRunEvent, TestRunEventKind } from "../testing/test-run-event.entity";
import { TestRunStatus } from "../testing/test-run.entity";
import { EvalRun, EvalRunPurpose, EvalRunStatus } from "./eval-run.entity";

export const EVAL_RUN_QUEUE = "eval-run";

/** One job runs one EvalRun (and, for a GATE run, its BASELINE run right after, in the same job). */
export interface EvalRunJob {
  evalRunId: string;
}

export type EvalQueue = SandboxJobQueue<EvalRunJob>;

/** A re-evaluation is not queued again for a version while one is in flight or younger than this. */
const REEVALUATION_DEBOUNCE_MS = 60 * 60 * 1000;

/**
 * Creates eval runs and their jobs: a new version's run (GATE for gated tiers, with a BASELINE run
 * against the version `latest` points to; INFORMATIONAL otherwise), re-evaluations of a skill's
 * latest version (drift detection), and re-runs after infrastructure failures.
 */
export class EvalRunService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: EvalQueue,
    private readonly config: EvalConfig,
  ) {}

  /** Whether new versions of a skill in this tier must pass their evals (EVAL_GATED_TIERS). */
  isGated(skill: Skill): boolean {
    return this.config.gatedTiers.includes(skill.usageTier);
  }

  /**
   * The runs a new version with a suite gets, in the caller's transaction. A GATE run also gets a
   * BASELINE run when `latest` points at another version that can run the suite (its own entry point
   * or the suite's, and a runtime); the worker runs both, then decides.
   */
  async enqueueForNewVersion(em: EntityManager, skill: Skill, version: SkillVersion): Promise<EvalRun> {
    if (!version.evalSuite) throw new Error(`${skill.name}@${version.version} has no eval suite`);
    const purpose = this.isGated(skill) ? EvalRunPurpose.GATE : EvalRunPurpose.INFORMATIONAL;
    let baselineRunId: string | null = null;
    if (purpose === EvalRunPurpose.GATE && skill.latestVersionId && skill.latestVersionId !== version.id) {
      const latest = await em.getRepository(SkillVersion).findOneBy({ id: skill.latestVersionId });
      if (latest && latest.manifest.requirements.runtime) {
        baselineRunId = (await this.create(em, latest, version, EvalRunPurpose.BASELINE)).id;
      }
    }
    const run = await this.create(em, version, version, purpose, { baselineRunId });
    await this.enqueue(em, run);
    return run;
  }

  /**
   * Queues a re-evaluation of each skill's latest version that ships a suite (quality review due,
   * platform update), unless one is in flight or was queued within the hour. Answers how many.
   */
  async reevaluate(em: EntityManager, skillIds: readonly string[]): Promise<number> {
    if (skillIds.length === 0) return 0;
    const skills = await em.getRepository(Skill).findBy({ id: In([...skillIds]) });
    const latestIds = skills.map((s) => s.latestVersionId).filter((id): id is string => id !== null);
    if (latestIds.length === 0) return 0;
    const versions = await em.getRepository(SkillVersion).findBy({ id: In(latestIds) });
    const recent = await em.getRepository(EvalRun).find({
      where: [
        { versionId: In(latestIds), purpose: EvalRunPurpose.REEVALUATION, status: In([EvalRunStatus.QUEUED, EvalRunStatus.RUNNING]) },
        { versionId: In(latestIds), purpose: EvalRunPurpose.REEVALUATION, createdAt: MoreThan(new Date(Date.now() - REEVALUATION_DEBOUNCE_MS)) },
      ],
      select: { id: true, versionId: true },
    });
    const skip = new Set(recent.map((r) => r.versionId));
    const due = versions.filter((v) => v.evalSuite && !skip.has(v.id) && isInstallable(v.status));
    // What each is compared with: its newest scored run of its own suite, all in one statement.
    const previous: { version_id: string; score: number }[] = due.length
      ? await em.query(
          `SELECT DISTINCT ON (version_id) version_id, score FROM eval_run
            WHERE version_id = ANY($1::uuid[]) AND suite_version_id = version_id AND status IN ('PASSED', 'FAILED') AND purpose <> 'BASELINE'
            ORDER BY version_id, created_at DESC`,
          [due.map((v) => v.id)],
        )
      : [];
    const previousScore = new Map(previous.map((p) => [p.version_id, p.score]));
    for (const version of due) {
      const run = await this.create(em, version, version, EvalRunPurpose.REEVALUATION, { previousScore: previousScore.get(version.id) ?? null });
      await this.enqueue(em, run);
    }
    return due.length;
  }

  /** Every skill whose latest version ships a suite: a platform update re-evaluates them all. */
  async reevaluateAll(em: EntityManager): Promise<number> {
    const rows: { id: string }[] = await em.query(`SELECT s.id FROM skill s JOIN skill_version v ON v.id = s.latest_version_id WHERE v.eval_suite IS NOT NULL`);
    return this.reevaluate(
      em,
      rows.map((r) => r.id),
    );
  }

  /** An author (or admin) re-runs a version's evals whose last run failed on infrastructure. */
  async rerun(ctx: CatalogContext, versionId: string): Promise<EvalRun> {
    return this.dataSource.transaction(async (em) => {
      const version = await lockVersionToRerun(em, ctx, versionId, "evals");
      const last = await em.getRepository(EvalRun).findOne({ where: { versionId, suiteVersionId: versionId }, order: { createdAt: "DESC" } });
      if (version.status !== VersionStatus.EVALUATING || last?.status !== EvalRunStatus.INFRA_ERROR) {
        throw new SkillyardError(
          "BAD_USER_INPUT",
          "Evals can be re-run only for a version still in EVALUATING whose last run could not complete (INFRA_ERROR).",
        );
      }
      return this.enqueueForNewVersion(em, version.skill, version);
    });
  }

  private async create(
    em: EntityManager,
    version: SkillVersion,
    suiteVersion: SkillVersion,
    purpose: EvalRunPurpose,
    extra: Partial<Pick<EvalRun, "baselineRunId" | "previousScore">> = {},
  ): Promise<EvalRun> {
    const suite = suiteVersion.evalSuite!;
    const run = await em.getRepository(EvalRun).save(
      em.getRepository(EvalRun).create({
        versionId: version.id,
        suiteVersionId: suiteVersion.id,
        purpose,
        status: EvalRunStatus.QUEUED,
        minScore: suite.minScore ?? this.config.defaultMinScore,
        caseCount: suite.cases.length,
        ...extra,
      }),
    );
    await em
      .getRepository(TestRunEvent)
      .insert({ runId: run.id, seq: 1, kind: TestRunEventKind.STATUS, status: TestRunStatus.QUEUED, text: null, stream: null });
    return run;
  }

  private async enqueue(em: EntityManager, run: EvalRun): Promise<void> {
    run.jobId = await this.queue.enqueue(em, { evalRunId: run.id });
    await em.getRepository(EvalRun).update(run.id, { jobId: run.jobId });
  }
}
