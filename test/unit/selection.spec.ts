/**
 * `selects`: what a field's selection asks for below it, read from its resolve info (the leads
 * page reads its interactions' awards ahead only when `points` or `awards` are selected), through
 * fragments and inline fragments, at the path asked and nowhere else.
 */
import { type FragmentDefinitionNode, type GraphQLResolveInfo, Kind, type OperationDefinitionNode, parse, type FieldNode } from "graphql";
import { selects } from "../../src/resolvers/selection";

/** The resolve info of the first field of the operation in `document` (only what `selects` reads). */
function infoOf(document: string): GraphQLResolveInfo {
  const doc = parse(document);
  const operation = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments } as unknown as GraphQLResolveInfo;
}

const AWARDS = new Set(["points", "awards"]);
const asks = (document: string) => selects(infoOf(document), ["edges", "node"], AWARDS);

describe("selects", () => {
  it("finds a field at the path", () => {
    expect(asks(`{ interactions { edges { node { type points } } } }`)).toBe(true);
    expect(asks(`{ interactions { edges { node { awards { rule } } } } }`)).toBe(true);
  });

  it("is false when the fields are not at the path, or not asked at all", () => {
    expect(asks(`{ interactions { edges { node { type target } } } }`)).toBe(false);
    expect(asks(`{ interactions { edges { cursor } totalCount } }`)).toBe(false);
    // `points` as a sibling of `edges`, not under `node`.
    expect(asks(`{ interactions { points: totalCount edges { node { id } } } }`)).toBe(false);
  });

  it("expands named fragments, inline fragments, and fragments spread in fragments", () => {
    expect(asks(`{ interactions { ...Page } } fragment Page on InteractionConnection { edges { node { ...Node } } } fragment Node on Interaction { points }`)).toBe(true);
    expect(asks(`{ interactions { edges { ... on InteractionEdge { node { ... { awards { rule } } } } } } }`)).toBe(true);
    expect(asks(`{ interactions { ...Page } } fragment Page on InteractionConnection { edges { node { id } } }`)).toBe(false);
  });

  it("matches by field name, not by alias", () => {
    expect(asks(`{ interactions { edges { node { worth: points } } } }`)).toBe(true);
    expect(asks(`{ interactions { edges { node { points: type } } } }`)).toBe(false);
  });
});
