/** The one mapping from domain errors to GraphQL errors, and masking of everything else. */
import { GraphQLError } from "graphql";
import { DatabaseError } from "pg";
import { QueryFailedError } from "typeorm";
import { createErrorFormatter, DomainError, domainErrorOf, toGraphQLError, unavailable, ValidationError } from "../../src/errors";
import { createLogger } from "../../src/logger";

const logged: string[] = [];
const logger = createLogger("error", { write: (line) => logged.push(line) });

/** What graphql-js hands to formatError for an error thrown in a resolver. */
const located = (err: Error) => new GraphQLError(err.message, { path: ["leads"], originalError: err });

describe("errors", () => {
  it("maps validation errors with every field", () => {
    const err = toGraphQLError(new ValidationError([{ field: "input.email", message: "must be an email address" }, { field: "input.type", message: "bad" }]));
    expect(err.extensions).toEqual({
      code: "BAD_USER_INPUT",
      field: "input.email",
      fields: [{ field: "input.email", message: "must be an email address" }, { field: "input.type", message: "bad" }],
    });
  });

  it("carries the HTTP status of authentication and authorisation failures", () => {
    expect(toGraphQLError(new DomainError("UNAUTHENTICATED", "x")).extensions).toEqual({ code: "UNAUTHENTICATED", http: { status: 401 } });
    expect(toGraphQLError(new DomainError("FORBIDDEN", "x")).extensions).toEqual({ code: "FORBIDDEN", http: { status: 403 } });
    expect(toGraphQLError(new DomainError("RULES_INVALID", "x", { diagnostics: [{ code: "E1" }] })).extensions).toEqual({
      code: "RULES_INVALID",
      diagnostics: [{ code: "E1" }],
    });
  });

  it("masks unknown errors outside development, and logs them", () => {
    const format = createErrorFormatter(logger, false);
    const secret = new Error('relation "lead" does not exist: SELECT * FROM lead');
    const out = format(located(secret).toJSON(), located(secret));
    expect(out).toEqual({ message: "Internal server error", path: ["leads"], extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(logged.some((line) => line.includes("does not exist"))).toBe(true);
  });

  it("shows the real message in development", () => {
    const format = createErrorFormatter(logger, true);
    const err = new Error("boom");
    const out = format({ ...located(err).toJSON(), extensions: { stacktrace: ["Error: boom"] } }, located(err));
    expect(out).toMatchObject({ message: "boom", extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["Error: boom"] } });
  });

  it("takes schema suggestions out of request errors outside development, and shows a limit's figures", () => {
    const misspelt = new GraphQLError('Cannot query field "leadz" on type "Query". Did you mean "lead" or "leads"?', {
      extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
    });
    expect(createErrorFormatter(logger, false)(misspelt.toJSON(), misspelt)).toMatchObject({
      message: 'Cannot query field "leadz" on type "Query".',
      extensions: { code: "BAD_USER_INPUT", reason: "GRAPHQL_VALIDATION_FAILED" },
    });
    expect(createErrorFormatter(logger, true)(misspelt.toJSON(), misspelt).message).toMatch(/Did you mean "lead" or "leads"\?$/);
    const costly = new DomainError("BAD_USER_INPUT", "Operation too costly", { figures: { cost: 200, maxCost: 100 } });
    expect(toGraphQLError(costly).extensions).toEqual({ code: "BAD_USER_INPUT", cost: 200, maxCost: 100 });
  });

  it("formats domain errors thrown by services, without the HTTP hint", () => {
    const format = createErrorFormatter(logger, false);
    const err = new DomainError("NOT_FOUND", "Lead 1 not found");
    expect(format(located(err).toJSON(), located(err))).toEqual({
      message: "Lead 1 not found",
      locations: undefined,
      path: ["leads"],
      extensions: { code: "NOT_FOUND" },
    });
  });

  describe("a bound hit", () => {
    /** An error as pg reports it from the server. */
    const fromServer = (code: string, message: string) => Object.assign(new DatabaseError(message, message.length, "error"), { code, severity: "ERROR" });
    /** The same, as TypeORM wraps it for a statement it ran. */
    const fromTypeOrm = (code: string, message: string) => new QueryFailedError("SELECT 1", [], fromServer(code, message));

    it.each([
      ["a lock waited for too long", fromServer("55P03", "canceling statement due to lock timeout"), "LOCK_TIMEOUT"],
      ["… through TypeORM", fromTypeOrm("55P03", "canceling statement due to lock timeout"), "LOCK_TIMEOUT"],
      ["a statement too long", fromTypeOrm("57014", "canceling statement due to statement timeout"), "STATEMENT_TIMEOUT"],
      ["a session idle in its transaction too long", fromServer("25P03", "terminating connection due to idle-in-transaction timeout"), "IDLE_IN_TRANSACTION_TIMEOUT"],
      ["no pooled connection came free", new Error("timeout exceeded when trying to connect"), "ACQUIRE_TIMEOUT"],
      ["a new connection did not connect", new Error("Connection terminated due to connection timeout"), "ACQUIRE_TIMEOUT"],
    ])("is UNAVAILABLE: %s", (_what, err, reason) => {
      const domain = domainErrorOf(err);
      expect(domain).toMatchObject({ code: "UNAVAILABLE", details: { reason } });
      expect(domain!.message).toMatch(/retry/);
    });

    it.each([
      ["a cancel by user request (pg_cancel_backend)", fromTypeOrm("57014", "canceling statement due to user request")],
      ["a serialization failure (retried inside the request)", fromTypeOrm("40001", "could not serialize access")],
      ["a deadlock (retried inside the request)", fromServer("40P01", "deadlock detected")],
      ["a unique violation", fromTypeOrm("23505", "duplicate key value violates unique constraint")],
      ["a lost connection", new Error("Connection terminated unexpectedly")],
      ["anything else", new Error("boom")],
    ])("is not: %s", (_what, err) => {
      expect(domainErrorOf(err)).toBeNull();
    });

    it("answers 503 with Retry-After and says the request may be retried", () => {
      const { extensions } = toGraphQLError(unavailable("LEAD_BUSY"));
      expect(extensions).toMatchObject({ code: "UNAVAILABLE", reason: "LEAD_BUSY", retryable: true, http: { status: 503 } });
      expect((extensions.http as { headers: Map<string, string> }).headers.get("retry-after")).toBe("1");
    });

    it("is formatted as UNAVAILABLE and logged at warn, without a stack, in a resolver or before one", () => {
      const lines: string[] = [];
      const format = createErrorFormatter(createLogger("debug", { write: (line) => lines.push(line) }), false);
      const raw = fromTypeOrm("55P03", "canceling statement due to lock timeout");
      const inResolver = format(located(raw).toJSON(), located(raw));
      expect(inResolver).toEqual({
        message: expect.stringMatching(/locked.*retry/),
        locations: undefined,
        path: ["leads"],
        extensions: { code: "UNAVAILABLE", reason: "LOCK_TIMEOUT", retryable: true },
      });
      // Thrown while the request context is made: Apollo gets the GraphQL error (for its status).
      const beforeResolvers = toGraphQLError(unavailable("ACQUIRE_TIMEOUT"));
      expect(format({ message: beforeResolvers.message, extensions: { code: "UNAVAILABLE" } }, beforeResolvers).extensions).toEqual({
        code: "UNAVAILABLE",
        reason: "ACQUIRE_TIMEOUT",
        retryable: true,
      });
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(entries.map((e) => [e.level, e.reason])).toEqual([
        ["warn", "LOCK_TIMEOUT"],
        ["warn", "ACQUIRE_TIMEOUT"],
      ]);
      for (const entry of entries) expect(entry.stack).toBeUndefined();
    });
  });
});
