/**
 * Field resolver methods called directly. type-graphql runs every call of a `@FieldResolver`
 * through one generic path: it sorts the method's parameter list, maps each parameter to its
 * value, awaits a promise per argument (its validation step is async even with validation off)
 * and then calls the method. A page of 100 leads calls `Interaction.points` and `awards` some
 * 2,000 times: that path was an eighth of the memory the page allocated (README Performance, (d)).
 *
 * `directFieldResolvers` decides that mapping once per field, when the schema is built, and sets
 * the field's `resolve` to a function calling the method with the same values, for every field
 * resolver it can take over exactly: one with no middleware and no `@Authorized` (there are none
 * on fields here: scopes are `field-scopes.ts`'s), whose parameters are `@Root()`, `@Ctx()`,
 * `@Info()` and `@Arg()`s of scalar types (type-graphql hands a scalar argument over as it is).
 * Any other field keeps type-graphql's resolver.
 */
import { type GraphQLFieldResolver, type GraphQLSchema, GraphQLScalarType, isObjectType } from "graphql";
import { getMetadataStorage } from "type-graphql";

/** What this module reads of type-graphql's metadata of a parameter (its `ParamMetadata`). */
interface ParamMetadata {
  kind: string;
  index: number;
  name?: string;
  propertyName?: string;
  getType?: () => unknown;
  validateSettings?: unknown;
  validateFn?: unknown;
}

/** What this module reads of type-graphql's metadata of a field resolver (its `FieldResolverMetadata`). */
interface FieldResolverMetadata {
  kind: "internal" | "external";
  target: new () => Record<string, unknown>;
  methodName: string;
  schemaName: string;
  getObjectType?: () => unknown;
  params?: ParamMetadata[];
  roles?: unknown[];
  middlewares?: unknown[];
}

/** The scalars type-graphql passes on unchanged, as classes (`() => String`, `() => Date`). */
const PLAIN_CLASSES: readonly unknown[] = [String, Number, Boolean, Date];

type Pick = (root: unknown, args: Record<string, unknown>, context: unknown, info: unknown) => unknown;

/** How one parameter gets its value, or null when only type-graphql's path gives it exactly. */
function pickOf(param: ParamMetadata): Pick | null {
  switch (param.kind) {
    case "root":
      return param.propertyName || param.getType ? null : (root) => root;
    case "context":
      return param.propertyName ? null : (_root, _args, context) => context;
    case "info":
      return (_root, _args, _context, info) => info;
    case "arg": {
      const type = param.getType?.();
      const plain = type instanceof GraphQLScalarType || PLAIN_CLASSES.includes(type);
      if (!plain || param.validateFn || (param.validateSettings !== undefined && param.validateSettings !== false)) return null;
      const name = param.name as string;
      return (_root, args) => args[name];
    }
    default:
      return null;
  }
}

/** The resolver calling `method` of `instance` with the picked values; null when a parameter can't be picked. */
function directResolver(definition: FieldResolverMetadata, instance: Record<string, unknown>): GraphQLFieldResolver<unknown, unknown> | null {
  const picks: Pick[] = [];
  for (const param of [...(definition.params ?? [])].sort((a, b) => a.index - b.index)) {
    const pick = pickOf(param);
    if (pick === null) return null;
    picks.push(pick);
  }
  const method = instance[definition.methodName] as (...values: unknown[]) => unknown;
  if (typeof method !== "function") return null;
  // The common shapes spelled out: no array of values per call.
  const [a, b, c] = picks;
  switch (picks.length) {
    case 0:
      return () => method.call(instance);
    case 1:
      return (root, args, context, info) => method.call(instance, a(root, args, context, info));
    case 2:
      return (root, args, context, info) => method.call(instance, a(root, args, context, info), b(root, args, context, info));
    case 3:
      return (root, args, context, info) =>
        method.call(instance, a(root, args, context, info), b(root, args, context, info), c(root, args, context, info));
    default:
      return (root, args, context, info) => method.apply(instance, picks.map((pick) => pick(root, args, context, info)));
  }
}

/**
 * Sets the resolver of every field of `schema` whose type-graphql field resolver (among
 * `resolvers`, the classes the schema was built from) can be called directly; returns the names
 * (`Type.field`) of those fields. Call it right after `buildSchema`, before anything wraps the
 * resolvers. One instance of each resolver class serves every call, as type-graphql's default
 * container does: the classes hold no state.
 */
export function directFieldResolvers(schema: GraphQLSchema, resolvers: readonly Function[]): string[] {
  const storage = getMetadataStorage() as unknown as {
    fieldResolvers: FieldResolverMetadata[];
    objectTypes: Array<{ target: unknown; name: string }>;
  };
  const typeNames = new Map(storage.objectTypes.map((type) => [type.target, type.name]));
  const candidates = new Map<string, FieldResolverMetadata[]>();
  for (const definition of storage.fieldResolvers) {
    if (definition.kind !== "external" || !resolvers.includes(definition.target) || !definition.getObjectType) continue;
    const typeName = typeNames.get(definition.getObjectType());
    if (typeName === undefined) continue;
    const key = `${typeName}.${definition.schemaName}`;
    candidates.set(key, [...(candidates.get(key) ?? []), definition]);
  }
  const instances = new Map<Function, Record<string, unknown>>();
  const direct: string[] = [];
  for (const [key, definitions] of candidates) {
    // Two resolvers of one field: which one type-graphql took is its business.
    if (definitions.length !== 1) continue;
    const [definition] = definitions;
    // `@Authorized()` without roles is `roles: []`, and type-graphql checks it all the same.
    if (definition.roles !== undefined || (definition.middlewares?.length ?? 0) > 0) continue;
    const [typeName, fieldName] = key.split(".");
    const type = schema.getType(typeName);
    const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
    if (!field?.resolve) continue;
    let instance = instances.get(definition.target);
    if (!instance) instances.set(definition.target, (instance = new definition.target()));
    const resolve = directResolver(definition, instance);
    if (resolve === null) continue;
    field.resolve = resolve;
    direct.push(key);
  }
  return direct.sort();
}
