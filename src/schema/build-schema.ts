/**
 * The GraphQL schema, built from the type-graphql classes. `printQualifySchema` gives the text
 * checked in as `schema.graphql` (`npm run schema` writes it; a test fails when it is stale).
 */
import "reflect-metadata";
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchema, type PubSub } from "type-graphql";
import { RESOLVERS } from "../resolvers";
import { scopeAuthChecker } from "../resolvers/auth-checker";
import { guardFields } from "../resolvers/field-scopes";
import { createLocalPubSub } from "../events/local-pub-sub";
import { DateTimeScalar } from "./scalars";

/** Every field of the result needs its scope (resolvers/field-scopes.ts): `read` unless decided otherwise. */
export async function buildQualifySchema(pubSub: PubSub): Promise<GraphQLSchema> {
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
  return guardFields(schema);
}

/** The schema as SDL, sorted so the file only changes when the API does. */
export async function printQualifySchema(): Promise<string> {
  const schema = await buildQualifySchema(createLocalPubSub());
  return printSchema(lexicographicSortSchema(schema)) + "\n";
}
