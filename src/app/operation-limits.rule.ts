/**
 * A GraphQL validation rule bounding what one operation may ask for: nesting depth, aliases and
 * field selections, all counted with fragment spreads and inline fragments expanded, so moving a
 * deep or aliased selection into a fragment does not get around the limits. Introspection
 * (`__schema`, `__type`) is not counted. Counting stops as soon as a limit is passed, so a
 * document whose fragments expand exponentially stays cheap to reject.
 */
import { GraphQLError, Kind, type SelectionSetNode, type ValidationRule } from "graphql";
import type { Limits } from "../config";

type OperationLimits = Pick<Limits, "maxDepth" | "maxAliases" | "maxFields">;

export function operationLimitsRule(limits: OperationLimits): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      let depth = 0;
      let aliases = 0;
      let fields = 0;
      const exceeded = () => depth > limits.maxDepth || aliases > limits.maxAliases || fields > limits.maxFields;

      const walk = (selectionSet: SelectionSetNode, level: number, expanding: Set<string>): void => {
        for (const selection of selectionSet.selections) {
          if (exceeded()) return;
          switch (selection.kind) {
            case Kind.FIELD:
              if (selection.name.value.startsWith("__")) break;
              fields++;
              if (selection.alias) aliases++;
              depth = Math.max(depth, level);
              if (selection.selectionSet) walk(selection.selectionSet, level + 1, expanding);
              break;
            case Kind.INLINE_FRAGMENT:
              walk(selection.selectionSet, level, expanding);
              break;
            case Kind.FRAGMENT_SPREAD: {
              const name = selection.name.value;
              const fragment = context.getFragment(name);
              // Unknown or cyclic spreads are reported by graphql-js's own rules.
              if (!fragment || expanding.has(name)) break;
              expanding.add(name);
              walk(fragment.selectionSet, level, expanding);
              expanding.delete(name);
              break;
            }
          }
        }
      };
      walk(operation.selectionSet, 1, new Set());

      const problems: string[] = [];
      if (depth > limits.maxDepth) problems.push(`depth exceeds ${limits.maxDepth}`);
      if (aliases > limits.maxAliases) problems.push(`more than ${limits.maxAliases} aliases`);
      if (fields > limits.maxFields) problems.push(`more than ${limits.maxFields} fields`);
      if (problems.length > 0) {
        context.reportError(
          new GraphQLError(`Operation too large: ${problems.join(", ")} (fragments included)`, {
            nodes: [operation],
            extensions: { code: "BAD_USER_INPUT", limit: problems },
          }),
        );
      }
    },
  });
}
