/**
 * The lexer: source text to tokens, plus the diagnostics of the lexical level (unexpected
 * characters, unterminated strings, bad escapes, over-long strings and names).
 *
 * One chevrotain `Lexer` is built once and reused. A string token's decoded value is stored in its
 * `payload`, so the CST visitor never decodes twice.
 */
import { Lexer, tokenMatcher, type IToken } from "chevrotain";
import { diagnostic, type Diagnostic } from "./diagnostics";
import { MAX_NAME_LENGTH, MAX_STRING_LENGTH, MAX_SYNTAX_ERRORS } from "./limits";
import type { LineMap } from "./location";
import { allTokens, MisquotedString, Name, StringLiteral, UnterminatedString } from "./tokens";

const lexer = new Lexer([...allTokens], {
  positionTracking: "onlyOffset",
  // Fail at start-up, not in production, if a token ever defeats the first-character optimisation.
  ensureOptimizations: true,
  // Messages are built here, only for the errors reported: garbage input stays cheap.
  errorMessageProvider: { buildUnexpectedCharactersMessage: () => "", buildUnableToPopLexerModeMessage: () => "" },
});

export interface LexResult {
  tokens: IToken[];
  diagnostics: Diagnostic[];
  /** True when there were more than `MAX_SYNTAX_ERRORS` problems and only the first were kept. */
  truncated: boolean;
}

/** Builds a diagnostic on demand, and stops building once the cap is reached. */
type Report = (code: string, message: () => string, start: number, end: number) => void;

const QUOTE_LOOKALIKES: ReadonlySet<string> = new Set(["\u201c", "\u201d", "\u201e", "\u00ab", "\u00bb", "\u2018", "\u2019"]);

/**
 * Splits `source` into tokens (spaces and comments dropped). Never throws: characters that start no
 * token are skipped (a run of them at once) and reported as `UNEXPECTED_CHARACTER`. At most `MAX_SYNTAX_ERRORS` diagnostics
 * are built, so a file of garbage costs no more than lexing it.
 */
export function lex(source: string, lines: LineMap): LexResult {
  const result = lexer.tokenize(source);
  const diagnostics: Diagnostic[] = [];
  let problems = 0;
  const report: Report = (code, message, start, end) => {
    problems++;
    if (problems <= MAX_SYNTAX_ERRORS) diagnostics.push(diagnostic("error", code, message(), lines.range(start, end)));
  };
  for (const error of result.errors.slice(0, MAX_SYNTAX_ERRORS + 1)) {
    const end = error.offset + error.length;
    report("UNEXPECTED_CHARACTER", () => unexpectedCharacterMessage(source.slice(error.offset, end)), error.offset, end);
  }
  problems += Math.max(0, result.errors.length - (MAX_SYNTAX_ERRORS + 1));
  for (const token of result.tokens) {
    const end = token.startOffset + token.image.length;
    if (token.tokenType === MisquotedString) {
      token.payload = token.image.slice(1, -1);
      report("UNEXPECTED_CHARACTER", () => `Texts are written in straight double quotes: "${token.payload}".`, token.startOffset, end);
    } else if (tokenMatcher(token, StringLiteral)) {
      token.payload = decodeStringToken(token, report);
    } else if (tokenMatcher(token, Name) && token.image.length > MAX_NAME_LENGTH) {
      report("TOO_LONG", () => `This name is ${token.image.length} characters long; names are at most ${MAX_NAME_LENGTH}.`, token.startOffset, end);
    }
  }
  return { tokens: result.tokens, diagnostics, truncated: problems > MAX_SYNTAX_ERRORS };
}

function unexpectedCharacterMessage(text: string): string {
  const first = text[0] ?? "";
  const shown = text.length > 20 ? `${text.slice(0, 20)}…` : text;
  const what = text.length === 1 ? "character" : "characters";
  if (QUOTE_LOOKALIKES.has(first)) {
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
function decodeStringToken(token: IToken, report: Report): string {
  const image = token.image;
  const start = token.startOffset;
  const terminated = token.tokenType !== UnterminatedString;
  if (!terminated) {
    report("UNTERMINATED_STRING", () => 'This text has no closing double quote (") before the end of the line.', start, start + image.length);
  }
  const bodyEnd = terminated ? image.length - 1 : image.length;
  // Fast path: no escapes at all.
  const backslash = image.indexOf("\\");
  let value = backslash < 0 || backslash >= bodyEnd ? image.slice(1, bodyEnd) : decodeEscapes(image, start, bodyEnd, report);
  if (value.length > MAX_STRING_LENGTH) {
    const length = value.length;
    report("TOO_LONG", () => `This text is ${length} characters long; texts are at most ${MAX_STRING_LENGTH}.`, start, start + image.length);
    value = value.slice(0, MAX_STRING_LENGTH);
  }
  return value;
}

function decodeEscapes(image: string, start: number, bodyEnd: number, report: Report): string {
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
      const text = image.slice(i, i + length);
      report(
        "BAD_ESCAPE",
        () => `"${text}" is not a valid escape: use \\" \\\\ \\n \\t or \\uXXXX (four hexadecimal digits).`,
        start + i,
        start + i + length,
      );
      value += text;
      i += length - 1;
    }
  }
  return value;
}

function countHex(image: string, from: number): number {
  let n = 0;
  while (n < 4 && /[0-9A-Fa-f]/.test(image[from + n] ?? "")) n++;
  return n;
}
