/**
 * Queries over HTTP run as functions compiled from their documents (graphql-jit), not through
 * graphql-js's generic executor: a page of 100 leads with their interactions, awards,
 * history and breakdown resolves some 15,000 fields, and graphql-js spends most of that request in
 * its own bookkeeping (a path, an info object and a null-prototype result object per field, then
 * their garbage). The compiled function calls the same resolvers of the same schema (scopes,
 * argument guard and loaders included), so answers are the same; the README's Performance (d)
 * has the figures.
 *
 * Apollo Server lets an executor replace its own only through its gateway interface: this module
 * is such a "gateway" over a fixed schema. Parsing, validation (the operation rules and the cost
 * budget), plugins and error formatting stay Apollo's. Compiled queries are kept per parsed
 * document (Apollo keeps one document object per query text in its document store), so a query
 * is compiled once per instance and a document Apollo drops is dropped here with it. A query is
 * compiled the second time it comes, and only when its document selects at most
 * `MAX_COMPILED_FIELDS` fields: compiling is synchronous and costs more than running once (~12–25
 * ms for 90 fields; ~200 ms for 900, the most the operation rules let through), so a client sending
 * ever new texts, or an attacker sending big ones twice, gets graphql-js, and the pages a client
 * asks again (the workbench's largest selects 60 fields) get compiled. Only queries
 * are compiled: a mutation's time is the database's, and it runs as graphql-js runs it, as does a
 * subscription sent over HTTP (they are served over WebSocket, subscriptions.ts).
 *
 * A caller who may read every field a document names (most keys: `read` is all a query needs)
 * has it run on the schema without the field guard (`buildUnguardedSchema`): the guard would let
 * each of its fields through, and a guarded field costs a resolver call (with its info object and
 * result bookkeeping) where the compiled function reads the property directly: a third of what a
 * page of 100 leads allocated. Others run on the guarded schema, field by field as always.
 */
import type { ApolloServerOptionsWithGateway } from "@apollo/server";
import {
  type DocumentNode,
  execute,
  type ExecutionResult,
  GraphQLError,
  type GraphQLInputType,
  type GraphQLSchema,
  getOperationAST,
  getVariableValues,
  isInputObjectType,
  isListType,
  isNonNullType,
  printSchema,
  typeFromAST,
  type VariableDefinitionNode,
  visit,
} from "graphql";
import { type CompiledQuery, compileQuery, isCompiledQuery } from "graphql-jit";
import { useGatewayContextWithoutClosures } from "./apollo-gateway-seam";
import { type Caller, hasScope } from "../context";
import type { Scope } from "../entities/api-key.entity";
import type { Metrics } from "../metrics";
import { scopesNamed } from "../resolvers/field-scopes";

type Gateway = ApolloServerOptionsWithGateway<never>["gateway"];

/** The most fields a document may select (fragments counted where written) to be compiled. */
export const MAX_COMPILED_FIELDS = 100;

/**
 * What is kept of one document: the scopes its fields need, and its compiled operations by
 * schema and operation name (`+name` unguarded, `-name` guarded; "" for the only operation). SEEN:
 * run once (by graphql-js); TOO_BIG: selects too many fields to be compiled, always run by
 * graphql-js.
 */
const SEEN = Symbol("seen once");
const TOO_BIG = Symbol("too big to compile");
interface Known {
  scopes: ReadonlySet<Scope>;
  operations: Map<string, CompiledQuery | ExecutionResult | typeof SEEN | typeof TOO_BIG>;
}

/**
 * graphql-jit's errors are its own kind of GraphQLError, without `extensions` when the resolver's
 * error had none (Apollo reads `extensions.code` of every error): each becomes graphql-js's own,
 * with the same message, locations, path and original error.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  const copy = new GraphQLError(error.message, { path: error.path, originalError: error.originalError ?? undefined, extensions: error.extensions ?? undefined });
  if (error.locations) (copy as { locations?: GraphQLError["locations"] }).locations = error.locations;
  return copy;
}

/** A coerced input value as a client sends it (enum names, scalars serialised), defaults included. */
function externalValue(value: unknown, type: GraphQLInputType): unknown {
  if (value === null || value === undefined) return value;
  if (isNonNullType(type)) return externalValue(value, type.ofType);
  if (isListType(type)) return Array.isArray(value) ? value.map((item) => externalValue(item, type.ofType)) : externalValue(value, type.ofType);
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(value as Record<string, unknown>)) out[name] = externalValue(field, fields[name].type);
    return out;
  }
  return type.serialize(value);
}

function externalValues(schema: GraphQLSchema, definitions: readonly VariableDefinitionNode[], coerced: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const definition of definitions) {
    const name = definition.variable.name.value;
    if (!(name in coerced)) continue;
    out[name] = externalValue(coerced[name], typeFromAST(schema, definition.type) as GraphQLInputType);
  }
  return out;
}

/** How many fields `document` selects, as written (a fragment's once, however often it is spread). */
function fieldsIn(document: DocumentNode): number {
  let fields = 0;
  visit(document, { Field: () => void fields++ });
  return fields;
}

/**
 * `schema` is the guarded schema Apollo validates against; `unguarded` the same without the field
 * guard (`buildUnguardedSchema`).
 */
export function compiledExecution(schema: GraphQLSchema, unguarded: GraphQLSchema, metrics: Metrics): Gateway {
  // Apollo's gateway context without closures in a literal (apollo-gateway-seam.ts: memory).
  useGatewayContextWithoutClosures();
  const byDocument = new WeakMap<DocumentNode, Known>();

  const known = (document: DocumentNode): Known => {
    let entry = byDocument.get(document);
    if (!entry) byDocument.set(document, (entry = { scopes: scopesNamed(schema, document), operations: new Map() }));
    return entry;
  };

  /** The schema to run `document` on for `caller`: without the field guard when it may read every field named. */
  const schemaFor = (entry: Known, caller: Caller | null): GraphQLSchema => {
    for (const scope of entry.scopes) if (!hasScope(caller, scope)) return schema;
    return unguarded;
  };

  /** The compiled operation, or null the first time: a query sent once is not worth compiling. */
  const compiled = (
    { operations }: Known,
    on: GraphQLSchema,
    document: DocumentNode,
    operationName: string | undefined,
  ): CompiledQuery | ExecutionResult | null => {
    const name = `${on === unguarded ? "+" : "-"}${operationName ?? ""}`;
    let found = operations.get(name);
    if (found === undefined) {
      operations.set(name, SEEN);
      return null;
    }
    if (found === TOO_BIG) return null;
    if (found === SEEN) {
      if (fieldsIn(document) > MAX_COMPILED_FIELDS) {
        operations.set(name, TOO_BIG);
        return null;
      }
      // Errors the stack of a resolver's error would carry are formatted away (errors.ts) anyway.
      found = compileQuery(on, document, operationName, { disablingCapturingStackErrors: true });
      operations.set(name, found);
    }
    return found;
  };

  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async load() {
      return {
        executor: async (requestContext) => {
          const { document, context, request } = requestContext;
          const operationName = request.operationName ?? undefined;
          const variables = request.variables ?? {};
          const operation = getOperationAST(document, operationName);
          const entry = known(document);
          const on = schemaFor(entry, (context as { caller: Caller | null }).caller);
          const guard = on === unguarded ? "none" : "fields";
          // Writes run as graphql-js runs them: their cost is the database's, not the executor's.
          const interpreted = () => {
            metrics.executed("graphql-js", guard);
            return execute({ schema: on, document, operationName, contextValue: context, variableValues: variables });
          };
          if (operation?.operation !== "query") return interpreted();
          const query = compiled(entry, on, document, operationName);
          // graphql-js coerces the variables itself on its path.
          if (query === null) return interpreted();
          if (!isCompiledQuery(query)) return query;
          // Variables are coerced by graphql-js, so that a bad one is refused in its words and with
          // its error limit (Apollo recognises those as BAD_USER_INPUT), and the defaults of input
          // fields are applied (graphql-jit 0.8.9 refuses `{ field: GROUP }` for a `LeadOrder` whose
          // `direction` has a default); the compiled query gets them back as a client would send them.
          const definitions = operation.variableDefinitions ?? [];
          const checked = getVariableValues(schema, definitions, variables, { maxErrors: 50 });
          if (checked.errors) return { errors: checked.errors };
          metrics.executed("compiled", guard);
          const result = await query.query(undefined, context, externalValues(schema, definitions, checked.coerced));
          return result.errors ? { ...result, errors: result.errors.map(asGraphQLJsError) } : result;
        },
      };
    },
    async stop() {},
  };
}
