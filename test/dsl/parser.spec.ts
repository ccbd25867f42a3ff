import type { CompareCondition, FunnelStatement, ScoreRule, SourceRange, StageRule } from "../../src/dsl/ast";
import { parse } from "../../src/dsl/parse";
import { onlyStatement, parseClean, stripRanges, where } from "./helpers/front-end";

/** `line:column-endLine:endColumn` of a range. */
function span(range: SourceRange): string {
  return `${range.start.line}:${range.start.column}-${range.end.line}:${range.end.column}`;
}

function scoreRule(source: string): ScoreRule {
  const statement = onlyStatement(source);
  if (statement.kind !== "ScoreRule") throw new Error(`not a score rule: ${statement.kind}`);
  return statement;
}

function conditionOf(source: string) {
  return stripRanges(scoreRule(`${source} => +1`).condition);
}

const name = (value: string) => ({ kind: "Name", value });
const path = (...segments: string[]) => ({ kind: "Path", segments: segments.map(name) });
const str = (value: string) => ({ kind: "String", value });
const num = (value: number, raw = String(value)) => ({ kind: "Number", value, raw });

describe("parser: statements", () => {
  test("funnel = \"funnel\" Ident { \">\" Ident } [ \"|\" Ident { \",\" Ident } ]", () => {
    const funnel = onlyStatement("funnel Subscriber > Lead > MQL | Other, Lost") as FunnelStatement;
    expect(stripRanges(funnel)).toEqual({
      kind: "Funnel",
      stages: [name("Subscriber"), name("Lead"), name("MQL")],
      offPath: [name("Other"), name("Lost")],
    });
    expect(span(funnel.range)).toBe("1:1-1:45");
    expect(span(funnel.stages[1].range)).toBe("1:21-1:25");
    expect(span(funnel.offPath[1].range)).toBe("1:41-1:45");
    expect(stripRanges(onlyStatement("funnel A"))).toEqual({ kind: "Funnel", stages: [name("A")], offPath: [] });
  });

  test('stageRule = "stage" Ident "when" condition', () => {
    const rule = onlyStatement("stage MQL  when score >= 50") as StageRule;
    expect(stripRanges(rule)).toEqual({
      kind: "StageRule",
      stage: name("MQL"),
      condition: { kind: "Compare", left: { kind: "Metric", name: "score" }, op: ">=", right: num(50) },
    });
    expect(span(rule.range)).toBe("1:1-1:28");
    expect(span(rule.stage.range)).toBe("1:7-1:10");
    const condition = rule.condition as CompareCondition;
    expect(span(condition.range)).toBe("1:17-1:28");
    expect(span(condition.left.range)).toBe("1:17-1:22");
    expect(span(condition.opRange)).toBe("1:23-1:25");
  });

  test("scoreRule: every part", () => {
    const rule = scoreRule(
      'rule "Engaged": visit "/pricing" where source = "ads" at least 3 times within 7 days => +20 once expires after 90 days',
    );
    expect(stripRanges(rule)).toEqual({
      kind: "ScoreRule",
      name: str("Engaged"),
      condition: { kind: "Bare", path: path("visit"), value: str("/pricing") },
      where: { kind: "Compare", left: path("source"), op: "=", right: str("ads") },
      frequency: {
        kind: "Frequency",
        count: num(3),
        within: { kind: "Duration", amount: num(7), unit: "day", unitText: "days" },
      },
      points: { kind: "Points", value: 20, sign: "+", raw: "+20" },
      modifiers: [
        { kind: "Once" },
        { kind: "Expires", after: { kind: "Duration", amount: num(90), unit: "day", unitText: "days" } },
      ],
    });
    expect(span(rule.range)).toBe("1:1-1:119");
    expect(span(rule.name!.range)).toBe("1:6-1:15");
    expect(span(rule.condition.range)).toBe("1:17-1:33");
    expect(span(rule.where!.range)).toBe("1:40-1:54");
    expect(span(rule.frequency!.range)).toBe("1:55-1:85");
    expect(span(rule.frequency!.within.range)).toBe("1:79-1:85");
    expect(span(rule.points.range)).toBe("1:89-1:92");
    expect(span(rule.modifiers[0].range)).toBe("1:93-1:97");
    expect(span(rule.modifiers[1].range)).toBe("1:98-1:119");
  });

  test("points = [ \"+\" | \"-\" ] Int", () => {
    expect(stripRanges(scoreRule("visit => -10").points)).toEqual({ kind: "Points", value: -10, sign: "-", raw: "-10" });
    expect(stripRanges(scoreRule("visit => 15").points)).toEqual({ kind: "Points", value: 15, sign: null, raw: "15" });
    expect(stripRanges(scoreRule("visit => +1.5").points)).toEqual({ kind: "Points", value: 1.5, sign: "+", raw: "+1.5" });
  });

  test('modifier = "once" | "max" Int | "expires" "after" duration', () => {
    const rule = scoreRule("visit => +2 max 5 expires after 1 week");
    expect(stripRanges(rule.modifiers)).toEqual([
      { kind: "Max", count: num(5) },
      { kind: "Expires", after: { kind: "Duration", amount: num(1), unit: "week", unitText: "week" } },
    ]);
    expect(span(rule.modifiers[0].range)).toBe("1:13-1:18");
  });

  test("duration units: singular and plural, the written form kept", () => {
    for (const [text, unit] of [
      ["1 minute", "minute"],
      ["30 minutes", "minute"],
      ["2 hours", "hour"],
      ["1 day", "day"],
      ["4 weeks", "week"],
    ]) {
      const rule = scoreRule(`visit => +1 expires after ${text}`);
      const modifier = rule.modifiers[0];
      expect(modifier.kind === "Expires" && modifier.after.unit).toBe(unit);
      expect(modifier.kind === "Expires" && modifier.after.unitText).toBe(text.split(" ")[1]);
    }
  });

  test("statements need no separator: one per line by convention", () => {
    const model = parseClean('funnel A > B\nvisit => +1 stage B when score > 1 download "x" => +2 once');
    expect(model.statements.map((s) => s.kind)).toEqual(["Funnel", "ScoreRule", "StageRule", "ScoreRule"]);
  });

  test("a statement may start with not after a stage rule ending in a bare name", () => {
    const model = parse("stage B when a\nnot b is set => +1").ast;
    expect(model.statements.map((s) => s.kind)).toEqual(["StageRule", "ScoreRule"]);
  });

  test("the model's range is the whole source; comments and blank lines are ignored", () => {
    const model = parseClean("# only a comment\n\n");
    expect(model.statements).toEqual([]);
    expect(span(model.range)).toBe("1:1-3:1");
  });
});

describe("parser: conditions", () => {
  test('atom: path [ value ] (an activity with its target, or an implicit "=")', () => {
    expect(conditionOf('visit "/pricing"')).toEqual({ kind: "Bare", path: path("visit"), value: str("/pricing") });
    expect(conditionOf("download")).toEqual({ kind: "Bare", path: path("download"), value: null });
    expect(conditionOf("companySize 50")).toEqual({ kind: "Bare", path: path("companySize"), value: num(50) });
  });

  test("atom: path compareOp value, with every operator", () => {
    for (const op of ["=", "!=", ">", ">=", "<", "<=", "contains", "startsWith", "endsWith"]) {
      expect(conditionOf(`role ${op} "x"`)).toEqual({ kind: "Compare", left: path("role"), op, right: str("x") });
    }
  });

  test("atom: negative numbers and decimals", () => {
    expect(conditionOf("attributes.balance > -12.5")).toEqual({
      kind: "Compare",
      left: path("attributes", "balance"),
      op: ">",
      right: num(-12.5, "-12.5"),
    });
  });

  test("atom: metric compareOp value", () => {
    const rule = onlyStatement("stage SQL when engagement < -3") as StageRule;
    expect(stripRanges(rule.condition)).toEqual({
      kind: "Compare",
      left: { kind: "Metric", name: "engagement" },
      op: "<",
      right: num(-3, "-3"),
    });
    expect(span((rule.condition as CompareCondition).right.range)).toBe("1:29-1:31");
  });

  test('atom: path [ "not" ] "in" "[" value { "," value } "]"', () => {
    const condition = scoreRule('industry not in ["SaaS", "Software", 3] => +1').condition;
    expect(stripRanges(condition)).toEqual({
      kind: "In",
      path: path("industry"),
      negated: true,
      values: [str("SaaS"), str("Software"), num(3)],
    });
    expect(span(condition.range)).toBe("1:1-1:40");
    expect(conditionOf('country in ["FR"]')).toEqual({ kind: "In", path: path("country"), negated: false, values: [str("FR")] });
  });

  test('atom: path "is" [ "not" ] "set"', () => {
    expect(conditionOf("firstName is set")).toEqual({ kind: "IsSet", path: path("firstName"), negated: false });
    expect(conditionOf("attributes.plan is not set")).toEqual({ kind: "IsSet", path: path("attributes", "plan"), negated: true });
  });

  test('atom: "has" Ident [ String ]', () => {
    const rule = onlyStatement('stage SQL when has visit "/pricing"') as StageRule;
    expect(stripRanges(rule.condition)).toEqual({ kind: "Has", type: name("visit"), target: str("/pricing") });
    expect(span(rule.condition.range)).toBe("1:16-1:36");
    expect(stripRanges((onlyStatement("stage SQL when has demo_request") as StageRule).condition)).toEqual({
      kind: "Has",
      type: name("demo_request"),
      target: null,
    });
  });

  test("paths: keywords are names after a dot", () => {
    expect(conditionOf("webinar where properties.minutes >= 30" as string)).toEqual({
      kind: "Bare",
      path: path("webinar"),
      value: null,
    });
    const rule = scoreRule("webinar where properties.minutes >= 30 and lead.attributes.set.max = 1 => +1");
    expect(stripRanges(rule.where)).toMatchObject({
      kind: "And",
      operands: [{ left: path("properties", "minutes") }, { left: path("lead", "attributes", "set", "max") }],
    });
  });

  test("precedence: not binds tighter than and, and tighter than or", () => {
    const c = conditionOf('not role = "a" and industry = "b" or country = "c"');
    expect(c).toEqual({
      kind: "Or",
      operands: [
        {
          kind: "And",
          operands: [
            { kind: "Not", operand: { kind: "Compare", left: path("role"), op: "=", right: str("a") } },
            { kind: "Compare", left: path("industry"), op: "=", right: str("b") },
          ],
        },
        { kind: "Compare", left: path("country"), op: "=", right: str("c") },
      ],
    });
  });

  test("and / or chains are flat; parentheses group and are not kept as nodes", () => {
    const c = conditionOf('role = "a" and (industry = "b" or country = "c") and email is set');
    expect(c).toMatchObject({ kind: "And", operands: [{ kind: "Compare" }, { kind: "Or" }, { kind: "IsSet" }] });
    expect(conditionOf("((firstName is set))")).toEqual({ kind: "IsSet", path: path("firstName"), negated: false });
  });

  test("ranges of and / or / not / parenthesised nodes", () => {
    const rule = scoreRule('not (role = "a" or role = "b") and email is set => +1');
    const and = rule.condition;
    expect(span(and.range)).toBe("1:1-1:48");
    if (and.kind !== "And") throw new Error("and expected");
    expect(span(and.operands[0].range)).toBe("1:1-1:31");
    const not = and.operands[0];
    if (not.kind !== "Not") throw new Error("not expected");
    // A parenthesised condition's range includes its parentheses.
    expect(span(not.operand.range)).toBe("1:5-1:31");
  });

  test("double negation nests", () => {
    expect(conditionOf("not not email is set")).toEqual({
      kind: "Not",
      operand: { kind: "Not", operand: { kind: "IsSet", path: path("email"), negated: false } },
    });
  });

  test("escaped strings are decoded in the AST", () => {
    expect(conditionOf(String.raw`company = "Acme \"Labs\"\tInc"`)).toMatchObject({ right: str('Acme "Labs"\tInc') });
  });
});

describe("parser: syntax errors", () => {
  const cases: [string, string, string][] = [
    ['visit "/pricing" 15', "SYNTAX 1:18-1:20", 'Expected "=>" and the points after the rule\'s condition, found "15"'],
    ['visit "/pricing" =>', "SYNTAX 1:20-1:20", 'Expected the points after "=>", e.g. +10 or -5, found the end of the file'],
    ["stage when score > 5", "SYNTAX 1:7-1:11", 'Expected the name of a stage after "stage", e.g. stage MQL when score >= 50, found "when"'],
    ["stage MQL score > 5", "SYNTAX 1:11-1:16", 'Expected "when" and a condition after the stage\'s name, e.g. stage MQL when score >= 50, found "score"'],
    ["funnel > Lead", "SYNTAX 1:8-1:9", 'Expected a stage name in the funnel, e.g. funnel Subscriber > Lead > MQL, found ">"'],
    ['role = "a" and => +1', "SYNTAX 1:16-1:18", 'Expected a condition, e.g. visit "/pricing", role = "CEO" or score >= 50, found "=>"'],
    ['(role = "a" => +1', "SYNTAX 1:13-1:15", 'Expected ")" to close the parenthesis, found "=>"'],
    ["industry in SaaS => +1", "SYNTAX 1:13-1:17", 'Expected "[" and a list of values after "in", e.g. in ["SaaS", "Software"], found "SaaS"'],
    ['industry in ["a" "b"] => +1', "SYNTAX 1:18-1:21", 'Expected "," or "]" in the list of values, found "b"'],
    ["email is => +1", "SYNTAX 1:10-1:12", 'Expected "set" after "is" (is set, is not set), found "=>"'],
    ["role = => +1", "SYNTAX 1:8-1:10", 'Expected a number or a text in double quotes, found "=>"'],
    ["visit at 3 times within 2 days => +1", "SYNTAX 1:10-1:11", 'Expected "least" after "at", as in at least 3 times within 7 days, found "3"'],
    ["visit at least 3 within 2 days => +1", "SYNTAX 1:18-1:24", 'Expected "times" after the count, as in at least 3 times within 7 days, found "within"'],
    ["visit at least 3 times within 2 => +1", "SYNTAX 1:33-1:35", 'Expected a unit after the number: minutes, hours, days or weeks, found "=>"'],
    ["visit => +1 max once", "SYNTAX 1:17-1:21", 'Expected a number after "max", e.g. max 5, found "once"'],
    ["visit => +1 expires 3 days", "SYNTAX 1:21-1:22", 'Expected "after" and a duration after "expires", e.g. expires after 90 days, found "3"'],
    ["rule Demo: demo_request => +1", "SYNTAX 1:6-1:10", 'Expected the rule\'s name in double quotes after "rule", e.g. rule "Demo request": demo_request => +30, found "Demo"'],
    ['rule "Demo" demo_request => +1', "SYNTAX 1:13-1:25", 'Expected ":" after the rule\'s name, e.g. rule "Demo request": demo_request => +30, found "demo_request"'],
    ["attributes. => +1", "SYNTAX 1:13-1:15", 'Expected a name after ".", e.g. attributes.plan, found "=>"'],
    ["visit => +1 once 3", "SYNTAX 1:18-1:19", 'Expected a new rule, a "stage" rule, a "group" or a "funnel", found "3"'],
    ["stage SQL when has => +1", "SYNTAX 1:20-1:22", 'Expected an interaction type after "has", e.g. has demo_request, found "=>"'],
    [
      "webinar where minutes >= 30 => +1",
      "SYNTAX 1:15-1:22",
      'Expected a condition, e.g. visit "/pricing", role = "CEO" or score >= 50, found "minutes" ("minutes" is a word of the rule language: as a name it needs its prefix, e.g. properties.minutes or attributes.minutes)',
    ],
    [
      "stage Lead when email not set",
      "SYNTAX 1:27-1:30",
      'Expected a condition, e.g. visit "/pricing", role = "CEO" or score >= 50, found "set" (a field is tested with "is": is set, is not set, e.g. email is not set)',
    ],
    [
      "stage Lead when firstName set",
      "SYNTAX 1:27-1:30",
      'Expected a new rule, a "stage" rule, a "group" or a "funnel", found "set" (a field is tested with "is": is set, is not set, e.g. email is not set)',
    ],
  ];

  test.each(cases)("%s", (source, position, message) => {
    const { diagnostics } = parse(source);
    expect(diagnostics.map(where)[0]).toBe(position);
    expect(diagnostics[0].message).toBe(message);
    expect(diagnostics[0].severity).toBe("error");
  });

  test("three separate syntax errors give three diagnostics, and the good rules still parse", () => {
    const source = [
      'visit "/pricing" => +15',
      'download "x" 5', // missing =>
      "subscribe => +2",
      "role = => +5", // missing value
      'email endsWith "@gmail.com" => -15',
      "stage when score > 5", // missing stage name
      "stage MQL when score >= 50",
    ].join("\n");
    const { ast, diagnostics } = parse(source);
    expect(diagnostics.map(where)).toEqual(["SYNTAX 2:14-2:15", "SYNTAX 4:8-4:10", "SYNTAX 6:7-6:11"]);
    const kept = ast.statements.map((s) => s.range.start.line);
    expect(kept).toEqual(expect.arrayContaining([1, 3, 5, 7]));
  });

  test("a statement repaired by recovery is left out of the AST", () => {
    const { ast } = parse('visit "/pricing" 15');
    expect(ast.statements).toEqual([]);
  });

  test("parse never throws, and an empty source is an empty model", () => {
    expect(parse("").ast).toMatchObject({ kind: "Model", statements: [] });
    expect(parse("").diagnostics).toEqual([]);
  });

  test("the parser is reused: a failed parse does not affect the next", () => {
    parse("visit (((( => ");
    expect(parse("visit => +1").diagnostics).toEqual([]);
  });

  test("after 100 syntax errors the parser stops and says so", () => {
    const source = "role = => +1\n".repeat(300);
    const { diagnostics } = parse(source);
    expect(diagnostics.filter((d) => d.code === "SYNTAX").length).toBeLessThanOrEqual(101);
    expect(diagnostics[diagnostics.length - 1].code).toBe("TOO_MANY_ERRORS");
  });
});
