/**
 * What an operation costs, computed before it runs (graphql-query-complexity 2.0.0 walks the
 * document, fragments expanded, `@skip`/`@include` applied, with the request's variables), and
 * the refusal of one over the budget (`QUALIFY_MAX_COST`). The same check serves HTTP (an Apollo
 * plugin, `costPlugin`) and WebSocket (`app/subscriptions.ts`); the cost is kept on the request
 * context as `operationCost` for whoever charges requests by it.
 *
 * How a field counts: 1 for itself (a `JSONObject` field such as `properties` or `attributes`,
 * which may hold up to `QUALIFY_MAX_JSON_BYTES`, 16 kB: `JSON_FIELD_COST`), plus what it
 * selects, multiplied for lists:
 * - a field with a `first` argument (a connection, `topMovers`) multiplies what it selects by
 *   `first` (the default page size when absent, or the argument's own default);
 * - the list of a connection's page (`edges` of a `…Connection` type) multiplies by 1: its
 *   connection counted the page;
 * - another list field that takes a list argument (`recordInteractions(inputs)`) multiplies by
 *   that list's length; any other list (`stageHistory`, `scoreBreakdown`, `awards`, `funnel`,
 *   `apiKeys`, introspection's `types` and `fields`…) by `UNSIZED_LIST_ITEMS`.
 * Introspection and `__typename` count like any other field.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import {
  type DocumentNode,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  isListType,
} from "graphql";
import { type ComplexityEstimator, getComplexity } from "graphql-query-complexity";
import { DEFAULT_PAGE_SIZE } from "../database/cursor";
import { DomainError } from "../errors";
import type { RequestContext } from "../resolvers/request-context";

/** How many items a list without a size argument is counted as. */
export const UNSIZED_LIST_ITEMS = 10;

/** What a `JSONObject` field counts for (an object of up to 16 kB, where most fields hold tens of bytes). */
export const JSON_FIELD_COST = 100;

/** One operation of a request: its document, the operation's name (when it has one) and variables. */
export interface Operation {
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** The multiplier a field applies to what it selects (see the module comment). */
function itemsOf(field: GraphQLField<unknown, unknown>, parentType: string, args: Record<string, unknown>): number {
  if (field.args.some((arg) => arg.name === "first")) {
    const first = args.first;
    return typeof first === "number" && Number.isFinite(first) ? Math.max(0, first) : DEFAULT_PAGE_SIZE;
  }
  if (!isListType(getNullableType(field.type))) return 1;
  if (parentType.endsWith("Connection")) return 1;
  const lists = Object.values(args).filter(Array.isArray);
  return lists.length > 0 ? Math.max(...lists.map((list) => list.length)) : UNSIZED_LIST_ITEMS;
}

const estimator: ComplexityEstimator = ({ field, type, args, childComplexity }) =>
  (getNamedType(field.type).name === "JSONObject" ? JSON_FIELD_COST : 1) + itemsOf(field, type.name, args) * childComplexity;

/**
 * The cost of `operation` (see the module comment), or null when its variables do not fit their
 * types: such a request is refused before anything runs, with graphql-js's own messages.
 * A document whose cost cannot be computed otherwise (an argument a variable makes invalid) is
 * BAD_USER_INPUT. Call it on a document that passed validation.
 *
 * @example operationCost(schema, { document: parse("{ leads(first: 100) { edges { node { id } } } }") }) // 1 + 100 × (1 + 1 × (1 + 1)) = 301
 */
export function operationCost(schema: GraphQLSchema, operation: Operation): number | null {
  const definition = getOperationAST(operation.document, operation.operationName);
  if (!definition) return null;
  const variables = operation.variables ?? {};
  if (getVariableValues(schema, definition.variableDefinitions ?? [], variables).errors) return null;
  try {
    return getComplexity({
      estimators: [estimator],
      schema,
      query: operation.document,
      // Only the operation that runs (a document may hold others, named).
      operationName: definition.name?.value,
      variables,
      // The operation-limits rule bounds the fields already; this only keeps the walk finite.
      maxQueryNodes: Infinity,
    });
  } catch (err) {
    if (err instanceof GraphQLError) throw new DomainError("BAD_USER_INPUT", err.message);
    throw err;
  }
}

/**
 * The cost of `operation`, refused as BAD_USER_INPUT with `extensions.cost` and `maxCost` when it
 * is over `maxCost`; null as `operationCost` says.
 */
export function checkOperationCost(schema: GraphQLSchema, operation: Operation, maxCost: number): number | null {
  const cost = operationCost(schema, operation);
  if (cost !== null && cost > maxCost) {
    throw new DomainError(
      "BAD_USER_INPUT",
      `Operation too costly: it may cost ${cost}, more than the ${maxCost} allowed (lists multiply what they select by their size: ask for smaller pages, fewer nested lists or fewer aliases)`,
      { figures: { cost, maxCost } },
    );
  }
  return cost;
}

/**
 * The check over HTTP: once Apollo has resolved the operation, before it runs; the cost goes on
 * the request context. A refusal answers 400 (like the other limits, checked in validation).
 */
export function costPlugin(maxCost: number): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, request, contextValue, response }) {
          try {
            const cost = checkOperationCost(schema, { document, operationName, variables: request.variables }, maxCost);
            if (cost !== null) contextValue.operationCost = cost;
          } catch (err) {
            if (err instanceof DomainError) response.http.status = 400;
            throw err;
          }
        },
      };
    },
  };
}
