/**
 * `parse`, the front end's entry point: source text to the AST and its diagnostics. It checks the
 * size limits, lexes (`lexer.ts`), refuses input nested too deep for the recursive parser, runs
 * the parser (`parser.ts`) and builds the AST from its CST (`cst-to-ast.ts`). It never throws.
 */
import { EOF, type CstNode, type IRecognitionException, type IToken } from "chevrotain";
import type { Model } from "./ast";
import { buildAst } from "./cst-to-ast";
import { diagnostic, type Diagnostic } from "./diagnostics";
import { lex } from "./lexer";
import { MAX_DEPTH, MAX_SOURCE_BYTES, MAX_SYNTAX_ERRORS, MAX_TOKENS } from "./limits";
import { LineMap } from "./location";
import { rulesParser } from "./parser";
import * as T from "./tokens";

/** The result of `parse`: the statements that parsed, and every problem found. */
export interface ParseResult {
  ast: Model;
  diagnostics: Diagnostic[];
}

/**
 * Parses a scoring model. Never throws: syntax errors (all of them, where the parser can recover),
 * lexical errors and limit violations are returned as diagnostics, and `ast` holds the statements
 * that parsed completely.
 *
 * @example
 * const { ast, diagnostics } = parse('visit "/pricing" => +15');
 * // diagnostics: []; ast.statements[0].kind === "ScoreRule"
 */
export function parse(source: string): ParseResult {
  if (tooLarge(source)) {
    const message = `This model is ${Math.ceil(utf8.encode(source).length / 1024)} KB; a model may be at most ${MAX_SOURCE_BYTES / 1024} KB.`;
    const start = new LineMap("").range(0, 0);
    return { ast: { kind: "Model", statements: [], range: start }, diagnostics: [diagnostic("error", "TOO_LARGE", message, start)] };
  }
  const lines = new LineMap(source);
  const empty: Model = { kind: "Model", statements: [], range: lines.range(0, source.length) };
  const lexed = lex(source, lines);
  const diagnostics = lexed.diagnostics;
  const tokens = lexed.tokens;
  if (lexed.truncated) {
    // A file this broken is not worth parsing: the parser would only add noise.
    diagnostics.push(tooManyErrors(lines));
    return { ast: empty, diagnostics: finish(diagnostics) };
  }
  const tooDeep = findTooDeep(tokens);
  if (tooDeep !== undefined) {
    const message = `Conditions may nest parentheses and "not" at most ${MAX_DEPTH} deep.`;
    diagnostics.push(diagnostic("error", "TOO_DEEP", message, lines.range(tooDeep.startOffset, tooDeep.startOffset + tooDeep.image.length)));
    return { ast: empty, diagnostics: finish(diagnostics) };
  }
  if (tokens.length > MAX_TOKENS) {
    const first = tokens[MAX_TOKENS];
    const message = `This model has ${tokens.length} words and symbols; a model may have at most ${MAX_TOKENS}.`;
    diagnostics.push(diagnostic("error", "TOO_LARGE", message, lines.range(first.startOffset, first.startOffset + first.image.length)));
    return { ast: empty, diagnostics: finish(diagnostics) };
  }
  rulesParser.input = tokens;
  const cst = rulesParser.model();
  diagnostics.push(...syntaxDiagnostics(rulesParser.errors, lines));
  if (rulesParser.errors.length >= MAX_SYNTAX_ERRORS) diagnostics.push(tooManyErrors(lines));
  const ast = buildAst(cst as CstNode, lines, source.length, rulesParser.errors.length > 0);
  return { ast, diagnostics: finish(diagnostics) };
}

/**
 * The first token that nests deeper than `MAX_DEPTH`, found by a flat scan so that the recursive
 * parser never sees such input. Depth counts open parentheses plus the `not`s in front of the
 * current atom; it restarts at `=>` and at the start of a `stage`, `funnel` or `rule` statement.
 */
function findTooDeep(tokens: readonly IToken[]): IToken | undefined {
  const opened: number[] = [];
  let depth = 0;
  let pendingNots = 0;
  for (const token of tokens) {
    const type = token.tokenType;
    if (type === T.Not) {
      pendingNots++;
    } else if (type === T.LParen) {
      opened.push(pendingNots + 1);
      depth += pendingNots + 1;
      pendingNots = 0;
    } else if (type === T.RParen) {
      depth -= opened.pop() ?? 0;
      pendingNots = 0;
    } else if (type === T.Arrow || type === T.Stage || type === T.Funnel || type === T.Rule) {
      opened.length = 0;
      depth = 0;
      pendingNots = 0;
    } else {
      pendingNots = 0;
    }
    if (depth + pendingNots > MAX_DEPTH) return token;
  }
  return undefined;
}

const utf8 = new TextEncoder();

/**
 * Whether `text` is over `MAX_SOURCE_BYTES` in UTF-8, measured with `TextEncoder` (in browsers and
 * Node alike; not Node's `Buffer`) so that the front end runs in the workbench's editor too. A text
 * of n UTF-16 code units has between n and 3n bytes, so only a text in between is encoded.
 */
function tooLarge(text: string): boolean {
  if (text.length > MAX_SOURCE_BYTES) return true;
  return text.length * 3 > MAX_SOURCE_BYTES && utf8.encode(text).length > MAX_SOURCE_BYTES;
}

function tooManyErrors(lines: LineMap): Diagnostic {
  const message = `Too many errors: reading stopped after ${MAX_SYNTAX_ERRORS}. Fix these first.`;
  return diagnostic("error", "TOO_MANY_ERRORS", message, lines.endOfSource());
}

function syntaxDiagnostics(errors: readonly IRecognitionException[], lines: LineMap): Diagnostic[] {
  const seen = new Set<string>();
  const result: Diagnostic[] = [];
  for (const error of errors) {
    const token = error.token;
    const range =
      token.tokenType === EOF || Number.isNaN(token.startOffset)
        ? lines.endOfSource()
        : lines.range(token.startOffset, token.startOffset + token.image.length);
    const key = `${range.start.offset}:${error.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(diagnostic("error", "SYNTAX", error.message, range));
  }
  return result;
}

function finish(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
}
