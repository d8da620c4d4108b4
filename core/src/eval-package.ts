import { SkillyardError } from "./errors";
import type { EvalSuite } from "./eval-suite";
import type { SkillManifest } from "./manifest";

/**
 * The command an eval case runs: the suite's own `entrypoint`, else the manifest's. A suite that
 * names none runs against each version with that version's entry point (a baseline run included).
 */
export function evalEntrypoint(suite: EvalSuite, manifest: SkillManifest): string[] | null {
  return suite.entrypoint ?? manifest.entrypoint ?? null;
}

/**
 * Checks a parsed suite against the package it ships in: evals run the entry point in the runtime's
 * sandbox, so the manifest must declare a runtime, and one of suite and manifest an entry point.
 * Answers the suite unchanged; throws EVAL_SUITE_INVALID naming what is missing.
 */
export function evalSuiteForManifest(suite: EvalSuite, manifest: SkillManifest): EvalSuite {
  const errors: { path: string; message: string }[] = [];
  if (manifest.requirements.runtime === null) {
    errors.push({ path: "/", message: "evals run the skill's entry point, so skill.yaml must declare requirements.runtime" });
  }
  if (evalEntrypoint(suite, manifest) === null) {
    errors.push({ path: "/entrypoint", message: "no entry point: set entrypoint in evals/suite.yaml or in skill.yaml" });
  }
  if (errors.length > 0) {
    throw new SkillyardError("EVAL_SUITE_INVALID", `evals/suite.yaml cannot run: ${errors[0].message}.`, { errors });
  }
  return suite;
}
