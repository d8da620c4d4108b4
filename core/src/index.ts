export * from "./errors";
export * from "./manifest";
export * from "./archive";
export * from "./input-rules";
export * from "./skill-md";
// Named, not `export *`: these modules also hold helpers that only core's own modules use.
export {
  EVAL_SUITE_LIMITS,
  EVAL_SUITE_PATH,
  parseEvalSuite,
  type EvalCase,
  type EvalExpectations,
  type EvalNumberExpectation,
  type EvalSuite,
} from "./eval-suite";
export { caseScore, gradeOutput, jsonPath, suiteScore, type GraderName, type GraderResult, type OutputGrade } from "./eval-grading";
export * from "./eval-package";
