/**
 * The grammar: tokens to a concrete syntax tree, as a chevrotain `CstParser` built once
 * (`rulesParser`) and reused. The entry point, `parse` (lex, parse, build the AST), is in
 * `parse.ts`; the CST visitor that builds the AST is in `cst-to-ast.ts`. This module imports
 * neither, so the three form no cycle.
 *
 * Above each rule, the EBNF production of the language (`docs/language.md`) it implements. Two
 * deliberate widenings, so the checker can give a better message than "syntax error":
 * - `metric compareOp value` (the spec says `Number`): `score = "high"` is a TYPE_MISMATCH;
 * - points, counts and durations take any number: `+1.5` is OUT_OF_RANGE, not a syntax error.
 */
import { CstParser, EOF, tokenMatcher, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";
import { MAX_SYNTAX_ERRORS } from "./limits";
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
  decay: {
    NumberLiteral: 'a percentage after "decays", as in decays 10% every 30 days',
    Percent: '"%" after the percentage, as in decays 10% every 30 days',
    Every: '"every" and a duration, as in decays 10% every 30 days',
  },
  group: {
    StringLiteral: 'the group\'s name in double quotes after "group", e.g. group "Product A" { … }',
    LBrace: '"{" and the group\'s rules, e.g. group "Product A" max 60 { visit "/a/*" => +10 }',
    RBrace: '"}" to close the group (or another rule inside it)',
  },
  groupSetting: {
    NumberLiteral: 'a number after "max", e.g. group "Product A" max 60 { … }',
  },
  atom: {
    RParen: '")" to close the parenthesis',
    Identifier: 'an interaction type after "has", e.g. has demo_request',
    CompareOp: 'a comparison after the metric, e.g. score >= 50',
    StringLiteral: 'the group\'s name in double quotes after "group", e.g. group "Product A" >= 30',
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
const A_STATEMENT = 'a new rule, a "stage" rule, a "group" or a "funnel"';
const CHOICES: Readonly<Record<string, string>> = {
  statement: A_STATEMENT,
  condition: A_CONDITION,
  andExpr: A_CONDITION,
  notExpr: A_CONDITION,
  atom: A_CONDITION,
  value: "a number or a text in double quotes",
  points: 'the points after "=>", e.g. +10 or -5',
  modifier: "once, max, expires or decays",
  groupSetting: 'max or decays, or "{" and the group\'s rules',
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
    // `group Name {` (no quotes) fits neither a group nor a condition: say what a group needs.
    if (ruleName === "statement" && actual[0]?.tokenType === T.Group && !tokenMatcher(actual[1], T.StringLiteral)) {
      return `Expected ${EXPECTATIONS.group.StringLiteral}, found ${describeFound(actual[1])}`;
    }
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

  // statement = funnel | stageRule | group | scoreRule ;
  public readonly statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.funnel) },
      { ALT: () => this.SUBRULE(this.stageRule) },
      // `group "A" >= 3 => …` is a score rule (the checker refuses the metric there): the third token decides.
      { ALT: () => this.SUBRULE(this.group) },
      { ALT: () => this.SUBRULE(this.scoreRule) },
    ]);
  });

  // group = "group" String { groupSetting } "{" { scoreRule } "}" ;
  public readonly group = this.RULE("group", () => {
    this.CONSUME(T.Group);
    this.CONSUME(T.StringLiteral);
    this.MANY(() => this.SUBRULE(this.groupSetting));
    this.CONSUME(T.LBrace);
    this.MANY2({
      GATE: () => this.errors.length < MAX_SYNTAX_ERRORS,
      DEF: () => this.SUBRULE(this.scoreRule),
    });
    this.CONSUME(T.RBrace);
  });

  // groupSetting = "max" Int | decay ;
  public readonly groupSetting = this.RULE("groupSetting", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Max);
          this.CONSUME(T.NumberLiteral);
        },
      },
      { ALT: () => this.SUBRULE(this.decay) },
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

  // modifier = "once" | "max" Int | "expires" "after" duration | decay ;
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
      { ALT: () => this.SUBRULE(this.decay) },
    ]);
  });

  // decay = "decays" Int "%" "every" duration ;
  public readonly decay = this.RULE("decay", () => {
    this.CONSUME(T.Decays);
    this.CONSUME(T.NumberLiteral);
    this.CONSUME(T.Percent);
    this.CONSUME(T.Every);
    this.SUBRULE(this.duration);
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
  // metric = "score" | "fit" | "engagement" | "group" String ;
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
          this.OR2([
            { ALT: () => this.CONSUME(T.Metric) },
            {
              ALT: () => {
                this.CONSUME(T.Group);
                this.CONSUME2(T.StringLiteral, { LABEL: "groupName" });
              },
            },
          ]);
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
