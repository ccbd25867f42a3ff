/**
 * What a field's selection asks for, read from its resolve info before the fields below it run:
 * a resolver reads ahead what its children will need, in one batch, instead of each child waiting
 * on a loader of its own.
 */
import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from "graphql";

/**
 * Whether the selection of `info`'s field asks, at `path` below it (response fields by name, e.g.
 * `["edges", "node"]`), for any of `fields`. Fragments and inline fragments are expanded;
 * `@skip`/`@include` are not applied (a field skipped is read ahead for nothing, which is no error).
 *
 * @example selects(info, ["edges", "node"], new Set(["points", "awards"])) // `interactions { edges { node { points } } }`: true
 */
export function selects(info: GraphQLResolveInfo, path: readonly string[], fields: ReadonlySet<string>): boolean {
  const visit = (set: SelectionSetNode | undefined, depth: number, spread: ReadonlySet<string>): boolean => {
    if (!set) return false;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (depth === path.length ? fields.has(name) : name === path[depth] && visit(selection.selectionSet, depth + 1, spread)) return true;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (visit(selection.selectionSet, depth, spread)) return true;
      } else {
        const name = selection.name.value;
        // Validation refuses cyclic spreads; the guard only keeps this finite.
        if (spread.has(name)) continue;
        if (visit(info.fragments[name]?.selectionSet, depth, new Set(spread).add(name))) return true;
      }
    }
    return false;
  };
  return info.fieldNodes.some((node) => visit(node.selectionSet, 0, new Set()));
}
