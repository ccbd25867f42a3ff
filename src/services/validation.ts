/**
 * Input checks shared by the services. Each check appends a `FieldProblem` (field path + message)
 * so one response reports every invalid field at once; `throwIfAny` raises them together.
 */
import type { FieldProblem } from "../errors";
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
/** `\u0000` in JSON text, as an escape (not an escaped backslash followed by `u0000`). */
const JSON_NUL = /(?:^|[^\\])(?:\\\\)*\\u0000/;

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
  if (email.includes("\u0000")) problems.add(field, NUL_PROBLEM);
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
  if (text.includes("\u0000")) {
    problems.add(field, NUL_PROBLEM);
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

/** A JSON object no larger than `maxBytes` when serialised. */
export function checkJsonObject(
  problems: Problems,
  field: string,
  value: Record<string, unknown> | null | undefined,
  maxBytes: number,
): void {
  if (value === undefined || value === null) return;
  const json = JSON.stringify(value);
  const size = Buffer.byteLength(json, "utf8");
  if (size > maxBytes) problems.add(field, `must be at most ${maxBytes} bytes of JSON (got ${size})`);
  else if (JSON_NUL.test(json)) problems.add(field, NUL_PROBLEM);
  // JSON has no Infinity: a number too large for a double (1e400) would be stored as null, and
  // the rules would see one value now and another in every later replay.
  else if (json.includes("null") && hasNonFinite(value)) problems.add(field, "must hold finite numbers only (a number is out of range)");
}

function hasNonFinite(value: unknown): boolean {
  if (typeof value === "number") return !Number.isFinite(value);
  if (value === null || typeof value !== "object") return false;
  return Object.values(value).some(hasNonFinite);
}

/** A time no later than `now` plus the allowed skew. */
export function checkNotFuture(problems: Problems, field: string, value: Date, now: Date): void {
  if (Number.isNaN(value.getTime())) problems.add(field, "must be a valid time");
  else if (value.getTime() - now.getTime() > MAX_FUTURE_SKEW_MS) {
    problems.add(field, "must not be more than 5 minutes in the future");
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a row id (anything else cannot exist, and must not reach SQL as a uuid). */
export const isUuid = (id: string): boolean => UUID.test(id);

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
