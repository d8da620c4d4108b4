import type { ApolloClient } from "@apollo/client";
import { ApolloProvider, useQuery } from "@apollo/client/react";
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { createApolloClient } from "../apollo";
import { ViewerDocument, type ViewerQuery } from "../gql/graphql";
import { describeError, isUnauthenticated } from "../lib/errors";
import { readEndedReason, readToken, writeEndedReason, writeToken } from "./token-storage";

export type Viewer = NonNullable<ViewerQuery["viewer"]>;

export interface Session {
  viewer: Viewer;
  isAdmin: boolean;
  isReviewer: boolean;
  /** Names of the teams the viewer maintains (can move channels, yank, deprecate). */
  maintainedTeams: ReadonlySet<string>;
  signOut: () => void;
}

interface SessionState {
  token: string | null;
  /** Why the last session ended without the user asking, shown on the sign-in page. */
  endedBecause: string | null;
  signIn: (token: string) => Promise<string | null>;
  signOut: (reason?: string) => void;
}

const SessionStateContext = createContext<SessionState | null>(null);
const SessionContext = createContext<Session | null>(null);

/** Owns the token and the Apollo client; a 401 anywhere signs the tab out. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(() => readToken());
  const [endedBecause, setEndedBecause] = useState<string | null>(() => readEndedReason());

  const signOut = useCallback((reason?: string) => {
    writeToken(null);
    writeEndedReason(reason ?? null);
    setToken(null);
    setEndedBecause(reason ?? null);
  }, []);

  const client = useMemo<ApolloClient>(
    () =>
      createApolloClient({
        getToken: readToken,
        onUnauthenticated: () => {
          if (readToken() !== null) signOut("Your token is no longer valid (revoked or expired). Sign in again.");
        },
      }),
    [signOut],
  );

  const signIn = useCallback(
    async (candidate: string): Promise<string | null> => {
      // Nothing the previous user of this tab loaded may show for the next one.
      await client.clearStore();
      writeToken(candidate);
      try {
        const result = await client.query({ query: ViewerDocument, fetchPolicy: "network-only" });
        if (!result.data?.viewer) throw new Error("That token does not belong to a user.");
      } catch (error) {
        writeToken(null);
        return isUnauthenticated(error) ? "That token is not valid, or it has been revoked." : describeError(error).message;
      }
      writeEndedReason(null);
      setEndedBecause(null);
      setToken(candidate);
      return null;
    },
    [client],
  );

  const state = useMemo(() => ({ token, endedBecause, signIn, signOut }), [token, endedBecause, signIn, signOut]);
  return (
    <ApolloProvider client={client}>
      <SessionStateContext.Provider value={state}>{children}</SessionStateContext.Provider>
    </ApolloProvider>
  );
}

export function useSessionState(): SessionState {
  const state = useContext(SessionStateContext);
  if (!state) throw new Error("useSessionState must be used inside <SessionProvider>");
  return state;
}

/** Loads the signed-in viewer and provides it to everything below. */
export function ViewerBoundary({ children, fallback }: { children: ReactNode; fallback: (state: { loading: boolean; error: string | null }) => ReactNode }) {
  const { signOut } = useSessionState();
  const { data, error, loading } = useQuery(ViewerDocument, { fetchPolicy: "cache-first" });
  const viewer = data?.viewer ?? null;
  const session = useMemo<Session | null>(() => {
    if (!viewer) return null;
    const maintainedTeams = new Set(viewer.teams.edges.filter((edge) => edge.node.role === "MAINTAINER").map((edge) => edge.node.team.name));
    return {
      viewer,
      isAdmin: viewer.roles.includes("ADMIN"),
      isReviewer: viewer.roles.includes("REVIEWER") || viewer.roles.includes("ADMIN"),
      maintainedTeams,
      signOut: () => signOut(),
    };
  }, [viewer, signOut]);
  if (!session) return <>{fallback({ loading, error: error ? describeError(error).message : null })}</>;
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession must be used inside <ViewerBoundary>");
  return session;
}
