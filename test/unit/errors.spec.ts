/** The one mapping from domain errors to GraphQL errors, and masking of everything else. */
import { GraphQLError } from "graphql";
import { createErrorFormatter, DomainError, toGraphQLError, ValidationError } from "../../src/errors";
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
});
