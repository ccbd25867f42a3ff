/**
 * Limits that keep hostile or accidental input cheap. Every limit is checked before the work it
 * protects: the size before lexing, the token count before parsing, the nesting depth by a flat
 * scan of the tokens before the (recursive) parser runs. Crossing one is a diagnostic, never a
 * crash. The numbers are documented in `docs/language.md` ("Limits").
 */

/** Largest model source, in UTF-8 bytes (1 MiB). A real model of 1,000 rules is about 50 KB. */
export const MAX_SOURCE_BYTES = 1_048_576;

/** Most tokens (names, numbers, strings, operators; comments and spaces excluded) in one model. */
export const MAX_TOKENS = 200_000;

/**
 * Deepest nesting of parentheses and `not` in one condition. `not not x` is depth 2, `(a or (b))`
 * is depth 2. Real conditions rarely pass 5. Why not more: chevrotain's error recovery costs about
 * the square of the depth per syntax error (1.5 s for 100 broken statements 60 deep, 0.5 s at 30).
 */
export const MAX_DEPTH = 32;

/** Longest text in double quotes, in characters after escapes are decoded (a long URL fits). */
export const MAX_STRING_LENGTH = 2_048;

/** Longest name (interaction type, field, stage, path segment). */
export const MAX_NAME_LENGTH = 200;

/** Most lexical or syntax errors reported for one file; after that reading stops and says so. */
export const MAX_SYNTAX_ERRORS = 100;

/** Largest points, `max`, and `at least` count. */
export const MAX_COUNT = 1_000_000;

/** Longest duration (`expires after`, `within`), in days. */
export const MAX_DURATION_DAYS = 3_650;
