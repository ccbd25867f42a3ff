/**
 * The key of every request to the GraphQL endpoint is checked from its `Authorization` header
 * before its body is read: a request without a valid key (401 `UNAUTHENTICATED`), or whose key has
 * spent its request budget (429 `RATE_LIMITED`, `Retry-After`), is answered at once, its body
 * neither parsed nor waited for. A client that asked to send its body only once the headers are
 * accepted (`Expect: 100-continue`, as curl does for large bodies) is told to go on only then. The
 * caller found travels to the GraphQL context (`callerOf`): a key is looked up once per request.
 */
import type http from "node:http";
import type express from "express";
import { GraphQLError } from "graphql";
import type { Caller } from "../context";
import { type createErrorFormatter, DomainError, domainErrorOf, toGraphQLError } from "../errors";
import type { RateLimits } from "./rate-limits";

/**
 * A refused request whose body is declared this long at most is read to its end (and dropped), so
 * that its connection can serve the next request; a longer one (or one of unknown length) is not
 * read: its connection closes after the answer.
 */
export const UNREAD_BODY_BYTES = 8 * 1024;

export interface Authentication {
  /** The caller presenting the key in `authorization`; null for none, an unknown or a revoked key. */
  authenticate: (authorization: unknown) => Promise<Caller | null>;
  rateLimits: RateLimits;
  formatError: ReturnType<typeof createErrorFormatter>;
}

const callers = new WeakMap<http.IncomingMessage, Caller>();

/** The caller `authenticateRequests` found for `req` (the GraphQL context is made from it). */
export function callerOf(req: http.IncomingMessage): Caller | null {
  return callers.get(req) ?? null;
}

/** Express middleware in front of the body parser of the GraphQL endpoint: see the module's header. */
export function authenticateRequests(auth: Authentication): express.RequestHandler {
  return async (req, res, next) => {
    let caller: Caller | null;
    try {
      caller = await auth.authenticate(req.headers.authorization);
      if (!caller) throw new DomainError("UNAUTHENTICATED", "A valid API key is required");
      await auth.rateLimits.chargeRequest(caller);
    } catch (err) {
      refuse(req, res, err, auth.formatError);
      return;
    }
    callers.set(req, caller);
    if (/100-continue/i.test(req.headers.expect ?? "")) res.writeContinue();
    next();
  };
}

/**
 * Answers `err` as Apollo would have (its GraphQL shape through the one formatter, the status and
 * headers its code stands for), without reading the request's body.
 */
function refuse(req: express.Request, res: express.Response, err: unknown, formatError: Authentication["formatError"]): void {
  const domain = domainErrorOf(err);
  const error = domain ? toGraphQLError(domain) : err instanceof GraphQLError ? err : new GraphQLError("Internal server error", { originalError: err as Error });
  const http = error.extensions.http as { status?: number; headers?: Map<string, string> } | undefined;
  const formatted = formatError({ message: error.message, extensions: error.extensions }, domain ? error : err);
  if (!req.complete && !smallBody(req)) res.setHeader("connection", "close");
  res.status(http?.status ?? 500).set("cache-control", "no-store");
  for (const [name, value] of http?.headers ?? []) res.setHeader(name, value);
  res.json({ errors: [formatted] });
}

/** Whether the request's body is declared short enough to read to its end (see `UNREAD_BODY_BYTES`). */
function smallBody(req: express.Request): boolean {
  const length = req.headers["content-length"];
  if (length === undefined) return req.headers["transfer-encoding"] === undefined;
  return /^[0-9]+$/.test(length) && Number(length) <= UNREAD_BODY_BYTES;
}
