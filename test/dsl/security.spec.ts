/**
 * User text never becomes code or a dynamic property lookup (STYLE §7, after filtrex's
 * `test/security.js`): prototype names as keys, types, strings and stages; quote injection;
 * data whose prototypes carry values; and nothing ever written to `Object.prototype`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { compile, compileChecked } from "../../src/dsl/compiler";
import type { CheckedScoreRule, CompiledModel, InteractionFacts, LeadFields } from "../../src/dsl/model";
import { activity, at, checkedModel, cond, DAY, fitRule, ix, lead, stageRule } from "./helpers/checked-models";

const DANGEROUS = ["constructor", "__proto__", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"];
const INJECTION = '"; process.exit(1); "';
const NOW = at(DAY);

const prototypeNames = () => Object.getOwnPropertyNames(Object.prototype).sort();
const BEFORE = prototypeNames();

afterEach(() => {
  expect(prototypeNames()).toEqual(BEFORE);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

function score(rules: CheckedScoreRule[], who: LeadFields, interactions: InteractionFacts[] = []): number {
  return compileChecked(checkedModel(rules)).replay(who, interactions, NOW).score;
}

describe.each(DANGEROUS)("the key %s", (key) => {
  test("as an attribute key: inherited members read as not set", () => {
    const rules = [fitRule(cond.isSet(`attributes.${key}`), 1), fitRule(cond.isSet(`attributes.${key}`, true), 10)];
    expect(score(rules, lead())).toBe(10);
    expect(score(rules, lead({ attributes: Object.create(null) as Record<string, unknown> }))).toBe(10);
  });

  test("as an attribute key: an own value is read like any other", () => {
    const own = JSON.parse(`{"${key}": "Yes"}`) as Record<string, unknown>;
    expect(score([fitRule(cond.bare(`attributes.${key}`, "yes"), 7)], lead({ attributes: own }))).toBe(7);
  });

  test("as a property key in a where", () => {
    const rule = activity({ type: "visit", where: cond.cmp(`properties.${key}`, "=", 1), points: 3 });
    const own = JSON.parse(`{"${key}": 1}`) as Record<string, unknown>;
    expect(score([rule], lead(), [ix("visit", "/", 0), ix("visit", "/", 1, { properties: own })])).toBe(3);
  });

  test("as a nested key: no walking up to prototypes", () => {
    const rule = fitRule(cond.isSet(`attributes.${key}.${key}`), 5);
    expect(score([rule], lead({ attributes: { a: 1 } }))).toBe(0);
  });

  test("as an interaction type", () => {
    const rules = [activity({ type: key, points: 4 }), activity({ type: "visit", points: 1 })];
    const interactions = [ix(key, null, 0), ix("visit", "/", 1), ix("download", key, 2), ix(key.toLowerCase(), "/", 3)];
    // Both spellings of the type match (types compare whatever their case): 4 + 1 + 4.
    expect(score(rules, lead(), interactions)).toBe(9);
    expect(score([activity({ type: "visit", points: 1 })], lead(), [ix(key, null, 0)])).toBe(0);
  });

  test("as a string: pattern, literal and has", () => {
    const rules = [activity({ type: "download", pattern: key, points: 2 }), fitRule(cond.bare("role", key), 3)];
    expect(score(rules, lead({ role: key }), [ix("download", key, 0), ix("download", "x", 1)])).toBe(5);
    expect(score(rules, lead(), [ix("download", null, 0)])).toBe(0);
  });

  test("as a stage name and a rule name", () => {
    const funnel = { stages: ["Subscriber", key, `${key}2`], offPath: ["__proto__x"] };
    const model = compileChecked(checkedModel([fitRule(cond.isSet("role"), 1, key)], [stageRule(key, cond.has(key))], funnel));
    const facts = { fit: 0, engagement: 0, score: 0, lead: lead(), interactions: [ix(key, null, 0)] };
    expect(model.nextStage("Subscriber", facts)).toMatchObject({ to: key });
    expect(model.nextStage(`${key}2`, facts)).toBeNull();
    expect(model.nextStage("hasOwnProperty", { ...facts, interactions: [] })).toBeNull();
    expect(model.replay(lead({ role: "x" }), [], NOW).breakdown).toEqual([{ rule: `#0 ${key}`, category: "FIT", points: 1, count: 1 }]);
  });
});

describe("quote injection", () => {
  test("is just text in patterns, literals, where, names and stages", () => {
    const rules = [
      activity({ type: "visit", pattern: INJECTION, points: 1, name: INJECTION }),
      activity({ type: "visit", where: cond.cmp("properties.q", "contains", INJECTION), points: 2 }),
      fitRule(cond.bare("role", INJECTION), 4),
    ];
    const model = compileChecked(checkedModel(rules, [stageRule("Lead", cond.has("visit", INJECTION))]));
    const visits = [ix("visit", INJECTION, 0, { properties: { q: `x${INJECTION}y` } }), ix("visit", "/", 1)];
    const e = model.replay(lead({ role: ` ${INJECTION} ` }), visits, NOW);
    expect(e.score).toBe(7);
    const facts = { ...e, lead: lead(), interactions: visits };
    expect(model.nextStage("Subscriber", facts)?.to).toBe("Lead");
  });
});

describe("data with polluted prototypes", () => {
  const inheritsEverything = { role: "CEO", plan: "pro", minutes: 99, firstName: "Ann", polluted: "yes" };

  test("inherited lead fields, attributes and properties read as not set", () => {
    const model: CompiledModel = compileChecked(
      checkedModel([
        fitRule(cond.isSet("role"), 1),
        fitRule(cond.bare("attributes.plan", "pro"), 2),
        activity({ type: "webinar", where: cond.cmp("properties.minutes", ">=", 30), points: 4 }),
        activity({ type: "webinar", where: cond.isSet("lead.firstName"), points: 8 }),
      ]),
    );
    const who = Object.assign(Object.create(inheritsEverything) as LeadFields, {
      email: "a@b.c",
      attributes: Object.create(inheritsEverything) as Record<string, unknown>,
    });
    const webinar = ix("webinar", null, 0, { properties: Object.create(inheritsEverything) as Record<string, unknown> });
    expect(model.replay(who, [webinar], NOW).score).toBe(0);
  });

  test("a polluted Object.prototype is not read", () => {
    const proto = Object.prototype as Record<string, unknown>;
    const model = compileChecked(checkedModel([fitRule(cond.isSet("attributes.polluted"), 1), fitRule(cond.isSet("role"), 2)]));
    proto.polluted = "yes";
    proto.role = "CEO";
    try {
      expect(model.fit(lead(), NOW).fit).toBe(0);
    } finally {
      delete proto.polluted;
      delete proto.role;
    }
  });

  test("JSON with a __proto__ key stays plain data", () => {
    const attributes = JSON.parse('{"__proto__": {"plan": "pro"}}') as Record<string, unknown>;
    const rules = [fitRule(cond.bare("attributes.plan", "pro"), 1), fitRule(cond.bare("attributes.__proto__.plan", "pro"), 2)];
    expect(score(rules, lead({ attributes }))).toBe(2);
  });

  test("odd shapes of data do not throw", () => {
    const rules = [fitRule(cond.isSet("attributes.plan"), 1), activity({ type: "visit", where: cond.isSet("properties.x"), points: 2 })];
    const odd = lead({ attributes: null as unknown as Record<string, unknown> });
    expect(score(rules, odd, [ix("visit", "/", 0, { properties: null as unknown as Record<string, unknown> })])).toBe(0);
    expect(score(rules, lead({ attributes: "plan" as unknown as Record<string, unknown> }))).toBe(0);
  });
});

describe("the back end evaluates no generated code", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
    });

  test.each([join(__dirname, "../../src/dsl/runtime"), join(__dirname, "../../src/dsl/compiler.ts")])("%s", (where) => {
    const sources = statSync(where).isDirectory() ? files(where) : [where];
    for (const file of sources) {
      const text = readFileSync(file, "utf8");
      expect(text).not.toMatch(/\beval\s*\(|new\s+Function\b|\bFunction\s*\(|new\s+RegExp\b/);
    }
  });
});

describe("through parse, check and compile", () => {
  const compileOk = (source: string) => {
    const { model, diagnostics } = compile(source);
    if (model === null) throw new Error(JSON.stringify(diagnostics));
    return model;
  };

  test("prototype names as attribute and property keys, types and strings", () => {
    const model = compileOk(
      [
        "attributes.toString is set => +1",
        "attributes.hasOwnProperty is not set => +2",
        'attributes.valueOf = "x" => +4',
        "constructor => +8",
        'tostring "__proto__" => +16',
        'visit where properties.toString = "constructor" => +32',
        'role = "hasOwnProperty" => +64',
        "stage Lead when has constructor",
      ].join("\n"),
    );
    const who = lead({ role: "HasOwnProperty", attributes: JSON.parse('{"valueOf": "X"}') as Record<string, unknown> });
    const interactions = [
      ix("constructor", null, 0),
      ix("tostring", "__PROTO__", 1),
      ix("visit", "/", 2, { properties: JSON.parse('{"toString": "constructor"}') as Record<string, unknown> }),
      ix("visit", "/", 3),
      ix("hasownproperty", null, 4),
    ];
    const e = model.replay(who, interactions, NOW);
    expect(e.fit).toBe(2 + 4 + 64);
    expect(e.engagement).toBe(8 + 16 + 32);
    expect(model.nextStage("Subscriber", { ...e, lead: who, interactions })?.to).toBe("Lead");
  });

  test("keys that reach prototypes are refused by the checker", () => {
    for (const key of ["__proto__", "constructor", "prototype"]) {
      expect(compile(`attributes.${key} is set => +1`).model).toBeNull();
      expect(compile(`visit where properties.${key} = 1 => +1`).model).toBeNull();
    }
  });

  test("quote injection in strings stays a string", () => {
    const literal = '"\\"; process.exit(1); \\""';
    const model = compileOk(`rule ${literal}: visit ${literal} where source = ${literal} => +5\nrole ${literal} => +7`);
    const injected = '"; process.exit(1); "';
    const who = lead({ role: injected });
    const e = model.replay(who, [ix("visit", injected, 0, { source: injected }), ix("visit", "/", 1, { source: injected })], NOW);
    expect(e.score).toBe(12);
    expect(e.breakdown[0].rule).toBe(injected);
  });
});
