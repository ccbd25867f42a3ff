/**
 * The GraphQL schema, built from the type-graphql classes. `printQualifySchema` gives the text
 * checked in as `schema.graphql` (`npm run schema` writes it; a test fails when it is stale).
 */
import "reflect-metadata";
import { type GraphQLInterfaceType, type GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchema, type PubSub } from "type-graphql";
import { RESOLVERS } from "../resolvers";
import { type ArgumentLimits, guardArguments } from "../resolvers/argument-guard";
import { scopeAuthChecker } from "../resolvers/auth-checker";
import { guardFields } from "../resolvers/field-scopes";
import { createLocalPubSub } from "../events/local-pub-sub";
import { directFieldResolvers } from "./direct-resolvers";
import { nodeTypeOf } from "./node.type";
import { DateTimeScalar } from "./scalars";

/**
 * The schema, every argument checked at the edge (`resolvers/argument-guard.ts`) within `limits`,
 * and every field of the result needing its scope (`resolvers/field-scopes.ts`): `read` unless
 * decided otherwise.
 *
 * Every object type is declared with `simpleResolvers: true`: a field that is a property is read
 * by graphql-js's default resolver, not through type-graphql's middleware chain (there is no field
 * middleware here; scopes are `guardFields`'s). A page of 100 leads resolves some 15,000 fields.
 * A field named apart from its property says `simple: false`.
 */
export async function buildQualifySchema(pubSub: PubSub, limits: ArgumentLimits): Promise<GraphQLSchema> {
  return guardFields(await buildUnguardedSchema(pubSub, limits));
}

/**
 * The same schema without the field guard, for executing a document whose every field the caller
 * may read (`scopesNamed`): the guard would let each field through, at the cost of a resolver
 * call per field where the property could be read directly (app/compiled-execution.ts). A
 * schema of its own (built again, not copied: its fields are other objects than the guarded
 * schema's), never served to a caller lacking a scope the document names.
 */
export async function buildUnguardedSchema(pubSub: PubSub, limits: ArgumentLimits): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    authChecker: scopeAuthChecker,
    authMode: "error",
    pubSub,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // Inputs are validated by the services (one vocabulary of per-field errors).
    validate: false,
    emitSchemaFile: false,
  });
  // Field resolver methods called without type-graphql's per-call mapping (direct-resolvers.ts).
  directFieldResolvers(schema, RESOLVERS);
  guardArguments(schema, limits);
  // type-graphql wraps every `resolveType` in an async function; compiled queries
  // (app/compiled-execution.ts) need the type name at once, as graphql-js accepts it too.
  (schema.getType("Node") as GraphQLInterfaceType).resolveType = nodeTypeOf;
  return schema;
}

/** The schema as SDL, sorted so the file only changes when the API does. */
export async function printQualifySchema(): Promise<string> {
  // The limits do not show in the SDL.
  const schema = await buildQualifySchema(createLocalPubSub(), { maxJsonBytes: Number.MAX_SAFE_INTEGER });
  return printSchema(lexicographicSortSchema(schema)) + "\n";
}
