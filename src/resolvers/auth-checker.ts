import type { AuthChecker } from "type-graphql";
import { hasScope } from "../context";
import type { RequestContext } from "./request-context";
import type { Scope } from "../entities/api-key.entity";
import { DomainError, toGraphQLError } from "../errors";
import { unreadableSelections } from "./field-scopes";

/**
 * `@Authorized("ingest")`: the caller needs one of the listed scopes (`admin` implies all);
 * `@Authorized()` (no scope named): any valid key.
 * A mutation must also ask only for what the caller may read (field-scopes.ts): otherwise it is
 * refused before it writes anything, rather than written with an answer the caller cannot have
 * (payloads are non-null, so one forbidden field nulls them whole, and a client that retries
 * would write twice). Throws the GraphQL error itself so the HTTP status (401/403) travels with it.
 */
export const scopeAuthChecker: AuthChecker<RequestContext, Scope> = ({ context, info }, scopes) => {
  if (!context.caller) throw toGraphQLError(new DomainError("UNAUTHENTICATED", "A valid API key is required"));
  if (scopes.length > 0 && !scopes.some((scope) => hasScope(context.caller, scope))) {
    throw toGraphQLError(new DomainError("FORBIDDEN", `This API key lacks the ${scopes.join(" or ")} scope`));
  }
  if (info.parentType !== info.schema.getMutationType()) return true;
  const unreadable = unreadableSelections(context.caller, info);
  if (unreadable.length === 0) return true;
  const named = unreadable.map((problem) => problem.field).join(", ");
  throw toGraphQLError(new DomainError("FORBIDDEN", `Nothing was done: this API key may not read ${named}`, { fields: unreadable }));
};
