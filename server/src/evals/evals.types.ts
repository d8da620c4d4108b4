import { Directive, Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { connectionTypes } from "../common/connection";
import { LogStream } from "../testing/test-run-event.entity";
// LogStream is registered with the testing subgraph's types (the same enum in both subgraphs).
import "../testing/testing.types";
import { EvalRunPurpose, EvalRunStatus } from "./eval-run.entity";

registerEnumType(EvalRunStatus, {
  name: "EvalRunStatus",
  description:
    "QUEUED and RUNNING are in flight. PASSED and FAILED compare the score with the minimum; ERROR: no case could be scored; INFRA_ERROR: the sandbox failed (never the author's fault).",
});
registerEnumType(EvalRunPurpose, {
  name: "EvalRunPurpose",
  description:
    "GATE: a gated version's score decides whether it goes on. INFORMATIONAL: scored and shown, never blocking. BASELINE: a new suite run against the version latest pointed to. REEVALUATION: the latest version again on today's runtime (drift).",
});

export enum EvalRunEventKind {
  LOG = "LOG",
  STATUS = "STATUS",
  CASE = "CASE",
}
registerEnumType(EvalRunEventKind, { name: "EvalRunEventKind" });

@ObjectType("EvalGraderResult", { description: "One deterministic check of a case's output." })
class EvalGraderResultType {
  @Field({ description: "json, outputs_schema, equals, json_subset, contains, regex, json_schema or number." })
  grader: string;

  @Field()
  passed: boolean;

  @Field(() => String, { nullable: true, description: "Why it failed." })
  message: string | null;
}

@ObjectType("EvalCase", { description: "One case of an eval run: what went in, what came out, and its score." })
export class EvalCaseType {
  @Field(() => Int, { description: "Position in the suite, from 0." })
  index: number;

  @Field()
  name: string;

  @Field(() => Float)
  weight: number;

  @Field({ description: "The JSON written to the entry point's stdin." })
  input: string;

  @Field(() => String, { nullable: true, description: "The entry point's stdout (capped at EVAL_OUTPUT_CAP_BYTES); null when the case never ran." })
  output: string | null;

  @Field(() => Int, { nullable: true })
  exitCode: number | null;

  @Field()
  timedOut: boolean;

  @Field({ description: "The output went over the cap and was cut." })
  truncated: boolean;

  @Field(() => Int, { nullable: true })
  durationMs: number | null;

  @Field(() => [EvalGraderResultType])
  graders: EvalGraderResultType[];

  @Field(() => String, { nullable: true, description: "The rubric the judge scored the output against." })
  rubric: string | null;

  @Field(() => Float, { nullable: true })
  judgeScore: number | null;

  @Field(() => String, { nullable: true, description: "The judge's reason, or why it gave no score." })
  judgeReason: string | null;

  @Field(() => Float, { nullable: true, description: "0-1; null when not scored." })
  score: number | null;

  @Field({ description: "False for a rubric case the judge did not score." })
  scored: boolean;

  @Field()
  passed: boolean;

  @Field(() => String, { nullable: true, description: "Why the case lost points." })
  reason: string | null;
}

@ObjectType("EvalRun", { description: "One run of an eval suite in the hardened sandbox." })
@Directive(`@key(fields: "id")`)
export class EvalRunType {
  @Field(() => ID)
  id: string;

  @Field(() => EvalRunStatus)
  status: EvalRunStatus;

  @Field(() => EvalRunPurpose)
  purpose: EvalRunPurpose;

  @Field(() => String, { nullable: true, description: "Why the run ended as it did." })
  reason: string | null;

  @Field(() => Float, { nullable: true, description: "Weighted mean of the scored cases, 0-1." })
  score: number | null;

  @Field(() => Float)
  minScore: number;

  @Field(() => Int)
  caseCount: number;

  @Field(() => Int, { description: "Rubric cases the judge did not score." })
  unscoredCases: number;

  @Field(() => Float, { nullable: true, description: "GATE: the baseline's score on the cases both runs scored." })
  baselineScore: number | null;

  @Field(() => Float, { nullable: true, description: "REEVALUATION: the version's score before." })
  previousScore: number | null;

  @Field({ description: "GATE: lower than the baseline by more than EVAL_MAX_REGRESSION. REEVALUATION: lower than before (drift)." })
  regressed: boolean;

  @Field(() => Int)
  judgeCalls: number;

  @Field()
  logTruncated: boolean;

  @Field(() => Int)
  attempts: number;

  @Field(() => Date, { nullable: true })
  startedAt: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt: Date | null;

  @Field()
  createdAt: Date;
}

@ObjectType("EvalRunEvent", { description: "A log line (LOG), a status change (STATUS) or a scored case (CASE) of an eval run." })
export class EvalRunEventType {
  @Field(() => Int, { description: "Increases by one per event within a run." })
  seq: number;

  @Field(() => EvalRunEventKind)
  kind: EvalRunEventKind;

  @Field(() => LogStream, { nullable: true })
  stream: LogStream | null;

  @Field(() => String, { nullable: true, description: "The log line, a status change's explanation, or the scored case's name." })
  text: string | null;

  @Field(() => EvalRunStatus, { nullable: true })
  status: EvalRunStatus | null;

  @Field()
  at: Date;
}

@ObjectType("EvalSuiteSummary", { description: "What a version's evals/suite.yaml holds." })
export class EvalSuiteSummaryType {
  @Field(() => Int)
  caseCount: number;

  @Field(() => Int)
  rubricCases: number;

  @Field(() => Float, { nullable: true, description: "The suite's own min_score, if it names one." })
  minScore: number | null;
}

@ObjectType("SkillVersion")
@Directive(`@key(fields: "id")`)
export class SkillVersionEvalsType {
  @Field(() => ID)
  id: string;
}

@ObjectType("Skill")
@Directive(`@key(fields: "id")`)
export class SkillEvalsType {
  @Field(() => ID)
  id: string;
}

export const { ConnectionType: EvalRunConnection } = connectionTypes("EvalRun", EvalRunType);
export const { ConnectionType: EvalCaseConnection } = connectionTypes("EvalCase", EvalCaseType);
export const { ConnectionType: EvalRunEventConnection } = connectionTypes("EvalRunEvent", EvalRunEventType);
