/**
 * The lexer: source text to tokens, plus the diagnostics of the lexical level (unexpected
 * characters, unterminated strings, bad escapes, over-long strings and names).
 *
 * One chevrotain `Lexer` is built once and reused. A string token's decoded value is stored in its
 * `payload`, so the CST visitor never decodes twice.
 */
import { Lexer, tokenMatcher, type IToken } from "chevrotain";
import { diagnostic, type Diagnostic } from "./diagnostics";
import { MAX_NAME_LENGTH, MAX_STRING_LENGTH } from "./limits";
import type { LineMap } from "./location";
import { allTokens, MisquotedString, Name, StringLiteral, UnterminatedString } from "./tokens";

const lexer = new Lexer([...allTokens], {
  positionTracking: "onlyOffset",
  ensureOptimizations: false,
});

export interface LexResult {
  tokens: IToken[];
  diagnostics: Diagnostic[];
}

const QUOTE_LOOKALIKES: Readonly<Record<string, string>> = {
  "\u201c": "“",
  "\u201d": "”",
  "\u201e": "„",
  "\u00ab": "«",
  "\u00bb": "»",
};

/**
 * Splits `source` into tokens (spaces and comments dropped). Never throws: characters that start no
 * token are skipped and reported as `UNEXPECTED_CHARACTER`.
 */
export function lex(source: string, lines: LineMap): LexResult {
  const result = lexer.tokenize(source);
  const diagnostics: Diagnostic[] = [];
  for (const error of result.errors) {
    const text = source.slice(error.offset, error.offset + error.length);
    diagnostics.push(
      diagnostic("error", "UNEXPECTED_CHARACTER", unexpectedCharacterMessage(text), lines.range(error.offset, error.offset + error.length)),
    );
  }
  for (const token of result.tokens) {
    if (token.tokenType === MisquotedString) {
      const range = lines.range(token.startOffset, token.startOffset + token.image.length);
      diagnostics.push(diagnostic("error", "UNEXPECTED_CHARACTER", `Texts are written in straight double quotes: "${token.image.slice(1, -1)}".`, range));
      token.payload = token.image.slice(1, -1);
    } else if (tokenMatcher(token, StringLiteral)) {
      token.payload = decodeStringToken(token, lines, diagnostics);
    } else if (tokenMatcher(token, Name) && token.image.length > MAX_NAME_LENGTH) {
      diagnostics.push(
        diagnostic(
          "error",
          "TOO_LONG",
          `This name is ${token.image.length} characters long; names are at most ${MAX_NAME_LENGTH}.`,
          lines.range(token.startOffset, token.startOffset + token.image.length),
        ),
      );
    }
  }
  return { tokens: result.tokens, diagnostics };
}

function unexpectedCharacterMessage(text: string): string {
  const first = text[0] ?? "";
  const shown = text.length > 20 ? `${text.slice(0, 20)}…` : text;
  const what = text.length === 1 ? "character" : "characters";
  if (first in QUOTE_LOOKALIKES || first === "\u2018" || first === "\u2019") {
    return `Unexpected ${what} "${shown}": texts are written in straight double quotes, e.g. "/pricing".`;
  }
  if (first === "'") {
    return `Unexpected ${what} "${shown}": texts are written in double quotes, e.g. "/pricing".`;
  }
  if (first === "&" || first === "|") {
    return `Unexpected ${what} "${shown}": write "and" / "or" to combine conditions.`;
  }
  return `Unexpected ${what} "${shown}": this is not part of the rule language.`;
}

/** Decodes a string token's escapes; reports bad escapes, a missing closing quote and excess length. */
function decodeStringToken(token: IToken, lines: LineMap, diagnostics: Diagnostic[]): string {
  const image = token.image;
  const start = token.startOffset;
  const terminated = token.tokenType !== UnterminatedString;
  if (!terminated) {
    diagnostics.push(
      diagnostic(
        "error",
        "UNTERMINATED_STRING",
        'This text has no closing double quote (") before the end of the line.',
        lines.range(start, start + image.length),
      ),
    );
  }
  const bodyEnd = terminated ? image.length - 1 : image.length;
  let value = "";
  for (let i = 1; i < bodyEnd; i++) {
    const c = image[i];
    if (c !== "\\") {
      value += c;
      continue;
    }
    const escape = image[i + 1];
    if (i + 1 >= bodyEnd) {
      // A backslash at the very end of an unterminated text: already reported as unterminated.
      value += c;
      continue;
    }
    const simple = escape === '"' ? '"' : escape === "\\" ? "\\" : escape === "n" ? "\n" : escape === "t" ? "\t" : undefined;
    if (simple !== undefined) {
      value += simple;
      i++;
    } else if (escape === "u" && /^[0-9A-Fa-f]{4}$/.test(image.slice(i + 2, i + 6))) {
      value += String.fromCharCode(parseInt(image.slice(i + 2, i + 6), 16));
      i += 5;
    } else {
      const length = escape === "u" ? Math.min(2 + countHex(image, i + 2), bodyEnd - i) : 2;
      diagnostics.push(
        diagnostic(
          "error",
          "BAD_ESCAPE",
          `"${image.slice(i, i + length)}" is not a valid escape: use \\" \\\\ \\n \\t or \\uXXXX (four hexadecimal digits).`,
          lines.range(start + i, start + i + length),
        ),
      );
      value += image.slice(i, i + length);
      i += length - 1;
    }
  }
  if (value.length > MAX_STRING_LENGTH) {
    diagnostics.push(
      diagnostic(
        "error",
        "TOO_LONG",
        `This text is ${value.length} characters long; texts are at most ${MAX_STRING_LENGTH}.`,
        lines.range(start, start + image.length),
      ),
    );
  }
  return value;
}

function countHex(image: string, from: number): number {
  let n = 0;
  while (n < 4 && /[0-9A-Fa-f]/.test(image[from + n] ?? "")) n++;
  return n;
}
