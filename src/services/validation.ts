/**
 * Input checks shared by the services. Each check appends a `FieldProblem` (field path + message)
 * so one response reports every invalid field at once; `throwIfAny` raises them together.
 */
import type { FieldProblem } from "../errors";
import { isUuid, unstorableText } from "../database/storable";
import { badInput, ValidationError } from "../errors";

// Pragmatic address syntax: one @, no spaces, a dot in the domain; the real check is delivery.
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const TYPE_NAME = /^[a-z][a-z0-9_]*$/;

export const MAX_EMAIL_LENGTH = 254;
export const MAX_NAME_LENGTH = 200;
export const MAX_SOURCE_LENGTH = 100;
export const MAX_TYPE_LENGTH = 64;
export const MAX_TARGET_LENGTH = 2048;
export const MAX_EXTERNAL_ID_LENGTH = 255;
export const MAX_REASON_LENGTH = 1000;
/** A scoring model's `comment` (publishModel, republishModel). */
export const MAX_COMMENT_LENGTH = 1000;
/** How far in the future `occurredAt` may be (clock skew of the sender). */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** PostgreSQL stores no U+0000 in text or JSON: refused up front rather than failing the write. */
export const NUL_PROBLEM = "must not contain the character U+0000 (NUL)";
/** A UTF-16 surrogate without its pair is no character: UTF-8 (and so PostgreSQL) cannot hold it. */
export const SURROGATE_PROBLEM = "must be valid Unicode (a lone surrogate such as \\ud800 is not a character)";
/** Deepest nesting of objects and arrays in a `properties` / `attributes` value (the object itself is level 1). */
export const MAX_JSON_DEPTH = 32;

/** What is wrong with `text` as stored text (U+0000, a lone surrogate), or null when nothing is. */
export function textProblem(text: string): string | null {
  const bad = unstorableText(text);
  return bad === null ? null : bad === "nul" ? NUL_PROBLEM : SURROGATE_PROBLEM;
}

/** Collects problems for one input. */
export class Problems {
  readonly list: FieldProblem[] = [];

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}

/** Trims and lowercases an email; records a problem and returns null when it is not valid. */
export function checkEmail(problems: Problems, field: string, raw: string): string | null {
  const email = raw.trim().toLowerCase();
  const bad = textProblem(email);
  if (bad !== null) problems.add(field, bad);
  else if (email.length > MAX_EMAIL_LENGTH) problems.add(field, `must be at most ${MAX_EMAIL_LENGTH} characters`);
  else if (!EMAIL.test(email)) problems.add(field, "must be an email address");
  else return email;
  return null;
}

/**
 * Checks an optional string: `undefined` stays undefined (omitted), `null` stays null (cleared);
 * text is trimmed, blank text becomes null.
 */
export function checkText(
  problems: Problems,
  field: string,
  raw: string | null | undefined,
  maxLength: number,
): string | null | undefined {
  if (raw === undefined || raw === null) return raw;
  const text = raw.trim();
  const bad = textProblem(text);
  if (bad !== null) {
    problems.add(field, bad);
    return undefined;
  }
  if (text.length > maxLength) {
    problems.add(field, `must be at most ${maxLength} characters`);
    return undefined;
  }
  return text === "" ? null : text;
}

/** An interaction type: a lowercase identifier such as `visit` or `demo_request`. */
export function checkTypeName(problems: Problems, field: string, raw: string): string {
  if (raw.length > MAX_TYPE_LENGTH) problems.add(field, `must be at most ${MAX_TYPE_LENGTH} characters`);
  else if (!TYPE_NAME.test(raw)) {
    problems.add(field, "must be a lowercase identifier (letters a-z, digits and _, starting with a letter)");
  }
  return raw;
}

/**
 * A JSON object no deeper than `MAX_JSON_DEPTH` and no larger than `maxBytes` when serialised, whose
 * keys and texts are storable (`textProblem`) and whose numbers are finite. The depth is measured
 * first, without recursion, so that nothing recursive (JSON.stringify, the database driver) ever
 * meets a value nested thousands deep.
 */
export function checkJsonObject(
  problems: Problems,
  field: string,
  value: Record<string, unknown> | null | undefined,
  maxBytes: number,
): void {
  if (value === undefined || value === null) return;
  const problem = jsonProblem(value, maxBytes);
  if (problem !== null) problems.add(field, problem);
}

/** The first thing wrong with a free-form JSON value (see `checkJsonObject`), or null. */
export function jsonProblem(value: unknown, maxBytes: number): string | null {
  // Depth first, breadth-first over the nodes, one queue: no recursion whatever the input.
  const queue: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 1 }];
  let text: string | null = null;
  let nonFinite = false;
  for (let i = 0; i < queue.length; i++) {
    const { node, depth } = queue[i];
    if (typeof node === "string") text ??= textProblem(node);
    else if (typeof node === "number") nonFinite ||= !Number.isFinite(node);
    else if (node !== null && typeof node === "object") {
      if (depth > MAX_JSON_DEPTH) return `must be nested at most ${MAX_JSON_DEPTH} levels deep`;
      for (const [key, child] of Object.entries(node)) {
        if (!Array.isArray(node)) text ??= textProblem(key);
        queue.push({ node: child, depth: depth + 1 });
      }
    }
    // The size limit bounds the walk: each node takes a byte of JSON at least.
    if (queue.length > maxBytes) return `must be at most ${maxBytes} bytes of JSON`;
  }
  const size = Buffer.byteLength(JSON.stringify(value), "utf8");
  if (size > maxBytes) return `must be at most ${maxBytes} bytes of JSON (got ${size})`;
  if (text !== null) return text;
  // JSON has no Infinity: a number too large for a double (1e400) would be stored as null, and
  // the rules would see one value now and another in every later replay.
  if (nonFinite) return "must hold finite numbers only (a number is out of range)";
  return null;
}

/** A time no later than `now` plus the allowed skew. */
export function checkNotFuture(problems: Problems, field: string, value: Date, now: Date): void {
  if (Number.isNaN(value.getTime())) problems.add(field, "must be a valid time");
  else if (value.getTime() - now.getTime() > MAX_FUTURE_SKEW_MS) {
    problems.add(field, "must not be more than 5 minutes in the future");
  }
}

export { isUuid };

/** Refuses an id that cannot be a lead's (`BAD_USER_INPUT` on `field`), before any statement. */
export function checkLeadId(id: string, field: string): void {
  if (!isUuid(id)) throw badInput(field, "is not a lead id");
}

/** An instant in the past (time travel: `scoreAt`, `funnel(asOf:)`); the future is not known yet. */
export function checkPast(problems: Problems, field: string, value: Date, now: Date): void {
  if (Number.isNaN(value.getTime())) problems.add(field, "must be a valid time");
  else if (value.getTime() > now.getTime()) problems.add(field, "must not be in the future");
}

/** A window `[since, until]` whose ends, when both are given, are in order. */
export function checkWindow(problems: Problems, since: Date | null | undefined, until: Date | null | undefined): void {
  if (since && until && since.getTime() > until.getTime()) problems.add("until", "must not be before since");
}
