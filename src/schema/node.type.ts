import { Field, ID, InterfaceType } from "type-graphql";

/**
 * The concrete type of each value `node(id)` answers, recorded by `asNode`. The values are the
 * rows the other fields answer too (a lead entity, a webhook row…), which carry no type name of
 * their own; a weak map leaves them as they are and forgets them with the request.
 */
const typeOfNode = new WeakMap<object, string>();

/**
 * `value` as a `Node` of the GraphQL type `typeName` (an object type that implements `Node`):
 * what a field typed `Node` returns, so that its concrete type resolves.
 *
 * @example return asNode("Lead", await ctx.loaders.leadById.load(id));
 */
export function asNode<T extends object>(typeName: string, value: T): T {
  typeOfNode.set(value, typeName);
  return value;
}

/** The GraphQL type name of a value `asNode` marked (undefined for any other). */
export const nodeTypeOf = (value: object): string | undefined => typeOfNode.get(value);

@InterfaceType({
  description:
    "Anything with an id of its own, fetched again by that id with `node(id)`: a lead, an interaction, a scoring model, an API key, a webhook, a webhook delivery. " +
    "The id is a plain UUID (not a Relay global id), as every operation takes it.",
  resolveType: nodeTypeOf,
})
export abstract class Node {
  @Field(() => ID)
  id: string;
}
