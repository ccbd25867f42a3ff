/**
 * Interaction targets and target patterns (`visit "/blog/*"`).
 *
 * Both sides go through the same normalisation, so a pattern written as a full URL or with a
 * trailing slash means what its author expects. Matching is case-insensitive, whole-string, and
 * `*` stands for any run of characters (the empty run included). No regular expression is built
 * from user text: a pattern becomes a small hand-written matcher.
 */

/** `scheme://` at the start of an absolute URL (RFC 3986 scheme). */
const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * Normalises a target as the spec says: trimmed; an absolute URL reduced to its path (`/` when
 * empty); a `?query` and a `#fragment` dropped; one trailing `/` dropped except from `/`.
 * Percent-escapes are not decoded and case is kept (matching ignores it).
 *
 * Returns `null` for a missing or blank target: it is "not set".
 *
 * @example normaliseTarget("https://acme.com/Pricing/?utm=x#top") === "/Pricing"
 */
export function normaliseTarget(target: string | null | undefined): string | null {
  if (typeof target !== "string") return null;
  let t = target.trim();
  if (t === "") return null;
  const scheme = ABSOLUTE_URL.exec(t);
  if (scheme !== null) {
    const pathStart = firstOf(t, scheme[0].length, true);
    t = pathStart === t.length ? "/" : t.slice(pathStart);
    if (t.charCodeAt(0) !== SLASH) t = "/" + t; // "host?x" or "host#y": the path is empty
  }
  const cut = firstOf(t, 0, false);
  if (cut < t.length) t = t.slice(0, cut);
  if (t.length > 1 && t.charCodeAt(t.length - 1) === SLASH) t = t.slice(0, -1);
  return t;
}

const SLASH = 47;
const QUESTION = 63;
const HASH = 35;

/** The index of the first `?` or `#` (and `/` when `slash`) from `from`, or the length. */
function firstOf(text: string, from: number, slash: boolean): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUESTION || c === HASH || (slash && c === SLASH)) return i;
  }
  return text.length;
}

/** Tests an already normalised, lower-cased target. */
export type TargetMatcher = (lowerTarget: string) => boolean;

/**
 * A compiled pattern: its matcher, and for the two commonest shapes (no `*`, one trailing `*`)
 * the lower-cased text a caller may compare inline instead of calling the matcher.
 */
export interface CompiledPattern {
  matches: TargetMatcher;
  /** The whole target to equal, for a pattern without `*`. */
  exact: string | null;
  /** The start to look for, for a pattern whose only `*` ends it (`/blog/*`). */
  prefix: string | null;
}

/**
 * Compiles a target pattern into a matcher of normalised, lower-cased targets. The pattern is
 * normalised like a target first (`"/pricing/"` matches `/pricing`); `*` matches any run.
 * A blank pattern matches nothing (a blank target is "not set").
 */
export function compilePattern(pattern: string): TargetMatcher {
  return compilePatternShape(pattern).matches;
}

/** `compilePattern`, with the pattern's shape. */
export function compilePatternShape(pattern: string): CompiledPattern {
  const normalised = normaliseTarget(pattern);
  if (normalised === null) return { matches: () => false, exact: null, prefix: null };
  const parts = normalised.toLowerCase().split("*");
  if (parts.length === 1) {
    const exact = parts[0];
    return { matches: (t) => t === exact, exact, prefix: null };
  }
  if (parts.length === 2 && parts[1] === "") {
    const prefix = parts[0];
    return { matches: (t) => t.startsWith(prefix), exact: null, prefix };
  }
  return { matches: globMatcher(parts), exact: null, prefix: null };
}

function globMatcher(parts: readonly string[]): TargetMatcher {
  const head = parts[0];
  const tail = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((p) => p !== "");
  const minLength = head.length + tail.length + middle.reduce((n, p) => n + p.length, 0);
  if (middle.length === 0) {
    if (tail === "") return (t) => t.startsWith(head);
    if (head === "") return (t) => t.endsWith(tail);
    return (t) => t.length >= minLength && t.startsWith(head) && t.endsWith(tail);
  }
  // Greedy left-to-right search is exact for `*`-only globs: taking the earliest occurrence of
  // each middle part leaves the most room for the rest.
  return (t) => {
    if (t.length < minLength || !t.startsWith(head) || !t.endsWith(tail)) return false;
    let from = head.length;
    const end = t.length - tail.length;
    for (const part of middle) {
      const at = t.indexOf(part, from);
      if (at < 0 || at + part.length > end) return false;
      from = at + part.length;
    }
    return true;
  };
}
