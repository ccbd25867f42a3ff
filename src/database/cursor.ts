/**
 * Opaque keyset cursors: base64url of a JSON array `[orderValue, id]`. Pages continue strictly
 * after the cursor's key in `(orderValue, id)` order, so rows inserted meanwhile never make a page
 * skip or repeat a row.
 */
import { badInput } from "../errors";
import { INT_MAX, isUuid, unstorableText } from "./storable";

export type CursorValue = string | number | null;

export function encodeCursor(value: CursorValue, id: string): string {
  return Buffer.from(JSON.stringify([value, id]), "utf8").toString("base64url");
}

/** Longest cursor accepted (those made here are under 200 characters). */
export const MAX_CURSOR_LENGTH = 1024;

/**
 * Decodes a cursor made by `encodeCursor`; anything else is BAD_USER_INPUT on `field`, before any
 * statement: a key is a whole number in the Int range, storable text, or null, and the id a UUID
 * (returned lower case). A forged cursor can name a row that does not exist, which is no error.
 */
export function decodeCursor(cursor: string, field: string): { value: CursorValue; id: string } {
  if (cursor.length <= MAX_CURSOR_LENGTH) {
    let parsed: unknown = undefined;
    try {
      parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    } catch {
      // reported below as invalid input
    }
    if (Array.isArray(parsed) && parsed.length === 2 && validKey(parsed[0]) && typeof parsed[1] === "string" && isUuid(parsed[1])) {
      return { value: parsed[0], id: parsed[1].toLowerCase() };
    }
  }
  throw badInput(field, "is not a valid cursor");
}

function validKey(value: unknown): value is CursorValue {
  if (value === null) return true;
  if (typeof value === "number") return Number.isInteger(value) && Math.abs(value) <= INT_MAX;
  return typeof value === "string" && unstorableText(value) === null;
}

/** A cursor key that is a time (`toISOString`), as a Date within what PostgreSQL stores; else BAD_USER_INPUT on `field`. */
export function cursorTime(value: string, field: string): Date {
  const time = new Date(value);
  const year = time.getUTCFullYear();
  if (Number.isNaN(time.getTime()) || year < 1 || year > 9999) throw badInput(field, "is not a valid cursor");
  return time;
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

/** A page, and how to count every item of its list (a connection's `totalCount`, counted only when asked for). */
export type CountedPage<T> = Page<T> & { countTotal: () => Promise<number> };

/**
 * `page` with its `countTotal`: always an object of the same shape. (`{ ...page, countTotal }` made
 * a hidden class of its own for every page on Node 20, 101 on a page of 100 leads; classes made for
 * one object are what kept young garbage alive elsewhere: docs/architecture.md, "Memory".)
 */
export const withCount = <T>(page: Page<T>, countTotal: () => Promise<number>): CountedPage<T> => ({
  edges: page.edges,
  pageInfo: page.pageInfo,
  countTotal,
});

/**
 * An edge whose cursor is encoded when it is read: most clients never select `cursor` on every
 * edge of a nested page (a page of 100 leads with 10 interactions each is 1,000 of them).
 */
class LazyEdge<T> {
  constructor(
    readonly node: T,
    private readonly cursorOf: (row: T) => string,
  ) {}

  get cursor(): string {
    return this.cursorOf(this.node);
  }
}

/**
 * A page's `pageInfo`, its cursors encoded when read. A class, not an object literal with getters:
 * on Node 20 each such literal gets a hidden class of its own in the old generation, which keeps
 * what its getters capture (the page's rows) alive through young collections until a full one
 * (docs/architecture.md, "Memory").
 */
class LazyPageInfo<T> {
  constructor(
    private readonly edges: ReadonlyArray<LazyEdge<T>>,
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
  ) {}

  get startCursor(): string | null {
    return this.edges[0]?.cursor ?? null;
  }

  get endCursor(): string | null {
    return this.edges[this.edges.length - 1]?.cursor ?? null;
  }
}

/** Builds a page from `rows` fetched with `limit + 1` (the extra row only says there is more); cursors are encoded when read. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => string, after: boolean): Page<T> {
  const edges = rows.slice(0, limit).map((node) => new LazyEdge(node, cursorOf));
  return { edges, pageInfo: new LazyPageInfo(edges, rows.length > limit, after) };
}
