import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from "type-graphql";
import type { DataSource } from "typeorm";
import { SkillyardError } from "@skillyard/core";
import { connectionFromArray, type Connection, PageArgs } from "../common/connection";
import { expectGlobalId, toGlobalId } from "../common/global-id";
import { Access, AccessRule } from "../identity/access";
import { TokenScope } from "../identity/api-token.entity";
import type { TestRunEvent } from "../testing/test-run-event.entity";
import { storedLogPage, type TestRunEventHub } from "../testing/test-run-events";
import { EvalCaseResult } from "./eval-case.entity";
import { EvalRun, EvalRunStatus } from "./eval-run.entity";
import type { EvalRunService } from "./eval-run.service";
import type { EvalsContext, EvalsSubscriptionContext } from "./evals.context";
import {
  EvalCaseConnection,
  EvalCaseType,
  EvalRunConnection,
  EvalRunEventConnection,
  EvalRunEventKind,
  EvalRunEventType,
  EvalRunType,
  EvalSuiteSummaryType,
  SkillEvalsType,
  SkillVersionEvalsType,
} from "./evals.types";

interface EntityRef {
  id: string;
}

/** An eval run's event, as the API shows it (the stored row's status narrowed to eval statuses). */
type EvalRunEventView = Omit<TestRunEvent, "status" | "kind"> & { status: EvalRunStatus | null; kind: EvalRunEventKind };

function eventView(event: TestRunEvent): EvalRunEventView {
  return { ...event, kind: EvalRunEventKind[event.kind], status: event.status === null ? null : EvalRunStatus[event.status as keyof typeof EvalRunStatus] };
}

async function canSeeVersionId(ctx: EvalsContext, versionId: string): Promise<boolean> {
  return Boolean(await ctx.visibility.versionOrNull(await ctx.loaders.catalog.versionById.load(versionId)));
}

async function visibleRun(ctx: EvalsContext, id: string | null): Promise<EvalRun | null> {
  const run = id ? await ctx.loaders.evals.evalRunById.load(id) : null;
  return run && (await ctx.visibility.canSeeRun(run)) ? run : null;
}

@Resolver(() => EvalRunType)
export class EvalRunResolver {
  constructor(
    private readonly dataSource: DataSource,
    private readonly evalRuns: EvalRunService,
  ) {}

  @FieldResolver(() => ID)
  id(@Root() run: EvalRun): string {
    return toGlobalId("EvalRun", run.id);
  }

  @FieldResolver(() => SkillVersionEvalsType, { description: "The version whose code ran." })
  version(@Root() run: EvalRun): EntityRef {
    return { id: run.versionId };
  }

  @FieldResolver(() => SkillVersionEvalsType, { description: "The version whose evals/suite.yaml gave the cases (another version only for a BASELINE run)." })
  suiteVersion(@Root() run: EvalRun): EntityRef {
    return { id: run.suiteVersionId };
  }

  @FieldResolver(() => EvalRunType, { nullable: true, description: "GATE: the same suite run against the version latest pointed to." })
  baseline(@Ctx() ctx: EvalsContext, @Root() run: EvalRun): Promise<EvalRun | null> {
    return visibleRun(ctx, run.baselineRunId);
  }

  @FieldResolver(() => EvalCaseConnection, { description: "Per-case results in suite order." })
  async cases(@Ctx() ctx: EvalsContext, @Root() run: EvalRun, @Args() page: PageArgs): Promise<Connection<EvalCaseType>> {
    return connectionFromArray("cases", (await ctx.loaders.evals.casesByRunId.load(run.id)).map(caseView), page);
  }

  @FieldResolver(() => EvalRunEventConnection, { description: "Stored log lines (the entry point's stderr) in order." })
  async logs(@Root() run: EvalRun, @Args() page: PageArgs): Promise<Connection<EvalRunEventView>> {
    const stored = await storedLogPage(this.dataSource, run.id, page);
    return { ...stored, edges: stored.edges.map((edge) => ({ ...edge, node: eventView(edge.node) })) };
  }

  @Access(AccessRule.PUBLIC, TokenScope.READ)
  @Query(() => EvalRunType, { nullable: true, description: "Null when there is no such run, or you may not see its versions." })
  evalRun(@Ctx() ctx: EvalsContext, @Arg("id", () => ID) id: string): Promise<EvalRun | null> {
    return visibleRun(ctx, expectGlobalId(id, "EvalRun"));
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.PUBLISH)
  @Mutation(() => EvalRunType, {
    description: "Re-runs the evals of a version still in EVALUATING whose last run could not complete (INFRA_ERROR). Members of the owning team and admins.",
  })
  rerunEvals(@Ctx() ctx: EvalsContext, @Arg("versionId", () => ID) versionId: string): Promise<EvalRun> {
    return this.evalRuns.rerun(ctx, expectGlobalId(versionId, "SkillVersion"));
  }

  @Access(AccessRule.SIGNED_IN, TokenScope.READ)
  @Subscription(() => EvalRunEventType, {
    description:
      "Every stored event of the eval run from the start, then live ones (a CASE event as each case is scored); completes after the final status. Ends with an error if you may no longer see the run.",
    // Replaced by evalRunEventsSubscriber's function when the subgraph is wired (see graphql/subgraphs.ts).
    subscribe: () => {
      throw new Error("Subscription.evalRunEvents is not wired to an event hub");
    },
  })
  evalRunEvents(@Root() event: EvalRunEventView, @Arg("evalRunId", () => ID) _evalRunId: string): EvalRunEventView {
    return event;
  }
}

/** EvalCase as the API shows it: its input as JSON text, and whether it was scored. */
function caseView(c: EvalCaseResult): EvalCaseType {
  return { ...c, input: JSON.stringify(c.input), scored: c.score !== null };
}

/**
 * Subscription.evalRunEvents: the run's events from the shared run-event hub, for as long as the
 * viewer may see the run. Its @Access rule is checked before this runs (the subgraph wires it
 * through checkedSubscribe).
 */
export function evalRunEventsSubscriber(eventHub: TestRunEventHub) {
  return async (_root: unknown, args: { evalRunId?: unknown }, ctx: EvalsSubscriptionContext): Promise<AsyncGenerator<EvalRunEventView>> => {
    const run = await visibleRun(ctx, expectGlobalId(String(args.evalRunId), "EvalRun"));
    if (!run) throw new SkillyardError("NOT_FOUND", "There is no such eval run.");
    const events = ctx.live.guard(
      (signal) => eventHub.stream(run.id, signal),
      (fresh) => fresh.visibility.canSeeRun(run),
      () => new SkillyardError("FORBIDDEN", "You may no longer see this eval run: your roles or team memberships changed."),
    );
    return (async function* () {
      for await (const event of events) yield eventView(event);
    })();
  };
}

@Resolver(() => EvalRunEventType)
export class EvalRunEventResolver {
  @FieldResolver(() => EvalCaseType, { nullable: true, description: "For a CASE event: the case as it was scored." })
  async case(@Ctx() ctx: EvalsContext, @Root() event: EvalRunEventView): Promise<EvalCaseType | null> {
    if (event.kind !== EvalRunEventKind.CASE || event.text === null) return null;
    const found = await ctx.loaders.evals.caseByRunAndName.load({ runId: event.runId, name: event.text });
    return found ? caseView(found) : null;
  }
}

@Resolver(() => SkillVersionEvalsType)
export class SkillVersionEvalsResolver {
  @FieldResolver(() => ID)
  id(@Root() version: EntityRef): string {
    return toGlobalId("SkillVersion", version.id);
  }

  @FieldResolver(() => EvalRunConnection, { description: "Eval runs in which this version's code ran, newest first (baselines and re-evaluations included)." })
  async evalRuns(@Ctx() ctx: EvalsContext, @Root() version: EntityRef, @Args() page: PageArgs): Promise<Connection<EvalRun>> {
    const runs = (await canSeeVersionId(ctx, version.id)) ? await ctx.loaders.evals.evalRunsByVersionId.load(version.id) : [];
    const visible = await Promise.all(runs.map((r) => ctx.visibility.canSeeRun(r)));
    return connectionFromArray(
      "evalRuns",
      runs.filter((_, i) => visible[i]),
      page,
    );
  }

  @FieldResolver(() => EvalRunType, { nullable: true, description: "The newest run of this version's own suite (not a baseline)." })
  async latestEvalRun(@Ctx() ctx: EvalsContext, @Root() version: EntityRef): Promise<EvalRun | null> {
    if (!(await canSeeVersionId(ctx, version.id))) return null;
    return (await ctx.loaders.evals.evalRunsByVersionId.load(version.id)).find((r) => r.suiteVersionId === version.id) ?? null;
  }

  @FieldResolver(() => EvalSuiteSummaryType, { nullable: true, description: "What the version's evals/suite.yaml holds; null when it ships none." })
  async evalSuite(@Ctx() ctx: EvalsContext, @Root() version: EntityRef): Promise<EvalSuiteSummaryType | null> {
    const found = await ctx.visibility.versionOrNull(await ctx.loaders.catalog.versionById.load(version.id));
    const suite = found?.evalSuite;
    if (!suite) return null;
    return { caseCount: suite.cases.length, rubricCases: suite.cases.filter((c) => c.rubric !== null).length, minScore: suite.minScore };
  }
}

@Resolver(() => SkillEvalsType)
export class SkillEvalsResolver {
  @FieldResolver(() => ID)
  id(@Root() skill: EntityRef): string {
    return toGlobalId("Skill", skill.id);
  }

  @FieldResolver(() => EvalRunType, {
    nullable: true,
    description: "The newest re-evaluation of the latest version, when it scored lower than before by more than EVAL_MAX_REGRESSION (drift).",
  })
  evalDrift(@Ctx() ctx: EvalsContext, @Root() skill: EntityRef): Promise<EvalRun | null> {
    // No check of its own: the skill root is one the viewer may see (every entry point checks), and
    // a re-evaluation runs the skill's latest version, which is installable (so public), with that
    // version's own suite.
    return ctx.loaders.evals.driftBySkillId.load(skill.id);
  }
}

/** Federation entry points: only what the viewer may see, as on /graphql. */
export const evalsReferenceResolvers = {
  Skill: {
    __resolveReference: async (ref: { id: string }, ctx: EvalsContext): Promise<EntityRef | null> => {
      const skill = await ctx.visibility.skillOrNull(await ctx.loaders.catalog.skillById.load(expectGlobalId(ref.id, "Skill")));
      return skill ? { id: skill.id } : null;
    },
  },
  SkillVersion: {
    __resolveReference: async (ref: { id: string }, ctx: EvalsContext): Promise<EntityRef | null> => {
      const id = expectGlobalId(ref.id, "SkillVersion");
      return (await canSeeVersionId(ctx, id)) ? { id } : null;
    },
  },
  EvalRun: {
    __resolveReference: (ref: { id: string }, ctx: EvalsContext): Promise<EvalRun | null> => visibleRun(ctx, expectGlobalId(ref.id, "EvalRun")),
  },
};

export const EVALS_RESOLVERS = [EvalRunResolver, EvalRunEventResolver, SkillVersionEvalsResolver, SkillEvalsResolver] as const;
