import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from "type-graphql";
import { MoreThan } from "typeorm";
import { connectionFromArray, type Connection, decodeCursor, encodeCursor, PageArgs, pageSize } from "../common/connection";
import { expectGlobalId, toGlobalId } from "../common/global-id";
import { type RequestContext, requireViewer } from "../common/request-context";
import { canSeeVersion } from "../catalog/version-visibility";
import { SkillyardError } from "@skillyard/core";
import { LogStream, TestRunEvent, TestRunEventKind } from "./test-run-event.entity";
import { TestRun, TestRunStatus, type StoredTestCase } from "./test-run.entity";
import { SkillVersionTestsType, TestCaseConnection, TestQueueType, TestRunConnection, TestRunEventConnection, TestRunEventType, TestRunType } from "./testing.types";

interface EntityRef {
  id: string;
}

/** A run is visible exactly when its version is. */
async function canSeeRun(ctx: RequestContext, run: TestRun): Promise<boolean> {
  const version = await ctx.loaders.catalog.versionById.load(run.versionId);
  return Boolean(version && (await canSeeVersion(ctx, version)));
}

const isSeq = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

@Resolver(() => TestRunType)
export class TestRunResolver {
  @FieldResolver(() => ID)
  id(@Root() run: TestRun): string {
    return toGlobalId("TestRun", run.id);
  }

  @FieldResolver(() => SkillVersionTestsType, { description: "The version these tests belong to." })
  version(@Root() run: TestRun): EntityRef {
    return { id: run.versionId };
  }

  @FieldResolver(() => TestCaseConnection, { description: "Per-test results from the JUnit report." })
  tests(@Root() run: TestRun, @Args() page: PageArgs): Connection<StoredTestCase> {
    return connectionFromArray("tests", run.tests, page);
  }

  @FieldResolver(() => TestRunEventConnection, { description: "Stored output lines in order." })
  async logs(
    @Ctx() ctx: RequestContext,
    @Root() run: TestRun,
    @Args() page: PageArgs,
    @Arg("stream", () => LogStream, { nullable: true }) stream: LogStream | null,
  ): Promise<Connection<TestRunEvent>> {
    // Logs can be long: page in SQL by seq rather than loading them all.
    const after = page.after ? decodeCursor("logs", page.after, isSeq) : 0;
    const size = pageSize(page.first);
    const rows = await ctx.runtime.dataSource.getRepository(TestRunEvent).find({
      where: { runId: run.id, kind: TestRunEventKind.LOG, seq: MoreThan(after), ...(stream ? { stream } : {}) },
      order: { seq: "ASC" },
      take: size + 1,
    });
    const edges = rows.slice(0, size).map((node) => ({ node, cursor: encodeCursor("logs", node.seq) }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > size, hasPreviousPage: after > 0, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: null,
    };
  }

  @Query(() => TestRunType, { nullable: true })
  async testRun(@Ctx() ctx: RequestContext, @Arg("id", () => ID) id: string): Promise<TestRun | null> {
    const run = await ctx.loaders.testing.testRunById.load(expectGlobalId(id, "TestRun"));
    return run && (await canSeeRun(ctx, run)) ? run : null;
  }

  @Query(() => TestQueueType)
  async testQueue(@Ctx() ctx: RequestContext): Promise<TestQueueType> {
    const rows: { status: TestRunStatus; count: number }[] = await ctx.runtime.dataSource.query(
      `SELECT status, count(*)::int AS count FROM test_run WHERE status IN ('QUEUED', 'RUNNING') GROUP BY status`,
    );
    const count = (s: TestRunStatus) => rows.find((r) => r.status === s)?.count ?? 0;
    return { queued: count(TestRunStatus.QUEUED), running: count(TestRunStatus.RUNNING), maxConcurrency: ctx.runtime.config.sandbox.maxConcurrency };
  }

  @Mutation(() => TestRunType, { description: "Re-runs the tests of a version whose last run could not complete (INFRA_ERROR)." })
  rerunTests(@Ctx() ctx: RequestContext, @Arg("versionId", () => ID) versionId: string): Promise<TestRun> {
    return ctx.runtime.services.testRuns.rerun(ctx, expectGlobalId(versionId, "SkillVersion"));
  }

  @Subscription(() => TestRunEventType, {
    description: "Every stored event of the run from the start, then live ones; completes after the final status.",
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      requireViewer(ctx);
      const runId = expectGlobalId(String(args.testRunId), "TestRun");
      const run = await ctx.loaders.testing.testRunById.load(runId);
      if (!run || !(await canSeeRun(ctx, run))) throw new SkillyardError("NOT_FOUND", "There is no such test run.");
      return ctx.runtime.eventHub.stream(runId);
    },
  })
  testRunEvents(@Root() event: TestRunEvent, @Arg("testRunId", () => ID) _testRunId: string): TestRunEvent {
    return event;
  }
}

@Resolver(() => SkillVersionTestsType)
export class SkillVersionTestsResolver {
  @FieldResolver(() => ID)
  id(@Root() version: EntityRef): string {
    return toGlobalId("SkillVersion", version.id);
  }

  @FieldResolver(() => TestRunConnection, { description: "Test runs of this version, newest first." })
  async testRuns(@Ctx() ctx: RequestContext, @Root() version: EntityRef, @Args() page: PageArgs): Promise<Connection<TestRun>> {
    return connectionFromArray("testRuns", await ctx.loaders.testing.testRunsByVersionId.load(version.id), page);
  }

  @FieldResolver(() => TestRunType, { nullable: true, description: "The newest test run." })
  async latestTestRun(@Ctx() ctx: RequestContext, @Root() version: EntityRef): Promise<TestRun | null> {
    return (await ctx.loaders.testing.testRunsByVersionId.load(version.id))[0] ?? null;
  }
}

export const testingReferenceResolvers = {
  SkillVersion: { __resolveReference: (ref: { id: string }): EntityRef => ({ id: expectGlobalId(ref.id, "SkillVersion") }) },
  TestRun: {
    __resolveReference: (ref: { id: string }, ctx: RequestContext) => ctx.loaders.testing.testRunById.load(expectGlobalId(ref.id, "TestRun")),
  },
};

export const TESTING_RESOLVERS = [TestRunResolver, SkillVersionTestsResolver] as const;
