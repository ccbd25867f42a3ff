import { check, ruleSourceName } from "../../src/dsl/checker";
import { hasErrors } from "../../src/dsl/diagnostics";
import { DEFAULT_FUNNEL } from "../../src/dsl/model";
import { parse } from "../../src/dsl/parse";
import { diagnose, where } from "./helpers/front-end";
import { SEED_MODEL, wholeModelExample } from "./helpers/project-files";

const DAY = 24 * 60 * 60 * 1000;

function checked(source: string, catalog?: string[]) {
  const parsed = parse(source);
  expect(parsed.diagnostics).toEqual([]);
  const result = check(parsed.ast, source, { catalog });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.checked!;
}

describe("checker: whole models", () => {
  test("the seed model checks with no diagnostic", () => {
    expect(diagnose(SEED_MODEL)).toEqual([]);
  });

  test("the language reference's whole-model example checks with no diagnostic", () => {
    const source = wholeModelExample();
    expect(source).toContain("funnel Subscriber");
    expect(diagnose(source)).toEqual([]);
    const model = checked(source);
    expect(model.scoreRules).toHaveLength(13);
    expect(model.stageRules.map((r) => r.text)).toEqual([
      "stage Lead when firstName is set",
      "stage MQL when score >= 50",
      "stage SQL when score >= 100 and fit >= 20 and has demo_request",
    ]);
  });
});

describe("checker: the checked model", () => {
  test("activity rules: type, pattern, points, caps, expiry and window resolved", () => {
    const model = checked(
      [
        "download => +1",
        'visit "/blog/*" => +2 max 5',
        'subscribe "newsletter" => +5 once',
        "webinar where properties.minutes >= 30 => +10 expires after 90 days",
        'visit "/pricing" at least 3 times within 7 days => +20 once',
        "ad_click => -1 expires after 2 weeks",
        "email_click => +1 expires after 36 hours",
        "email_open => +1 expires after 90 minutes",
      ].join("\n"),
    );
    const [download, blog, subscribe, webinar, pricing, ad, click, open] = model.scoreRules;
    expect(download).toMatchObject({ index: 0, category: "ENGAGEMENT", activity: { type: "download", pattern: null }, points: 1, max: null, expiresMs: null, frequency: null, where: null, condition: null });
    expect(blog).toMatchObject({ index: 1, activity: { type: "visit", pattern: "/blog/*" }, max: 5 });
    expect(subscribe).toMatchObject({ max: 1, name: 'subscribe "newsletter" => +5 once' });
    expect(webinar.where).toMatchObject({ kind: "Compare", op: ">=" });
    expect(webinar.expiresMs).toBe(90 * DAY);
    expect(pricing.frequency).toEqual({ count: 3, withinMs: 7 * DAY });
    expect(pricing.max).toBe(1);
    expect(ad).toMatchObject({ points: -1, expiresMs: 14 * DAY });
    expect(click.expiresMs).toBe(36 * 60 * 60 * 1000);
    expect(open.expiresMs).toBe(90 * 60 * 1000);
    expect(pricing.node.kind).toBe("ScoreRule");
  });

  test("fit rules: the condition is kept; no activity, where, window, cap or expiry", () => {
    const model = checked('role "Marketing Director" => +20\nattributes.plan = "pro" and companySize >= 50 => +10');
    expect(model.scoreRules[0]).toMatchObject({
      category: "FIT",
      activity: null,
      condition: { kind: "Bare", value: { value: "Marketing Director" } },
      where: null,
      frequency: null,
      max: null,
      expiresMs: null,
      points: 20,
    });
    expect(model.scoreRules[1].condition).toMatchObject({ kind: "And" });
  });

  test("a lead field with a text is a fit rule; any other name is an activity", () => {
    const model = checked('industry "SaaS" => +1\nindustry_news "SaaS" => +1', ["industry_news"]);
    expect(model.scoreRules.map((r) => r.category)).toEqual(["FIT", "ENGAGEMENT"]);
  });

  test("names: a rule's name, or its source text with spaces collapsed and comments removed", () => {
    const model = checked(
      [
        'rule "  Demo request ": demo_request => +30',
        'visit   "/pricing"     => +15   # the pricing page',
        "webinar",
        "  where properties.minutes >= 30 # long enough",
        "  => +10",
        'visit "/a  b#c" => +1',
      ].join("\n"),
    );
    expect(model.scoreRules.map((r) => r.name)).toEqual([
      "Demo request",
      'visit "/pricing" => +15',
      "webinar where properties.minutes >= 30 => +10",
      'visit "/a  b#c" => +1',
    ]);
  });

  test("ruleSourceName keeps escaped quotes inside strings", () => {
    const source = String.raw`visit  "/a\"  b"   => +1`;
    const rule = parse(source).ast.statements[0];
    expect(ruleSourceName(source, rule.range)).toBe(String.raw`visit "/a\"  b" => +1`);
  });

  test("the funnel: declared, or the default one", () => {
    expect(checked("funnel A > B > C | X, Y").funnel).toEqual({ stages: ["A", "B", "C"], offPath: ["X", "Y"] });
    expect(checked("download => +1").funnel).toEqual(DEFAULT_FUNNEL);
  });

  test("a funnel declared after the stage rules still applies to them", () => {
    expect(checked("stage B when score > 1\nfunnel A > B").stageRules[0]).toMatchObject({ stage: "B", text: "stage B when score > 1" });
  });

  test("stage rules: canonical text, condition and node", () => {
    const model = checked('stage MQL   when (score >= 50)\nstage SQL when has visit "/pricing" and attributes.plan = "pro"');
    expect(model.stageRules[0]).toMatchObject({ stage: "MQL", text: "stage MQL when score >= 50", condition: { kind: "Compare" } });
    expect(model.stageRules[1].text).toBe('stage SQL when has visit "/pricing" and attributes.plan = "pro"');
    expect(model.stageRules[1].node.kind).toBe("StageRule");
  });

  test("a custom catalog replaces the default one", () => {
    const source = "visit => +1\nnps_answer => +2";
    expect(diagnose(source).map(where)).toEqual(["UNKNOWN_INTERACTION_TYPE 2:1-2:11"]);
    expect(diagnose(source, { catalog: ["visit", "nps_answer"] })).toEqual([]);
  });

  test("warnings do not prevent a checked model; errors do", () => {
    const warned = check(parse("vist => +1").ast, "vist => +1");
    expect(warned.diagnostics.map((d) => d.severity)).toEqual(["warning"]);
    expect(warned.checked).not.toBeNull();
    const failed = check(parse("firstName => +1").ast, "firstName => +1");
    expect(hasErrors(failed.diagnostics)).toBe(true);
    expect(failed.checked).toBeNull();
  });
});

type Case = [source: string, expected: string, message: string];

function expectDiagnostics(cases: Case[]): void {
  test.each(cases)("%s", (source, expected, message) => {
    const diagnostics = diagnose(source);
    const found = diagnostics.find((d) => where(d) === expected);
    expect({ all: diagnostics.map(where), found: found?.message }).toEqual({ all: expect.arrayContaining([expected]), found: message });
  });
}

describe("checker: stages and funnel", () => {
  expectDiagnostics([
    ["stage MQLL when score > 5", "UNKNOWN_STAGE 1:7-1:11", 'Unknown stage "MQLL". Did you mean "MQL"?'],
    [
      "funnel A > B\nstage Zed when score > 5",
      "UNKNOWN_STAGE 2:7-2:10",
      'Unknown stage "Zed". The funnel\'s stages are A, B.',
    ],
    [
      "stage Other when score > 5",
      "OFF_PATH_STAGE_RULE 1:7-1:12",
      '"Other" is off the funnel\'s path: only people move leads there, so it cannot have a rule.',
    ],
    [
      "stage Subscriber when score > 1",
      "FIRST_STAGE_RULE 1:7-1:17",
      '"Subscriber" is the funnel\'s first stage: every lead starts there, so this rule never has an effect.',
    ],
    [
      "stage MQL when score > 5\nstage MQL when fit > 6",
      "DUPLICATE_STAGE_RULE 2:7-2:10",
      'The stage "MQL" already has a rule (line 1). Combine the two conditions with "or".',
    ],
    [
      "funnel A > B\nfunnel C",
      "DUPLICATE_FUNNEL 2:1-2:9",
      'A model has one funnel, and this is the second (the first is on line 1). Keep one "funnel" statement.',
    ],
    ["funnel A > B > a", "DUPLICATE_STAGE 1:16-1:17", 'The funnel lists the stage "A" twice. Each stage appears once.'],
    ["funnel A > B | B", "DUPLICATE_STAGE 1:16-1:17", 'The funnel lists the stage "B" twice. Each stage appears once.'],
    [
      "stage SQL when demo_request",
      "BARE_IDENTIFIER_IN_STAGE 1:16-1:28",
      '"demo_request" alone is not a stage condition. To require that the lead has had this interaction, write has demo_request.',
    ],
    [
      'stage SQL when visit "/pricing"',
      "BARE_IDENTIFIER_IN_STAGE 1:16-1:32",
      '"visit "/pricing"" alone is not a stage condition. To require that the lead has had this interaction, write has visit "/pricing".',
    ],
    [
      "stage Lead when firstName",
      "BARE_IDENTIFIER_IN_STAGE 1:17-1:26",
      '"firstName" alone is not a condition: write firstName is set (or compare it, e.g. firstName = "…").',
    ],
    ["stage Lead when scor >= 5", "UNKNOWN_FIELD 1:17-1:21", 'Unknown lead field "scor". Did you mean "score"?'],
    [
      "stage Lead when lead.role is set",
      "UNKNOWN_FIELD 1:17-1:26",
      'Unknown lead field "lead.role". Outside "where", lead fields are written without "lead.": write role.',
    ],
    [
      'stage Lead when score = "high"',
      "TYPE_MISMATCH 1:17-1:31",
      'score is a number: compare it with a number, e.g. score = 50.',
    ],
    [
      'stage Lead when fit contains "a"',
      "TYPE_MISMATCH 1:17-1:33",
      'fit is a number: "contains" works on text. Compare numbers with =, >, >=, < or <=.',
    ],
    ["stage Lead when has vist", "UNKNOWN_INTERACTION_TYPE 1:21-1:25", 'The interaction type "vist" is not in the catalog. Did you mean "visit"?'],
    [
      "stage Lead when has firstName",
      "INVALID_INTERACTION_TYPE 1:21-1:30",
      'Interaction types are lowercase names, and "firstName" is a lead field: to test it, write firstName is set.',
    ],
    [
      "stage Lead when has email",
      "UNKNOWN_INTERACTION_TYPE 1:21-1:26",
      'The interaction type "email" is not in the catalog. "email" is a lead field: to test it, write email is set.',
    ],
  ]);
});

describe("checker: score rules", () => {
  expectDiagnostics([
    ['rol "X" => +5', "UNKNOWN_FIELD 1:1-1:4", 'Unknown lead field "rol". Did you mean "role"?'],
    ['emial endsWith "@gmail.com" => -15', "UNKNOWN_FIELD 1:1-1:6", 'Unknown lead field "emial". Did you mean "email"?'],
    ['companysize 50 => +5', "UNKNOWN_FIELD 1:1-1:12", 'Unknown lead field "companysize". Did you mean "companySize"?'],
    [
      'industry_news "SaaS" => +1',
      "UNKNOWN_INTERACTION_TYPE 1:1-1:14",
      'The interaction type "industry_news" is not in the catalog. Check the spelling, or add the type to the catalog.',
    ],
    ['vist "/pricing" => +5', "UNKNOWN_INTERACTION_TYPE 1:1-1:5", 'The interaction type "vist" is not in the catalog. Did you mean "visit"?'],
    [
      "nps_answer => +5",
      "UNKNOWN_INTERACTION_TYPE 1:1-1:11",
      'The interaction type "nps_answer" is not in the catalog. Check the spelling, or add the type to the catalog.',
    ],
    [
      "Visit => +1",
      "INVALID_INTERACTION_TYPE 1:1-1:6",
      'Interaction types are lowercase names (letters, digits and "_"): write "visit".',
    ],
    [
      'visit "/pricing" and role = "CEO" => +5',
      "UNKNOWN_FIELD 1:1-1:6",
      'Unknown lead field "visit". If "visit" is an interaction, score it in a rule of its own (visit "/pricing" => +10) and add conditions with "where".',
    ],
    [
      'rol "CEO" and industry = "SaaS" => +5',
      "UNKNOWN_FIELD 1:1-1:4",
      'Unknown lead field "rol". Did you mean "role"?',
    ],
    [
      "jobTitle is set => +5",
      "UNKNOWN_FIELD 1:1-1:9",
      'Unknown lead field "jobTitle". A fit rule can test email, firstName, lastName, role, company, industry, companySize, country, source or attributes.<key>.',
    ],
    [
      'properties.plan = "pro" => +5',
      "UNKNOWN_FIELD 1:1-1:16",
      'Unknown lead field "properties.plan". "properties" belongs to an interaction: test it with "where" after an activity, e.g. visit where properties.plan ….',
    ],
    ["attributes is set => +5", "UNKNOWN_FIELD 1:1-1:11", 'Unknown lead field "attributes". Name the key: attributes.plan.'],
    ['role.title = "x" => +5', "UNKNOWN_FIELD 1:1-1:11", 'Unknown lead field "role.title". "role" has no parts: write role.'],
    [
      "webinar where lead.rol = \"x\" => +1",
      "UNKNOWN_FIELD 1:15-1:23",
      'Unknown field "lead.rol" in "where". Did you mean "lead.role"?',
    ],
    [
      'webinar where role = "x" => +1',
      "UNKNOWN_FIELD 1:15-1:19",
      'Unknown field "role" in "where". In "where", the lead\'s fields are written lead.role.',
    ],
    [
      "webinar where duration >= 30 => +1",
      "UNKNOWN_FIELD 1:15-1:23",
      'Unknown field "duration" in "where". Did you mean "properties.duration"? "where" can test target, source, properties.<key>, lead.<field> or lead.attributes.<key>.',
    ],
    [
      "webinar where properties.__proto__ is set => +1",
      "RESERVED_NAME 1:26-1:35",
      '"__proto__" cannot be used as a key.',
    ],
    [
      'visit where score > 5 => +3',
      "METRIC_IN_SCORE_RULE 1:13-1:18",
      '"score" cannot be used in a score rule: a rule\'s points cannot depend on the score. Use it in a stage rule, e.g. stage MQL when score >= 50.',
    ],
    [
      "fit > 10 => +3",
      "METRIC_IN_SCORE_RULE 1:1-1:4",
      '"fit" cannot be used in a score rule: a rule\'s points cannot depend on the score. Use it in a stage rule, e.g. stage MQL when score >= 50.',
    ],
    [
      "has demo_request => +1",
      "HAS_IN_SCORE_RULE 1:1-1:17",
      '"has" looks at the lead\'s whole history, so it belongs in a stage rule. To score the interaction, write it as an activity rule: demo_request => +10.',
    ],
    [
      'visit where has download "x" => +1',
      "HAS_IN_SCORE_RULE 1:13-1:29",
      '"has" looks at the lead\'s whole history, so it belongs in a stage rule. To score the interaction, write it as an activity rule: download => +10.',
    ],
    [
      "firstName => +5",
      "BARE_FIELD 1:1-1:10",
      '"firstName" alone is not a condition: write firstName is set (or compare it, e.g. firstName = "…").',
    ],
    [
      "webinar where properties.recorded => +5",
      "BARE_FIELD 1:15-1:34",
      '"properties.recorded" alone is not a condition: write properties.recorded is set (or compare it, e.g. properties.recorded = "…").',
    ],
    [
      'role "CEO" => +5 once',
      "MODIFIER_ON_FIT_RULE 1:18-1:22",
      '"once" applies to activity rules only: a fit rule counts once while it holds.',
    ],
    [
      'role "CEO" => +5 max 2',
      "MODIFIER_ON_FIT_RULE 1:18-1:23",
      '"max" applies to activity rules only: a fit rule counts once while it holds.',
    ],
    [
      'role "CEO" => +5 expires after 3 days',
      "MODIFIER_ON_FIT_RULE 1:18-1:38",
      '"expires after" applies to activity rules only: a fit rule counts once while it holds.',
    ],
    [
      'role "CEO" where target = "x" => +1',
      "WHERE_ON_FIT_RULE 1:18-1:30",
      '"where" tests an interaction, so it only follows an activity (visit "/pricing" where …). In a fit rule, combine conditions with "and".',
    ],
    [
      'role "CEO" at least 2 times within 3 days => +1',
      "FREQUENCY_ON_FIT_RULE 1:12-1:42",
      '"at least … times within …" counts interactions, so it only follows an activity (visit "/pricing" at least 3 times within 7 days).',
    ],
    [
      "visit => +5 once max 3",
      "CONFLICTING_MODIFIERS 1:18-1:23",
      'This rule already has "once" (which means max 1): keep one of "once" and "max".',
    ],
    [
      "visit => +5 max 2 max 3",
      "CONFLICTING_MODIFIERS 1:19-1:24",
      'This rule already has "max 2": keep one of "once" and "max".',
    ],
    [
      "visit => +5 once once",
      "CONFLICTING_MODIFIERS 1:18-1:22",
      'This rule already has "once" (which means max 1): keep one of "once" and "max".',
    ],
    [
      "visit => +5 expires after 1 day expires after 2 days",
      "CONFLICTING_MODIFIERS 1:33-1:53",
      'This rule already says when its points expire: keep one "expires after".',
    ],
  ]);
});

describe("checker: types", () => {
  expectDiagnostics([
    ["visit 404 => +1", "TYPE_MISMATCH 1:1-1:10", 'An interaction\'s target pattern is a text: write visit "404".'],
    ["role > 5 => +1", "TYPE_MISMATCH 1:1-1:9", 'role is text: ">" compares numbers. Use =, contains, startsWith or endsWith.'],
    ['role >= "5" => +1', "TYPE_MISMATCH 1:1-1:12", 'role is text: ">=" compares numbers. Use =, contains, startsWith or endsWith.'],
    ['companySize = "big" => +1', "TYPE_MISMATCH 1:1-1:20", "companySize is a number: compare it with a number without quotes, e.g. companySize = 50."],
    ['companySize "50" => +1', "TYPE_MISMATCH 1:1-1:17", "companySize is a number: compare it with a number without quotes, e.g. companySize = 50."],
    ['companySize in [10, "20"] => +1', "TYPE_MISMATCH 1:21-1:25", "companySize is a number: compare it with a number without quotes, e.g. companySize = 50."],
    ['companySize contains "5" => +1', "TYPE_MISMATCH 1:1-1:25", 'companySize is a number: "contains" works on text. Compare numbers with =, >, >=, < or <=.'],
    ["industry = 5 => +1", "TYPE_MISMATCH 1:1-1:13", 'industry is text: put the value in double quotes, e.g. industry = "5".'],
    ["industry in [\"a\", 5] => +1", "TYPE_MISMATCH 1:19-1:20", 'industry is text: put the value in double quotes, e.g. industry = "5".'],
    ["email endsWith 5 => +1", "TYPE_MISMATCH 1:1-1:17", '"endsWith" compares text: put the value in double quotes, e.g. email endsWith "5".'],
    ['attributes.seats > "5" => +1', "TYPE_MISMATCH 1:1-1:23", '">" compares numbers, but "5" is text. Write a number without quotes.'],
    ['webinar where target startsWith 3 => +1', "TYPE_MISMATCH 1:15-1:34", '"startsWith" compares text: put the value in double quotes, e.g. target startsWith "3".'],
    ['webinar where lead.companySize = "x" => +1', "TYPE_MISMATCH 1:15-1:37", "lead.companySize is a number: compare it with a number without quotes, e.g. lead.companySize = 50."],
  ]);

  test("untyped attributes and properties accept numbers and texts", () => {
    expect(diagnose('attributes.seats > 5 and attributes.plan = "pro" and attributes.tier = 2 => +1')).toEqual([]);
    expect(diagnose('webinar where properties.minutes >= 30 and properties.room = "A" => +1')).toEqual([]);
  });
});

describe("checker: numbers", () => {
  expectDiagnostics([
    ["visit => +0", "ZERO_POINTS 1:10-1:12", "This rule awards 0 points, so it has no effect."],
    ["visit => +1.5", "OUT_OF_RANGE 1:10-1:14", "Points are whole numbers: write +2 instead of +1.5."],
    ["visit => -2.4", "OUT_OF_RANGE 1:10-1:14", "Points are whole numbers: write -2 instead of -2.4."],
    ["visit => +1000001", "OUT_OF_RANGE 1:10-1:18", "Points are at most 1,000,000 (here +1000001)."],
    ["visit => +1 max 0", "ZERO_MAX 1:17-1:18", '"max 0" would never award points. Remove the rule, or allow at least max 1.'],
    ["visit => +1 max 2.5", "OUT_OF_RANGE 1:17-1:20", "Counts are whole numbers, not 2.5."],
    ["visit => +1 max 1000001", "OUT_OF_RANGE 1:17-1:24", "Counts are at most 1,000,000 (here 1000001)."],
    [
      "visit at least 0 times within 1 day => +1",
      "ZERO_TIMES 1:16-1:17",
      '"at least 0 times" always holds: count at least 1 time, or remove "at least … within …".',
    ],
    ["visit at least 2 times within 0 days => +1", "ZERO_DURATION 1:31-1:37", "A duration of 0 never lets anything count. Use at least 1 minute."],
    ["visit => +1 expires after 0 minutes", "ZERO_DURATION 1:27-1:36", "A duration of 0 never lets anything count. Use at least 1 minute."],
    ["visit => +1 expires after 3651 days", "OUT_OF_RANGE 1:27-1:36", "Durations are at most 3,650 days (10 years)."],
    ["visit => +1 expires after 522 weeks", "OUT_OF_RANGE 1:27-1:36", "Durations are at most 3,650 days (10 years)."],
    ["visit => +1 expires after 1.5 days", "OUT_OF_RANGE 1:27-1:35", "Durations are whole numbers of days, not 1.5."],
    [`companySize > ${"9".repeat(400)} => +1`, "OUT_OF_RANGE 1:15-1:415", "This number is too large."],
  ]);

  test("the limits themselves are fine", () => {
    expect(diagnose("visit => +1000000 max 1000000 expires after 3650 days\nvisit at least 1000000 times within 521 weeks => -1000000")).toEqual([]);
  });
});

describe("checker: unreachable rules", () => {
  expectDiagnostics([
    [
      "companySize > 10 and companySize < 5 => +1",
      "UNREACHABLE_RULE 1:1-1:37",
      'This rule can never apply: its conditions on "companySize" contradict each other.',
    ],
    [
      'industry = "a" and industry = "b" => +1',
      "UNREACHABLE_RULE 1:1-1:34",
      'This rule can never apply: its conditions on "industry" contradict each other.',
    ],
    [
      'webinar where properties.minutes >= 30 and properties.minutes < 30 => +1',
      "UNREACHABLE_RULE 1:15-1:67",
      'This rule can never apply: its conditions on "properties.minutes" contradict each other.',
    ],
    [
      "stage MQL when score >= 50 and score < 10",
      "UNREACHABLE_RULE 1:16-1:42",
      'This stage rule can never apply: its conditions on "score" contradict each other.',
    ],
    ['visit "" => +1', "UNREACHABLE_RULE 1:7-1:9", "An empty pattern matches no interaction. Remove it to match any target: visit => …"],
  ]);

  const unreachable: string[] = [
    "companySize >= 10 and companySize <= 9",
    "companySize > 10 and companySize <= 10",
    "companySize = 5 and companySize > 5",
    "companySize in [1, 2] and companySize > 3",
    "companySize in [1, 2] and companySize not in [1, 2]",
    "companySize = 3 and companySize != 3",
    'industry = "SaaS" and industry = " software "',
    'industry in ["a", "b"] and industry in ["c"]',
    'industry = "SaaS" and industry != "saas "',
    'role is not set and role contains "CEO"',
    "role is not set and role is set",
    'role is not set and role "CEO"',
    'role startsWith "a" and role startsWith "b"',
    'role endsWith "x" and role endsWith "y"',
    'role = "ceo" and role contains "director"',
    '(companySize > 10 and companySize < 5) or (role = "a" and role = "b")',
    'country = "FR" and (companySize > 10 and companySize < 5)',
    'attributes.seats = 5 and attributes.seats = 6',
  ];
  test.each(unreachable)("unreachable: %s", (condition) => {
    expect(diagnose(`${condition} => +1`).map((d) => d.code)).toEqual(["UNREACHABLE_RULE"]);
  });

  const reachable: string[] = [
    "companySize >= 10 and companySize <= 10",
    'industry = "SaaS" and industry = " saas "',
    'industry in ["a", "b"] and industry in ["b", "c"]',
    'role is not set and role != "CEO"',
    'role is not set and role not in ["a"]',
    'role startsWith "ab" and role startsWith "a"',
    'role contains "ceo" and role contains "founder"',
    '(companySize > 10 and companySize < 5) or role = "a"',
    'not (companySize > 10) and companySize > 10',
    'attributes.seats = 5 and attributes.seats = "5"',
    'role = "a" and industry = "b"',
  ];
  test.each(reachable)("may hold: %s", (condition) => {
    expect(diagnose(`${condition} => +1`)).toEqual([]);
  });
});

describe("checker: rule names", () => {
  expectDiagnostics([
    [
      'rule "Demo": demo_request => +30\nrule " demo ": visit => +1',
      "DUPLICATE_RULE_NAME 2:6-2:14",
      'Another rule is already named "demo" (line 1). Rule names must be unique.',
    ],
    [
      'visit "/a" => +1\nvisit   "/a"   => +1',
      "DUPLICATE_RULE_NAME 2:1-2:21",
      'This rule is written exactly like the one on line 1, so both have the name "visit "/a" => +1". Remove one, or name it with rule "…":.',
    ],
    [
      'rule "visit => +1": download => +2\nvisit => +1',
      "DUPLICATE_RULE_NAME 2:1-2:12",
      'This rule is written exactly like the one on line 1, so both have the name "visit => +1". Remove one, or name it with rule "…":.',
    ],
    ['rule "  ": visit => +1', "EMPTY_RULE_NAME 1:6-1:10", 'A rule\'s name cannot be empty: write rule "Demo request": …'],
  ]);

  test("naming a copy makes it legal", () => {
    expect(diagnose('visit "/a" => +1\nrule "Second look": visit "/a" => +1')).toEqual([]);
  });
});
