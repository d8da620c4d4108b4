import { In, type DataSource } from "typeorm";
import { batchLoader, byKey, groupBy } from "../common/loader-utils";
import { EvalCaseResult } from "./eval-case.entity";
import { EvalRun, EvalRunPurpose, EvalRunStatus } from "./eval-run.entity";

/** Per-request loaders of the evals domain. */
export function createEvalLoaders(dataSource: DataSource) {
  const em = dataSource.manager;
  return {
    evalRunById: batchLoader<string, EvalRun | null>(async (ids) => byKey(ids, await em.findBy(EvalRun, { id: In([...ids]) }), (r) => r.id)),
    /** Runs in which each version's code ran, newest first. */
    evalRunsByVersionId: batchLoader<string, EvalRun[]>(async (versionIds) =>
      groupBy(versionIds, await em.find(EvalRun, { where: { versionId: In([...versionIds]) }, order: { createdAt: "DESC", id: "DESC" } }), (r) => r.versionId),
    ),
    /** Each run's cases in suite order. */
    casesByRunId: batchLoader<string, EvalCaseResult[]>(async (runIds) =>
      groupBy(runIds, await em.find(EvalCaseResult, { where: { runId: In([...runIds]) }, order: { index: "ASC" } }), (c) => c.runId),
    ),
    /** One case of a run by name (live CASE events name theirs), in one query per batch. */
    caseByRunAndName: batchLoader<{ runId: string; name: string }, EvalCaseResult | null, string>(
      async (keys) => {
        const rows = await em.find(EvalCaseResult, { where: keys.map((k) => ({ runId: k.runId, name: k.name })) });
        return byKey(
          keys.map((k) => `${k.runId}|${k.name}`),
          rows,
          (c) => `${c.runId}|${c.name}`,
        );
      },
      { cacheKeyFn: (k) => `${k.runId}|${k.name}` },
    ),
    /** Per skill: the newest re-evaluation of its latest version, when it scored lower than before. */
    driftBySkillId: batchLoader<string, EvalRun | null>(async (skillIds) => {
      const rows: { skill_id: string; id: string }[] = await em.query(
        `SELECT DISTINCT ON (s.id) s.id AS skill_id, r.id
           FROM skill s JOIN eval_run r ON r.version_id = s.latest_version_id
          WHERE s.id = ANY($1::uuid[]) AND r.purpose = $2 AND r.status IN ($3, $4)
          ORDER BY s.id, r.created_at DESC`,
        [skillIds, EvalRunPurpose.REEVALUATION, EvalRunStatus.PASSED, EvalRunStatus.FAILED],
      );
      const runs = rows.length ? await em.findBy(EvalRun, { id: In(rows.map((r) => r.id)) }) : [];
      const byId = new Map(runs.map((r) => [r.id, r]));
      const newest = new Map(rows.map((r) => [r.skill_id, byId.get(r.id)!]));
      return skillIds.map((id) => {
        const run = newest.get(id);
        return run?.regressed ? run : null;
      });
    }),
  };
}

export type EvalLoaders = ReturnType<typeof createEvalLoaders>;
