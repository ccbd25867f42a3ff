/**
 * How a group is named in storage and in the API: `lead_group_points.group_key` is the group's
 * name trimmed and lower-cased (names match ignoring case, as in the rule language), and a name a
 * caller gives (a filter, an order) must be a group of the active model.
 */
import type { CompiledModel } from "../dsl/model";
import { didYouMean } from "../dsl/did-you-mean";
import { badInput } from "../errors";

/** The stored key of a group's name. */
export const groupKey = (name: string): string => name.trim().toLowerCase();

/**
 * The key of the group `name` of `model`; BAD_USER_INPUT naming the groups that exist (the
 * nearest suggested) when it has none of that name.
 */
export function groupKeyIn(model: CompiledModel, name: string, argument: string): string {
  const key = groupKey(name);
  if (model.groups.some((g) => groupKey(g.name) === key)) return key;
  const names = model.groups.map((g) => g.name);
  const known = names.length === 0 ? "the active model has no groups" : `the groups are ${names.map((n) => `"${n}"`).join(", ")}`;
  const nearest = didYouMean(name.trim(), names);
  throw badInput(argument, `unknown group "${name.trim()}" (${known})${nearest === undefined ? "" : `. Did you mean "${nearest}"?`}`);
}
