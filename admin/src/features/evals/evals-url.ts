/** The page of one eval run: `/evals/<EvalRun global id>`. */
export function evalRunPath(evalRunId: string): string {
  return `/evals/${encodeURIComponent(evalRunId)}`;
}

/** The skill page's Evals tab (scores by version). */
export function skillEvalsPath(skillName: string): string {
  return `/skills/${encodeURIComponent(skillName)}?tab=evals`;
}
