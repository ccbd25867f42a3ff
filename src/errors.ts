/**
 * One vocabulary of errors. Services throw `DomainError`s with a code; `toGraphQLError` maps each
 * code to what clients see in ONE exhaustive switch; `formatError` is the single place where every
 * other error is logged and masked (stack traces and SQL only in development).
 */
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { type TimeoutKind, timeoutOf } from "./database/timeouts";
import type { Logger } from "./logger";
import { errorFields } from "./logger";

export type ErrorCode =
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "CONFLICT"
  | "RULES_INVALID"
  | "RESCORE_INCOMPLETE"
  | "UNAVAILABLE"
  | "RATE_LIMITED";

/** A problem with one input field: `field` is a dotted path into the arguments (`input.email`). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** A failure the caller can act on. `details` go to `extensions` as they are. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: {
      fields?: FieldProblem[];
      diagnostics?: unknown[];
      version?: number;
      reason?: TimeoutKind;
      rateLimit?: RateLimitRefusal;
      /** The figures of a limit an operation passed (`cost`, `maxCost`…), shown in `extensions` as they are. */
      figures?: Record<string, number>;
    } = {},
  ) {
    super(message);
    this.name = "DomainError";
  }
}

/** Why a key's request was refused (`RATE_LIMITED`): the budget spent, and when it is whole again. */
export interface RateLimitRefusal {
  /** Seconds until the key's window ends (`Retry-After`), at least 1. */
  retryAfter: number;
  /** The budget that is spent: `REQUESTS` or `COST`. */
  limit: "REQUESTS" | "COST";
  /** That budget per window, and the window's length. */
  budget: number;
  windowSeconds: number;
  /** The refused operation's cost (`COST` only). */
  cost?: number;
}

/** Invalid input, reported per field. */
export class ValidationError extends DomainError {
  constructor(readonly fields: FieldProblem[]) {
    super("BAD_USER_INPUT", fields.map((p) => `${p.field}: ${p.message}`).join("; "), { fields });
  }
}

export const notFound = (what: string) => new DomainError("NOT_FOUND", `${what} not found`);

/** What a client is told when a bound on waiting was hit (`reason`); worth retrying after `RETRY_AFTER_SECONDS`. */
const UNAVAILABLE_MESSAGES: Record<TimeoutKind, string> = {
  STATEMENT_TIMEOUT: "The database took too long to answer",
  LOCK_TIMEOUT: "Data this request needs is locked by another change that is taking too long",
  IDLE_IN_TRANSACTION_TIMEOUT: "The database ended a transaction that waited too long",
  ACQUIRE_TIMEOUT: "Every database connection is busy",
  LEAD_BUSY: "Too many requests for this lead are waiting",
};

/** Seconds a client should wait before retrying an `UNAVAILABLE` request (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 1;

/** The service could not answer in time (`reason`); the request is safe to retry. */
export const unavailable = (reason: TimeoutKind): DomainError =>
  new DomainError("UNAVAILABLE", `${UNAVAILABLE_MESSAGES[reason]}; nothing was changed, retry the request`, { reason });

/**
 * The domain error `err` is or carries: itself, the one a `toGraphQLError` was made from, or the
 * `UNAVAILABLE` a database error stands for (a bound was hit: `database/timeouts.ts`); else null.
 */
export function domainErrorOf(err: unknown): DomainError | null {
  if (err instanceof DomainError) return err;
  if (err instanceof GraphQLError && err.originalError instanceof DomainError) return err.originalError;
  const reason = timeoutOf(err);
  return reason === null ? null : unavailable(reason);
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
export const badInput = (field: string, message: string) => new ValidationError([{ field, message }]);

/** The GraphQL shape of a domain error; `http.status` is used by Apollo for single-error responses. */
export function toGraphQLError(err: DomainError): GraphQLError {
  const extensions: Record<string, unknown> = { code: err.code };
  switch (err.code) {
    case "BAD_USER_INPUT":
      if (err.details.fields?.length) {
        extensions.field = err.details.fields[0].field;
        extensions.fields = err.details.fields;
      }
      Object.assign(extensions, err.details.figures);
      break;
    case "RULES_INVALID":
      extensions.diagnostics = err.details.diagnostics ?? [];
      break;
    case "UNAUTHENTICATED":
      extensions.http = { status: 401 };
      break;
    case "FORBIDDEN":
      // The selections the key may not read, as BAD_USER_INPUT names its fields (resolvers/field-scopes.ts).
      if (err.details.fields?.length) Object.assign(extensions, { field: err.details.fields[0].field, fields: err.details.fields });
      extensions.http = { status: 403 };
      break;
    case "RESCORE_INCOMPLETE":
      extensions.version = err.details.version;
      break;
    case "UNAVAILABLE":
      extensions.reason = err.details.reason;
      extensions.retryable = true;
      // Used by Apollo when this error is the whole answer (the request context could not be made);
      // a resolver's answers get theirs from the HTTP server (http-server.ts, `unavailableStatus`).
      extensions.http = { status: 503, headers: new Map([["retry-after", String(RETRY_AFTER_SECONDS)]]) };
      break;
    case "RATE_LIMITED": {
      const refusal = err.details.rateLimit as RateLimitRefusal;
      Object.assign(extensions, refusal);
      // Apollo uses it when the refusal is the whole answer (it always is: before any resolver runs).
      extensions.http = { status: 429, headers: new Map([["retry-after", String(refusal.retryAfter)]]) };
      break;
    }
    case "NOT_FOUND":
    case "CONFLICT":
      break;
    default: {
      const unreachable: never = err.code;
      throw new Error(`unmapped error code ${String(unreachable)}`);
    }
  }
  // The domain error travels along, so that `formatError` meets it again when this is thrown
  // outside a resolver (the request context).
  return new GraphQLError(err.message, { extensions, originalError: err });
}

// Codes graphql-js and Apollo give to malformed requests; clients see them as BAD_USER_INPUT.
const REQUEST_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

// graphql-js stops coercing variables after 50 errors and adds this one, with no code: the
// request is as bad as the 50 before it (e.g. 10,000 invalid items in one list).
const VARIABLE_ERROR_LIMIT = "Too many errors processing variables, error limit reached. Execution aborted.";

/**
 * graphql-js's "Did you mean …?" at the end of a validation or variable message: it names parts of
 * the schema (fields, arguments, types, enum values), so it is shown in development only.
 */
const SUGGESTION = / ?Did you mean [^]*\?$/;

/**
 * Apollo's `formatError` (and graphql-ws's, `app/subscriptions.ts`): domain errors become their
 * GraphQL shape, request errors keep their message under the contract's code (without schema
 * suggestions outside development), anything else is logged and masked.
 */
export function createErrorFormatter(logger: Logger, isDevelopment: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const domain = domainErrorOf(original);
    if (domain) {
      // A bound hit is expected under load: one line, no stack.
      if (domain.code === "UNAVAILABLE") logger.warn("unavailable", { reason: domain.details.reason, path: formatted.path, error: messageOf(original) });
      const mapped = toGraphQLError(domain);
      const { http: _http, ...extensions } = mapped.extensions as Record<string, unknown>;
      return { message: mapped.message, locations: formatted.locations, path: formatted.path, extensions };
    }
    const code = formatted.message === VARIABLE_ERROR_LIMIT && !formatted.path ? "TOO_MANY_ERRORS" : formatted.extensions?.code;
    if (typeof code === "string" && (REQUEST_ERROR_CODES.has(code) || code === "TOO_MANY_ERRORS")) {
      return {
        ...formatted,
        message: isDevelopment ? formatted.message : formatted.message.replace(SUGGESTION, ""),
        extensions: {
          ...(isDevelopment ? formatted.extensions : {}),
          code: "BAD_USER_INPUT",
          ...(code !== "BAD_USER_INPUT" ? { reason: code } : {}),
        },
      };
    }
    if (original instanceof GraphQLError && typeof original.extensions?.code === "string") {
      const known = original.extensions.code;
      if (known === "UNAUTHENTICATED" || known === "FORBIDDEN") {
        return { message: formatted.message, path: formatted.path, extensions: { code: known } };
      }
    }
    logger.error("unexpected error", { path: formatted.path, ...errorFields(original) });
    if (isDevelopment) {
      return { ...formatted, extensions: { ...formatted.extensions, code: "INTERNAL_SERVER_ERROR" } };
    }
    return { message: "Internal server error", path: formatted.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}
