import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from "type-graphql";
import type { DataSource } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { Access, AccessRule } from "../identity/access";
import { TokenScope } from "../identity/api-token.entity";
import { connectionFromArray, type Connection, PageArgs } from "../common/connection";
import { expectGlobalId, toGlobalId } from "../common/global-id";
import { LogStream, type TestRunEvent } from "./test-run-event.entity";
import { storedLogPage, type TestRunEventHub } from "./test-run-events";
import { TestRun, TestRunStatus, type StoredTestCase } from "./test-run.entity";
import type { TestRunService } from "./test-run.service";
import type { TestingContext, TestingSubscriptionContext } from "./testing.context";
import {
  SkillVersionTestsType,
  TestCaseConnection,
  TestQueueType,
  TestRunConnection,
  TestRunEventConnection,
  TestRunEventType,
  TestRunType,
} from "./testing.types";

interface EntityRef {
  id: string;
}

/** A version referenced by uuid in this subgraph, if the viewer may see it. */
async function canSeeVersionId(ctx: TestingContext, versionId: string): Promise<boolean> {
  return Boolean(await ctx.visibility.versionOrNull(await ctx.loaders.catalog.versionById.load(versionId)));
}

@Resolver(() => TestRunType)
export class TestRunResolver {
  constructor(
    private readonly dataSource: DataSource,
    private readonly testRuns: TestRunService,
    private readonly maxConcurrency: number,
  ) {}

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
    @Root() run: TestRun,
    @Args() page: PageArgs,
    @Arg("stream", () => LogStream, { nullable: true }) stream: LogStream | null,
  ): Promise<Connection<TestRunEvent>> {
    return storedLogPage(this.dataSource, run.id, page, stream);
  }

  @Access(AccessRule.PUBLIC, TokenScope.READ)
  @Query(() => TestRunType, { nullable: true, description: "Null when there is no such run, or you may not see its version." })
  async testRun(@Ctx() ctx: TestingContext, @Arg("id", () => ID) id: string): Promise<TestRun | null> {
    const run = await ctx.loaders.testing.testRunById.load(expectGlobalId(id, "TestRun"));
    return run && (await ctx.visibility.canSeeRun(run)) ? run : null;
  }

  @Access(AccessRule.PUBLIC, TokenScope.READ)
  @Query(() => TestQueueType)
  async testQueue(): Promise<TestQueueType> {
    const rows: { status: TestRunStatus; count: number }[] = await this.dataSource.query(
      `SELECT status, count(*)::int AS count FROM test_run WHERE status IN ('QUEUED', 'RUNNING') GROUP BY status`,
    );
    const count = (s: TestRunStatus) => rows.find((r) => r.status === s)?.count ?? 0;
    return { queued: count(TestRunStatus.QUEUED), running: count(TestRunStatus.RUNNING), maxConcurrency: this.maxConcurrency };
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.PUBLISH)
  @Mutation(() => TestRunType, {
    description: "Re-runs the tests of a version whose last run could not complete (INFRA_ERROR). Members of the owning team and admins.",
  })
  rerunTests(@Ctx() ctx: TestingContext, @Arg("versionId", () => ID) versionId: string): Promise<TestRun> {
    return this.testRuns.rerun(ctx, expectGlobalId(versionId, "SkillVersion"));
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.READ)
  @Subscription(() => TestRunEventType, {
    description:
      "Every stored event of the run from the start, then live ones; completes after the final status. Ends with an error if you may no longer see the run (your roles or teams changed).",
    // Replaced by testRunEventsSubscriber's function when the subgraph is wired (see graphql/subgraphs.ts).
    subscribe: () => {
      throw new Error("Subscription.testRunEvents is not wired to an event hub");
    },
  })
  testRunEvents(@Root() event: TestRunEvent, @Arg("testRunId", () => ID) _testRunId: string): TestRunEvent {
    return event;
  }
}

/**
 * Subscription.testRunEvents: the run's events from the hub, for as long as the viewer may see the
 * run. Its @Access rule is checked before this runs (the subgraph wires it through checkedSubscribe).
 */
export function testRunEventsSubscriber(eventHub: TestRunEventHub) {
  return async (_root: unknown, args: { testRunId?: unknown }, ctx: TestingSubscriptionContext): Promise<AsyncGenerator<TestRunEvent>> => {
    const runId = expectGlobalId(String(args.testRunId), "TestRun");
    const run = await ctx.loaders.testing.testRunById.load(runId);
    if (!run || !(await ctx.visibility.canSeeRun(run))) throw new SkillyardError("NOT_FOUND", "There is no such test run.");
    return ctx.live.guard(
      (signal) => eventHub.stream(runId, signal),
      (fresh) => fresh.visibility.canSeeRun(run),
      () => new SkillyardError("FORBIDDEN", "You may no longer see this test run: your roles or team memberships changed."),
    );
  };
}

@Resolver(() => SkillVersionTestsType)
export class SkillVersionTestsResolver {
  @FieldResolver(() => ID)
  id(@Root() version: EntityRef): string {
    return toGlobalId("SkillVersion", version.id);
  }

  @FieldResolver(() => TestRunConnection, { description: "Test runs of this version, newest first." })
  async testRuns(@Ctx() ctx: TestingContext, @Root() version: EntityRef, @Args() page: PageArgs): Promise<Connection<TestRun>> {
    const runs = (await canSeeVersionId(ctx, version.id)) ? await ctx.loaders.testing.testRunsByVersionId.load(version.id) : [];
    return connectionFromArray("testRuns", runs, page);
  }

  @FieldResolver(() => TestRunType, { nullable: true, description: "The newest test run." })
  async latestTestRun(@Ctx() ctx: TestingContext, @Root() version: EntityRef): Promise<TestRun | null> {
    if (!(await canSeeVersionId(ctx, version.id))) return null;
    return (await ctx.loaders.testing.testRunsByVersionId.load(version.id))[0] ?? null;
  }
}

/** Federation entry points: versions and runs only for those who may see them, as on /graphql. */
export const testingReferenceResolvers = {
  SkillVersion: {
    __resolveReference: async (ref: { id: string }, ctx: TestingContext): Promise<EntityRef | null> => {
      const id = expectGlobalId(ref.id, "SkillVersion");
      return (await canSeeVersionId(ctx, id)) ? { id } : null;
    },
  },
  TestRun: {
    __resolveReference: async (ref: { id: string }, ctx: TestingContext): Promise<TestRun | null> => {
      const run = await ctx.loaders.testing.testRunById.load(expectGlobalId(ref.id, "TestRun"));
      return run && (await ctx.visibility.canSeeRun(run)) ? run : null;
    },
  },
};

export const TESTING_RESOLVERS = [TestRunResolver, SkillVersionTestsResolver] as const;
