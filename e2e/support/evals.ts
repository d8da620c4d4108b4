import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Stack } from "./stack";
import { REPO_ROOT } from "./stack";
import { waitFor } from "./wait";

// The server suite's scripted Messages API, shared so e2e judges rubric cases exactly as the server
// tests do: the stack's EVAL_JUDGE_URL points at it.
export {
  startMessagesApiStandIn,
  taggedSection,
  type MessagesApiStandIn,
  type RecordedRequest,
  type StandInStep,
} from "../../server/test/support/messages-api-stand-in";

/** The example skill with an eval suite (six cases, one judged against a rubric). */
export const CSV_STATS_EXAMPLE = path.join(REPO_ROOT, "examples", "csv-stats");

function readTree(dir: string, base = dir): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) Object.assign(files, readTree(full, base));
    else files[path.relative(base, full)] = readFileSync(full, "utf8");
  }
  return files;
}

export interface CsvStatsChanges {
  /** The skill's name (skill.yaml and SKILL.md); csv-stats unless given. */
  name?: string;
  version: string;
  /** Appended to every summary the entry point writes: what the judge of the rubric case reads. */
  summarySuffix?: string;
}

/**
 * The files of a package built from examples/csv-stats: the example is copied to a temporary
 * directory (never changed in place), its name, version and summary wording changed there, and
 * the result read back for `publish`.
 */
export function csvStatsPackage(changes: CsvStatsChanges): Record<string, string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "skillyard-e2e-csv-stats-"));
  try {
    cpSync(CSV_STATS_EXAMPLE, dir, { recursive: true });
    const name = changes.name ?? "csv-stats";
    /** Replaces what `pattern` matches in the copy's `file`; throws when it matches nothing (the example moved on). */
    const rewrite = (file: string, pattern: RegExp | string, replacement: string) => {
      const full = path.join(dir, file);
      const text = readFileSync(full, "utf8");
      if (!(typeof pattern === "string" ? text.includes(pattern) : pattern.test(text))) throw new Error(`${file} of the example has no ${String(pattern)}`);
      writeFileSync(full, text.replace(pattern, replacement));
    };
    rewrite("skill.yaml", /^name: .*$/m, `name: ${name}`);
    rewrite("skill.yaml", /^version: .*$/m, `version: ${changes.version}`);
    if (name !== "csv-stats") {
      rewrite("SKILL.md", /^name: csv-stats$/m, `name: ${name}`);
      rewrite("SKILL.md", "# csv-stats", `# ${name}`);
    }
    if (changes.summarySuffix) {
      rewrite(
        "src/stats.py",
        '    return {"rows": len(rows), "columns": columns, "summary": summary}',
        `    return {"rows": len(rows), "columns": columns, "summary": summary + ${JSON.stringify(changes.summarySuffix)}}`,
      );
    }
    return readTree(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface EvalRunFacts {
  id: string;
  status: string;
  purpose: string;
  score: number | null;
  minScore: number;
  regressed: boolean;
  baselineScore: number | null;
  previousScore: number | null;
}

const RUN_FIELDS = "id status purpose score minScore regressed baselineScore previousScore";
const FINAL = ["PASSED", "FAILED", "ERROR", "INFRA_ERROR"];

/** The version's eval runs, newest first (baselines and re-evaluations included), as the API lists them. */
export async function evalRunsOf(stack: Stack, versionId: string): Promise<EvalRunFacts[]> {
  const data = await stack.gql<{ node: { evalRuns: { edges: { node: EvalRunFacts }[] } } | null }>(
    `query ($id: ID!) { node(id: $id) { ... on SkillVersion { evalRuns(first: 20) { edges { node { ${RUN_FIELDS} } } } } } }`,
    { id: versionId },
  );
  return data.node?.evalRuns.edges.map((edge) => edge.node) ?? [];
}

/** Waits until the version has a run of `purpose` that `accept`s, and answers it. */
export async function waitForEvalRun(
  stack: Stack,
  versionId: string,
  purpose: string,
  accept: (run: EvalRunFacts) => boolean = (run) => FINAL.includes(run.status),
  timeoutMs = 180_000,
): Promise<EvalRunFacts> {
  return waitFor(
    async () => (await evalRunsOf(stack, versionId)).find((run) => run.purpose === purpose && accept(run)) ?? null,
    `a ${purpose} eval run of ${versionId}`,
    timeoutMs,
    250,
  );
}

/** The skill's drift (a re-evaluation of its latest version that scored lower), once there is one. */
export async function waitForDrift(stack: Stack, skill: string, timeoutMs = 180_000): Promise<EvalRunFacts> {
  return waitFor(
    async () => {
      const data = await stack.gql<{ skill: { evalDrift: EvalRunFacts | null } | null }>(
        `query ($name: String!) { skill(name: $name) { evalDrift { ${RUN_FIELDS} } } }`,
        {
          name: skill,
        },
      );
      return data.skill?.evalDrift ?? null;
    },
    `${skill} to drift`,
    timeoutMs,
    250,
  );
}
