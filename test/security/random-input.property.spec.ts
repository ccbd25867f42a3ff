/**
 * A property over the whole API: whatever JSON values a client sends as the variables of any
 * operation, the service answers without an INTERNAL_SERVER_ERROR, without a 5xx, and without an
 * error-level log line. The operations and their arguments are read from the schema the service
 * serves, so a new operation or argument is covered without touching this file. Values are half
 * plausible for the argument's type (to get past coercion into the resolvers and services) and
 * half hostile: deep nesting, NUL, lone surrogates, huge, negative and fractional numbers, wrong
 * types, long strings, ids in upper case.
 */
import fc from "fast-check";
import {
  buildSchema,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
} from "graphql";
import { printQualifySchema } from "../../src/schema/build-schema";
import { testDatabase, useTestApp } from "../api/helpers/test-app";

/** Runs per operation: with ~20 operations, well under a minute per database. */
const RUNS = 15;

const logs: string[] = [];
const s = useTestApp({ QUALIFY_LOG_LEVEL: "info" }, { log: (line) => logs.push(line) });

const UUIDS = ["3f2504e0-4f89-41d3-9a0c-0305e82c3301", "3F2504E0-4F89-41D3-9A0C-0305E82C3301"];
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "\u0000", "a\u0000b", "\ud800", "\udfff", "x\ud83d", "😀", "'; DROP TABLE lead; --", "%_\\", "MQL", "visit", "__proto__"),
  fc.constantFrom("a".repeat(5000), "é".repeat(3000), `${"x".repeat(250)}@example.com`),
  fc.constantFrom("ada@example.com", "ADA@Example.com", " ada@example.com "),
  fc.constantFrom('visit "/pricing" => +15', "funnel A > B\nvisit => +1000000", "visit => +1\nstage B when score >= 1"),
  fc.constantFrom(...UUIDS, "not-a-uuid"),
  fc.constantFrom("2025-03-01T09:30:00.000Z", "-271821-04-20T00:00:00.000Z", "+275760-09-13T00:00:00.000Z", "yesterday"),
  fc.constantFrom(Buffer.from('[99999999999999999999,"x"]').toString("base64url"), Buffer.from('[1.5,"3f2504e0-4f89-41d3-9a0c-0305e82c3301"]').toString("base64url")),
);
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 1, 1e300, -1e300, 1.5, 101),
);
/** Nested objects and arrays up to 60 levels (the limit is 32). */
const deep = fc.integer({ min: 1, max: 60 }).map((levels) => {
  let value: unknown = "leaf";
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { k: value };
  return value;
});
const anyJson: fc.Arbitrary<unknown> = fc.oneof(fc.jsonValue({ maxDepth: 4 }), deep, hostileString, hostileNumber);

/** A value for `type`: plausible for it most of the time, anything at all otherwise. */
function valueFor(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  const plausible = plausibleFor(type, depth);
  return fc.oneof({ arbitrary: plausible, weight: 4 }, { arbitrary: anyJson, weight: 1 });
}

function plausibleFor(type: GraphQLInputType, depth: number): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return plausibleFor(type.ofType, depth);
  if (isListType(type)) return fc.array(valueFor(type.ofType as GraphQLInputType, depth + 1), { maxLength: depth > 2 ? 1 : 4 });
  if (isInputObjectType(type)) {
    if (depth > 3) return fc.constant({});
    const fields = Object.values(type.getFields());
    const model = Object.fromEntries(fields.map((f) => [f.name, valueFor(f.type, depth + 1)]));
    const required = fields.filter((f) => isNonNullType(f.type)).map((f) => f.name);
    return fc.record(model, { requiredKeys: required });
  }
  if (isEnumType(type)) return fc.oneof(fc.constantFrom(...type.getValues().map((v) => v.value as string)), hostileString);
  switch (type.name) {
    case "Int":
    case "Float":
      return hostileNumber;
    case "Boolean":
      return fc.boolean();
    case "ID":
      return fc.oneof(fc.constantFrom(...UUIDS), fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), hostileString);
    case "JSONObject":
      return fc.oneof(fc.dictionary(hostileString, anyJson, { maxKeys: 5 }), deep);
    case "DateTime":
      return fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), hostileString);
    default:
      return hostileString;
  }
}

/** The document of one operation: every argument a variable, the result's `__typename` (or the leaf). */
function documentOf(kind: "query" | "mutation", field: GraphQLField<unknown, unknown>): string {
  const variables = field.args.map((a: GraphQLArgument) => `$${a.name}: ${String(a.type)}`).join(", ");
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(", ");
  const selection = isLeafType(getNamedType(field.type)) ? "" : " { __typename }";
  return `${kind}(${variables}) { ${field.name}(${args})${selection} }`;
}

function operations(schema: GraphQLSchema): Array<{ name: string; query: string; variables: fc.Arbitrary<Record<string, unknown>> }> {
  const ops = [];
  for (const [kind, type] of [["query", schema.getQueryType()], ["mutation", schema.getMutationType()]] as const) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      if (field.args.length === 0) continue;
      const model = Object.fromEntries(field.args.map((a) => [a.name, valueFor(a.type)]));
      const required = field.args.filter((a) => isNonNullType(a.type)).map((a) => a.name);
      ops.push({ name: `${kind} ${field.name}`, query: documentOf(kind, field), variables: fc.record(model, { requiredKeys: required }) });
    }
  }
  return ops;
}

describe(`random JSON through every argument of every operation: never an internal error [${testDatabase()}]`, () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = buildSchema(await printQualifySchema());
  });

  it("covers every operation that takes arguments", () => {
    const names = operations(schema).map((op) => op.name);
    for (const name of ["query lead", "query leads", "mutation recordInteraction", "mutation recordInteractions", "mutation setLeadStage", "mutation publishModel"]) {
      expect(names).toContain(name);
    }
  });

  it("answers every random request without INTERNAL_SERVER_ERROR, a 5xx or an error log line", async () => {
    for (const op of operations(schema)) {
      await fc.assert(
        fc.asyncProperty(op.variables, async (variables) => {
          logs.splice(0);
          const res = await fetch(s.t.app.url, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${s.api.key}` },
            body: JSON.stringify({ query: op.query, variables }),
          });
          const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
          const codes = (body.errors ?? []).map((e) => e.extensions?.code);
          const errorLines = logs.filter((line) => /"level":"error"/.test(line));
          if (res.status >= 500 || codes.includes("INTERNAL_SERVER_ERROR") || errorLines.length > 0) {
            throw new Error(`${op.name}: HTTP ${res.status}, codes ${JSON.stringify(codes)}, ${errorLines.join("\n")}`);
          }
        }),
        { numRuns: RUNS },
      );
    }
  });
});
