/**
 * What PostgreSQL can store, checked before a value reaches a statement: text without U+0000 (text
 * and jsonb cannot hold it) and without a lone UTF-16 surrogate (no UTF-8 encoding exists for it:
 * the driver would write U+FFFD instead, and jsonb refuses its escape), whole numbers in the
 * `integer` range, ids that are UUIDs.
 */

/** The largest `integer` (int4, GraphQL `Int`). */
export const INT_MAX = 2_147_483_647;

// U+0000, or a high surrogate not followed by a low one, or a low one not preceded by a high one.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored as it is (`nul`, `surrogate`), or null when it can. */
export function unstorableText(text: string): "nul" | "surrogate" | null {
  const bad = UNSTORABLE.exec(text);
  if (bad === null) return null;
  return bad[0] === "\u0000" ? "nul" : "surrogate";
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a row id (anything else cannot exist, and must not reach SQL as a uuid). */
export const isUuid = (id: string): boolean => UUID.test(id);
