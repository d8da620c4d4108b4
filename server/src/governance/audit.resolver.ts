import { Arg, Args, FieldResolver, ID, Query, Resolver, Root } from "type-graphql";
import { type DataSource, LessThan } from "typeorm";
import { AuditAction, AuditEvent } from "../audit/audit-event.entity";
import { Access, AccessRule } from "../identity/access";
import { TokenScope } from "../identity/api-token.entity";
import { type Connection, decodeCursor, encodeCursor, PageArgs, pageSize } from "../common/connection";
import { toGlobalId } from "../common/global-id";
import { Skill } from "../catalog/skill.entity";
import { User } from "../identity/user.entity";
import { AuditEventConnection, AuditEventType, GovernanceSkillRef, GovernanceUserRef } from "./governance.types";
import { ReviewedVersionRef } from "./review.types";

const isEventId = (v: unknown): v is string => typeof v === "string" && /^\d+$/.test(v);

@Resolver(() => AuditEventType)
export class AuditResolver {
  constructor(private readonly dataSource: DataSource) {}

  @Access(AccessRule.REVIEWER, TokenScope.READ)
  @Query(() => AuditEventConnection, { description: "The append-only audit trail, newest first. Admins and reviewers only." })
  async auditLog(
    @Args() page: PageArgs,
    @Arg("skill", () => String, { nullable: true, description: "Skill name." }) skill: string | null,
    @Arg("actor", () => String, { nullable: true, description: "User handle." }) actor: string | null,
    @Arg("action", () => AuditAction, { nullable: true }) action: AuditAction | null,
  ): Promise<Connection<AuditEvent>> {
    const em = this.dataSource.manager;
    const size = pageSize(page.first);
    const where: Record<string, unknown> = {};
    if (skill) {
      const found = await em.findOneBy(Skill, { name: skill });
      if (!found) return emptyPage();
      where.skillId = found.id;
    }
    if (actor) {
      const found = await em.findOneBy(User, { handle: actor });
      if (!found) return emptyPage();
      where.actorId = found.id;
    }
    if (action) where.action = action;
    if (page.after) where.id = LessThan(decodeCursor("audit", page.after, isEventId));
    // Ids increase with time, so keyset paging by id is newest-first and stable.
    const rows = await em.getRepository(AuditEvent).find({ where, order: { id: "DESC" }, take: size + 1 });
    const edges = rows.slice(0, size).map((node) => ({ node, cursor: encodeCursor("audit", node.id) }));
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > size,
        hasPreviousPage: Boolean(page.after),
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      totalCount: null,
    };
  }

  @FieldResolver(() => ID)
  id(@Root() event: AuditEvent): string {
    return Buffer.from(`AuditEvent:${event.id}`, "utf8").toString("base64url");
  }

  @FieldResolver(() => GovernanceUserRef, { nullable: true, description: "Who acted; null when the system did (e.g. a test outcome)." })
  actor(@Root() event: AuditEvent): GovernanceUserRef | null {
    return event.actorId ? { id: toGlobalId("User", event.actorId) } : null;
  }

  @FieldResolver(() => GovernanceSkillRef, { nullable: true })
  skill(@Root() event: AuditEvent): GovernanceSkillRef | null {
    return event.skillId ? { id: toGlobalId("Skill", event.skillId) } : null;
  }

  @FieldResolver(() => ReviewedVersionRef, { nullable: true, description: "The version acted on, when the target is a SkillVersion." })
  version(@Root() event: AuditEvent): ReviewedVersionRef | null {
    // Version roots in this subgraph carry the uuid; ReviewedVersionResolver makes the id global.
    return event.targetType === "SkillVersion" ? { id: event.targetId } : null;
  }

  @FieldResolver(() => ID, { nullable: true, description: "Global id of the test run a TEST_OUTCOME event reports." })
  testRunId(@Root() event: AuditEvent): string | null {
    const runId = event.action === AuditAction.TEST_OUTCOME ? event.after?.["testRunId"] : null;
    return typeof runId === "string" ? toGlobalId("TestRun", runId) : null;
  }

  @FieldResolver(() => ID, { nullable: true, description: "Global id of the eval run an EVAL_OUTCOME or EVAL_DRIFT event reports." })
  evalRunId(@Root() event: AuditEvent): string | null {
    const runId = event.action === AuditAction.EVAL_OUTCOME || event.action === AuditAction.EVAL_DRIFT ? event.after?.["evalRunId"] : null;
    return typeof runId === "string" ? toGlobalId("EvalRun", runId) : null;
  }
}

function emptyPage(): Connection<AuditEvent> {
  return { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, totalCount: 0 };
}
