import { describe, expect, it } from "vitest";
import { applyEdits, complete, diagnose, locate, runModelTests } from "./language";

const SEED = `funnel Subscriber > Lead > MQL > SQL | Other
group "Product A" max 40 {
  visit "/a" => +10
}
visit "/pricing" => +15
role contains "Director" => +20
stage MQL when score >= 30
`;

describe("diagnose", () => {
  it("places a misspelt field at its line and column, with the did-you-mean fix", () => {
    const source = `${SEED}rol contains "CEO" => +5\n`;
    const [d] = diagnose(source).filter((x) => x.severity === "error");
    expect(d).toMatchObject({ code: "UNKNOWN_FIELD", line: 8, column: 1, endLine: 8, endColumn: 4 });
    expect(source.slice(d.from, d.to)).toBe("rol");
    expect(d.fix?.title).toBe("Replace with 'role'");
    const fixed = applyEdits(source, d.fix!.edits);
    expect(fixed).toContain('role contains "CEO" => +5');
    expect(diagnose(fixed).filter((x) => x.severity === "error")).toEqual([]);
  });

  it("keeps the quotes of a group's name when it fixes one", () => {
    const source = `${SEED}stage SQL when group "Product B" >= 10\n`;
    const d = diagnose(source).find((x) => x.code === "UNKNOWN_GROUP")!;
    expect(d.fix?.edits[0].insert).toBe('"Product A"');
    expect(diagnose(applyEdits(source, d.fix!.edits)).filter((x) => x.severity === "error")).toEqual([]);
  });

  it("reports a syntax error at its place, with no fix, and counts \\r\\n lines as the compiler does", () => {
    const source = 'visit "/pricing" => +15\r\nvisit "/x" =>\r\n';
    const [d] = diagnose(source);
    expect(d.severity).toBe("error");
    expect(d.line).toBe(3);
    expect(d.fix).toBeUndefined();
    expect(locate(source, { ...d, line: 2, column: 7, endLine: 2, endColumn: 11 })).toMatchObject({ from: 31, to: 35 });
  });
});

describe("complete", () => {
  it("offers the funnel's stages after `stage` and the groups in a stage condition", () => {
    const at = `${SEED}stage `;
    expect(complete(at, at.length).items.map((i) => i.label)).toEqual(["Lead", "MQL", "SQL"]);
    const group = `${SEED}stage SQL when group "`;
    const items = complete(group, group.length).items;
    expect(items.map((i) => [i.label, i.insert])).toEqual([["Product A", '"Product A"']]);
  });

  it("offers lead fields, catalog types, types seen in the data and keywords for the word being typed", () => {
    const source = `${SEED}ind`;
    const result = complete(source, source.length, { interactionTypes: ["partner_referral"] });
    expect(source.slice(result.from, result.to)).toBe("ind");
    const labels = result.items.map((i) => i.label);
    expect(labels).toEqual(expect.arrayContaining(["industry", "visit", "partner_referral", "when", "minutes"]));
    expect(result.items.find((i) => i.label === "partner_referral")?.detail).toContain("seen in the data");
  });
});

describe("runModelTests", () => {
  it("explains a failed expectation rule by rule, at the expectation's line", () => {
    const tests = 'test "pricing"\n  -1d visit "/pricing"\n  expect score 99\n';
    const report = runModelTests(SEED, tests);
    expect(report).toMatchObject({ passed: 0, failed: 1 });
    const [failure] = report.cases[0].failures;
    expect(failure.line).toBe(3);
    expect(failure.lines[0]).toMatch(/^✗ expected score 99/);
    expect(failure.lines.join("\n")).toContain('visit "/pricing"');
  });

  it("fails every case, saying why, when the model has errors", () => {
    const report = runModelTests("visit =>", 'test "x"\n  expect score 0\n');
    expect(report.cases[0].failures[0].lines[0]).toContain("the model has errors");
    expect(report.modelDiagnostics.length).toBeGreaterThan(0);
  });
});
