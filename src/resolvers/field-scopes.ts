/**
 * Who may read each field: `read` governs every piece of data in any answer, mutation payloads
 * included. Default deny: every field of every object type but the roots needs `read`, unless
 * `OPEN_FIELDS` lets any key have it or `TYPE_SCOPES` asks for another scope. The roots (queries,
 * mutations, subscriptions) are governed by their resolvers' `@Authorized`.
 *
 * Enforced twice, from this one table:
 * - `guardFields` wraps, once when the schema is built, the resolver of every field that needs a
 *   scope: a caller without it gets FORBIDDEN on that field (a set lookup per resolved field);
 * - `unreadableSelections` reads a mutation's selection before it runs (the auth checker calls
 *   it), so a write whose answer the caller may not read is refused and nothing is written.
 */
import {
  defaultFieldResolver,
  type DocumentNode,
  getDirectiveValues,
  getNamedType,
  GraphQLIncludeDirective,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  GraphQLSkipDirective,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  type SelectionNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from "graphql";
import { type Caller, hasScope } from "../context";
import type { Scope } from "../entities/api-key.entity";
import { DomainError, type FieldProblem, toGraphQLError } from "../errors";
import type { RequestContext } from "./request-context";

/**
 * Fields any key may read: what a key with `ingest` alone gets back from what it writes, the
 * ids of the interaction and of the lead, `duplicate` and `pointsAwarded` (and the two fields
 * leading to those ids). A `sales`-only key gets the `id` of the lead it moved. Every key may
 * know itself (`viewer`), its budgets included: a `RateLimit` is reached otherwise only through
 * `ApiKey.rateLimit`, which needs `admin`.
 */
const OPEN_FIELDS: Readonly<Record<string, readonly string[]>> = {
  RecordInteractionPayload: ["interaction", "lead", "pointsAwarded", "duplicate"],
  Interaction: ["id"],
  Lead: ["id"],
  Viewer: ["id", "name", "prefix", "scopes", "effectiveScopes", "createdAt", "rateLimit"],
  RateLimit: ["requests", "cost", "windowSeconds", "custom"],
};

/** Types whose every field needs a scope other than `read` (`admin` implies every scope). */
const TYPE_SCOPES: Readonly<Record<string, Scope>> = {
  ApiKey: "admin",
  CreatedApiKey: "admin",
  Webhook: "admin",
  WebhookDelivery: "admin",
  WebhookDeliveryConnection: "admin",
  WebhookDeliveryEdge: "admin",
  CreatedWebhook: "admin",
};

/** The scope a caller needs to read `typeName.fieldName` (a field of a non-root type); null: any key. */
export function requiredScope(typeName: string, fieldName: string): Scope | null {
  if (OPEN_FIELDS[typeName]?.includes(fieldName)) return null;
  return typeScope(typeName);
}

/**
 * The scope every field of `typeName` needs but those open to any key: what a caller needs to
 * read an object of that type at all (`node(id)` looks for an id only among such types).
 */
export function typeScope(typeName: string): Scope {
  return TYPE_SCOPES[typeName] ?? "read";
}

const lacking = (scope: Scope, where: string) => `This API key lacks the ${scope} scope needed to read ${where}`;

/**
 * Wraps the resolver of every field that needs a scope (decided once per type and field), so
 * that a caller without it gets FORBIDDEN on that field and the rest of the answer stays. Returns
 * the same schema, changed in place.
 */
export function guardFields(schema: GraphQLSchema): GraphQLSchema {
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || roots.has(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const scope = requiredScope(type.name, field.name);
      if (scope === null) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      const message = lacking(scope, `${type.name}.${field.name}`);
      field.resolve = (source, args, context: RequestContext, info) => {
        if (hasScope(context.caller, scope)) return resolve(source, args, context, info);
        throw toGraphQLError(new DomainError("FORBIDDEN", message, { fields: [{ field: selectionPath(info.path), message }] }));
      };
    }
  }
  return schema;
}

/**
 * The scopes the fields `document` names need (every operation and fragment, whatever `@skip`
 * and `@include` decide, so a superset of what one execution reads), as `guardFields` asks them:
 * a field selected on an interface needs what that field needs on any type implementing it.
 * A caller having all of them passes the guard at every field the document can resolve, so the
 * document may run on the schema without it (app/compiled-execution.ts). `document` must be
 * valid against `schema` (fields it does not know are skipped).
 */
export function scopesNamed(schema: GraphQLSchema, document: DocumentNode): ReadonlySet<Scope> {
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]);
  const scopes = new Set<Scope>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent || roots.has(parent as GraphQLObjectType) || parent.name.startsWith("__") || node.name.value.startsWith("__")) return;
        const types = isAbstractType(parent) ? schema.getPossibleTypes(parent) : [parent];
        for (const type of types) {
          const scope = requiredScope(type.name, node.name.value);
          if (scope !== null) scopes.add(scope);
        }
      },
    }),
  );
  return scopes;
}

/** A response path without its list indices (`leads.edges.node.email`), as `unreadableSelections` names fields. */
function selectionPath(path: GraphQLResolveInfo["path"] | undefined): string {
  const keys: string[] = [];
  for (let at = path; at; at = at.prev) if (typeof at.key === "string") keys.unshift(at.key);
  return keys.join(".");
}

/** The scopes some field reachable from each type needs (memoised: the schema does not change). */
const scopesBelow = new WeakMap<GraphQLNamedType, ReadonlySet<Scope>>();

function scopesReachableFrom(type: GraphQLNamedType): ReadonlySet<Scope> {
  const known = scopesBelow.get(type);
  if (known) return known;
  const scopes = new Set<Scope>();
  const seen = new Set<GraphQLNamedType>();
  const visit = (at: GraphQLNamedType): void => {
    if (seen.has(at) || !(isObjectType(at) || isInterfaceType(at))) return;
    seen.add(at);
    for (const field of Object.values(at.getFields())) {
      const scope = requiredScope(at.name, field.name);
      if (scope) scopes.add(scope);
      visit(getNamedType(field.type));
    }
  };
  visit(type);
  scopesBelow.set(type, scopes);
  return scopes;
}

/**
 * The fields `caller` may not read among those the whole operation of `info` selects (every root
 * field's, not only the one being resolved: a mutation is refused before any of it runs), each
 * named by its selection path from the root (response keys: `recordInteraction.lead.email`);
 * empty when it may read all it asks for. Fragments are expanded, `@skip` and `@include` applied;
 * `__typename` is always readable. Root fields are the resolvers' to authorise (`@Authorized`).
 */
export function unreadableSelections(caller: Caller | null, info: GraphQLResolveInfo): FieldProblem[] {
  const root = info.parentType;
  const problems = new Map<string, FieldProblem>();
  const included = (node: SelectionNode): boolean =>
    getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.if !== false;
  /** Whether `caller` may read `typeName.fieldName`; records the problem at `at` when not. */
  const check = (typeName: string, fieldName: string, at: string): boolean => {
    const scope = requiredScope(typeName, fieldName);
    if (!scope || hasScope(caller, scope)) return true;
    problems.set(at, { field: at, message: lacking(scope, `${typeName}.${fieldName}`) });
    return false;
  };
  const visit = (type: GraphQLNamedType, selections: readonly SelectionNode[], path: string | null, spreading: ReadonlySet<string>): void => {
    for (const selection of selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const field = isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
        // `__typename` (no data), or a field validation already refused.
        if (!field) continue;
        const key = selection.alias?.value ?? name;
        const at = path === null ? key : `${path}.${key}`;
        const below = getNamedType(field.type);
        // Most callers may read all there is below a root field: then there is no need to look.
        const look = type === root ? ![...scopesReachableFrom(below)].every((scope) => hasScope(caller, scope)) : check(type.name, name, at);
        if (look && selection.selectionSet) visit(below, selection.selectionSet.selections, at, spreading);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? info.schema.getType(selection.typeCondition.name.value) : type;
        if (condition) visit(condition, selection.selectionSet.selections, path, spreading);
      } else {
        const name = selection.name.value;
        const fragment = info.fragments[name];
        // Cyclic spreads never get here (validation refuses them); the guard only keeps this finite.
        if (!fragment || spreading.has(name)) continue;
        const condition = info.schema.getType(fragment.typeCondition.name.value);
        if (condition) visit(condition, fragment.selectionSet.selections, path, new Set(spreading).add(name));
      }
    }
  };
  visit(root, info.operation.selectionSet.selections, null, new Set());
  return [...problems.values()];
}
