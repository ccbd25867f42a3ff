/**
 * Version 2 of the language in the front end: `decays`, `group` and the group metric through the
 * lexer, parser, printer, formatter and checker, with the line and column of every diagnostic.
 */
import { check } from "../../src/dsl/checker";
import { formatModel } from "../../src/dsl/format";
import { parse } from "../../src/dsl/parse";
import { print } from "../../src/dsl/printer";
import { diagnose, parseClean, stripRanges, where } from "./helpers/front-end";

const DAY = 86_400_000;

describe("parser: v2 constructs", () => {
  test("decays as a modifier, with the other modifiers in any order", () => {
    const [rule] = parseClean('webinar => +10 expires after 180 days decays 25% every 2 weeks once').statements;
    expect(stripRanges(rule)).toMatchObject({
      kind: "ScoreRule",
      modifiers: [
        { kind: "Expires" },
        { kind: "Decays", percent: { kind: "Number", value: 25, raw: "25" }, every: { kind: "Duration", unit: "week", unitText: "weeks" } },
        { kind: "Once" },
      ],
    });
  });

  test("a group with max, decays and rules; settings in either order; an empty group", () => {
    const ast = parseClean('group "Product A" decays 50% every 30 days max 60 {\n  visit "/a/*" => +10\n  role "CEO" => +5\n}\ngroup "E" {}');
    const [group, empty] = ast.statements;
    expect(stripRanges(group)).toMatchObject({
      kind: "Group",
      name: { value: "Product A" },
      settings: [{ kind: "Decays", percent: { value: 50 } }, { kind: "Max", count: { value: 60 } }],
      rules: [{ kind: "ScoreRule" }, { kind: "ScoreRule" }],
    });
    expect(group.range.start).toMatchObject({ line: 1, column: 1 });
    expect(group.range.end).toMatchObject({ line: 4, column: 2 });
    expect(empty).toMatchObject({ kind: "Group", rules: [], settings: [] });
  });

  test("the group metric in a condition; a score rule may start with it (the checker refuses it)", () => {
    const [stage, rule] = parseClean('stage MQL when group "Product A" >= 30\ngroup "A" > 1 => +1').statements;
    expect(stripRanges(stage)).toMatchObject({
      condition: { kind: "Compare", left: { kind: "Metric", name: "group", group: { value: "Product A" } }, op: ">=", right: { value: 30 } },
    });
    expect(rule.kind).toBe("ScoreRule");
  });

  test("group, decays and every are keywords, but plain names after a dot", () => {
    parseClean("webinar where properties.every > 1 and properties.group = \"x\" and properties.decays is set => +1\nattributes.group is set => +1");
    expect(parse("decays => +1").diagnostics.map(where)).toEqual(["SYNTAX 1:1-1:7"]);
    expect(parse("every => +1").diagnostics).toHaveLength(1);
  });

  test("syntax errors inside a group point at the token and say what was expected", () => {
    const missing = parse('group "A" {\n  visit => +1\n');
    expect(missing.diagnostics.map(where)).toEqual(["SYNTAX 3:1-3:1"]);
    expect(missing.diagnostics[0].message).toBe('Expected "}" to close the group (or another rule inside it), found the end of the file');
    const percent = parse("visit => +1 decays 10 every 1 day");
    expect(percent.diagnostics.map((d) => `${where(d)} ${d.message}`)).toEqual([
      'SYNTAX 1:23-1:28 Expected "%" after the percentage, as in decays 10% every 30 days, found "every"',
    ]);
    const unquoted = parse('group A { visit => +1 }').diagnostics[0];
    expect(`${where(unquoted)} ${unquoted.message}`).toBe(
      'SYNTAX 1:1-1:6 Expected the group\'s name in double quotes after "group", e.g. group "Product A" { … }, found "A"',
    );
    expect(parse('group "A" { visit => +1 }\nvisit => +2').diagnostics).toEqual([]);
  });
});

describe("printer and formatter: v2 constructs", () => {
  const source = [
    "visit   \"/pricing\"=>15 decays 50%   every 30 days",
    'group "Product A"  max 60 decays 10% every 1 week {  # products',
    "  # the pages",
    '  visit "/a/*" => +10',
    '    download "a-*" => +5 decays 50% every 1 day   # papers',
    "} # end",
    'group "Fit" { role "CEO" => +20 }',
    'group "Empty" {}',
    'stage MQL when group "Product A" >= 30 and score > 10',
  ].join("\n");

  test("print: groups on several lines, indented, a blank line around each", () => {
    expect(print(parseClean(source))).toBe(
      [
        'visit "/pricing" => +15 decays 50% every 30 days',
        "",
        'group "Product A" max 60 decays 10% every 1 week {',
        '  visit "/a/*" => +10',
        '  download "a-*" => +5 decays 50% every 1 day',
        "}",
        "",
        'group "Fit" {',
        '  role "CEO" => +20',
        "}",
        "",
        'group "Empty" {}',
        "",
        'stage MQL when group "Product A" >= 30 and score > 10',
        "",
      ].join("\n"),
    );
  });

  test("print(ast) re-parses to the same AST, and printing is stable", () => {
    const once = print(parseClean(source));
    expect(stripRanges(parseClean(once))).toEqual(stripRanges(parseClean(print(parseClean(once)))));
    expect(print(parseClean(once))).toBe(once);
  });

  test("format keeps comments inside a group where they are, indented", () => {
    const formatted = formatModel(source).formatted!;
    expect(formatted).toBe(
      [
        'visit "/pricing" => +15 decays 50% every 30 days',
        "",
        'group "Product A" max 60 decays 10% every 1 week {  # products',
        "  # the pages",
        '  visit "/a/*" => +10',
        '  download "a-*" => +5 decays 50% every 1 day  # papers',
        "}                                              # end",
        'group "Fit" {',
        '  role "CEO" => +20',
        "}",
        'group "Empty" {}',
        "",
        'stage MQL when group "Product A" >= 30 and score > 10',
        "",
      ].join("\n"),
    );
    expect(formatModel(formatted).formatted).toBe(formatted);
  });
});

describe("checker: v2 resolution", () => {
  test("rules get their decay (own, else the group's) and their group; groups keep their settings", () => {
    const source = [
      'group "Product A" max 60 decays 50% every 30 days {',
      '  visit "/a/*" => +10',
      '  download "a-*" => +5 decays 10% every 1 day',
      "}",
      'group " Fit " { role "CEO" => +20 }',
      "webinar => +3 decays 1% every 1 hour",
    ].join("\n");
    const checked = check(parseClean(source), source).checked!;
    expect(checked.scoreRules.map((r) => ({ index: r.index, group: r.group, decay: r.decay }))).toEqual([
      { index: 0, group: 0, decay: { percent: 50, everyMs: 30 * DAY } },
      { index: 1, group: 0, decay: { percent: 10, everyMs: DAY } },
      { index: 2, group: 1, decay: null },
      { index: 3, group: null, decay: { percent: 1, everyMs: 3_600_000 } },
    ]);
    expect(checked.groups!.map(({ index, name, category, max, decay }) => ({ index, name, category, max, decay }))).toEqual([
      { index: 0, name: "Product A", category: "ENGAGEMENT", max: 60, decay: { percent: 50, everyMs: 30 * DAY } },
      { index: 1, name: "Fit", category: "FIT", max: null, decay: null },
    ]);
  });
});

describe("checker: v2 diagnostics, with line and column", () => {
  const cases: Array<[string, string, string]> = [
    ['role "CEO" => +5 decays 10% every 1 day', "MODIFIER_ON_FIT_RULE 1:18-1:40", '"decays" applies to activity rules only: a fit rule\'s points last while it holds.'],
    [
      'group "Fit" decays 10% every 1 day {\n  role "CEO" => +5\n}',
      "MODIFIER_ON_FIT_RULE 1:13-1:35",
      '"decays" applies to activity rules only, and the group "Fit" holds fit rules: a fit rule\'s points last while it holds.',
    ],
    ["visit => +1 decays 10% every 1 day decays 5% every 2 days", "CONFLICTING_MODIFIERS 1:36-1:58", 'This rule already says how its points decay: keep one "decays".'],
    ["visit => +1 decays 100% every 30 days", "OUT_OF_RANGE 1:20-1:23", "A decay is at most 99%: to take all the points away after a time, write expires after 30 days."],
    ["visit => +1 decays 0% every 30 days", "OUT_OF_RANGE 1:20-1:21", "A decay of 0% changes nothing: decay by 1% to 99%, or remove it."],
    ["visit => +1 decays 12.5% every 30 days", "OUT_OF_RANGE 1:20-1:24", "A decay is a whole percentage from 1 to 99, not 12.5%."],
    ["visit => +1 decays 10% every 0 days", "ZERO_DURATION 1:30-1:36", "A duration of 0 never lets anything count. Use at least 1 minute."],
    ["visit => +1 decays 10% every 3651 days", "OUT_OF_RANGE 1:30-1:39", "Durations are at most 3,650 days (10 years)."],
    [
      'group "Mixed" {\n  visit => +1\n  role "CEO" => +5\n}',
      "MIXED_GROUP 3:3-3:19",
      'The group "Mixed" holds activity rules (its first rule is one), so this rule, a fit rule, cannot be in it. Put it in a group of its own kind, or outside any group.',
    ],
    ['group "Product A" { visit => +1 }\ngroup " product a " { download => +1 }', "DUPLICATE_GROUP 2:7-2:20", 'Another group is already named "Product A" (line 1). Group names must be unique.'],
    ['group "A" max 0 { visit => +1 }', "ZERO_MAX 1:15-1:16", '"max 0" would cap the group at nothing. Remove the group\'s max, or allow at least max 1.'],
    ['group "A" max 5 max 6 { visit => +1 }', "CONFLICTING_MODIFIERS 1:17-1:22", 'This group already has a "max": keep one.'],
    ['group "A" {}', "EMPTY_GROUP 1:1-1:13", 'The group "A" has no rules, so it is always worth 0 and is left out of the lead\'s groups.'],
    ['group " " { visit => +1 }', "EMPTY_GROUP_NAME 1:7-1:10", 'A group\'s name cannot be empty: write group "Product A" { … }'],
    [
      'group "A" { visit => +1 }\ndemo_request where group "A" > 3 => +1',
      "METRIC_IN_SCORE_RULE 2:20-2:29",
      'group "A" cannot be used in a score rule: a rule\'s points cannot depend on the score. Use it in a stage rule, e.g. stage MQL when group "A" >= 30.',
    ],
    ['group "Product A" { visit => +1 }\nstage MQL when group "Prodct A" >= 3', "UNKNOWN_GROUP 2:16-2:32", 'Unknown group "Prodct A". Did you mean "Product A"?'],
    ['stage MQL when group "A" >= 3', "UNKNOWN_GROUP 1:16-1:25", 'Unknown group "A". The model has no group: declare one with group "Name" { … }.'],
    ['stage MQL when group "A" = "x"\ngroup "A" { visit => +1 }', "TYPE_MISMATCH 1:16-1:31", 'group "A" is a number: compare it with a number, e.g. group "A" = 50.'],
    [
      'rule "Pricing": visit "/pricing" => +15\ngroup "A" { rule "pricing": visit "/fr/tarifs" => +15 }',
      "DUPLICATE_RULE_NAME 2:18-2:27",
      'Another rule is already named "pricing" (line 1). Rule names must be unique.',
    ],
  ];

  test.each(cases)("%s", (source, position, message) => {
    const diagnostics = diagnose(source);
    expect(diagnostics.map(where)).toEqual([position]);
    expect(diagnostics[0].message).toBe(message);
  });

  test("a group named in any case and spacing is found; an empty group may be named (worth 0)", () => {
    expect(diagnose('group "Product A" { visit => +1 }\ngroup "E" {}\nstage MQL when group "  PRODUCT a " >= 3 or group "e" > 0').map(where)).toEqual([
      "EMPTY_GROUP 2:1-2:13",
    ]);
  });

  test("unreachable conditions on one group are found; on two groups they are not mixed up", () => {
    const groups = 'group "A" { visit => +1 }\ngroup "B" { download => +1 }\n';
    expect(diagnose(`${groups}stage MQL when group "A" > 5 and group "a" < 2`).map((d) => d.code)).toEqual(["UNREACHABLE_RULE"]);
    expect(diagnose(`${groups}stage MQL when group "A" > 5 and group "B" < 2`)).toEqual([]);
  });
});
