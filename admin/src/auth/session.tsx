import type { ApolloClient } from "@apollo/client";
import { ApolloProvider, useQuery } from "@apollo/client/react";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { createApolloClient, type Credential } from "../apollo";
import { ViewerDocument, type ViewerQuery } from "../gql/graphql";
import { describeError, isUnauthenticated } from "../lib/errors";
import { fetchCookieSession, logoutCookieSession } from "./auth-api";
import { markSignedInByCookie, readEndedReason, readToken, wasSignedInByCookie, writeEndedReason, writeToken } from "./token-storage";

export type Viewer = NonNullable<ViewerQuery["viewer"]>;

export interface Session {
  viewer: Viewer;
  isAdmin: boolean;
  isReviewer: boolean;
  /** Names of the teams the viewer maintains (can move channels, yank, deprecate). */
  maintainedTeams: ReadonlySet<string>;
  /** How the tab is signed in: an API token, or a session cookie from single sign-on. */
  signedInBy: Credential["kind"];
  /** Signs out as the user asked; rejects (and stays signed in) when the server could not end the session. */
  signOut: () => Promise<void>;
}

interface SessionState {
  /** Null while the tab is not signed in, and while `checking`. */
  credential: Credential | null;
  /** True while the console asks the server whether the browser's cookie is a live session. */
  checking: boolean;
  /** Why the last session ended without the user asking, shown on the sign-in page. */
  endedBecause: string | null;
  /** Why the console could not find out whether the cookie is a session (the server did not answer), if it could not. */
  checkProblem: string | null;
  signIn: (token: string) => Promise<string | null>;
  signOut: () => Promise<void>;
  /** The server answered as to nobody although the tab is signed in (the cookie was cleared by a sign-out in another tab). */
  signedOutElsewhere: () => void;
}

const TOKEN_ENDED = "Your token is no longer valid (revoked or expired). Sign in again.";
const SESSION_ENDED = "Your session has ended (it timed out, or it was signed out or revoked). Sign in again.";

const SessionStateContext = createContext<SessionState | null>(null);
const SessionContext = createContext<Session | null>(null);

function initialCredential(): Credential | null {
  const token = readToken();
  return token ? { kind: "token", token } : null;
}

/**
 * Owns how the tab is signed in and the Apollo client. A token the tab holds wins (as it does on the
 * server); without one, the browser's session cookie is asked about on load. A 401 anywhere ends
 * the tab's sign-in and says why.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [credential, setCredential] = useState<Credential | null>(initialCredential);
  const [checking, setChecking] = useState(() => readToken() === null);
  const [endedBecause, setEndedBecause] = useState<string | null>(() => readEndedReason());
  const [checkProblem, setCheckProblem] = useState<string | null>(null);
  // What every request is sent with, read by the Apollo client at each request. Kept in refs
  // beside the state so a request never goes out with a credential the tab has just dropped.
  const credentialRef = useRef<Credential | null>(credential);
  // A token being tried by the sign-in form: requests use it, but a 401 for it ends nothing.
  const candidateRef = useRef<string | null>(null);

  const adopt = useCallback((next: Credential | null) => {
    credentialRef.current = next;
    setCredential(next);
  }, []);

  const endSession = useCallback(
    (reason: string) => {
      writeToken(null);
      markSignedInByCookie(false);
      writeEndedReason(reason);
      setEndedBecause(reason);
      adopt(null);
    },
    [adopt],
  );

  const client = useMemo<ApolloClient>(() => {
    const apollo = createApolloClient({
      getCredential: () => (candidateRef.current !== null ? { kind: "token", token: candidateRef.current } : credentialRef.current),
      onUnauthenticated: () => {
        const current = credentialRef.current;
        if (current) endSession(current.kind === "token" ? TOKEN_ENDED : SESSION_ENDED);
      },
      onCsrfRejected: () => {
        const current = credentialRef.current;
        if (current?.kind !== "session") return;
        // The cookie belongs to a newer session than the CSRF token (the browser signed in again in
        // another tab): take up that session's token and load everything again as it. When the
        // server refuses the token it has just issued, nothing is retried, so this cannot loop.
        fetchCookieSession().then(
          (live) => {
            if (!live) endSession(SESSION_ENDED);
            else if (live.csrfToken !== current.csrfToken && credentialRef.current === current) {
              adopt({ kind: "session", csrfToken: live.csrfToken });
              void apollo.resetStore();
            }
          },
          // The server did not answer: the refused request shows its own error, and the next refusal asks again.
          () => undefined,
        );
      },
    });
    return apollo;
  }, [adopt, endSession]);

  // Without a token, is the browser signed in by its session cookie? Asked once, on load.
  useEffect(() => {
    if (!checking) return;
    let current = true;
    fetchCookieSession().then(
      (live) => {
        if (!current) return;
        if (live) {
          markSignedInByCookie(true);
          writeEndedReason(null);
          setEndedBecause(null);
          adopt({ kind: "session", csrfToken: live.csrfToken });
        } else if (wasSignedInByCookie()) {
          // This tab was signed in by a session that is gone (timed out or revoked while away).
          endSession(SESSION_ENDED);
        }
        setChecking(false);
      },
      (error: unknown) => {
        if (!current) return;
        setCheckProblem(describeError(error).message);
        setChecking(false);
      },
    );
    return () => {
      current = false;
    };
  }, [checking, adopt, endSession]);

  const signIn = useCallback(
    async (candidate: string): Promise<string | null> => {
      // Nothing the previous user of this tab loaded may show for the next one.
      await client.clearStore();
      candidateRef.current = candidate;
      try {
        const result = await client.query({ query: ViewerDocument, fetchPolicy: "network-only" });
        if (!result.data?.viewer) throw new Error("That token does not belong to a user.");
      } catch (error) {
        if (describeError(error).code === "TOKEN_EXPIRED") return "That token has expired.";
        return isUnauthenticated(error) ? "That token is not valid, or it has been revoked." : describeError(error).message;
      } finally {
        candidateRef.current = null;
      }
      writeToken(candidate);
      writeEndedReason(null);
      setEndedBecause(null);
      adopt({ kind: "token", token: candidate });
      return null;
    },
    [client, adopt],
  );

  const signOut = useCallback(async () => {
    const current = credentialRef.current;
    if (current?.kind === "session") {
      // Throws when the server could not end the session: the tab then stays signed in, as the cookie does.
      const { endSessionUrl } = await logoutCookieSession(current.csrfToken);
      markSignedInByCookie(false);
      writeEndedReason(null);
      if (endSessionUrl) {
        // On to the identity provider, which ends its own session and sends the browser back to the
        // console's sign-in page. Nothing more goes out with the ended session meanwhile.
        credentialRef.current = null;
        window.location.assign(endSessionUrl);
        return;
      }
      await client.clearStore();
    } else {
      writeToken(null);
      writeEndedReason(null);
    }
    setEndedBecause(null);
    adopt(null);
  }, [client, adopt]);

  const signedOutElsewhere = useCallback(() => endSession(SESSION_ENDED), [endSession]);

  const state = useMemo(
    () => ({ credential, checking, endedBecause, checkProblem, signIn, signOut, signedOutElsewhere }),
    [credential, checking, endedBecause, checkProblem, signIn, signOut, signedOutElsewhere],
  );
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
  const { credential, signOut, signedOutElsewhere } = useSessionState();
  const { data, error, loading } = useQuery(ViewerDocument, { fetchPolicy: "cache-first" });
  const viewer = data?.viewer ?? null;
  // A token that does not work is a 401 (which ends the sign-in by itself); a session cookie that is
  // gone makes the request anonymous, answered with no viewer.
  const anonymous = data !== undefined && data.viewer === null;
  useEffect(() => {
    if (anonymous) signedOutElsewhere();
  }, [anonymous, signedOutElsewhere]);
  const signedInBy = credential?.kind ?? null;
  const session = useMemo<Session | null>(() => {
    if (!viewer || !signedInBy) return null;
    const maintainedTeams = new Set(viewer.teams.edges.filter((edge) => edge.node.role === "MAINTAINER").map((edge) => edge.node.team.name));
    return {
      viewer,
      isAdmin: viewer.roles.includes("ADMIN"),
      isReviewer: viewer.roles.includes("REVIEWER") || viewer.roles.includes("ADMIN"),
      maintainedTeams,
      signedInBy,
      signOut,
    };
  }, [viewer, signedInBy, signOut]);
  if (!session) return <>{fallback({ loading, error: error ? describeError(error).message : null })}</>;
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession must be used inside <ViewerBoundary>");
  return session;
}
