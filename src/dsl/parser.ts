/**
 * The parser: tokens to a concrete syntax tree (chevrotain `CstParser`), then to the AST (by the
 * CST visitor in `cst-to-ast.ts`). `parse` is the entry point; it never throws.
 *
 * Above each rule, the EBNF production of `shared/spec/rules-language.md` it implements. Two
 * deliberate widenings, so the checker can give a better message than "syntax error":
 * - `metric compareOp value` (the spec says `Number`): `score = "high"` is a TYPE_MISMATCH;
 * - points, counts and durations take any number: `+1.5` is OUT_OF_RANGE, not a syntax error.
 */
import {
  CstParser,
  EOF,
  tokenMatcher,
  type CstNode,
  type IParserErrorMessageProvider,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from "chevrotain";
import type { Model } from "./ast";
import { buildAst } from "./cst-to-ast";
import { diagnostic, type Diagnostic } from "./diagnostics";
import { lex } from "./lexer";
import { MAX_DEPTH, MAX_SOURCE_BYTES, MAX_SYNTAX_ERRORS, MAX_TOKENS } from "./limits";
import { LineMap } from "./location";
import * as T from "./tokens";

/** What each expected token is for, by rule: the second half of "Expected …". */
const EXPECTATIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  scoreRule: {
    Arrow: '"=>" and the points after the rule\'s condition',
    StringLiteral: 'the rule\'s name in double quotes after "rule", e.g. rule "Demo request": demo_request => +30',
    Colon: '":" after the rule\'s name, e.g. rule "Demo request": demo_request => +30',
  },
  stageRule: {
    Identifier: 'the name of a stage after "stage", e.g. stage MQL when score >= 50',
    When: '"when" and a condition after the stage\'s name, e.g. stage MQL when score >= 50',
  },
  funnel: {
    Identifier: "a stage name in the funnel, e.g. funnel Subscriber > Lead > MQL",
  },
  frequency: {
    Least: '"least" after "at", as in at least 3 times within 7 days',
    NumberLiteral: 'how many times after "at least", as in at least 3 times within 7 days',
    Times: '"times" after the count, as in at least 3 times within 7 days',
    Within: '"within" and a duration, as in at least 3 times within 7 days',
  },
  duration: {
    NumberLiteral: "a duration, e.g. 30 days",
    DurationUnit: "a unit after the number: minutes, hours, days or weeks",
  },
  points: {
    NumberLiteral: 'the points after "=>", e.g. +10 or -5',
  },
  modifier: {
    NumberLiteral: 'a number after "max", e.g. max 5',
    After: '"after" and a duration after "expires", e.g. expires after 90 days',
  },
  atom: {
    RParen: '")" to close the parenthesis',
    Identifier: 'an interaction type after "has", e.g. has demo_request',
    CompareOp: 'a comparison after the metric, e.g. score >= 50',
  },
  pathCondition: {
    LBracket: '"[" and a list of values after "in", e.g. in ["SaaS", "Software"]',
    RBracket: '"," or "]" in the list of values',
    Set: '"set" after "is" (is set, is not set)',
  },
  path: {
    Name: 'a name after ".", e.g. attributes.plan',
  },
  value: {
    NumberLiteral: 'a number after "-"',
  },
};

/** What a failed choice was looking for, by rule. */
const A_CONDITION = 'a condition, e.g. visit "/pricing", role = "CEO" or score >= 50';
const A_STATEMENT = 'a new rule, a "stage" rule or a "funnel"';
const CHOICES: Readonly<Record<string, string>> = {
  statement: A_STATEMENT,
  condition: A_CONDITION,
  andExpr: A_CONDITION,
  notExpr: A_CONDITION,
  atom: A_CONDITION,
  value: "a number or a text in double quotes",
  points: 'the points after "=>", e.g. +10 or -5',
  modifier: 'once, max or expires',
};

function describeFound(token: IToken | undefined): string {
  if (token === undefined || token.tokenType === EOF) return "the end of the file";
  const image = token.image.length > 40 ? `${token.image.slice(0, 40)}…` : token.image;
  return image.startsWith('"') ? image : `"${image}"`;
}

const SET_HINT = ' (a field is tested with "is": is set, is not set, e.g. email is not set)';

const CONDITION_RULES: ReadonlySet<string> = new Set(["condition", "andExpr", "notExpr", "atom"]);

/**
 * For a keyword where a condition should start: `set` after `not` or a name (`email not set`):
 * the test is written with "is"; another keyword (`where minutes >= 30`): how to write it as a name.
 */
function keywordHint(ruleName: string, token: IToken | undefined, previous: IToken | undefined): string {
  if (token === undefined) return "";
  if (token.tokenType === T.Set && previous !== undefined && (previous.tokenType === T.Not || tokenMatcher(previous, T.Name))) {
    return SET_HINT;
  }
  if (!CONDITION_RULES.has(ruleName) || !tokenMatcher(token, T.Name) || token.tokenType === T.Identifier) return "";
  const word = token.image;
  return ` ("${word}" is a word of the rule language: as a name it needs its prefix, e.g. properties.${word} or attributes.${word})`;
}

function labelOf(tokenType: TokenType): string {
  return tokenType.LABEL ?? tokenType.name;
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    const what = expected === EOF ? A_STATEMENT : (EXPECTATIONS[ruleName]?.[expected.name] ?? labelOf(expected));
    return `Expected ${what}, found ${describeFound(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    // "set" never starts a rule: it ended a condition (`firstName set`).
    const hint = firstRedundant.tokenType === T.Set ? SET_HINT : "";
    return `Expected ${A_STATEMENT}, found ${describeFound(firstRedundant)}${hint}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, previous, ruleName }) {
    const what =
      CHOICES[ruleName] ??
      [...new Set(expectedPathsPerAlt.flat().map((path) => labelOf(path[0])))].join(" or ");
    return `Expected ${what}, found ${describeFound(actual[0])}${keywordHint(ruleName, actual[0], previous)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const what = CHOICES[ruleName] ?? [...new Set(expectedIterationPaths.map((path) => labelOf(path[0])))].join(" or ");
    return `Expected ${what}, found ${describeFound(actual[0])}`;
  },
};

/**
 * The grammar as a chevrotain CST parser. Build it once (`rulesParser`) and reuse it: setting
 * `input` resets its state.
 */
export class RulesParser extends CstParser {
  constructor() {
    super([...T.allTokens], { recoveryEnabled: true, nodeLocationTracking: "none", errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  // model = { statement } ;
  public readonly model = this.RULE("model", () => {
    this.MANY({
      // Past this many errors the rest of a broken file is noise: stop (the remainder is reported once).
      GATE: () => this.errors.length < MAX_SYNTAX_ERRORS,
      DEF: () => this.SUBRULE(this.statement),
    });
  });

  // statement = funnel | stageRule | scoreRule ;
  public readonly statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.funnel) },
      { ALT: () => this.SUBRULE(this.stageRule) },
      { ALT: () => this.SUBRULE(this.scoreRule) },
    ]);
  });

  // funnel = "funnel" Ident { ">" Ident } [ "|" Ident { "," Ident } ] ;
  public readonly funnel = this.RULE("funnel", () => {
    this.CONSUME(T.Funnel);
    this.CONSUME(T.Identifier, { LABEL: "stages" });
    this.MANY(() => {
      this.CONSUME(T.Greater);
      this.CONSUME2(T.Identifier, { LABEL: "stages" });
    });
    this.OPTION(() => {
      this.CONSUME(T.Pipe);
      this.CONSUME3(T.Identifier, { LABEL: "offPath" });
      this.MANY2(() => {
        this.CONSUME(T.Comma);
        this.CONSUME4(T.Identifier, { LABEL: "offPath" });
      });
    });
  });

  // stageRule = "stage" Ident "when" condition ;
  public readonly stageRule = this.RULE("stageRule", () => {
    this.CONSUME(T.Stage);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.When);
    this.SUBRULE(this.condition);
  });

  // scoreRule = [ "rule" String ":" ] condition [ "where" condition ] [ frequency ] "=>" points { modifier } ;
  public readonly scoreRule = this.RULE("scoreRule", () => {
    this.OPTION(() => {
      this.CONSUME(T.Rule);
      this.CONSUME(T.StringLiteral);
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.condition, { LABEL: "condition" });
    this.OPTION2(() => {
      this.CONSUME(T.Where);
      this.SUBRULE2(this.condition, { LABEL: "where" });
    });
    this.OPTION3(() => this.SUBRULE(this.frequency));
    this.CONSUME(T.Arrow);
    this.SUBRULE(this.points);
    this.MANY(() => this.SUBRULE(this.modifier));
  });

  // frequency = "at" "least" Int "times" "within" duration ;
  public readonly frequency = this.RULE("frequency", () => {
    this.CONSUME(T.At);
    this.CONSUME(T.Least);
    this.CONSUME(T.NumberLiteral);
    this.CONSUME(T.Times);
    this.CONSUME(T.Within);
    this.SUBRULE(this.duration);
  });

  // points = [ "+" | "-" ] Int ;
  public readonly points = this.RULE("points", () => {
    this.OPTION(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus, { LABEL: "sign" }) }, { ALT: () => this.CONSUME(T.Minus, { LABEL: "sign" }) }]);
    });
    this.CONSUME(T.NumberLiteral);
  });

  // modifier = "once" | "max" Int | "expires" "after" duration ;
  public readonly modifier = this.RULE("modifier", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Once) },
      {
        ALT: () => {
          this.CONSUME(T.Max);
          this.CONSUME(T.NumberLiteral);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Expires);
          this.CONSUME(T.After);
          this.SUBRULE(this.duration);
        },
      },
    ]);
  });

  // duration = Int ( "minute" | "minutes" | "hour" | "hours" | "day" | "days" | "week" | "weeks" ) ;
  public readonly duration = this.RULE("duration", () => {
    this.CONSUME(T.NumberLiteral);
    this.CONSUME(T.DurationUnit);
  });

  // condition = andExpr { "or" andExpr } ;
  public readonly condition = this.RULE("condition", () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  // andExpr = notExpr { "and" notExpr } ;
  public readonly andExpr = this.RULE("andExpr", () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  // notExpr = "not" notExpr | atom ;
  public readonly notExpr = this.RULE("notExpr", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.atom) },
    ]);
  });

  // atom = "(" condition ")" | "has" Ident [ String ] | metric compareOp value | pathCondition ;
  public readonly atom = this.RULE("atom", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.condition);
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Has);
          this.CONSUME(T.Identifier);
          this.OPTION(() => this.CONSUME(T.StringLiteral));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Metric);
          this.CONSUME(T.CompareOp);
          this.SUBRULE(this.value);
        },
      },
      { ALT: () => this.SUBRULE(this.pathCondition) },
    ]);
  });

  // pathCondition = path [ compareOp value
  //                      | [ "not" ] "in" "[" value { "," value } "]"
  //                      | "is" [ "not" ] "set"
  //                      | value ] ;          (* implicit "=", or an activity with its target *)
  public readonly pathCondition = this.RULE("pathCondition", () => {
    this.SUBRULE(this.path);
    this.OPTION({
      // `not` continues this atom only as `not in`: in `stage X when a` followed by the rule
      // `not b is set => +1`, the `not` starts the next statement.
      GATE: () => this.LA(1).tokenType !== T.Not || this.LA(2).tokenType === T.In,
      DEF: () =>
        this.OR([
          {
            ALT: () => {
              this.CONSUME(T.CompareOp);
              this.SUBRULE(this.value, { LABEL: "compared" });
            },
          },
          {
            ALT: () => {
              this.OPTION2(() => this.CONSUME(T.Not, { LABEL: "notIn" }));
              this.CONSUME(T.In);
              this.CONSUME(T.LBracket);
              this.SUBRULE2(this.value, { LABEL: "list" });
              this.MANY(() => {
                this.CONSUME(T.Comma);
                this.SUBRULE3(this.value, { LABEL: "list" });
              });
              this.CONSUME(T.RBracket);
            },
          },
          {
            ALT: () => {
              this.CONSUME(T.Is);
              this.OPTION3(() => this.CONSUME2(T.Not, { LABEL: "isNot" }));
              this.CONSUME(T.Set);
            },
          },
          { ALT: () => this.SUBRULE4(this.value, { LABEL: "bare" }) },
        ]),
    });
  });

  // path = Ident { "." Ident } ;  (after a ".", keywords are names too: properties.minutes)
  public readonly path = this.RULE("path", () => {
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME(T.Name);
    });
  });

  // value = String | [ "-" ] Number ;
  public readonly value = this.RULE("value", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Minus));
          this.CONSUME(T.NumberLiteral);
        },
      },
    ]);
  });
}

/** The one parser instance (chevrotain parsers are built once and reused). */
export const rulesParser = new RulesParser();

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
  if (source.length > MAX_SOURCE_BYTES || Buffer.byteLength(source, "utf8") > MAX_SOURCE_BYTES) {
    const message = `This model is ${Math.ceil(Buffer.byteLength(source, "utf8") / 1024)} KB; a model may be at most ${MAX_SOURCE_BYTES / 1024} KB.`;
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
