import { SkillyardError } from "@skillyard/core";
import { OperationTypeNode } from "graphql";
import { createMethodMiddlewareDecorator, getMetadataStorage } from "type-graphql";
import { isAdmin, isReviewer, type ViewerContext } from "./viewer";

/**
 * Who may call an operation at all. Rules about a particular object (maintainers of the skill's
 * team, the author of a version, the owner of a token) are the owning service's, and visibility is
 * catalog's VisibilityPolicy; this is the first gate, declared once per operation with @Access.
 */
export enum AccessRule {
  /** Anyone, even where reads need a token (REQUIRE_AUTH_FOR_READ): redeeming an invitation is how a person gets one. */
  ANYONE = "ANYONE",
  /** Anyone, signed in or not (what they see is still filtered by visibility), unless reads need a token. */
  PUBLIC = "PUBLIC",
  SIGNED_IN = "SIGNED_IN",
  /** Reviewers and admins (people only: service accounts never review). */
  REVIEWER = "REVIEWER",
  ADMIN = "ADMIN",
}

/** Throws UNAUTHENTICATED or FORBIDDEN when the context's viewer does not meet `rule`. */
export function checkAccess(rule: AccessRule, ctx: ViewerContext): void {
  const { viewer } = ctx;
  if (rule === AccessRule.ANYONE || (rule === AccessRule.PUBLIC && (viewer || ctx.anonymousReads))) return;
  if (!viewer) {
    throw new SkillyardError(
      "UNAUTHENTICATED",
      rule === AccessRule.PUBLIC
        ? "This Skillyard requires a token for every read (Authorization: Bearer <token>)."
        : "Sign in with an API token (Authorization: Bearer <token>).",
    );
  }
  if (rule === AccessRule.REVIEWER && !isReviewer(viewer.user)) throw new SkillyardError("FORBIDDEN", "Only reviewers and admins can do this.");
  if (rule === AccessRule.ADMIN && !isAdmin(viewer.user)) throw new SkillyardError("FORBIDDEN", "Only admins can do this.");
}

const declared = new Map<Function, Map<string, AccessRule>>();

/**
 * Declares (and enforces) who may call a query, mutation or subscription. Every operation must
 * carry one: building a subgraph fails on an operation without it (see assertEveryOperationDeclaresAccess).
 * A subscription is checked once, when it starts: the subgraph wires its `subscribe` through
 * `checkedSubscribe`. Its root field is not checked again per event: that would test the same rule
 * against the same context (a subscription's context never changes; the socket server ends streams
 * whose viewer lost access), and an event's execution that reads no context is shared by every
 * subscriber (graphql/shared-subscription-execution.ts).
 */
export function Access(rule: AccessRule): MethodDecorator {
  const enforce = createMethodMiddlewareDecorator<ViewerContext>(({ context, info }, next) => {
    const subscriptionEvent = info.operation.operation === OperationTypeNode.SUBSCRIPTION && info.parentType === info.schema.getSubscriptionType();
    if (!subscriptionEvent) checkAccess(rule, context);
    return next();
  });
  return (target, propertyKey, descriptor) => {
    const byMethod = declared.get(target.constructor) ?? new Map<string, AccessRule>();
    byMethod.set(String(propertyKey), rule);
    declared.set(target.constructor, byMethod);
    enforce(target, propertyKey, descriptor);
  };
}

export function accessRuleOf(resolverClass: Function, methodName: string): AccessRule | undefined {
  return declared.get(resolverClass)?.get(methodName);
}

/**
 * `subscribe` of Subscription.`field` (declared by one of `resolverClasses`), checking the field's
 * @Access rule before it opens the stream.
 */
export function checkedSubscribe<Ctx extends ViewerContext, Args, Result>(
  resolverClasses: readonly Function[],
  field: string,
  subscribe: (root: unknown, args: Args, ctx: Ctx) => Promise<Result>,
): (root: unknown, args: Args, ctx: Ctx) => Promise<Result> {
  const classes = new Set(resolverClasses);
  const declaration = getMetadataStorage().subscriptions.find((m) => classes.has(m.target) && m.schemaName === field);
  const rule = declaration && accessRuleOf(declaration.target, declaration.methodName);
  if (!rule) throw new Error(`Subscription.${field} declares no @Access rule.`);
  return async (root, args, ctx) => {
    checkAccess(rule, ctx);
    return subscribe(root, args, ctx);
  };
}

/** Throws naming every query, mutation and subscription of these resolver classes that lacks @Access. */
export function assertEveryOperationDeclaresAccess(resolverClasses: readonly Function[]): void {
  const storage = getMetadataStorage();
  const classes = new Set(resolverClasses);
  const operations = [
    ...storage.queries.map((m) => ({ m, type: "Query" })),
    ...storage.mutations.map((m) => ({ m, type: "Mutation" })),
    ...storage.subscriptions.map((m) => ({ m, type: "Subscription" })),
  ];
  const missing = operations.filter(({ m }) => classes.has(m.target) && !accessRuleOf(m.target, m.methodName)).map(({ m, type }) => `${type}.${m.schemaName}`);
  if (missing.length > 0) throw new Error(`These operations declare no @Access rule: ${missing.join(", ")}.`);
}
