/**
 * The edge every argument crosses, once, before any resolver or subscription sees it. Each field
 * of the schema that takes arguments is wrapped (`guardArguments`), and its arguments, already
 * coerced by graphql-js, are walked with their GraphQL types:
 * - an `ID` is canonicalised: a UUID in any case becomes lower case; anything else is refused;
 * - text (every `String`, and the keys and texts inside a `JSONObject`) must be storable: no
 *   U+0000, no lone surrogate (`textProblem`);
 * - a `JSONObject` is walked without recursion, nested at most `MAX_JSON_DEPTH` deep.
 * Problems are `BAD_USER_INPUT` on the field, with every invalid argument path in
 * `extensions.fields` (`input.email`, `filter.stage.0`), and nothing runs.
 *
 * A field may add a check of its own that needs the service (`checkArgumentsWith`, e.g. a stage
 * name against the funnel): it runs after these, before a subscription starts.
 *
 * A list of input objects is a batch (`recordInteractions(inputs:)`): its items are checked by
 * their service one by one, so that an invalid item fails alone; here their ids are only
 * canonicalised.
 */
import {
  defaultFieldResolver,
  type GraphQLArgument,
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLSchema,
  getNullableType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from "graphql";
import { isUuid, jsonProblem, Problems, textProblem } from "../services/validation";

export interface ArgumentLimits {
  /** Largest `JSONObject` argument, in bytes of JSON (QUALIFY_MAX_JSON_BYTES). */
  maxJsonBytes: number;
}

/** A field's own asynchronous check of its (guarded) arguments; throws a `DomainError` to refuse them. */
export type ArgumentCheck<TArgs, TContext> = (args: TArgs, context: TContext) => Promise<void>;

const CHECK_EXTENSION = "checkArguments";

/** The field extension (`@Extensions(…)`) that gives a subscription a check of its own, run before it starts. */
export function checkArgumentsWith<TArgs, TContext>(check: ArgumentCheck<TArgs, TContext>): Record<string, unknown> {
  return { [CHECK_EXTENSION]: check };
}

/** Wraps the resolver (and the subscribe function) of every field that takes arguments. */
export function guardArguments(schema: GraphQLSchema, limits: ArgumentLimits): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0) continue;
      const check = (args: Record<string, unknown>) => checkedArguments(field.args, args, limits);
      field.resolve = guarded(field.resolve ?? defaultFieldResolver, check);
      const own = field.extensions[CHECK_EXTENSION] as ArgumentCheck<Record<string, unknown>, unknown> | undefined;
      const subscribe = field.subscribe;
      if (subscribe) {
        field.subscribe = async (source, args, context, info) => {
          const checked = check(args);
          await own?.(checked, context);
          return subscribe(source, checked, context, info);
        };
      }
    }
  }
}

function guarded(
  resolve: GraphQLFieldResolver<unknown, unknown>,
  check: (args: Record<string, unknown>) => Record<string, unknown>,
): GraphQLFieldResolver<unknown, unknown> {
  return (source, args, context, info) => resolve(source, check(args), context, info);
}

/** The arguments with their ids canonicalised; throws `BAD_USER_INPUT` listing every problem. */
export function checkedArguments(
  definitions: readonly GraphQLArgument[],
  args: Record<string, unknown>,
  limits: ArgumentLimits,
): Record<string, unknown> {
  const problems = new Problems();
  const checked: Record<string, unknown> = {};
  for (const definition of definitions) {
    if (!(definition.name in args)) continue;
    checked[definition.name] = walk(definition.type, args[definition.name], definition.name, { problems, limits, inBatch: false });
  }
  problems.throwIfAny();
  return checked;
}

interface Walk {
  problems: Problems;
  limits: ArgumentLimits;
  /** Inside a batch's item: problems are left to the item's own checks. */
  inBatch: boolean;
}

function walk(type: GraphQLInputType, value: unknown, path: string, w: Walk): unknown {
  if (value === null || value === undefined) return value;
  if (isNonNullType(type)) return walk(type.ofType, value, path, w);
  if (isListType(type)) {
    const item = type.ofType as GraphQLInputType;
    const inner = { ...w, inBatch: w.inBatch || isInputObjectType(getNullableType(item)) };
    return (value as unknown[]).map((v, i) => walk(item, v, `${path}.${i}`, inner));
  }
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    const object = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      const field = fields[key];
      out[key] = field ? walk(field.type, object[key], `${path}.${key}`, w) : object[key];
    }
    return out;
  }
  if (!isScalarType(type)) return value; // an enum: graphql-js has checked it
  const problem = scalarProblem(type.name, value, w.limits);
  if (problem !== null) {
    if (!w.inBatch) w.problems.add(path, problem);
    return value;
  }
  return type.name === "ID" ? (value as string).toLowerCase() : value;
}

/** What is wrong with a coerced scalar value, or null. */
function scalarProblem(scalar: string, value: unknown, limits: ArgumentLimits): string | null {
  switch (scalar) {
    case "ID":
      return typeof value === "string" && isUuid(value) ? null : "is not an id (a UUID)";
    case "String":
      return typeof value === "string" ? textProblem(value) : null;
    case "JSONObject":
      return jsonProblem(value, limits.maxJsonBytes);
    default:
      return null;
  }
}
