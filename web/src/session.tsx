/**
 * The signed-in key: kept in sessionStorage (this tab only, gone when it closes), checked with
 * `viewer` (who it is, what it may do). A key the service refuses later (revoked, wrong) signs the
 * tab out, back to the sign-in page, with the reason; nothing typed elsewhere is lost (the model
 * editor keeps its draft in localStorage).
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { ApiError, onServiceEvent, requestWithKey, useKey } from "./api/client";
import { closeLive } from "./api/live";
import { graphql } from "./gql";
import type { ViewerQuery } from "./gql/graphql";

export const VIEWER = graphql(`
  query Viewer {
    viewer {
      id
      name
      prefix
      effectiveScopes
    }
  }
`);

export type Scope = ViewerQuery["viewer"]["effectiveScopes"][number];
export type ViewerInfo = ViewerQuery["viewer"];

const STORAGE_KEY = "qualify.apiKey";

export interface Session {
  key: string | null;
  viewer: ViewerInfo | null;
  /** Why the last session ended, if the service ended it (shown on the sign-in page). */
  endedBecause: string | null;
  /** Checks `key` with the service; resolves once signed in, rejects with the service's words. */
  signIn(key: string): Promise<void>;
  signOut(reason?: string): void;
  can(scope: Scope): boolean;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}

function storedKey(): string | null {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [key, setKey] = useState<string | null>(storedKey);
  const [viewer, setViewer] = useState<ViewerInfo | null>(null);
  const [endedBecause, setEndedBecause] = useState<string | null>(null);
  useKey(key);

  const signOut = useCallback((reason?: string) => {
    window.sessionStorage.removeItem(STORAGE_KEY);
    useKey(null);
    closeLive();
    setKey(null);
    setViewer(null);
    setEndedBecause(reason ?? null);
  }, []);

  const signIn = useCallback(async (candidate: string) => {
    const trimmed = candidate.trim();
    if (!trimmed) throw new Error("Paste an API key.");
    try {
      const data = await requestWithKey(trimmed, VIEWER);
      window.sessionStorage.setItem(STORAGE_KEY, trimmed);
      useKey(trimmed);
      setKey(trimmed);
      setViewer(data.viewer);
      setEndedBecause(null);
    } catch (err) {
      if (err instanceof ApiError && err.code === "UNAUTHENTICATED") throw new Error("The service does not accept this key (unknown or revoked).");
      throw err;
    }
  }, []);

  // A key restored from the tab's storage is checked again (it may have been revoked meanwhile).
  useEffect(() => {
    if (!key || viewer) return;
    requestWithKey(key, VIEWER)
      .then((data) => setViewer(data.viewer))
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.code === "UNAUTHENTICATED") signOut("The service no longer accepts this key: sign in again.");
      });
  }, [key, viewer, signOut]);

  useEffect(
    () =>
      onServiceEvent((event) => {
        if (event.kind === "unauthenticated" && storedKey()) signOut("The service no longer accepts this key (revoked or wrong): sign in again.");
      }),
    [signOut],
  );

  const value = useMemo<Session>(
    () => ({ key, viewer, endedBecause, signIn, signOut, can: (scope) => Boolean(viewer?.effectiveScopes.includes(scope)) }),
    [key, viewer, endedBecause, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
