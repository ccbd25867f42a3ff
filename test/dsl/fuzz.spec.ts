/**
 * Fuzz and hostile-input tests: whatever the text, `parse`, `check` and `print` return (never
 * throw, never hang, never overflow the stack), and limits are refused cheaply with a diagnostic.
 */
import fc from "fast-check";
import { check } from "../../src/dsl/checker";
import type { Diagnostic } from "../../src/dsl/diagnostics";
import { MAX_DEPTH, MAX_SOURCE_BYTES, MAX_SYNTAX_ERRORS, MAX_TOKENS } from "../../src/dsl/limits";
import { parse } from "../../src/dsl/parse";
import { print } from "../../src/dsl/printer";
import { keywordTokens } from "../../src/dsl/tokens";
import { SEED_MODEL as SEED } from "./helpers/project-files";

const RUNS = Number(process.env.FC_RUNS ?? 200);

const V2 = `visit "/pricing" => +15 decays 50% every 30 days
group "Product A" max 60 decays 10% every 2 weeks {
  visit "/product-a/*" => +10
  download "product-a-*" => +5 decays 50% every 30 days expires after 90 days
}
group "Decision makers" { role contains "Director" => +20 }
stage SQL when score >= 100 and group "Product A" >= 30
`;

/** Runs the whole front end and checks the shape of what comes back. */
function frontEnd(source: string): Diagnostic[] {
  const parsed = parse(source);
  const checked = check(parsed.ast, source);
  print(parsed.ast);
  const all = [...parsed.diagnostics, ...checked.diagnostics];
  for (const d of all) {
    expect(typeof d.code).toBe("string");
    expect(d.code).toMatch(/^[A-Z_]+$/);
    expect(d.message.length).toBeGreaterThan(0);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.endLine * 1e9 + d.endColumn).toBeGreaterThanOrEqual(d.line * 1e9 + d.column);
  }
  expect(checked.checked === null).toBe(checked.diagnostics.some((d) => d.severity === "error"));
  return all;
}

/**
 * Hostile input must stay cheap: a blow-up (backtracking, quadratic recovery) takes minutes on
 * these sizes, where the front end takes well under a second. The bound only catches such a
 * blow-up, with room for a loaded machine; speed itself is measured by `npm run bench:dsl`.
 */
const BLOW_UP_MS = 10_000;

function timed<T>(f: () => T): T {
  const started = performance.now();
  const result = f();
  expect(performance.now() - started).toBeLessThan(BLOW_UP_MS);
  return result;
}

const KEYWORDS = keywordTokens.map((t) => (t.PATTERN as RegExp).source.replace(/s\?$/, "s"));
const tokenText = fc.oneof(
  fc.constantFrom(...KEYWORDS),
  fc.constantFrom("=>", ">=", "<=", "!=", "=", ">", "<", "(", ")", "[", "]", ",", ":", ".", "|", "+", "-", "#", "\n", '"', "\\", "{", "}", "%"),
  fc.constantFrom("visit", "role", "companySize", "attributes", "properties", "lead", "target", "MQL", "Lead", "_", "__proto__"),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/),
  fc.stringMatching(/^\d{1,4}(\.\d{1,2})?$/),
  fc.string({ maxLength: 6 }).map((s) => JSON.stringify(s)),
);

describe("fuzz: never throws", () => {
  test("random strings", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 200 })), (source) => {
        timed(() => frontEnd(source));
      }),
      { numRuns: RUNS },
    );
  });

  test("token soups", () => {
    fc.assert(
      fc.property(fc.array(tokenText, { maxLength: 80 }), fc.constantFrom(" ", "\n", ""), (tokens, separator) => {
        timed(() => frontEnd(tokens.join(separator)));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test("mutations of the seed model", () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: tokenText }),
      fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), text: fc.string({ unit: "binary", maxLength: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 8 }), (mutations) => {
        let source = SEED;
        for (const m of mutations) {
          const at = m.at % (source.length + 1);
          if (m.kind === "delete") source = source.slice(0, at) + source.slice(at + m.length);
          else if (m.kind === "insert") source = `${source.slice(0, at)} ${m.text} ${source.slice(at)}`;
          else source = source.slice(0, at) + m.text + source.slice(at + m.text.length);
        }
        timed(() => frontEnd(source));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  test("every prefix of the seed model", () => {
    for (let end = 0; end <= SEED.length; end += 3) frontEnd(SEED.slice(0, end));
  });

  test("every prefix of a version 2 model, and token soups inside a group", () => {
    for (let end = 0; end <= V2.length; end += 2) frontEnd(V2.slice(0, end));
    fc.assert(
      fc.property(fc.array(tokenText, { maxLength: 30 }), (tokens) => {
        timed(() => frontEnd(`group "G" max 5 {\n${tokens.join(" ")}\n}\nstage MQL when group "G" >= 1`));
      }),
      { numRuns: RUNS },
    );
  });
});

describe("hostile input: refused cheaply", () => {
  test("100,000 nested parentheses: TOO_DEEP, no stack overflow", () => {
    const source = `${"(".repeat(100_000)}role is set${")".repeat(100_000)} => +1`;
    const { diagnostics, ast } = timed(() => parse(source));
    expect(diagnostics.map((d) => d.code)).toEqual(["TOO_DEEP"]);
    expect(diagnostics[0]).toMatchObject({ line: 1, column: MAX_DEPTH + 1, endColumn: MAX_DEPTH + 2 });
    expect(ast.statements).toEqual([]);
  });

  test("100,000 nested not: TOO_DEEP", () => {
    const { diagnostics } = timed(() => parse(`${"not ".repeat(100_000)}role is set => +1`));
    expect(diagnostics.map((d) => d.code)).toEqual(["TOO_DEEP"]);
  });

  test("nesting at the limit is fine; one more is refused", () => {
    const atLimit = `${"(".repeat(MAX_DEPTH)}role is set${")".repeat(MAX_DEPTH)} => +1`;
    expect(parse(atLimit).diagnostics).toEqual([]);
    const notParens = `${"not (".repeat(MAX_DEPTH / 2)}role is set${")".repeat(MAX_DEPTH / 2)} => +1`;
    expect(parse(notParens).diagnostics).toEqual([]);
    const over = `${"not (".repeat(MAX_DEPTH / 2 + 1)}role is set${")".repeat(MAX_DEPTH / 2 + 1)} => +1`;
    expect(parse(over).diagnostics.map((d) => d.code)).toEqual(["TOO_DEEP"]);
  });

  test("unclosed parentheses in many statements are syntax errors, not TOO_DEEP", () => {
    const source = '(role = "a" => +1\n'.repeat(MAX_DEPTH * 2);
    const codes = parse(source).diagnostics.map((d) => d.code);
    expect(codes).not.toContain("TOO_DEEP");
    expect(codes).toContain("SYNTAX");
  });

  test("a 10 MB string: TOO_LARGE before lexing", () => {
    const source = `visit "${"x".repeat(10_000_000)}" => +1`;
    const { diagnostics } = timed(() => parse(source));
    expect(diagnostics.map((d) => d.code)).toEqual(["TOO_LARGE"]);
    expect(diagnostics[0].message).toBe("This model is 9766 KB; a model may be at most 1024 KB.");
  });

  test("size is measured in UTF-8 bytes", () => {
    const source = `# ${"é".repeat(MAX_SOURCE_BYTES / 2)}`;
    expect(parse(source).diagnostics.map((d) => d.code)).toEqual(["TOO_LARGE"]);
  });

  test("1,000,000 tokens: TOO_LARGE, at the first token past the limit", () => {
    const { diagnostics } = timed(() => parse("a,".repeat(500_000)));
    expect(diagnostics.map((d) => d.code)).toEqual(["TOO_LARGE"]);
    expect(diagnostics[0]).toMatchObject({ line: 1, column: MAX_TOKENS + 1 });
    expect(diagnostics[0].message).toBe("This model has 1000000 words and symbols; a model may have at most 200000.");
    expect(timed(() => parse("(".repeat(1_000_000))).diagnostics.map((d) => d.code)).toEqual(["TOO_DEEP"]);
  });

  test("a 1 MB model of valid rules parses and checks in under 2 s", () => {
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 1_000_000; i++) {
      const line = `rule "Rule number ${i} with a longer name": visit "/a/rather/long/path/to/page-${i}" => +${(i % 50) + 1}`;
      lines.push(line);
      size += line.length + 1;
    }
    const source = lines.join("\n");
    const diagnostics = timed(() => {
      const parsed = parse(source);
      return [...parsed.diagnostics, ...check(parsed.ast, source).diagnostics];
    });
    expect(diagnostics).toEqual([]);
  });

  test("1 MB of unknown characters: capped diagnostics, quickly", () => {
    const { diagnostics } = timed(() => parse("@a".repeat(500_000)));
    expect(diagnostics.length).toBe(MAX_SYNTAX_ERRORS + 1);
    expect(diagnostics[diagnostics.length - 1].code).toBe("TOO_MANY_ERRORS");
  });

  test("1 MB of unterminated strings and bad escapes: capped diagnostics, quickly", () => {
    expect(timed(() => parse('"x\n'.repeat(300_000))).diagnostics.length).toBe(MAX_SYNTAX_ERRORS + 1);
    expect(timed(() => parse(`"${"\\q".repeat(400_000)}"`)).diagnostics.length).toBe(MAX_SYNTAX_ERRORS + 1);
  });

  test("1 MB of broken rules: capped syntax errors, quickly", () => {
    const { diagnostics } = timed(() => parse("role = => +1\n".repeat(15_000)));
    expect(diagnostics.length).toBeLessThanOrEqual(MAX_SYNTAX_ERRORS + 2);
    expect(diagnostics[diagnostics.length - 1].code).toBe("TOO_MANY_ERRORS");
  });

  test("a 1 MB comment and a 1 MB name", () => {
    expect(timed(() => parse(`#${"x".repeat(1_000_000)}`)).diagnostics).toEqual([]);
    expect(timed(() => frontEnd(`${"x".repeat(1_000_000)} => +1`)).map((d) => d.code)).toContain("TOO_LONG");
  });

  // The speed of reading 1,000 rules is a benchmark figure (`npm run bench:dsl`), not a unit test:
  // here only that such a model reads completely.
  test("1,000 rules parse and check", () => {
    const source = Array.from(
      { length: 1000 },
      (_, i) => `visit "/page-${i}" where properties.minutes >= ${i} and lead.role contains "Director" => +${(i % 50) + 1} max 3`,
    ).join("\n");
    const parsed = parse(source);
    const checked = check(parsed.ast, source);
    expect(parsed.diagnostics).toEqual([]);
    expect(checked.checked?.scoreRules).toHaveLength(1000);
  });

  test("100 statements broken at the deepest nesting: recovery stays cheap", () => {
    const source = `${"(".repeat(MAX_DEPTH - 1)}role is set => +1\n`.repeat(200);
    const { diagnostics } = timed(() => parse(source));
    expect(diagnostics.map((d) => d.code)).toContain("TOO_MANY_ERRORS");
  });

  test("a long and / or chain is not deep", () => {
    const source = `${Array.from({ length: 20_000 }, (_, i) => `attributes.a${i} is set`).join(" or ")} => +1`;
    expect(timed(() => frontEnd(source))).toEqual([]);
  });
});
