import type { AuthChecker } from "type-graphql";
import { hasScope } from "../context";
import type { RequestContext } from "./request-context";
import type { Scope } from "../entities/api-key.entity";
import { DomainError, toGraphQLError } from "../errors";

/**
 * `@Authorized("ingest")`: the caller needs one of the listed scopes (`admin` implies all).
 * Throws the GraphQL error itself so the HTTP status (401/403) travels with it.
 */
export const scopeAuthChecker: AuthChecker<RequestContext, Scope> = ({ context }, scopes) => {
  if (!context.caller) throw toGraphQLError(new DomainError("UNAUTHENTICATED", "A valid API key is required"));
  if (scopes.some((scope) => hasScope(context.caller, scope))) return true;
  throw toGraphQLError(new DomainError("FORBIDDEN", `This API key lacks the ${scopes.join(" or ")} scope`));
};
