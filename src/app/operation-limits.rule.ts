/**
 * A GraphQL validation rule bounding what one operation may ask for: nesting depth, aliases and
 * field selections, all counted with fragment spreads and inline fragments expanded, so moving a
 * deep or aliased selection into a fragment does not get around the limits. Every field counts,
 * `__typename`, `__schema` and `__type` and all below them included (30,000 aliases of
 * `__typename` are 30,000 aliases). One allowance: inside introspection, `ofType` (how a type
 * reference spells its wrappers, `[Lead!]!` being NON_NULL of LIST of NON_NULL of Lead) adds no
 * depth: it is a chain bounded by the schema, not nested data, and standard tools (GraphiQL,
 * graphql-js's `getIntrospectionQuery`) ask for nine of them. Counting stops as soon as a limit
 * is passed, so a document whose fragments expand exponentially stays cheap to reject.
 */
import { GraphQLError, Kind, type SelectionSetNode, type ValidationRule } from "graphql";
import type { Limits } from "../config";
import { DomainError } from "../errors";

type OperationLimits = Pick<Limits, "maxDepth" | "maxAliases" | "maxFields">;

/**
 * The rules every operation is validated with besides graphql-js's own, over HTTP and WebSocket
 * alike: these limits, and no `__schema` / `__type` unless introspection is on.
 */
export function operationRules(limits: OperationLimits, introspection: boolean): ValidationRule[] {
  return introspection ? [operationLimitsRule(limits)] : [operationLimitsRule(limits), noIntrospectionRule];
}

/**
 * `__schema` and `__type` refused (`__typename` is not introspection: clients add it everywhere).
 * One error per document, where graphql-js's own rule reports every field: 5,000 aliases of
 * `__schema` are one line of answer, not a hundred.
 */
export const noIntrospectionRule: ValidationRule = (context) => {
  let reported = false;
  return {
    Field(field) {
      const name = field.name.value;
      if (reported || (name !== "__schema" && name !== "__type")) return;
      reported = true;
      context.reportError(new GraphQLError(`Introspection is off: "${name}" cannot be queried`, { nodes: [field] }));
    },
  };
};

export function operationLimitsRule(limits: OperationLimits): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      let depth = 0;
      let aliases = 0;
      let fields = 0;
      const exceeded = () => depth > limits.maxDepth || aliases > limits.maxAliases || fields > limits.maxFields;

      const walk = (selectionSet: SelectionSetNode, level: number, expanding: Set<string>, introspecting: boolean): void => {
        for (const selection of selectionSet.selections) {
          if (exceeded()) return;
          switch (selection.kind) {
            case Kind.FIELD: {
              const name = selection.name.value;
              const typeReference = introspecting && name === "ofType";
              fields++;
              if (selection.alias) aliases++;
              depth = Math.max(depth, level);
              if (selection.selectionSet) {
                walk(selection.selectionSet, typeReference ? level : level + 1, expanding, introspecting || name === "__schema" || name === "__type");
              }
              break;
            }
            case Kind.INLINE_FRAGMENT:
              walk(selection.selectionSet, level, expanding, introspecting);
              break;
            case Kind.FRAGMENT_SPREAD: {
              const name = selection.name.value;
              const fragment = context.getFragment(name);
              // Unknown or cyclic spreads are reported by graphql-js's own rules.
              if (!fragment || expanding.has(name)) break;
              expanding.add(name);
              walk(fragment.selectionSet, level, expanding, introspecting);
              expanding.delete(name);
              break;
            }
          }
        }
      };
      walk(operation.selectionSet, 1, new Set(), false);

      const problems: string[] = [];
      // Each limit passed, with its setting (the counts stop at the first limit passed).
      const figures: Record<string, number> = {};
      if (depth > limits.maxDepth) {
        problems.push(`depth exceeds ${limits.maxDepth}`);
        figures.maxDepth = limits.maxDepth;
      }
      if (aliases > limits.maxAliases) {
        problems.push(`more than ${limits.maxAliases} aliases`);
        figures.maxAliases = limits.maxAliases;
      }
      if (fields > limits.maxFields) {
        problems.push(`more than ${limits.maxFields} fields`);
        figures.maxFields = limits.maxFields;
      }
      if (problems.length > 0) {
        const refusal = new DomainError("BAD_USER_INPUT", `Operation too large: ${problems.join(", ")} (fragments included)`, { figures });
        context.reportError(new GraphQLError(refusal.message, { nodes: [operation], originalError: refusal }));
      }
    },
  });
}
