import type http from "node:http";
import {
  type DocumentNode,
  type ExecutionResult,
  getOperationAST,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
} from "graphql";
import { SkillyardError } from "@skillyard/core";
import type { WebSocket } from "ws";
import { clientAddress } from "../common/client-address";
import type { Runtime } from "../composition-root";
import type { LiveAccess } from "../common/live-access";
import { countWhileOpen } from "../observability/live-subscriptions";
import { serveGraphqlWs } from "./graphql-ws-transport";
import { TOKEN_REVOKED_CHANNEL, VIEWER_CHANGED_CHANNEL } from "../identity/identity.service";
import type { AuthenticatedToken } from "../identity/api-token.service";
import type { Viewer } from "../identity/viewer";
import { readCookie, SESSION_COOKIE } from "../sso/cookies";
import { SESSION_REVOKED_CHANNEL } from "../sso/session.service";
import { toSafeGraphQLError } from "../graphql/client-errors";
import { SharedSubscriptionExecution } from "../graphql/shared-subscription-execution";
import { assertWithinLimits, operationResolutionError, type QueryLimits } from "../graphql/query-limits";
import type { RequestContext, SubscriptionContext } from "../graphql/request-context";

/** The longest delay setTimeout takes (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Most lexical tokens in a subscription document (a subscription is a few dozen): parsing stops there. */
export const MAX_SUBSCRIPTION_TOKENS = 2000;

/** How often sockets of console sessions are checked for idle or absolute expiry (which no notification announces). */
export const SESSION_SWEEP_MS = 30_000;

/** Close code and reason for a socket whose credential stopped working. */
const CREDENTIAL_ENDED = 4401;

interface Guard {
  recheck(fresh: RequestContext): Promise<void>;
}

/**
 * One authenticated socket: its viewer (refreshed when their roles or memberships change) and the
 * conditions its running subscriptions must keep meeting.
 */
class SocketSession implements LiveAccess<RequestContext> {
  private readonly guards = new Set<Guard>();

  constructor(
    readonly socket: WebSocket,
    public viewer: Viewer,
  ) {}

  guard<T>(
    open: (signal: AbortSignal) => AsyncGenerator<T>,
    stillAllowed: (fresh: RequestContext) => Promise<boolean>,
    refusal: () => Error,
  ): AsyncGenerator<T> {
    const controller = new AbortController();
    let refused: Error | null = null;
    const entry: Guard = {
      async recheck(fresh) {
        if (refused || (await stillAllowed(fresh))) return;
        refused = refusal();
        controller.abort();
      },
    };
    const guards = this.guards;
    return (async function* () {
      guards.add(entry);
      try {
        for await (const item of open(controller.signal)) {
          if (refused) break;
          yield item;
        }
        if (refused) throw refused;
      } finally {
        guards.delete(entry);
        controller.abort();
      }
    })();
  }

  /** The viewer changed: every running subscription checks its condition against a fresh context. */
  async recheck(fresh: RequestContext): Promise<void> {
    await Promise.all([...this.guards].map((g) => g.recheck(fresh)));
  }
}

function codedError(message: string, code: string, nodes?: GraphQLError["nodes"]): GraphQLError {
  return new GraphQLError(message, { nodes, extensions: { code } });
}

/** The operation's (first) root field, as written; null when its selections start with fragments. */
function rootField(operation: OperationDefinitionNode): string | null {
  const root = operation.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  return root?.kind === Kind.FIELD ? root.name.value : null;
}

/**
 * The subgraph whose Subscription type has the operation's root field (a subscription has exactly
 * one; validation says so for a document with more). An unknown field is left to validation.
 */
function schemaServing(schemas: readonly GraphQLSchema[], operation: OperationDefinitionNode): GraphQLSchema {
  const name = rootField(operation);
  return schemas.find((schema) => name !== null && schema.getSubscriptionType()?.getFields()[name] !== undefined) ?? schemas[0];
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<ExecutionResult> =>
  typeof value === "object" && value !== null && typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function";

/**
 * Subscriptions over graphql-ws on the /graphql path (WebSocket upgrade), served by the subgraph
 * that declares them. The credential is checked in connection_init: a token
 * (`{"authorization": "Bearer <token>"}`) against the upgrade request's client address, or else the
 * console's session cookie from the upgrade request together with the session's CSRF token
 * (`{"csrfToken": "…"}`). Without one the socket closes 4403; with a bad token 4401
 * (UNAUTHENTICATED, TOKEN_EXPIRED) or 4403 (IP_NOT_ALLOWED), the code as the close reason. A socket
 * closes 4401 when its token expires or is revoked, when its session is revoked, and once its
 * session expires (idle or absolute; checked every SESSION_SWEEP_MS). Each message is parsed here
 * (with a token cap), the operation that would run is found by its name, only a subscription is
 * allowed, and the same depth, alias and cost limits as HTTP apply before validation and execution.
 * When a user's roles or memberships change, their sockets' subscriptions are checked again and end
 * if no longer allowed.
 * An event's execution that reads no context is shared by every subscriber running the same
 * operation, and its result encoded once (SharedSubscriptionExecution, serveGraphqlWs).
 */
export async function startSubscriptionServer(
  runtime: Runtime,
  server: http.Server,
  schemas: readonly GraphQLSchema[],
  limits: QueryLimits,
  sessionSweepMs = SESSION_SWEEP_MS,
) {
  if (schemas.length === 0) throw new Error("no subgraph serves a subscription");
  const { logger, services, metrics } = runtime;
  metrics.declareSubscriptionFields(schemas.flatMap((schema) => Object.keys(schema.getSubscriptionType()?.getFields() ?? {})));
  /** When each subscribe message arrived (keyed by its payload, which graphql-ws hands to every hook), for the set-up time. */
  const arrivedAt = new WeakMap<object, bigint>();
  /** The client-safe errors, counted by code once each. */
  const safeErrors = (errors: readonly GraphQLError[]) =>
    errors.map((e) => {
      const safe = toSafeGraphQLError(e, logger);
      metrics.countError(safe.extensions.code, "graphql");
      return safe;
    });
  const execution = new SharedSubscriptionExecution();
  const sessions = new WeakMap<object, SocketSession>();
  const open = new Set<SocketSession>();
  const forEachSession = (match: (s: SocketSession) => boolean, act: (s: SocketSession) => void) => {
    for (const session of open) if (match(session)) act(session);
  };
  const stopRevocations = await runtime.notifications.listen(TOKEN_REVOKED_CHANNEL, (tokenId) =>
    forEachSession(
      (s) => s.viewer.tokenId === tokenId,
      (s) => s.socket.close(CREDENTIAL_ENDED, "API token revoked"),
    ),
  );
  const stopSessionRevocations = await runtime.notifications.listen(SESSION_REVOKED_CHANNEL, (sessionId) =>
    forEachSession(
      (s) => s.viewer.sessionId === sessionId,
      (s) => s.socket.close(CREDENTIAL_ENDED, "Console session ended"),
    ),
  );
  /** The viewer behind a socket's credential as it is now; null once the token or session stopped working. */
  const currentViewer = (viewer: Viewer): Promise<Viewer | null> =>
    viewer.tokenId
      ? services.apiTokens.viewerOfToken(viewer.tokenId)
      : viewer.sessionId
        ? services.sessions.viewerOfSession(viewer.sessionId)
        : Promise.resolve(null);
  const stopViewerChanges = await runtime.notifications.listen(VIEWER_CHANGED_CHANNEL, (userId) =>
    forEachSession(
      (s) => s.viewer.user.id === userId,
      (s) =>
        void (async () => {
          const fresh = await currentViewer(s.viewer);
          if (!fresh) {
            s.socket.close(CREDENTIAL_ENDED, s.viewer.tokenId ? "API token revoked or expired" : "Console session ended");
            return;
          }
          s.viewer = fresh;
          await s.recheck(runtime.requestContext(fresh));
        })().catch((error: unknown) => logger.error("re-checking a socket's subscriptions failed", { message: String(error) })),
    ),
  );
  // Idle and absolute expiry end a session without a notification: sockets of sessions are checked in one query.
  const sweep = setInterval(() => {
    const bySession = [...open].filter((s) => s.viewer.sessionId !== null);
    if (bySession.length === 0) return;
    services.sessions
      .working(bySession.map((s) => s.viewer.sessionId!))
      .then((working) => {
        for (const s of bySession) if (!working.has(s.viewer.sessionId!)) s.socket.close(CREDENTIAL_ENDED, "Console session ended");
      })
      .catch((error: unknown) => logger.error("checking console sessions' sockets failed", { message: String(error) }));
  }, sessionSweepMs);
  sweep.unref();

  const transport = serveGraphqlWs(
    { server, path: "/graphql", maxPayload: runtime.config.limits.graphqlMaxBodyBytes, sharedPayload: (payload) => execution.isShared(payload) },
    {
      schema: schemas[0],
      subscribe: (args) => execution.subscribe(args),
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        const { socket, request } = ctx.extra;
        let authenticated: AuthenticatedToken | null = null;
        if (typeof raw === "string" && raw !== "") {
          try {
            // The upgrade request's address: the one the socket's messages keep coming from.
            authenticated = await services.apiTokens.authenticate(raw, clientAddress(request, runtime.config.trustedProxies));
          } catch (error) {
            if (!(error instanceof SkillyardError)) throw error;
            // A close reason is at most 123 bytes: the code says why.
            socket.close(error.status === 401 ? CREDENTIAL_ENDED : 4403, error.code);
            return false;
          }
        } else {
          // The console: its session cookie came with the upgrade request; a page on another site could
          // make the browser send that too, but cannot know the CSRF token.
          const live = await services.sessions.authenticate(readCookie(request.headers.cookie, SESSION_COOKIE));
          if (live && services.sessions.csrfMatches(live.session, ctx.connectionParams?.csrfToken)) {
            // A session's expiry is the sweep's (idle time moves); no timer here.
            authenticated = { viewer: services.sessions.viewerOf(live), expiresAt: null };
          }
        }
        if (!authenticated) return false;
        const session = new SocketSession(socket, authenticated.viewer);
        sessions.set(ctx, session);
        open.add(session);
        // A subscription never outlives its token: the socket closes when it expires.
        const { expiresAt } = authenticated;
        let expiry: NodeJS.Timeout | null = null;
        if (expiresAt !== null) {
          const closeAtExpiry = () => {
            const left = expiresAt.getTime() - Date.now();
            // setTimeout reaches about 24.8 days: a longer wait is taken in steps.
            expiry = left > MAX_TIMER_MS ? setTimeout(closeAtExpiry, MAX_TIMER_MS) : setTimeout(() => socket.close(4401, "TOKEN_EXPIRED"), left);
            expiry.unref();
          };
          closeAtExpiry();
        }
        socket.once("close", () => {
          open.delete(session);
          if (expiry) clearTimeout(expiry);
        });
        return true;
      },
      onSubscribe: (ctx, _id, payload) => {
        arrivedAt.set(payload, process.hrtime.bigint());
        const session = sessions.get(ctx);
        if (!session) return [codedError("The connection is not authenticated.", "UNAUTHENTICATED")];
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: MAX_SUBSCRIPTION_TOKENS });
        } catch (error) {
          return [codedError(error instanceof GraphQLError ? error.message : "The query is not valid GraphQL.", "GRAPHQL_PARSE_FAILED")];
        }
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [operationResolutionError(payload.operationName)];
        if (operation.operation !== "subscription") {
          return [codedError("Only subscriptions are served over WebSocket; send queries and mutations as HTTP POST.", "BAD_REQUEST", [operation])];
        }
        const variables = payload.variables ?? {};
        const schema = schemaServing(schemas, operation);
        try {
          assertWithinLimits(schema, document, operation, variables, limits);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const invalid = validate(schema, document, specifiedRules);
        if (invalid.length > 0) return invalid.map((e) => codedError(e.message, "GRAPHQL_VALIDATION_FAILED", e.nodes));
        const contextValue: SubscriptionContext = { ...runtime.requestContext(session.viewer), live: session };
        return { schema, document, operationName: payload.operationName, variableValues: variables, contextValue };
      },
      // The subscription is set up: its set-up time is its operation duration, and its stream counts as live while it runs.
      onOperation: async (_ctx, _id, payload, args, result) => {
        const operation = getOperationAST(args.document, args.operationName);
        const arrived = arrivedAt.get(payload);
        if (operation && arrived !== undefined) {
          metrics.observeGraphqlOperation(operation.name?.value, operation.operation, Number(process.hrtime.bigint() - arrived) / 1e9);
        }
        const stream = await result;
        if (!operation || !isAsyncIterable(stream)) return undefined;
        return countWhileOpen(stream, rootField(operation) ?? "other", metrics);
      },
      onError: (_ctx, _id, _payload, errors) => safeErrors(errors),
      onNext: (_ctx, _id, _payload, _args, result) => ("errors" in result && result.errors ? { ...result, errors: safeErrors(result.errors) } : result),
    },
    logger,
  );
  return {
    async close() {
      clearInterval(sweep);
      await transport.close();
      stopRevocations();
      stopSessionRevocations();
      stopViewerChanges();
    },
  };
}
