/**
 * Opaque keyset cursors: base64url of a JSON array `[orderValue, id]`. Pages continue strictly
 * after the cursor's key in `(orderValue, id)` order, so rows inserted meanwhile never make a page
 * skip or repeat a row.
 */
import { badInput } from "../errors";

export type CursorValue = string | number | null;

export function encodeCursor(value: CursorValue, id: string): string {
  return Buffer.from(JSON.stringify([value, id]), "utf8").toString("base64url");
}

/** Decodes a cursor made by `encodeCursor`; a malformed one is BAD_USER_INPUT on `field`. */
export function decodeCursor(cursor: string, field: string): { value: CursorValue; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      (typeof parsed[0] === "string" || typeof parsed[0] === "number" || parsed[0] === null) &&
      typeof parsed[1] === "string" &&
      /^[0-9a-f-]{36}$/i.test(parsed[1])
    ) {
      return { value: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through: reported below as invalid input
  }
  throw badInput(field, "is not a valid cursor");
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Checks `first` (default 20, 1..100). */
export function pageSize(first: number | null | undefined, field = "first"): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badInput(field, `must be from 0 to ${MAX_PAGE_SIZE}`);
  }
  return first;
}

/** A page of a connection. */
export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** Builds a page from `rows` fetched with `limit + 1` (the extra row only says there is more). */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => string, after: boolean): Page<T> {
  const edges = rows.slice(0, limit).map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: after,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
