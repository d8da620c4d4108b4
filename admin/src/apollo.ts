import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { ErrorLink } from "@apollo/client/link/error";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { OperationTypeNode } from "graphql";
import { createClient } from "graphql-ws";
import { isUnauthenticated } from "./lib/errors";

declare module "@apollo/client" {
  interface DefaultContext {
    /** Send this operation without the tab's token (redeeming an invitation needs none). */
    anonymous?: boolean;
  }
}

export interface ApolloSession {
  /** Read at every request, so a new sign-in needs no new client. */
  getToken: () => string | null;
  /** Called when the server says the token is not (or no longer) valid. */
  onUnauthenticated: () => void;
}

function websocketUrl(): string {
  const url = new URL("/graphql", window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

export function createApolloClient(session: ApolloSession): ApolloClient {
  const auth = new SetContextLink((prevContext) => {
    const token = prevContext.anonymous ? null : session.getToken();
    return { headers: { ...prevContext["headers"], ...(token ? { authorization: `Bearer ${token}` } : {}) } };
  });
  const signOutOn401 = new ErrorLink(({ error }) => {
    if (isUnauthenticated(error)) session.onUnauthenticated();
  });
  const http = new HttpLink({ uri: "/graphql" });
  const ws = new GraphQLWsLink(
    createClient({
      url: websocketUrl(),
      lazy: true,
      connectionParams: () => {
        const token = session.getToken();
        return token ? { authorization: `Bearer ${token}` } : {};
      },
      on: {
        // 4401: the server closed the socket because the token was revoked.
        closed: (event) => {
          if (event instanceof CloseEvent && event.code === 4401) session.onUnauthenticated();
        },
      },
    }),
  );
  const transport = ApolloLink.split(({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION, ws, http);
  return new ApolloClient({
    link: ApolloLink.from([signOutOn401, auth, transport]),
    cache: new InMemoryCache({
      // Connections are paged by the views themselves; objects without a stable id are not normalised.
      typePolicies: {
        // A run already loaded through another path (e.g. SkillVersion.latestTestRun) answers testRun(id) from the cache.
        Query: {
          fields: {
            testRun: {
              read: (_, { args, toReference }) => (typeof args?.["id"] === "string" ? toReference({ __typename: "TestRun", id: args["id"] }) : undefined),
            },
            // Likewise an eval run loaded as a version's latestEvalRun or a skill's evalDrift.
            evalRun: {
              read: (_, { args, toReference }) => (typeof args?.["id"] === "string" ? toReference({ __typename: "EvalRun", id: args["id"] }) : undefined),
            },
          },
        },
        Permission: { keyFields: ["name"] },
        Marketplace: { keyFields: ["name"] },
        PluginArchive: { keyFields: ["sha256"] },
        // Each saved version of the runtime policy is immutable; runtimePolicy points at the one in force.
        RuntimePolicy: { keyFields: ["version"] },
        RuntimePolicyRule: { keyFields: false },
        RequiredSkill: { keyFields: false },
        TestRunEvent: { keyFields: false },
        EvalRunEvent: { keyFields: false },
        PermissionChange: { keyFields: false },
        FileChange: { keyFields: false },
      },
    }),
    defaultOptions: { watchQuery: { fetchPolicy: "cache-and-network" } },
  });
}
