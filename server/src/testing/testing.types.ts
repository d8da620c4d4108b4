import { Directive, Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { connectionTypes } from "../common/connection";
import { LogStream, TestRunEventKind } from "./test-run-event.entity";
import { TestRunStatus } from "./test-run.entity";

registerEnumType(TestRunStatus, { name: "TestRunStatus", description: "QUEUED and RUNNING are in flight; the others are final." });
registerEnumType(TestRunEventKind, { name: "TestRunEventKind" });
registerEnumType(LogStream, { name: "LogStream" });

@ObjectType("TestCase", { description: "One test from the run's JUnit report." })
export class TestCaseType {
  @Field()
  name: string;

  @Field()
  classname: string;

  @Field({ description: "passed, failed or skipped." })
  status: string;

  @Field(() => String, { nullable: true })
  message: string | null;

  @Field(() => Int, { nullable: true })
  durationMs: number | null;
}

@ObjectType("TestRunEvent", { description: "A log line (kind LOG) or a status change (kind STATUS) of a test run." })
export class TestRunEventType {
  @Field(() => Int, { description: "Increases by one per event within a run." })
  seq: number;

  @Field(() => TestRunEventKind)
  kind: TestRunEventKind;

  @Field(() => LogStream, { nullable: true })
  stream: LogStream | null;

  @Field(() => String, { nullable: true, description: "The log line, or a status change's explanation." })
  text: string | null;

  @Field(() => TestRunStatus, { nullable: true })
  status: TestRunStatus | null;

  @Field()
  at: Date;
}

@ObjectType("TestRun", { description: "One execution of a version's tests in the hardened sandbox." })
@Directive(`@key(fields: "id")`)
export class TestRunType {
  @Field(() => ID)
  id: string;

  @Field(() => TestRunStatus)
  status: TestRunStatus;

  @Field(() => String, { nullable: true, description: "Why the run ended as it did." })
  reason: string | null;

  @Field(() => Float, { nullable: true, description: "passed / (passed + failed); null when no test ran." })
  passRate: number | null;

  @Field(() => Int)
  passed: number;

  @Field(() => Int)
  failed: number;

  @Field(() => Int)
  skipped: number;

  @Field(() => Int, { nullable: true })
  exitCode: number | null;

  @Field({ description: "True when the output went over SANDBOX_MAX_LOG_BYTES and the rest was not stored." })
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

@ObjectType("SkillVersion")
@Directive(`@key(fields: "id")`)
export class SkillVersionTestsType {
  @Field(() => ID)
  id: string;
}

@ObjectType("TestQueue", { description: "The publish gate's load: queued and running test runs across all workers." })
export class TestQueueType {
  @Field(() => Int)
  queued: number;

  @Field(() => Int)
  running: number;

  @Field(() => Int, { description: "Most sandboxes running at once (SANDBOX_MAX_CONCURRENCY)." })
  maxConcurrency: number;
}

export const { ConnectionType: TestRunConnection } = connectionTypes("TestRun", TestRunType);
export const { ConnectionType: TestRunEventConnection } = connectionTypes("TestRunEvent", TestRunEventType);
export const { ConnectionType: TestCaseConnection } = connectionTypes("TestCase", TestCaseType);
