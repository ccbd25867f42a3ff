/**
 * The workbench's only way to the service: the public GraphQL API at `/graphql`, with the signed-in
 * key in `Authorization`, as any client would. Errors come back as `ApiError` with the service's
 * `extensions.code`; the session hears about the ones that concern it everywhere (a key refused,
 * the service unreachable) through `onServiceEvent`.
 */
import type { TypedDocumentString } from "../gql/graphql";

export const GRAPHQL_PATH = "/graphql";

export interface GraphQLErrorBody {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; retryAfter?: number; diagnostics?: unknown; [key: string]: unknown };
}

/** One failed operation: the first error's code and message, every error, and when to retry if rate limited. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly errors: GraphQLErrorBody[] = [],
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export type ServiceEvent =
  | { kind: "unauthenticated" }
  | { kind: "unreachable"; message: string }
  | { kind: "reachable" }
  | { kind: "rate-limited"; retryAfter: number };

const listeners = new Set<(event: ServiceEvent) => void>();

/** Subscribes to what every request learns about the service and the key; returns the unsubscribe. */
export function onServiceEvent(listener: (event: ServiceEvent) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function emitServiceEvent(event: ServiceEvent): void {
  for (const listener of listeners) listener(event);
}

let currentKey: string | null = null;

/** The key every request presents from now on (null: none). */
export function useKey(key: string | null): void {
  currentKey = key;
}

export const authorization = (key: string): string => `Bearer ${key}`;

/** Runs one operation; resolves with its data, rejects with an ApiError (never a raw fetch error). */
export async function request<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
): Promise<TResult> {
  return requestWithKey(currentKey, document, variables);
}

/** As `request`, with an explicit key (the sign-in form checks one before it becomes the session's). */
export async function requestWithKey<TResult, TVariables>(
  key: string | null,
  document: TypedDocumentString<TResult, TVariables>,
  variables?: TVariables,
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...(key ? { authorization: authorization(key) } : {}) },
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
    });
  } catch {
    const message = "The service cannot be reached.";
    emitServiceEvent({ kind: "unreachable", message });
    throw new ApiError(message, "UNREACHABLE", [], null);
  }
  type Body = { data?: TResult | null; errors?: GraphQLErrorBody[] };
  const body = (await response.json().catch(() => null)) as Body | null;
  if (!body || (!body.data && !body.errors?.length)) {
    // A proxy's error page, or the service restarting.
    const message = response.status >= 500 ? "The service is unavailable; it may be restarting." : `Unexpected answer (HTTP ${response.status}).`;
    if (response.status >= 500) emitServiceEvent({ kind: "unreachable", message });
    throw new ApiError(message, response.status >= 500 ? "UNAVAILABLE" : "BAD_RESPONSE");
  }
  emitServiceEvent({ kind: "reachable" });
  const errors = body.errors ?? [];
  if (errors.length > 0) {
    const first = errors[0];
    const code = first.extensions?.code ?? "INTERNAL_SERVER_ERROR";
    const retryAfter = typeof first.extensions?.retryAfter === "number" ? first.extensions.retryAfter : null;
    if (code === "UNAUTHENTICATED") emitServiceEvent({ kind: "unauthenticated" });
    if (code === "RATE_LIMITED") emitServiceEvent({ kind: "rate-limited", retryAfter: retryAfter ?? 1 });
    if (code === "UNAVAILABLE") emitServiceEvent({ kind: "unreachable", message: first.message });
    // Partial data (a field refused) is still data: only a null result is a failure.
    if (!body.data) throw new ApiError(first.message, code, errors, retryAfter);
  }
  return body.data as TResult;
}

/** What to tell a person about an error, in words. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === "RATE_LIMITED") return `Too many requests for this key: try again in ${err.retryAfter ?? 1} s.`;
    if (err.code === "FORBIDDEN") return `This key may not do that: ${err.message}`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
