/**
 * The tokens of the rule language (the language reference, `docs/language.md`).
 *
 * Token order is a contract, as in the chevrotain tutorial: `allTokens` is tried first to last and
 * the first pattern that matches wins, so
 * - skipped tokens (spaces, comments) come first;
 * - multi-character operators come before their prefixes (`=>` and `>=` before `=` and `>`);
 * - a complete string comes before an unterminated one;
 * - every keyword comes before `Identifier` and names it as `longer_alt`, so `settings` is one
 *   identifier rather than the keyword `set` followed by `tings`.
 *
 * The order also keeps chevrotain's "first character" optimisation possible (checked when the lexer
 * is built): no pattern may be a complement set such as `[^…]` at its start.
 *
 * Categories let the parser match a family at once: `Name` (any identifier or keyword, for path
 * segments after a dot such as `properties.minutes`), `CompareOp`, `Metric` and `DurationUnit`.
 */
import { createToken, Lexer, type TokenType } from "chevrotain";

/** Any identifier or keyword: what may follow a "." in a path (`properties.minutes`). */
export const Name = createToken({ name: "Name", pattern: Lexer.NA, label: "a name" });
/** `= != > >= < <= contains startsWith endsWith`. */
export const CompareOp = createToken({ name: "CompareOp", pattern: Lexer.NA, label: "a comparison such as = or >=" });
/** `score fit engagement`. */
export const Metric = createToken({ name: "Metric", pattern: Lexer.NA, label: "score, fit or engagement" });
/** `minute(s) hour(s) day(s) week(s)`. */
export const DurationUnit = createToken({
  name: "DurationUnit",
  pattern: Lexer.NA,
  label: "minutes, hours, days or weeks",
});

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  // Non-breaking spaces and a byte-order mark are spaces too: models are often pasted from documents.
  pattern: /[ \t\r\n\f\v\u00a0\ufeff\u2028\u2029]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const Comment = createToken({ name: "Comment", pattern: /#[^\r\n]*/, group: Lexer.SKIPPED });

export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [Name],
  label: "a name",
});

function keyword(text: string, name: string, categories: TokenType[] = []): TokenType {
  return createToken({
    name,
    pattern: new RegExp(text),
    longer_alt: Identifier,
    categories: [Name, ...categories],
    label: `"${text.replace(/s\?$/, "")}"`,
  });
}

export const Funnel = keyword("funnel", "Funnel");
export const Stage = keyword("stage", "Stage");
export const When = keyword("when", "When");
export const Rule = keyword("rule", "Rule");
export const Where = keyword("where", "Where");
export const At = keyword("at", "At");
export const Least = keyword("least", "Least");
export const Times = keyword("times", "Times");
export const Within = keyword("within", "Within");
export const Once = keyword("once", "Once");
export const Max = keyword("max", "Max");
export const Expires = keyword("expires", "Expires");
export const After = keyword("after", "After");
export const And = keyword("and", "And");
export const Or = keyword("or", "Or");
export const Not = keyword("not", "Not");
export const In = keyword("in", "In");
export const Is = keyword("is", "Is");
export const Set = keyword("set", "Set");
export const Has = keyword("has", "Has");
export const Contains = keyword("contains", "Contains", [CompareOp]);
export const StartsWith = keyword("startsWith", "StartsWith", [CompareOp]);
export const EndsWith = keyword("endsWith", "EndsWith", [CompareOp]);
export const Score = keyword("score", "Score", [Metric]);
export const Fit = keyword("fit", "Fit", [Metric]);
export const Engagement = keyword("engagement", "Engagement", [Metric]);
export const Minute = keyword("minutes?", "Minute", [DurationUnit]);
export const Hour = keyword("hours?", "Hour", [DurationUnit]);
export const Day = keyword("days?", "Day", [DurationUnit]);
export const Week = keyword("weeks?", "Week", [DurationUnit]);
export const Decays = keyword("decays", "Decays");
export const Every = keyword("every", "Every");
export const Group = keyword("group", "Group");

export const Arrow = createToken({ name: "Arrow", pattern: "=>", label: '"=>"' });
export const GreaterEqual = createToken({ name: "GreaterEqual", pattern: ">=", categories: [CompareOp], label: '">="' });
export const LessEqual = createToken({ name: "LessEqual", pattern: "<=", categories: [CompareOp], label: '"<="' });
export const NotEqual = createToken({ name: "NotEqual", pattern: "!=", categories: [CompareOp], label: '"!="' });
export const Equal = createToken({ name: "Equal", pattern: "=", categories: [CompareOp], label: '"="' });
export const Greater = createToken({ name: "Greater", pattern: ">", categories: [CompareOp], label: '">"' });
export const Less = createToken({ name: "Less", pattern: "<", categories: [CompareOp], label: '"<"' });
export const LParen = createToken({ name: "LParen", pattern: "(", label: '"("' });
export const RParen = createToken({ name: "RParen", pattern: ")", label: '")"' });
export const LBracket = createToken({ name: "LBracket", pattern: "[", label: '"["' });
export const RBracket = createToken({ name: "RBracket", pattern: "]", label: '"]"' });
export const Comma = createToken({ name: "Comma", pattern: ",", label: '","' });
export const Colon = createToken({ name: "Colon", pattern: ":", label: '":"' });
export const Dot = createToken({ name: "Dot", pattern: ".", label: '"."' });
export const Pipe = createToken({ name: "Pipe", pattern: "|", label: '"|"' });
export const Plus = createToken({ name: "Plus", pattern: "+", label: '"+"' });
export const Minus = createToken({ name: "Minus", pattern: "-", label: '"-"' });
export const Percent = createToken({ name: "Percent", pattern: "%", label: '"%"' });
export const LBrace = createToken({ name: "LBrace", pattern: "{", label: '"{"' });
export const RBrace = createToken({ name: "RBrace", pattern: "}", label: '"}"' });

/** A double-quoted string on one line; escapes are decoded (and checked) by the lexer. */
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*"/,
  label: "a text in double quotes",
});
/**
 * A string missing its closing quote, up to the end of the line. It is in the `StringLiteral`
 * category so the parser carries on as if the quote were there; the lexer reports it.
 */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n]?)*/,
  categories: [StringLiteral],
  label: "a text in double quotes",
});
/**
 * A text in curly quotes (“/pricing”, as word processors write them) or in single quotes. Reported
 * by the lexer, then parsed as a string so that one pasted rule does not cascade into more errors.
 */
export const MisquotedString = createToken({
  name: "MisquotedString",
  pattern: /[\u201c\u201d\u201e][^\u201c\u201d"\r\n]*[\u201c\u201d]|'[^'"\r\n]*'/,
  categories: [StringLiteral],
  label: "a text in double quotes",
});
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: /\d+(?:\.\d+)?/, label: "a number" });

/** Every keyword, in lexing order. */
export const keywordTokens: readonly TokenType[] = [
  Funnel, Stage, When, Rule, Where, At, Least, Times, Within, Once, Max, Expires, After,
  And, Or, Not, In, Is, Set, Has, Contains, StartsWith, EndsWith, Score, Fit, Engagement,
  Minute, Hour, Day, Week, Decays, Every, Group,
];

/** All tokens in lexing order (see the contract above). Categories come last; they match nothing. */
export const allTokens: readonly TokenType[] = [
  WhiteSpace,
  Comment,
  Arrow,
  GreaterEqual,
  LessEqual,
  NotEqual,
  Equal,
  Greater,
  Less,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Dot,
  Pipe,
  Plus,
  Minus,
  Percent,
  LBrace,
  RBrace,
  StringLiteral,
  UnterminatedString,
  MisquotedString,
  NumberLiteral,
  ...keywordTokens,
  Identifier,
  Name,
  CompareOp,
  Metric,
  DurationUnit,
];
