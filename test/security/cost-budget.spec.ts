/**
 * The cost budget and the documentation stay in step: every GraphQL example of the README and
 * docs/api.md, and the benchmark's requests, cost less than the default budget; the amplification
 * of issue 11 (30 aliases of 100 leads × 100 interactions) costs more. And how fields count
 * (app/operation-cost.ts), figure by figure. No database: the schema and the cost function only.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  type DefinitionNode,
  type DocumentNode,
  getIntrospectionQuery,
  type GraphQLInputType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  parse,
  typeFromAST,
} from "graphql";
import { pageQuery } from "../../bench/service-reads";
import { RECORD, RECORD_BATCH } from "../../bench/service-ingest";
import { DEFAULT_MAX_COST } from "../../src/config";
import { JSON_FIELD_COST, operationCost, UNSIZED_LIST_ITEMS } from "../../src/app/operation-cost";
import { createLocalPubSub } from "../../src/events/local-pub-sub";
import { buildQualifySchema } from "../../src/schema/build-schema";
import { thirtyPagesOfPages } from "../../bench/attacks";

const ROOT = path.resolve(__dirname, "../..");
const DOCS = ["README.md", "docs/api.md"];

/** The GraphQL operations a documentation file shows: ```graphql blocks, and `"query":"…"` in shell examples. */
function examplesOf(file: string): Array<{ where: string; source: string }> {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  const found: Array<{ where: string; source: string }> = [];
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  for (const block of text.matchAll(/```graphql\n([^]*?)```/g)) {
    // A block may end with its variables, as JSON after a `# variables` line.
    found.push({ where: `${file}:${lineOf(block.index ?? 0)}`, source: block[1].split(/^# variables$/m)[0] });
  }
  for (const block of text.matchAll(/```sh\n([^]*?)```/g)) {
    for (const query of block[1].matchAll(/"query":("(?:[^"\\]|\\.)*")/g)) {
      found.push({ where: `${file}:${lineOf((block.index ?? 0) + (query.index ?? 0))}`, source: JSON.parse(query[1]) as string });
    }
  }
  return found;
}

/** Each operation of `document` alone, with the fragments (SDL blocks hold none). */
function operationsOf(document: DocumentNode): DocumentNode[] {
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  return document.definitions
    .filter((d): d is Extract<DefinitionNode, { kind: Kind.OPERATION_DEFINITION }> => d.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => ({ kind: Kind.DOCUMENT, definitions: [operation, ...fragments] }));
}

/** A value of `type` (required fields only), standing for the variables an example leaves to the reader. */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [sample(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) {
    return Object.fromEntries(Object.values(type.getFields()).filter((f) => isNonNullType(f.type)).map((f) => [f.name, sample(f.type)]));
  }
  const samples: Record<string, unknown> = { Int: 1, Float: 1, Boolean: true, ID: "00000000-0000-4000-8000-000000000000", DateTime: "2026-01-01T00:00:00Z", JSONObject: {} };
  return samples[type.name] ?? "x";
}

function requiredVariables(schema: GraphQLSchema, document: DocumentNode): Record<string, unknown> {
  const operation = document.definitions[0];
  if (operation.kind !== Kind.OPERATION_DEFINITION) return {};
  const entries = (operation.variableDefinitions ?? [])
    .filter((v) => v.type.kind === Kind.NON_NULL_TYPE)
    .map((v) => [v.variable.name.value, sample(typeFromAST(schema, v.type) as GraphQLInputType)]);
  return Object.fromEntries(entries);
}

describe("the cost budget", () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildQualifySchema(createLocalPubSub(), { maxJsonBytes: 16 * 1024 });
  });
  const cost = (query: string, variables: Record<string, unknown> = {}) => operationCost(schema, { document: parse(query), variables });

  it("lets every GraphQL example of the README and docs/api.md through", () => {
    const costs: Array<{ where: string; cost: number | null }> = [];
    for (const file of DOCS) {
      for (const example of examplesOf(file)) {
        for (const document of operationsOf(parse(example.source))) {
          costs.push({ where: example.where, cost: operationCost(schema, { document, variables: requiredVariables(schema, document) }) });
        }
      }
    }
    // The extraction finds them (the README alone shows more than ten).
    expect(costs.length).toBeGreaterThan(10);
    for (const { where, cost: figure } of costs) {
      expect({ where, fits: figure !== null && figure <= DEFAULT_MAX_COST }).toEqual({ where, fits: true });
    }
  });

  it("lets the benchmark's requests through: a page of 100 leads, a recorded interaction, a batch of 1,000", () => {
    const page = cost(pageQuery(true, true), { first: 100 });
    expect(page).toBeLessThanOrEqual(DEFAULT_MAX_COST);
    expect(cost(RECORD, { input: { type: "visit", email: "a@example.com" } })).toBeLessThanOrEqual(DEFAULT_MAX_COST);
    const inputs = Array.from({ length: 1000 }, (_, i) => ({ type: "visit", email: `a${i}@example.com` }));
    expect(cost(RECORD_BATCH, { inputs })).toBe(1 + 1000 * (1 + 1));
  });

  it("lets the introspection of GraphiQL and graphql-js through (when introspection is on)", () => {
    const full = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    expect(cost(full)).toBeLessThanOrEqual(DEFAULT_MAX_COST);
  });

  it("refuses the amplification of issue 11 many times over", () => {
    expect(cost(thirtyPagesOfPages())).toBeGreaterThan(20 * DEFAULT_MAX_COST);
  });

  describe("counts", () => {
    it("1 per field, lists with `first` multiplying what they select (the page size when absent)", () => {
      expect(cost(`{ leads(first: 100) { edges { node { id } } } }`)).toBe(1 + 100 * (1 + (1 + 1)));
      expect(cost(`{ leads { edges { node { id } } } }`)).toBe(1 + 20 * (1 + (1 + 1)));
      expect(cost(`query($n: Int) { leads(first: $n) { totalCount } }`, { n: 7 })).toBe(1 + 7 * 1);
      expect(cost(`{ leads(first: 3) { edges { node { interactions(first: 4) { totalCount } } } } }`)).toBe(1 + 3 * (1 + (1 + (1 + 4 * 1))));
    });

    it("lists without a size: their list argument's length, else UNSIZED_LIST_ITEMS", () => {
      expect(cost(`mutation { recordInteractions(inputs: [{ type: "a" }, { type: "b" }, { type: "c" }]) { duplicate } }`)).toBe(1 + 3 * 1);
      expect(cost(`{ funnel { stage } }`)).toBe(1 + UNSIZED_LIST_ITEMS * 1);
    });

    it("JSON objects weigh JSON_FIELD_COST; __typename and introspection count like any field", () => {
      expect(cost(`{ leadByEmail(email: "a@example.com") { attributes } }`)).toBe(1 + JSON_FIELD_COST);
      expect(cost(`{ __typename a: __typename }`)).toBe(2);
      expect(cost(`{ __schema { types { name } } }`)).toBe(1 + (1 + UNSIZED_LIST_ITEMS * 1));
    });

    it("leaves out what @skip / @include leave out", () => {
      expect(cost(`query($all: Boolean!) { leads(first: 100) @include(if: $all) { totalCount } funnel { stage } }`, { all: false })).toBe(1 + UNSIZED_LIST_ITEMS);
    });

    it("is null for variables that do not fit their types (refused before anything runs)", () => {
      expect(cost(`query($n: Int) { leads(first: $n) { totalCount } }`, { n: "many" })).toBeNull();
    });
  });
});
