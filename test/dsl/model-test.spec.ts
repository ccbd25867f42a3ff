import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compile } from "../../src/dsl/compiler";
import type { CompiledModel } from "../../src/dsl/model";
import { DEFAULT_NOW, parseModelTests, runModelTests, type ModelTestStep } from "../../src/dsl/model-test";

function modelOf(source: string): CompiledModel {
  const { model, diagnostics } = compile(source);
  if (model === null) throw new Error(JSON.stringify(diagnostics));
  return model;
}

function run(source: string, tests: string) {
  const { file, errors } = parseModelTests(tests);
  expect(errors).toEqual([]);
  return runModelTests(modelOf(source), file);
}

const interactions = (steps: ModelTestStep[]) => steps.flatMap((s) => (s.kind === "interaction" ? [s.facts] : []));

describe("parseModelTests", () => {
  test("reads cases, leads, interactions and expectations", () => {
    const { file, errors } = parseModelTests(`
# a comment
model "seed.rules"
now 2025-03-01T12:00:00Z
lead industry=SaaS

test "Ann"   # trailing comment
  lead firstName="Ann Marie" companySize=120 attributes.plan=pro attributes.seats=12 attributes.code="12" attributes.trial=true
  -3d visit "https://acme.com/pricing?x=1#y"
  +2h download "case-study-1.pdf" source=linkedin properties.minutes=45 properties.title="A # not a comment"
  2025-02-28T00:00:00Z webinar id=w1
  +0m visit /careers
  expect score 42
  expect not fired download "case-study*" => +10
  expect fired visit "/pricing" => +15 x2
  expect fired "Demo request"
  expect stages Subscriber > Lead>MQL
`);
    expect(errors).toEqual([]);
    expect(file.model).toBe("seed.rules");
    const [c] = file.cases;
    expect(c.name).toBe("Ann");
    expect(c.now.toISOString()).toBe("2025-03-01T12:00:00.000Z");
    expect(c.lead).toEqual({
      email: "lead@example.com",
      industry: "SaaS",
      firstName: "Ann Marie",
      companySize: 120,
      attributes: { plan: "pro", seats: 12, code: "12", trial: true },
    });
    const [visit, download, webinar, careers] = interactions(c.steps);
    expect(visit).toMatchObject({ type: "visit", target: "https://acme.com/pricing?x=1#y", source: null, seq: 1 });
    expect(visit.occurredAt.toISOString()).toBe("2025-02-26T12:00:00.000Z");
    expect(download).toMatchObject({ target: "case-study-1.pdf", source: "linkedin", properties: { minutes: 45, title: "A # not a comment" } });
    expect(download.occurredAt.toISOString()).toBe("2025-02-26T14:00:00.000Z");
    expect(webinar).toMatchObject({ id: "w1", target: null });
    expect(webinar.occurredAt.toISOString()).toBe("2025-02-28T00:00:00.000Z");
    expect(careers.occurredAt).toEqual(webinar.occurredAt);
    expect(careers.target).toBe("/careers");
    expect(c.steps.filter((s) => s.kind === "expect").map((s) => s.kind === "expect" && s.expectation)).toEqual([
      { kind: "total", metric: "score", value: 42 },
      { kind: "fired", rule: 'download "case-study*" => +10', negated: true, times: null },
      { kind: "fired", rule: 'visit "/pricing" => +15', negated: false, times: 2 },
      { kind: "fired", rule: "Demo request", negated: false, times: null },
      { kind: "stages", stages: ["Subscriber", "Lead", "MQL"] },
    ]);
  });

  test("relative times: -D before now, +D after the interaction above; units w d h m s", () => {
    const { file } = parseModelTests('test "t"\n  -1w2d3h4m5s visit\n  +1.5h visit\n');
    const [a, b] = interactions(file.cases[0].steps);
    const week = 7 * 86_400_000;
    expect(DEFAULT_NOW.getTime() - a.occurredAt.getTime()).toBe(week + 2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5_000);
    expect(b.occurredAt.getTime() - a.occurredAt.getTime()).toBe(1.5 * 3_600_000);
  });

  test("a test's lead adds to the file's lead; a test's now overrides the file's", () => {
    const { file } = parseModelTests(
      'lead role=CEO firstName=Ann\nnow 2025-01-01T00:00:00Z\ntest "a"\n  now 2025-06-01T00:00:00+02:00\n  lead firstName=null\n  -1d visit\ntest "b"\n  -1d visit\n',
    );
    expect(file.cases[0].lead).toMatchObject({ role: "CEO", firstName: null });
    expect(file.cases[0].now.toISOString()).toBe("2025-05-31T22:00:00.000Z");
    expect(file.cases[1].lead).toMatchObject({ role: "CEO", firstName: "Ann" });
    expect(interactions(file.cases[1].steps)[0].occurredAt.toISOString()).toBe("2024-12-31T00:00:00.000Z");
  });

  test("keys such as __proto__ stay plain data", () => {
    const { file } = parseModelTests('test "t"\n  lead attributes.__proto__=x\n  -1d visit properties.constructor=1\n');
    const c = file.cases[0];
    expect(Object.prototype.hasOwnProperty.call(c.lead.attributes, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(c.lead.attributes)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(interactions(c.steps)[0].properties, "constructor")).toBe(true);
  });

  test("errors name the line and say what to write", () => {
    const { errors, file } = parseModelTests(
      [
        "visit", // 1: outside a test
        'test "t"', // 2
        "  lead rol=CEO", // 3
        "  lead companySize=big", // 4
        "  -3x visit", // 5
        "  +1d visit", // 6: nothing above
        "  -1d Visit", // 7
        '  -1d visit "/a', // 8
        "  -1d visit colour=red", // 9
        "  expect scor 5", // 10
        "  expect score five", // 11
        "  +2d visit", // 12: after now
        "  now 2025-01-01T00:00", // 13: no zone
        "  expect not fired visit x2", // 14
        "  expect stages A >> B", // 15
        'test ""', // 16
        'test "u"', // 17
        '  visit "/pricing"', // 18: no time
      ].join("\n"),
    );
    expect(errors.map((e) => e.line)).toEqual([1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18]);
    expect(errors.find((e) => e.line === 18)?.message).toBe('a line of a test starts with a time (-3d visit "/pricing"), lead, now or expect, not visit');
    expect(errors.find((e) => e.line === 3)?.message).toMatch(/unknown lead field rol: use one of email, firstName/);
    expect(errors.find((e) => e.line === 5)?.message).toMatch(/-3x is not a time/);
    expect(errors.find((e) => e.line === 6)?.message).toMatch(/relative to the interaction above/);
    expect(errors.find((e) => e.line === 7)?.message).toMatch(/lowercase/);
    expect(errors.find((e) => e.line === 8)?.message).toMatch(/quote is not closed/);
    expect(errors.find((e) => e.line === 12)?.message).toMatch(/after now/);
    expect(file.cases.map((c) => c.name)).toEqual(["t", "u"]);
  });
});

describe("runModelTests", () => {
  const SEED = readFileSync(join(__dirname, "../../examples/seed-model.rules"), "utf8");

  test("the seed model's own tests pass", () => {
    const tests = readFileSync(join(__dirname, "../../examples/seed-model.rules.test"), "utf8");
    const results = run(SEED, tests);
    expect(results.filter((r) => !r.passed)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(6);
  });

  test("a failure explains rule by rule what matched and what did not", () => {
    const [result] = run(
      'visit "/pricing" => +15\ndownload "case-study*" => +10\nrole contains "Director" => +20\nwebinar where properties.minutes >= 30 => +5\nemail_open => +1',
      `test "pricing"
  lead role=CEO
  -3d visit "/pricing"
  -2d visit "https://acme.com/pricing/"
  -1d download "whitepaper.pdf"
  -1d webinar properties.minutes=20
  expect score 42`,
    );
    expect(result.passed).toBe(false);
    expect(result.failures).toEqual([
      [
        "✗ expected score 42, got 30 (line 7)",
        '  visit "/pricing" => +15                        matched 2 interactions: +30',
        '  download "case-study*" => +10                  no match: target "whitepaper.pdf" does not match "case-study*"',
        '  role contains "Director" => +20                does not hold: role is "CEO"',
        "  webinar where properties.minutes >= 30 => +5   no match: its where does not hold (properties.minutes is 20)",
        "  email_open => +1                               no match: no email_open interaction",
      ],
    ]);
  });

  test("fit and engagement failures list only their own rules; limits and expiries are explained", () => {
    const [result] = run(
      'visit => +1 max 2\nwebinar => +5 expires after 1 day\nvisit "/pricing" at least 3 times within 7 days => +20\nrole is set => +3',
      `test "limits"
  -4d visit "/pricing"
  -3d visit "/pricing"
  -3d webinar
  -2d visit "/a"
  expect engagement 0
  expect fit 1`,
    );
    expect(result.failures).toEqual([
      [
        "✗ expected engagement 0, got 2 (line 6)",
        "  visit => +1 max 2                                  matched 3 interactions, awarded 2 (max 2): +2",
        "  webinar => +5 expires after 1 day                  matched 1 interaction, 1 expired: +0",
        '  visit "/pricing" at least 3 times within 7 days => +20   matched 2 interactions, awarded 0 (needs 3 within its window): +0',
      ],
      ["✗ expected fit 1, got 0 (line 7)", "  role is set => +3   does not hold: role is not set"],
    ]);
  });

  test("fired, not fired and counts", () => {
    const [result] = run(
      'visit "/pricing" => +15\nrule "Demo request": demo_request => +30\nvisit "/careers" => -10',
      `test "fired"
  -1d visit "/pricing"
  -1d visit "/pricing"
  expect fired visit "/pricing" x2
  expect fired visit "/pricing" => +15 x3
  expect fired "demo request"
  expect not fired visit "/pricing"
  expect not fired visit "/careers" => -10
  expect fired visit
  expect fired nothing`,
    );
    expect(result.failures.map((f) => f[0])).toEqual([
      '✗ expected "visit "/pricing" => +15" to fire 3 times, it fired 2 times (line 5)',
      '✗ expected "Demo request" to fire, it fired 0 times (line 6)',
      '✗ expected "visit "/pricing" => +15" not to fire, it did (line 7)',
      '✗ "visit" could be any of: visit "/pricing" => +15 | visit "/careers" => -10 (line 9)',
      '✗ the model has no rule named "nothing"; its rules are: visit "/pricing" => +15 | Demo request | visit "/careers" => -10 (line 10)',
    ]);
    expect(result.failures[1][1]).toMatch(/Demo request\s+no match: no demo_request interaction/);
  });

  test("expectations between interactions are checked as of the arrival above; the last ones as of now", () => {
    const [result] = run(
      "webinar => +10 expires after 2 days",
      `now 2025-03-10T00:00:00Z
test "checkpoints"
  -5d webinar
  expect score 10
  -1d visit
  expect score 0`,
    );
    expect(result.failures).toEqual([]);
  });

  test("stages move after each arrival, forward only, and failures show the path", () => {
    const source = "download => +10\nvisit \"/careers\" => -50\nstage Lead when firstName is set\nstage MQL when score >= 20\nstage SQL when has demo_request";
    const [result] = run(
      source,
      `test "path"
  lead firstName=Ann
  -3d download
  -2d download
  -1d visit "/careers"
  expect stage MQL
  expect stages Subscriber > Lead > MQL
  expect stage SQL`,
    );
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0][0]).toBe("✗ expected stage SQL, got MQL (line 8)");
    expect(result.failures[0][1]).toMatch(/^ {2}Subscriber → Lead at .* by stage Lead when firstName is set$/);
    expect(result.failures[0][2]).toMatch(/^ {2}Lead → MQL at .* by stage MQL when score >= 20$/);
    expect(result.failures[0][3]).toBe("  now: score -30 (fit 0, engagement -30)");
  });

  test("a lead line after an interaction changes the fields from there on, and the stage follows", () => {
    const [result] = run(
      'download => +1\nvisit where lead.role contains "director" => +5\nrole contains "Director" => +20\nstage Lead when firstName is set\nstage MQL when score >= 20',
      `test "upsert"
  lead firstName=Ann
  -3d download
  -2d visit
  expect fit 0
  expect stages Subscriber > Lead
  lead role="Marketing Director"
  expect fit 20
  expect engagement 6
  expect stages Subscriber > Lead > MQL
  -1d download
  expect score 27`,
    );
    expect(result.failures).toEqual([]);
  });

  test("interactions listed out of order arrive in that order", () => {
    const [result] = run(
      'subscribe => +5 once\nvisit "/pricing" at least 2 times within 1 day => +20\nstage MQL when score >= 20',
      `test "late"
  -1h visit "/pricing"
  -2d subscribe
  -3h visit "/pricing"
  -3d subscribe
  expect fired subscribe x1
  expect score 25
  expect stages Subscriber > MQL`,
    );
    expect(result.failures).toEqual([]);
  });
});
