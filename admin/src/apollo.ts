import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { ErrorLink } from "@apollo/client/link/error";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { OperationTypeNode } from "graphql";
import { createClient } from "graphql-ws";
import { isCsrfRejected, isUnauthenticated } from "./lib/errors";

declare module "@apollo/client" {
  interface DefaultContext {
    /** Send this operation without the tab's token (redeeming an invitation needs none). */
    anonymous?: boolean;
  }
}

/** How the tab is signed in: an API token it holds, or the browser's session cookie with that session's CSRF token. */
export type Credential = { kind: "token"; token: string } | { kind: "session"; csrfToken: string };

export interface ApolloSession {
  /** Read at every request, so a new sign-in needs no new client. */
  getCredential: () => Credential | null;
  /** Called when the server says the credential is not (or no longer) valid. */
  onUnauthenticated: () => void;
  /** Called when a request made by cookie was refused for its CSRF token (another tab signed in anew). */
  onCsrfRejected: () => void;
}

/**
 * A token goes in the Authorization header (which the server prefers over any cookie). A session
 * is the HttpOnly cookie the browser sends by itself, plus its CSRF token, which a page of another
 * origin cannot read and so cannot send.
 */
function credentialHeaders(credential: Credential | null): Record<string, string> {
  if (credential?.kind === "token") return { authorization: `Bearer ${credential.token}` };
  if (credential?.kind === "session") return { "x-csrf-token": credential.csrfToken };
  return {};
}

function websocketUrl(): string {
  const url = new URL("/graphql", window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

export function createApolloClient(session: ApolloSession): ApolloClient {
  const auth = new SetContextLink((prevContext) => {
    const credential = prevContext.anonymous ? null : session.getCredential();
    return {
      // An anonymous request carries no cookie either: whatever this tab holds, the invitation code alone proves who redeems it.
      credentials: prevContext.anonymous ? "omit" : "same-origin",
      headers: { ...prevContext["headers"], ...credentialHeaders(credential) },
    };
  });
  const signOutOn401 = new ErrorLink(({ error }) => {
    if (isUnauthenticated(error)) session.onUnauthenticated();
    else if (isCsrfRejected(error)) session.onCsrfRejected();
  });
  const http = new HttpLink({ uri: "/graphql", credentials: "same-origin" });
  const ws = new GraphQLWsLink(
    createClient({
      url: websocketUrl(),
      lazy: true,
      // The browser sends the session cookie with the upgrade request; the CSRF token proves the page is ours.
      connectionParams: () => {
        const credential = session.getCredential();
        if (credential?.kind === "token") return { authorization: `Bearer ${credential.token}` };
        if (credential?.kind === "session") return { csrfToken: credential.csrfToken };
        return {};
      },
      on: {
        // 4401: the server closed the socket because the token was revoked or the session ended.
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
