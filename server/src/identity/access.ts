import { SkillyardError } from "@skillyard/core";
import { OperationTypeNode } from "graphql";
import { createMethodMiddlewareDecorator, getMetadataStorage } from "type-graphql";
import type { TokenScope } from "./api-token.entity";
import { isAdmin, isReviewer, requireScope, type ViewerContext } from "./viewer";

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

/** What an operation declares: who may call it, and the scope a token needs for it. */
export interface AccessDeclaration {
  rule: AccessRule;
  scope: TokenScope;
}

/**
 * Throws UNAUTHENTICATED, FORBIDDEN or INSUFFICIENT_SCOPE when the context's viewer does not meet
 * the declaration. The role first (a user whose roles forbid it is told so, whatever the token), then
 * the scope. A request that comes with a credential always needs the scope, also for operations
 * anonymous callers may use: a credential never does more than its scopes allow.
 */
export function checkAccess({ rule, scope }: AccessDeclaration, ctx: ViewerContext): void {
  const { viewer } = ctx;
  if (!viewer) {
    if (rule === AccessRule.ANYONE || (rule === AccessRule.PUBLIC && ctx.anonymousReads)) return;
    throw new SkillyardError(
      "UNAUTHENTICATED",
      rule === AccessRule.PUBLIC
        ? "This Skillyard requires a token for every read (Authorization: Bearer <token>)."
        : "Sign in with an API token (Authorization: Bearer <token>).",
    );
  }
  if (rule === AccessRule.REVIEWER && !isReviewer(viewer.user)) throw new SkillyardError("FORBIDDEN", "Only reviewers and admins can do this.");
  if (rule === AccessRule.ADMIN && !isAdmin(viewer.user)) throw new SkillyardError("FORBIDDEN", "Only admins can do this.");
  requireScope(viewer, scope);
}

const declared = new Map<Function, Map<string, AccessDeclaration>>();

/**
 * Declares (and enforces) who may call a query, mutation or subscription, and the token scope it
 * needs. Every operation must carry one with both: building a subgraph fails on an operation
 * without it (see assertEveryOperationDeclaresAccess). Rules about a particular object (the team a
 * PUBLISH token is limited to, maintainers of the skill's team) are the owning service's.
 * A subscription is checked once, when it starts: the subgraph wires its `subscribe` through
 * `checkedSubscribe`. Its root field is not checked again per event: that would test the same rule
 * against the same context (a subscription's context never changes; the socket server ends streams
 * whose viewer lost access), and an event's execution that reads no context is shared by every
 * subscriber (graphql/shared-subscription-execution.ts).
 */
export function Access(rule: AccessRule, scope: TokenScope): MethodDecorator {
  const declaration: AccessDeclaration = { rule, scope };
  const enforce = createMethodMiddlewareDecorator<ViewerContext>(({ context, info }, next) => {
    const subscriptionEvent = info.operation.operation === OperationTypeNode.SUBSCRIPTION && info.parentType === info.schema.getSubscriptionType();
    if (!subscriptionEvent) checkAccess(declaration, context);
    return next();
  });
  return (target, propertyKey, descriptor) => {
    const byMethod = declared.get(target.constructor) ?? new Map<string, AccessDeclaration>();
    byMethod.set(String(propertyKey), declaration);
    declared.set(target.constructor, byMethod);
    enforce(target, propertyKey, descriptor);
  };
}

export function accessOf(resolverClass: Function, methodName: string): AccessDeclaration | undefined {
  return declared.get(resolverClass)?.get(methodName);
}

/** A query, mutation or subscription of some resolver classes, with what it declares (undefined: nothing). */
export interface DeclaredOperation {
  /** `Query.skills`, `Mutation.publishSkillVersion`, `Subscription.testRunEvents`. */
  operation: string;
  access: AccessDeclaration | undefined;
}

/** Every query, mutation and subscription the resolver classes define, with its declaration. */
export function declaredOperations(resolverClasses: readonly Function[]): DeclaredOperation[] {
  const storage = getMetadataStorage();
  const classes = new Set(resolverClasses);
  return [
    ...storage.queries.map((m) => ({ m, type: "Query" })),
    ...storage.mutations.map((m) => ({ m, type: "Mutation" })),
    ...storage.subscriptions.map((m) => ({ m, type: "Subscription" })),
  ]
    .filter(({ m }) => classes.has(m.target))
    .map(({ m, type }) => ({ operation: `${type}.${m.schemaName}`, access: accessOf(m.target, m.methodName) }));
}

/**
 * `subscribe` of Subscription.`field` (declared by one of `resolverClasses`), checking the field's
 * @Access declaration before it opens the stream.
 */
export function checkedSubscribe<Ctx extends ViewerContext, Args, Result>(
  resolverClasses: readonly Function[],
  field: string,
  subscribe: (root: unknown, args: Args, ctx: Ctx) => Promise<Result>,
): (root: unknown, args: Args, ctx: Ctx) => Promise<Result> {
  const classes = new Set(resolverClasses);
  const found = getMetadataStorage().subscriptions.find((m) => classes.has(m.target) && m.schemaName === field);
  const declaration = found && accessOf(found.target, found.methodName);
  if (!declaration) throw new Error(`Subscription.${field} declares no @Access rule.`);
  return async (root, args, ctx) => {
    checkAccess(declaration, ctx);
    return subscribe(root, args, ctx);
  };
}

/** Throws naming every query, mutation and subscription of these resolver classes that lacks @Access, or a scope in it. */
export function assertEveryOperationDeclaresAccess(resolverClasses: readonly Function[]): void {
  const operations = declaredOperations(resolverClasses);
  const missing = operations.filter((o) => !o.access?.rule).map((o) => o.operation);
  if (missing.length > 0) throw new Error(`These operations declare no @Access rule: ${missing.join(", ")}.`);
  // TypeScript asks for the scope; this catches a declaration that was given none anyway (a cast, plain JS).
  const scopeless = operations.filter((o) => !o.access?.scope).map((o) => o.operation);
  if (scopeless.length > 0) throw new Error(`These operations declare no token scope in @Access: ${scopeless.join(", ")}.`);
}
