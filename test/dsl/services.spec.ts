/**
 * The editor services (`src/dsl/services`): what the web workbench's editor and `qualify lsp` show.
 */
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import * as ts from "typescript";
import { applyEdits, complete, diagnose, format, hover, runModelTests } from "../../src/dsl/services";

const ROOT = join(__dirname, "../..");
const labels = (source: string, offset = source.length, context = {}) => complete(source, offset, context).items.map((i) => i.label);

const MODEL = [
  "funnel Subscriber > Lead > MQL > SQL | Other",
  'group "Product A" max 60 {',
  '  visit "/product-a/*" => +10',
  "}",
  'rule "Pricing": visit "/pricing" => +15 once',
  'role contains "Director" => +20',
  'webinar where properties.minutes >= 30 => +10',
  "stage MQL when score >= 50",
  "",
].join("\n");

describe("diagnose", () => {
  test("the compiler's diagnostics, with 0-based offsets", () => {
    const source = 'visit => +1\n\nstage MQL when score >= "high"\n';
    const [d] = diagnose(source);
    expect(d).toMatchObject({ code: "TYPE_MISMATCH", severity: "error", line: 3, column: 16, endLine: 3, endColumn: 31 });
    expect(source.slice(d.from, d.to)).toBe('score >= "high"');
    expect(d.fix).toBeUndefined();
  });

  test.each([
    ["a misspelt lead field", 'rol "CEO" => +5\n', "UNKNOWN_FIELD", "role"],
    ["a misspelt field in a fit condition", 'rol = "CEO" and companySize > 5 => +5\n', "UNKNOWN_FIELD", "role"],
    ["an interaction type outside the catalog", "vist => +1\n", "UNKNOWN_INTERACTION_TYPE", "visit"],
    ["an unknown stage", "stage MQK when score >= 5\n", "UNKNOWN_STAGE", "MQL"],
    ["an unknown group", 'group "Product A" { visit => +1 }\nstage SQL when group "Prodct A" >= 3\n', "UNKNOWN_GROUP", '"Product A"'],
    ["a lead field in where without lead.", "visit where role = \"CEO\" => +1\n", "UNKNOWN_FIELD", "lead.role"],
    ["lead. outside where", 'lead.role = "CEO" => +1\n', "UNKNOWN_FIELD", "role"],
    ["a bare field", "firstName => +5\n", "BARE_FIELD", "firstName is set"],
    ["a bare interaction in a stage rule", 'stage SQL when demo_request "/x"\n', "BARE_IDENTIFIER_IN_STAGE", 'has demo_request "/x"'],
    ["a text in curly quotes", "visit \u201c/pricing\u201d => +1\n", "UNEXPECTED_CHARACTER", '"/pricing"'],
  ])("%s: the fix removes the diagnostic", (_, source, code, insert) => {
    const found = diagnose(source).find((d) => d.code === code);
    expect(found?.fix).toBeDefined();
    expect(found!.fix!.edits.map((e) => e.insert)).toEqual([insert]);
    expect(found!.fix!.title).toContain(insert);
    const fixed = applyEdits(source, found!.fix!.edits);
    const after = diagnose(fixed);
    expect(after.filter((d) => d.code === code && d.line === found!.line)).toEqual([]);
    expect(after.filter((d) => d.severity === "error")).toEqual([]);
  });

  test("no fix where nothing is close enough to suggest", () => {
    const [d] = diagnose('zzzzzz = "x" and role = "y" => +1\n');
    expect(d.code).toBe("UNKNOWN_FIELD");
    expect(d.fix).toBeUndefined();
  });

  test("the catalog is the caller's", () => {
    expect(diagnose("page_view => +1\n").map((d) => d.code)).toEqual(["UNKNOWN_INTERACTION_TYPE"]);
    expect(diagnose("page_view => +1\n", { catalog: ["page_view"] })).toEqual([]);
  });
});

describe("complete", () => {
  test("at the start of a statement: statement keywords, interaction types and lead fields", () => {
    const items = complete("", 0).items;
    expect(items.map((i) => i.label)).toEqual(expect.arrayContaining(["funnel", "stage", "group", "rule", "visit", "demo_request", "role", "attributes."]));
    expect(items.find((i) => i.label === "visit")).toMatchObject({ kind: "interactionType" });
    expect(items.find((i) => i.label === "companySize")).toMatchObject({ kind: "field", detail: expect.stringMatching(/^number:/) });
    // Stage-rule words are not score-rule words.
    expect(items.map((i) => i.label)).not.toEqual(expect.arrayContaining(["score"]));
  });

  test("the word being typed is the range replaced", () => {
    expect(complete("visit => +1\nvi", 14)).toMatchObject({ from: 12, to: 14 });
    expect(complete("visit => +1\nvisit", 14)).toMatchObject({ from: 12, to: 17 });
  });

  test("after stage: the model's funnel stages (not the first, which never needs a rule)", () => {
    expect(labels("funnel New > Warm > Hot | Lost\nstage ")).toEqual(["Warm", "Hot"]);
    expect(labels("stage ")).toEqual(["Lead", "MQL", "SQL", "Opportunity", "Customer", "Evangelist"]);
  });

  test("in a stage condition: metrics, lead fields, has, group, not", () => {
    const items = labels("stage MQL when ");
    expect(items).toEqual(expect.arrayContaining(["score", "fit", "engagement", "role", "has", "group", "not", "attributes."]));
    expect(items).not.toContain("visit");
    expect(labels("stage MQL when score >= 5 and ")).toContain("engagement");
  });

  test("after has, and in an activity's head: the catalog, the types seen in the data, and the model's own", () => {
    const context = { interactionTypes: ["page_view"] };
    expect(labels("custom_thing => +1\nstage SQL when has ", undefined, context)).toEqual(expect.arrayContaining(["visit", "page_view", "custom_thing"]));
    expect(labels("", 0, { catalog: ["visit"], interactionTypes: ["page_view"] }).filter((l) => /^[a-z_]+$/.test(l) && !["funnel", "stage", "group", "rule", "not"].includes(l) && !l.includes("."))).toEqual(
      expect.arrayContaining(["visit", "page_view"]),
    );
    expect(labels("", 0, { catalog: ["visit"] })).not.toContain("download");
  });

  test("group names after group in a stage rule, quoted, also inside the quotes", () => {
    const source = `${MODEL}stage SQL when group `;
    const items = complete(source, source.length).items;
    expect(items).toEqual([expect.objectContaining({ label: "Product A", kind: "group", insert: '"Product A"' })]);
    const typing = `${MODEL}stage SQL when group "Pro`;
    expect(complete(typing, typing.length)).toMatchObject({ from: typing.length - 4, to: typing.length, items: [expect.objectContaining({ insert: '"Product A"' })] });
  });

  test("in where: the interaction's fields, then lead. and properties. keys", () => {
    expect(labels("visit where ")).toEqual(expect.arrayContaining(["target", "source", "properties.", "lead."]));
    expect(labels("visit where ")).not.toContain("role");
    expect(labels("visit where lead.")).toEqual(expect.arrayContaining(["role", "companySize", "attributes."]));
    expect(labels(`${MODEL}visit where properties.`)).toEqual(["minutes"]);
  });

  test("after the points: modifiers first, then the next statement", () => {
    const items = labels('visit "/x" => +5 ');
    expect(items.slice(0, 4).sort()).toEqual(["decays", "expires", "max", "once"]);
    expect(items).toContain("stage");
    expect(labels("visit => +1 expires after 1 ")).toEqual(["minute", "hour", "day", "week"]);
    expect(labels("visit => +1 expires after 3 ")).toEqual(["minutes", "hours", "days", "weeks"]);
  });

  test("after a path: the comparisons", () => {
    expect(labels("role ")).toEqual(expect.arrayContaining(["=", "!=", "contains", "startsWith", "in", "is", "=>"]));
  });

  test("inside a group, from its rules: a mistake earlier in the file does not matter", () => {
    const source = 'visit => => +1\ngroup "A" {\n  visit => +1\n  download => +2 ';
    expect(labels(source)).toEqual(expect.arrayContaining(["once", "max", "visit"]));
  });

  test("in a comment: nothing", () => {
    expect(complete("visit => +1 # sta", 17).items).toEqual([]);
  });
});

describe("hover", () => {
  const at = (text: string, nth = 0) => {
    let offset = -1;
    for (let i = 0; i <= nth; i++) offset = MODEL.indexOf(text, offset + 1);
    return hover(MODEL, offset + 1);
  };

  test("a keyword: what it does and an example", () => {
    expect(at("once")?.markdown).toMatch(/^\*\*once\*\* · keyword\n\nThe rule awards at most once per lead/);
  });

  test("a lead field: its type, and the rule it is in", () => {
    const found = at("role");
    expect(found).toMatchObject({ from: MODEL.indexOf("role"), to: MODEL.indexOf("role") + 4 });
    expect(found!.markdown).toContain("**role** · lead field · text");
    expect(found!.markdown).toContain("fit rule: +20 while the lead matches");
  });

  test("a rule: its points and group", () => {
    expect(at("/product-a/*")!.markdown).toContain('activity rule: +10 for each matching `visit` interaction');
    expect(at("/product-a/*")!.markdown).toContain('In group `"Product A"`.');
    expect(at('"Pricing"')!.markdown).toMatch(/\*\*Rule\*\* `Pricing`[\s\S]*`once`[\s\S]*Not in a group\./);
  });

  test("an interaction type, a stage, a group, a property", () => {
    expect(at("webinar")!.markdown).toContain("**webinar** · interaction type, in the catalog");
    expect(at("MQL", 1)!.markdown).toContain("Stage 3 of 4 on the funnel's path");
    expect(at("MQL", 1)!.markdown).toContain("Reached when `score >= 50`.");
    expect(at("Subscriber")!.markdown).toContain("every new lead starts here");
    expect(at("Other")!.markdown).toContain("only people move leads here");
    expect(at('"Product A"')!.markdown).toContain('**Group** `"Product A"` · activity group, 1 rule');
    expect(at("minutes")!.markdown).toContain("**properties.minutes** · interaction property · untyped");
  });

  test("null on a space, a comment, or text that is not a model", () => {
    expect(hover(MODEL, MODEL.indexOf("\n"))).toBeNull();
    expect(hover("# a comment\n", 3)).toBeNull();
    expect(hover("%%%", 1)).toBeNull();
  });
});

describe("format", () => {
  test("lays out a model canonically, comments kept, and a second pass changes nothing", () => {
    const source = 'visit   "/pricing"=>15 # pricing\nstage MQL when score>=50\n';
    const { formatted, diagnostics } = format(source);
    expect(diagnostics).toEqual([]);
    expect(formatted).toBe('visit "/pricing" => +15  # pricing\n\nstage MQL when score >= 50\n');
    expect(format(formatted!).formatted).toBe(formatted);
    expect(diagnose(formatted!)).toEqual(diagnose(source).map((d) => expect.objectContaining({ code: d.code })));
  });

  test("refuses a model with a syntax error, saying why", () => {
    expect(format("visit => \n# keep me\n")).toEqual({ formatted: null, diagnostics: [expect.objectContaining({ code: "SYNTAX", line: 3, column: 1 })] });
  });
});

describe("runModelTests", () => {
  const model = 'visit "/pricing" => +15\nstage MQL when score >= 30\n';

  test("passes, failures at the line of their expectation with the explanation, and unreadable lines", () => {
    const tests = [
      'test "two visits make an MQL"',
      '  -2d visit "/pricing"',
      '  -1d visit "/pricing"',
      "  expect score 30",
      "  expect stage MQL",
      'test "one is not enough"',
      '  -1d visit "/pricing"',
      "  expect stage MQL",
      "  nonsense",
      "",
    ].join("\n");
    const report = runModelTests(model, tests);
    expect(report).toMatchObject({ passed: 1, failed: 1, modelDiagnostics: [], errors: [{ line: 9 }] });
    expect(report.cases[0]).toMatchObject({ name: "two visits make an MQL", passed: true, failures: [] });
    const [failure] = report.cases[1].failures;
    expect(failure.line).toBe(8);
    expect(failure.lines[0]).toBe("✗ expected stage MQL, got Subscriber (line 8)");
    expect(failure.lines.join("\n")).toContain("score >= 30 (score is 15)");
  });

  test("a model with errors: no case runs, and the report says why", () => {
    const report = runModelTests("rol => +1\n", 'test "x"\n  expect score 0\n');
    expect(report).toMatchObject({ passed: 0, failed: 1, modelDiagnostics: [expect.objectContaining({ severity: "error" })] });
  });
});

describe("broken input", () => {
  const fragments = ["visit", " ", "\n", "=>", "+", "5", '"', "stage", "when", "group", "{", "}", "(", ")", ".", "where", "lead", "#", "score", ">=", "not", "in", "[", "]", ",", "\u201c", "\\", "%", "decays", "every", "days", "rule", ":", "has", "\r"];

  test("never throws, and every offset and range stays within the source", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 40 }), fc.nat(), (parts, n) => {
        const source = parts.join("");
        const offset = n % (source.length + 1);
        for (const d of diagnose(source)) {
          expect(0 <= d.from && d.from <= d.to && d.to <= source.length).toBe(true);
          if (d.fix) applyEdits(source, d.fix.edits);
        }
        const c = complete(source, offset);
        expect(0 <= c.from && c.from <= offset && offset <= c.to && c.to <= source.length).toBe(true);
        const h = hover(source, offset);
        if (h !== null) expect(h.from <= offset && offset < h.to).toBe(true);
        format(source);
        runModelTests(source, source);
      }),
      { numRuns: 300 },
    );
  });

  test("arbitrary text and offsets outside the source", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.integer({ min: -5, max: 80 }), (source, offset) => {
        diagnose(source);
        complete(source, offset);
        hover(source, offset);
      }),
      { numRuns: 300 },
    );
  });
});

describe("browser-safe", () => {
  /** Every file the services import, transitively, with the modules they name. */
  function importClosure(entry: string): Map<string, string[]> {
    const seen = new Map<string, string[]>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      const text = readFileSync(file, "utf8");
      const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
      seen.set(file, specifiers);
      for (const s of specifiers) if (s.startsWith(".")) visit(resolve(dirname(file), `${s}.ts`).replace(/\/index\.ts\.ts$/, "/index.ts"));
    };
    visit(entry);
    return seen;
  }

  test("the services and everything they import use no Node module or global", () => {
    const closure = importClosure(join(ROOT, "src/dsl/services/index.ts"));
    expect(closure.size).toBeGreaterThan(15);
    const packages = [...closure.values()].flat().filter((s) => !s.startsWith("."));
    expect([...new Set(packages)]).toEqual(["chevrotain"]);
    for (const file of closure.keys()) {
      const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect({ file, uses: code.match(/\b(?:Buffer|process|__dirname|setImmediate)\b|\brequire\s*\(/g) ?? [] }).toEqual({ file, uses: [] });
    }
  });
});
