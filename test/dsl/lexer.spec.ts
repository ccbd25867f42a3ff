import { tokenMatcher } from "chevrotain";
import { lex } from "../../src/dsl/lexer";
import { MAX_NAME_LENGTH, MAX_STRING_LENGTH } from "../../src/dsl/limits";
import { LineMap } from "../../src/dsl/location";
import { parse } from "../../src/dsl/parse";
import * as T from "../../src/dsl/tokens";
import { where } from "./helpers/front-end";

function tokenize(source: string) {
  return lex(source, new LineMap(source));
}

function names(source: string): string[] {
  return tokenize(source).tokens.map((t) => t.tokenType.name);
}

describe("lexer: tokens", () => {
  test("keywords are recognised, and names that merely start with one are identifiers", () => {
    expect(names("set settings in index not notes at attributes has hash fit fitness max maximum")).toEqual([
      "Set", "Identifier", "In", "Identifier", "Not", "Identifier", "At", "Identifier",
      "Has", "Identifier", "Fit", "Identifier", "Max", "Identifier",
    ]);
  });

  test("every keyword of the language reference is a keyword, and keywords are case-sensitive", () => {
    const words =
      "funnel stage when rule where at least times within once max expires after and or not in is set has contains startsWith endsWith score fit engagement";
    expect(names(words).every((n) => n !== "Identifier")).toBe(true);
    expect(names("Funnel Stage SET Score")).toEqual(["Identifier", "Identifier", "Identifier", "Identifier"]);
  });

  test("duration units take singular and plural forms", () => {
    expect(names("minute minutes hour hours day days week weeks")).toEqual([
      "Minute", "Minute", "Hour", "Hour", "Day", "Day", "Week", "Week",
    ]);
    expect(tokenize("days").tokens.every((t) => tokenMatcher(t, T.DurationUnit))).toBe(true);
  });

  test("operators: the longest one wins", () => {
    expect(names("=> >= <= != = > < ( ) [ ] , : . | + -")).toEqual([
      "Arrow", "GreaterEqual", "LessEqual", "NotEqual", "Equal", "Greater", "Less", "LParen", "RParen",
      "LBracket", "RBracket", "Comma", "Colon", "Dot", "Pipe", "Plus", "Minus",
    ]);
    expect(names("a>=5")).toEqual(["Identifier", "GreaterEqual", "NumberLiteral"]);
  });

  test("numbers are whole or decimal; a sign is a separate token", () => {
    expect(tokenize("12 12.5 -3").tokens.map((t) => t.image)).toEqual(["12", "12.5", "-", "3"]);
  });

  test("comments and spaces (including non-breaking spaces) are skipped", () => {
    expect(names("visit # a comment => +5\n\u00a0download\t=> +1 #")).toEqual([
      "Identifier", "Identifier", "Arrow", "Plus", "NumberLiteral",
    ]);
  });

  test("compare operators and metrics belong to their categories", () => {
    const tokens = tokenize("contains startsWith endsWith score engagement").tokens;
    expect(tokens.slice(0, 3).every((t) => tokenMatcher(t, T.CompareOp))).toBe(true);
    expect(tokens.slice(3).every((t) => tokenMatcher(t, T.Metric))).toBe(true);
  });
});

describe("lexer: strings", () => {
  test("escapes are decoded into the token's payload", () => {
    const [token] = tokenize(String.raw`"a\"b\\c\n\t\u0041\u00e9"`).tokens;
    expect(token.payload).toBe('a"b\\c\n\tAé');
  });

  test("a # inside a string is not a comment", () => {
    const [token] = tokenize('"/page#top"').tokens;
    expect(token.payload).toBe("/page#top");
  });

  test("an unterminated string is reported at the string, to the end of its line", () => {
    const d = parse('visit "/pricing => +15\ndownload => +1').diagnostics;
    expect(d.map(where)).toContain("UNTERMINATED_STRING 1:7-1:23");
    expect(d.find((x) => x.code === "UNTERMINATED_STRING")!.message).toBe(
      'This text has no closing double quote (") before the end of the line.',
    );
  });

  test("an unterminated string does not hide the next line", () => {
    const { ast } = parse('visit "/pricing => +15\ndownload => +1');
    expect(ast.statements.map((s) => s.kind)).toEqual(["ScoreRule"]);
  });

  test("bad escapes are reported at the escape", () => {
    const d = parse(String.raw`visit "/a\qb" => +1`).diagnostics;
    expect(d.map(where)).toEqual(["BAD_ESCAPE 1:10-1:12"]);
    expect(d[0].message).toBe(String.raw`"\q" is not a valid escape: use \" \\ \n \t or \uXXXX (four hexadecimal digits).`);
    expect(parse(String.raw`visit "\u12x" => +1`).diagnostics.map(where)).toEqual(["BAD_ESCAPE 1:8-1:12"]);
    expect(parse(String.raw`visit "\uZZZZ" => +1`).diagnostics.map(where)).toEqual(["BAD_ESCAPE 1:8-1:10"]);
  });

  test("a string longer than the limit is refused", () => {
    const long = "x".repeat(MAX_STRING_LENGTH + 1);
    const d = parse(`visit "${long}" => +1`).diagnostics;
    expect(d.map(where)).toEqual([`TOO_LONG 1:7-1:${7 + long.length + 2}`]);
    expect(parse(`visit "${"x".repeat(MAX_STRING_LENGTH)}" => +1`).diagnostics).toEqual([]);
  });

  test("a name longer than the limit is refused", () => {
    const long = "x".repeat(MAX_NAME_LENGTH + 1);
    expect(parse(`${long} => +1`).diagnostics.map(where)).toEqual([`TOO_LONG 1:1-1:${MAX_NAME_LENGTH + 2}`]);
  });
});

describe("lexer: unexpected characters", () => {
  test("a run of unknown characters is one diagnostic covering the run", () => {
    const d = parse("visit @@ => +1").diagnostics;
    expect(d.map(where)).toEqual(["UNEXPECTED_CHARACTER 1:7-1:9"]);
    expect(d[0].message).toBe('Unexpected characters "@@": this is not part of the rule language.');
  });

  test("a text in curly or single quotes is one diagnostic, and the rule still parses", () => {
    const { ast, diagnostics } = parse("visit \u201c/pricing\u201d => +1");
    expect(diagnostics.map(where)).toEqual(["UNEXPECTED_CHARACTER 1:7-1:17"]);
    expect(diagnostics[0].message).toBe('Texts are written in straight double quotes: "/pricing".');
    expect(parse("visit '/pricing' => +1").diagnostics.map((d) => d.message)).toEqual([
      'Texts are written in straight double quotes: "/pricing".',
    ]);
    expect(ast.statements).toHaveLength(1);
  });

  test("a lone curly or single quote gets a hint", () => {
    expect(parse("visit \u201d => +1").diagnostics[0].message).toBe(
      'Unexpected character "\u201d": texts are written in straight double quotes, e.g. "/pricing".',
    );
    expect(parse("visit ' => +1").diagnostics[0].message).toBe(
      `Unexpected character "'": texts are written in double quotes, e.g. "/pricing".`,
    );
  });

  test("&& gets a hint to write and", () => {
    const d = parse('role "a" && industry "b" => +1').diagnostics;
    expect(d[0].message).toBe('Unexpected characters "&&": write "and" / "or" to combine conditions.');
  });
});

describe("lexer: positions", () => {
  test("lines end at \\n, \\r\\n and \\r; columns are 1-based", () => {
    const lines = new LineMap("ab\r\ncd\ref\ngh");
    expect(lines.position(0)).toEqual({ line: 1, column: 1, offset: 0 });
    expect(lines.position(4)).toEqual({ line: 2, column: 1, offset: 4 });
    expect(lines.position(7)).toEqual({ line: 3, column: 1, offset: 7 });
    expect(lines.position(11)).toEqual({ line: 4, column: 2, offset: 11 });
  });

  test("diagnostics after CRLF line breaks are on the right line", () => {
    expect(parse("download => +1\r\nvisit @ => +1").diagnostics.map(where)).toEqual(["UNEXPECTED_CHARACTER 2:7-2:8"]);
  });
});
