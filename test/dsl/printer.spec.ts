import fc from "fast-check";
import { formatNumber, print, printCondition, printScoreRule, printStageRule, printString } from "../../src/dsl/printer";
import { parse } from "../../src/dsl/parse";
import { model } from "./helpers/ast-arbitrary";
import { onlyStatement, parseClean, stripRanges } from "./helpers/front-end";
import { SEED_MODEL } from "./helpers/project-files";

function canonical(source: string): string {
  return print(parseClean(source));
}

describe("printer: canonical text", () => {
  test("spacing, signed points, modifiers after the points", () => {
    expect(canonical('visit   "/pricing"=>15')).toBe('visit "/pricing" => +15\n');
    expect(canonical("visit=>-10 once")).toBe("visit => -10 once\n");
    expect(canonical('rule"Demo":demo_request=>30 max 2 expires after 1 days')).toBe(
      'rule "Demo": demo_request => +30 max 2 expires after 1 day\n',
    );
    expect(canonical('visit "/p" where properties.minutes>=30 at least 3 times within 1 weeks => +20')).toBe(
      'visit "/p" where properties.minutes >= 30 at least 3 times within 1 week => +20\n',
    );
  });

  test("a blank line between groups of statements; comments are dropped", () => {
    const source = "funnel A > B | X, Y\n# engagement\nvisit => +1\ndownload => +2\nrole is set => +3\nstage B when score >= 5\n";
    expect(canonical(source)).toBe("funnel A > B | X, Y\n\nvisit => +1\ndownload => +2\nrole is set => +3\n\nstage B when score >= 5\n");
  });

  test("parentheses only where precedence needs them", () => {
    const cases: [string, string][] = [
      ['(role = "a") and (industry = "b")', 'role = "a" and industry = "b"'],
      ['(role = "a" or industry = "b") and email is set', '(role = "a" or industry = "b") and email is set'],
      ['role = "a" or (industry = "b" and email is set)', 'role = "a" or industry = "b" and email is set'],
      ['not (role = "a" and email is set)', 'not (role = "a" and email is set)'],
      ["not (not (email is set))", "not not email is set"],
      ['(role = "a" or role = "b") or role = "c"', '(role = "a" or role = "b") or role = "c"'],
    ];
    for (const [input, output] of cases) {
      const rule = onlyStatement(`${input} => +1`);
      expect(rule.kind === "ScoreRule" && printCondition(rule.condition)).toBe(output);
    }
  });

  test("every atom", () => {
    expect(canonical('stage B when has visit "/x" and not has demo_request')).toBe('stage B when has visit "/x" and not has demo_request\n');
    expect(canonical('industry not in ["a","b" ,3]=>+1')).toBe('industry not in ["a", "b", 3] => +1\n');
    expect(canonical("firstName is not set => +1")).toBe("firstName is not set => +1\n");
    expect(canonical("companySize -5 => +1")).toBe("companySize -5 => +1\n");
    expect(canonical("companySize > 12.50 => +1")).toBe("companySize > 12.5 => +1\n");
  });

  test("strings are re-escaped", () => {
    expect(printString('a"b\\c\nd\te\r\u0001\u2028é')).toBe(String.raw`"a\"b\\c\nd\te\u000D\u0001\u2028é"`);
    expect(canonical(String.raw`company = "Acme \u0022Labs\u0022" => +1`)).toBe(String.raw`company = "Acme \"Labs\"" => +1` + "\n");
  });

  test("numbers never use exponent notation", () => {
    expect(formatNumber(1e21)).toBe("1000000000000000000000");
    expect(formatNumber(1.5e22)).toBe("15000000000000000000000");
    expect(formatNumber(1e-7)).toBe("0.0000001");
    expect(formatNumber(-1.25e-7)).toBe("-0.000000125");
    expect(formatNumber(-0)).toBe("-0");
    expect(Number(formatNumber(5e-324))).toBe(5e-324);
    expect(Number(formatNumber(123456789.123))).toBe(123456789.123);
  });

  test("rule text helpers", () => {
    const stage = onlyStatement("stage   MQL when  score>=50");
    expect(stage.kind === "StageRule" && printStageRule(stage)).toBe("stage MQL when score >= 50");
    const rule = onlyStatement('visit "/pricing" at least 3 times within 7 days => +20 once');
    expect(rule.kind === "ScoreRule" && printScoreRule(rule)).toBe('visit "/pricing" at least 3 times within 7 days => +20 once');
  });
});

describe("printer: round trip", () => {
  test("print is idempotent on the seed model", () => {
    const once = canonical(SEED_MODEL);
    expect(canonical(once)).toBe(once);
    expect(stripRanges(parseClean(once))).toEqual(stripRanges(parseClean(SEED_MODEL)));
  });

  test("property: parse(print(ast)) equals ast, ignoring ranges", () => {
    fc.assert(
      fc.property(model, (ast) => {
        const text = print(ast);
        const reparsed = parse(text);
        expect(reparsed.diagnostics).toEqual([]);
        expect(stripRanges(reparsed.ast)).toEqual(stripRanges(ast));
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 300) },
    );
  });
});
