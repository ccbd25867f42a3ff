/**
 * What never reaches a log line: API keys and other secrets, always; email addresses, unless the
 * log level is debug (a developer reading their own leads). Applied to the message and to every
 * field, at any depth, by value as well as by name: a key can turn up inside an error message or
 * a SQL text as easily as under a field called `key`.
 */

/** What a redacted value becomes. */
export const REDACTED = "[REDACTED]";
/** What an email address becomes. */
export const EMAIL_REDACTED = "[EMAIL]";

export interface RedactionOptions {
  /** Replace email addresses (everywhere but at debug level). */
  emails: boolean;
  /** Literal values to hide wherever they appear (`QUALIFY_ADMIN_KEY`, which need not look like a key). */
  secrets?: readonly string[];
}

/**
 * Field names whose value is hidden whatever it is, compared lower-cased without `_` and `-`
 * (`apiKey`, `api_key`, `API-KEY`): the header, keys and their hashes, and the usual secrets.
 * (A `keyPrefix` field is not hidden by its name, but its value, like anything `qk_…`, is.)
 */
const SECRET_NAMES = new Set(["authorization", "proxyauthorization", "cookie", "setcookie", "key", "apikey", "keyhash", "secret", "password", "token"]);
const SECRET_SUFFIXES = ["secret", "password", "token", "apikey"];

const isSecretName = (name: string): boolean => {
  const normal = name.toLowerCase().replace(/[-_]/g, "");
  return SECRET_NAMES.has(normal) || SECRET_SUFFIXES.some((suffix) => normal.endsWith(suffix));
};

// The service's keys are `qk_` and base64url; a bearer token may be anything up to whitespace.
const API_KEY = /\bqk_[A-Za-z0-9_-]+/g;
const BEARER = /\b(Bearer)\s+[^\s"',;]+/gi;
// Deliberately loose (any local part, any dotted domain): a false positive costs a word in a log.
const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+/g;

/** Nesting below which values are not walked (log fields are shallow; this only guards odd input). */
const MAX_DEPTH = 8;

export type Redactor = {
  /** The text with every secret (and email, if asked) replaced. */
  text(value: string): string;
  /** A copy of `fields` with every secret (and email, if asked) replaced, by name and by value. */
  fields(fields: Record<string, unknown>): Record<string, unknown>;
};

export function createRedactor(options: RedactionOptions): Redactor {
  // Longest first, so a secret containing another is replaced whole; short ones would hide ordinary words.
  const secrets = [...new Set(options.secrets ?? [])].filter((s) => s.length >= 8).sort((a, b) => b.length - a.length);

  const text = (value: string): string => {
    let out = value;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    // Cheap tests first: most strings hold none of these.
    if (out.includes("qk_")) out = out.replace(API_KEY, REDACTED);
    if (/bearer/i.test(out)) out = out.replace(BEARER, (_match, scheme: string) => `${scheme} ${REDACTED}`);
    if (options.emails && out.includes("@")) out = out.replace(EMAIL, EMAIL_REDACTED);
    return out;
  };

  const value = (input: unknown, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof input === "string") return text(input);
    if (input === null || typeof input !== "object") return input;
    if (input instanceof Date) return input;
    if (seen.has(input)) return "[Circular]";
    if (depth >= MAX_DEPTH) return "[Nested]";
    seen.add(input);
    try {
      if (Array.isArray(input)) return input.map((item) => value(item, depth + 1, seen));
      if (input instanceof Error) {
        return { name: input.name, message: text(input.message), ...(input.stack ? { stack: text(input.stack) } : {}) };
      }
      if (Buffer.isBuffer(input)) return `[${input.length} bytes]`;
      return object(input as Record<string, unknown>, depth, seen);
    } finally {
      seen.delete(input);
    }
  };

  const object = (input: Record<string, unknown>, depth: number, seen: WeakSet<object>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(input)) {
      out[name] = isSecretName(name) && field !== null && field !== undefined ? REDACTED : value(field, depth + 1, seen);
    }
    return out;
  };

  return { text, fields: (fields) => object(fields, 0, new WeakSet()) };
}
