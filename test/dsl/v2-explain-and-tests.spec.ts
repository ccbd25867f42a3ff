/**
 * Version 2 in explanations and model tests: the stage outlook (`stageOutlook`), rule explanations
 * with decayed values, and the `*.rules.test` lines `expect group`, `expect points`, `… at TIME`
 * and `reset` (docs/testing-models.md).
 */
import { compile } from "../../src/dsl/compiler";
import { formatModel } from "../../src/dsl/format";
import { explainRules, formatStageOutlook, stageOutlook } from "../../src/dsl/explain";
import type { CompiledModel } from "../../src/dsl/model";
import { parseModelTests, runModelTests } from "../../src/dsl/model-test";
import { at, DAY, ix, lead } from "./helpers/checked-models";
import { projectFile } from "./helpers/project-files";

function modelOf(source: string): CompiledModel {
  const { model, diagnostics } = compile(source);
  if (model === null) throw new Error(JSON.stringify(diagnostics));
  return model;
}

const MODEL = `
visit "/pricing" => +15 decays 10% every 30 days
group "Product A" max 30 {
  visit "/product-a/*" => +10
  download "product-a-*" => +5 decays 50% every 1 week
}
role contains "Director" => +20
stage MQL when score >= 30
stage SQL when score >= 60 and group "Product A" >= 30 and has demo_request and role is set
`;

describe("stageOutlook", () => {
  test("each stage ahead with a rule: holds?, and per condition holds? with what it reads", () => {
    const model = modelOf(MODEL);
    const who = lead({ role: "Sales Director" });
    const history = [ix("visit", "/pricing", 0), ix("visit", "/product-a/x", 0), ix("demo_request", null, 0)];
    const e = model.replay(who, history, at(0));
    const outlook = stageOutlook(model, "Subscriber", { ...e, lead: who, interactions: history });
    expect(outlook).toEqual([
      { stage: "MQL", rule: "stage MQL when score >= 30", holds: true, conditions: [{ condition: "score >= 30", holds: true, detail: "score is 45" }] },
      {
        stage: "SQL",
        rule: 'stage SQL when score >= 60 and group "Product A" >= 30 and has demo_request and role is set',
        holds: false,
        conditions: [
          { condition: "score >= 60", holds: false, detail: "score is 45" },
          { condition: 'group "Product A" >= 30', holds: false, detail: 'group "Product A" is 10' },
          { condition: "has demo_request", holds: true, detail: "has had demo_request" },
          { condition: "role is set", holds: true, detail: 'role is "Sales Director"' },
        ],
      },
    ]);
    expect(formatStageOutlook(outlook.slice(1)).slice(0, 3)).toEqual([
      'SQL: not yet (stage SQL when score >= 60 and group "Product A" >= 30 and has demo_request and role is set)',
      "  ✗ score >= 60 (score is 45)",
      '  ✗ group "Product A" >= 30 (group "Product A" is 10)',
    ]);
    // Only stages ahead; nothing for a lead off the path.
    expect(stageOutlook(model, "MQL", { ...e, lead: who, interactions: history }).map((s) => s.stage)).toEqual(["SQL"]);
    expect(stageOutlook(model, "Other", { ...e, lead: who, interactions: history })).toEqual([]);
  });
});

describe("explanations with decay", () => {
  test("a decayed rule shows its value as of now, and awards decayed to 0", () => {
    const model = modelOf('visit "/pricing" => +15 decays 10% every 30 days\ndownload => +1 decays 50% every 1 day');
    const history = [ix("visit", "/pricing", 0), ix("download", null, 0), ix("download", null, 59 * DAY + DAY / 2)];
    const [visit, download] = explainRules(model, lead(), history, at(60 * DAY));
    expect(visit).toMatchObject({ points: 11, count: 1 });
    expect(visit.summary).toBe("matched 1 interaction, decayed from +15: +11");
    expect(download).toMatchObject({ points: 1, count: 1, summary: "matched 2 interactions, 1 decayed to 0: +1" });
  });
});

describe("model tests: groups, decayed values, times and resets", () => {
  const run = (tests: string) => {
    const { file, errors } = parseModelTests(tests);
    expect(errors).toEqual([]);
    return runModelTests(modelOf(MODEL), file);
  };

  test("expect group, expect points, and expectations at a given time", () => {
    const results = run(`
now 2025-03-01T00:00:00Z
test "decay and caps"
  -1h visit "/pricing"
  -1h visit "/product-a/1"
  -1h visit "/product-a/2"
  -1h download "product-a-1"
  -1h visit "/product-a/3"
  expect group "Product A" 30
  expect group " product a " 30
  expect points visit "/pricing" 15
  expect points visit "/pricing" 13 at +30d
  expect points visit "/pricing" 0 at +400d
  expect points download "product-a-*" 2 at +1w
  expect score 45
  expect score 43 at +30d
  expect fired visit "/pricing" at +330d
  expect not fired visit "/pricing" at +360d
  expect not fired visit "/pricing" at 2026-06-01T00:00:00Z
`);
    expect(results.map((r) => r.failures)).toEqual([[]]);
  });

  test("failures say what was expected, when, and explain", () => {
    const [result] = run(`
now 2025-03-01T00:00:00Z
test "wrong"
  -1h visit "/product-a/1"
  -1h visit "/product-a/2"
  -1h visit "/product-a/3"
  -1h visit "/product-a/4"
  expect group "Product A" 40
  expect points visit "/pricing" 3 at +30d
  expect group "Nope" 1
`);
    expect(result.failures.map((f) => f[0])).toEqual([
      '✗ expected group "Product A" 40, got 30 (capped at 30: its rules give 40) (line 8)',
      '✗ expected "visit "/pricing" => +15 decays 10% every 30 days" to be worth 3 at 2025-03-31T00:00:00.000Z, it is worth 0 (line 9)',
      '✗ the model has no group named "Nope"; its groups are: Product A (line 10)',
    ]);
    expect(result.failures[0][1]).toMatch(/^ {2}visit "\/product-a\/\*" => \+10 +matched 4 interactions: \+40$/);
  });

  test("a reset: earlier activity earns nothing, late arrivals of it neither; has still sees it; stage failures show the outlook", () => {
    const [result] = run(`
now 2025-03-01T00:00:00Z
test "recycled"
  lead role="Director"
  -10d visit "/pricing"
  -10d demo_request
  expect score 35
  expect stage MQL
  reset at -5d
  expect score 20
  -6d visit "/pricing"          # a late delivery from before the reset
  expect score 20
  -1d visit "/product-a/1"
  expect score 30
  expect stage SQL
`);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toEqual([
      "✗ expected stage SQL, got MQL (line 15)",
      "  Subscriber → MQL at 2025-02-19T00:00:00.000Z by stage MQL when score >= 30",
      '  now: score 30 (fit 20, engagement 10, group "Product A" 10)',
      '  SQL: not yet (stage SQL when score >= 60 and group "Product A" >= 30 and has demo_request and role is set)',
      "    ✗ score >= 60 (score is 30)",
      '    ✗ group "Product A" >= 30 (group "Product A" is 10)',
      "    ✓ has demo_request (has had demo_request)",
      '    ✓ role is set (role is "Director")',
    ]);
  });

  test("a second reset replaces the first; a reset is never before the previous arrival", () => {
    const [result] = run(`
now 2025-03-01T00:00:00Z
test "twice"
  -10d visit "/pricing"
  reset at -8d
  -6d visit "/pricing"
  expect score 15
  reset at -9d            # before the arrival above: takes effect at that arrival (-6d)
  expect score 15
  reset                   # at the arrival above: the visit dated at that very instant still counts
  expect score 15
  reset at +1m
  expect score 0
`);
    expect(result.failures).toEqual([]);
  });

  test("errors: at on stages, malformed group, points and reset lines", () => {
    const { errors } = parseModelTests(`
test "bad"
  expect stage MQL at +1d
  expect group "A"
  expect points visit "/pricing"
  reset now
`);
    expect(errors).toEqual([
      { line: 3, message: '"at" does not apply to stages: stages are history, checked where the line stands' },
      { line: 4, message: 'expected a group and a whole number: expect group "Product A" 30' },
      { line: 5, message: 'expected a rule and a whole number: expect points visit "/pricing" 13' },
      { line: 6, message: "write reset, or reset at -2d (a time as for interactions)" },
    ]);
  });
});

describe("the version 2 example (examples/v2-model.rules)", () => {
  test("checks with no diagnostic, is in canonical layout, and its tests pass", () => {
    const source = projectFile("examples/v2-model.rules");
    const { model, diagnostics } = compile(source);
    expect(diagnostics).toEqual([]);
    expect(formatModel(source).formatted).toBe(source);
    const { file, errors } = parseModelTests(projectFile("examples/v2-model.rules.test"));
    expect(errors).toEqual([]);
    const results = runModelTests(model!, file);
    expect(results.map((r) => [r.name, r.failures])).toEqual(results.map((r) => [r.name, []]));
    expect(results).toHaveLength(4);
  });
});
