/**
 * Live updates over the subscription endpoint (graphql-ws on `/graphql`, the key in
 * `connectionParams.authorization`). One connection per signed-in key, reconnecting for as long as
 * the tab is open (the service restarting is a pause, not an end); its state feeds the banner.
 */
import { createClient, type Client } from "graphql-ws";
import { useEffect, useRef } from "react";
import type { TypedDocumentString } from "../gql/graphql";
import { authorization, emitServiceEvent, GRAPHQL_PATH } from "./client";

let client: Client | null = null;
let clientKey: string | null = null;

/** The live connection as a person would describe it (the top bar shows it). */
export type LiveState = "idle" | "connecting" | "connected" | "reconnecting";
let liveState: LiveState = "idle";
const liveListeners = new Set<(state: LiveState) => void>();

function setLiveState(state: LiveState): void {
  liveState = state;
  for (const listener of liveListeners) listener(state);
}

/** Calls `listener` with the live connection's state now and on every change; returns the unsubscribe. */
export function onLiveState(listener: (state: LiveState) => void): () => void {
  liveListeners.add(listener);
  listener(liveState);
  return () => liveListeners.delete(listener);
}

function socketUrl(): string {
  const url = new URL(GRAPHQL_PATH, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/** The connection for `key` (made on first use; a new key closes the old one). */
export function liveClient(key: string): Client {
  if (client && clientKey === key) return client;
  client?.dispose();
  clientKey = key;
  let wasConnected = false;
  client = createClient({
    url: socketUrl(),
    connectionParams: { authorization: authorization(key) },
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 5000))),
    on: {
      connecting: () => setLiveState(wasConnected ? "reconnecting" : "connecting"),
      connected: () => {
        wasConnected = true;
        setLiveState("connected");
        emitServiceEvent({ kind: "reachable" });
      },
      closed: (event) => {
        const code = (event as CloseEvent | undefined)?.code;
        // 1000: closed by this client (no subscription left: lazy), not lost.
        if (code === 1000) {
          wasConnected = false;
          setLiveState("idle");
          return;
        }
        // 4401/4403: the key was refused or revoked (the service closes with these).
        if (code === 4401 || code === 4403) emitServiceEvent({ kind: "unauthenticated" });
        else if (wasConnected) {
          setLiveState("reconnecting");
          emitServiceEvent({ kind: "unreachable", message: "Live updates lost their connection; reconnecting…" });
        }
      },
    },
  });
  return client;
}

/** Ends the live connection (sign-out). */
export function closeLive(): void {
  client?.dispose();
  client = null;
  clientKey = null;
  setLiveState("idle");
}

/** Calls `onData` with every event of `document` while the component is mounted and `key` set. */
export function useSubscription<TResult, TVariables>(
  key: string | null,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  onData: (data: TResult) => void,
): void {
  const handler = useRef(onData);
  handler.current = onData;
  const variablesJson = JSON.stringify(variables ?? {});
  useEffect(() => {
    if (!key) return;
    const dispose = liveClient(key).subscribe<TResult>(
      { query: document.toString(), variables: JSON.parse(variablesJson) as Record<string, unknown> },
      {
        next: (result) => {
          if (result.data) handler.current(result.data);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    return dispose;
  }, [key, document, variablesJson]);
}
