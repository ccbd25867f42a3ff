/**
 * Where an offset falls in a model's text, for the editor services: in a comment, in a text in
 * quotes, or in a word (and which), and the tokens of a source found by offset.
 */
import type { IToken } from "chevrotain";

/** What lies at an offset, judged from its line alone (texts and comments never span lines). */
export type Spot =
  | { kind: "comment" }
  | { kind: "string"; from: number; to: number }
  | { kind: "code"; wordFrom: number; wordTo: number };

const isWordChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

const isLineBreak = (c: number): boolean => c === 10 || c === 13;

/** Classifies `offset` (clamped to the source). */
export function spotAt(source: string, offset: number): Spot {
  const at = Math.max(0, Math.min(offset, source.length));
  let lineStart = at;
  while (lineStart > 0 && !isLineBreak(source.charCodeAt(lineStart - 1))) lineStart--;
  let stringStart = -1;
  for (let i = lineStart; i < at; i++) {
    const c = source.charCodeAt(i);
    if (stringStart >= 0) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) stringStart = -1;
    } else if (c === 34) {
      stringStart = i;
    } else if (c === 35 /* # */) {
      return { kind: "comment" };
    }
  }
  if (stringStart >= 0) {
    let end = at;
    while (end < source.length && !isLineBreak(source.charCodeAt(end))) {
      const c = source.charCodeAt(end++);
      if (c === 92) end++;
      else if (c === 34) break;
    }
    return { kind: "string", from: stringStart, to: Math.min(end, source.length) };
  }
  let wordFrom = at;
  while (wordFrom > 0 && isWordChar(source.charCodeAt(wordFrom - 1))) wordFrom--;
  let wordTo = at;
  while (wordTo < source.length && isWordChar(source.charCodeAt(wordTo))) wordTo++;
  return { kind: "code", wordFrom, wordTo };
}

/** The index of the first token that starts at or after `offset` (tokens in source order). */
export function firstTokenFrom(tokens: readonly IToken[], offset: number): number {
  let low = 0;
  let high = tokens.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (tokens[mid].startOffset < offset) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The token whose text covers the character at `offset`, or undefined (a space, a comment). */
export function tokenAt(tokens: readonly IToken[], offset: number): IToken | undefined {
  const token = tokens[firstTokenFrom(tokens, offset + 1) - 1];
  if (token === undefined || offset >= token.startOffset + token.image.length) return undefined;
  return token;
}
