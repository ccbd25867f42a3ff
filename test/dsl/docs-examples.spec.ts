/**
 * Every example of the language reference (`docs/language.md`) is checked:
 * - a ```rules block must parse and check with no diagnostic at all;
 * - a ```rules-error CODE block must produce a diagnostic with that code, and when the block is
 *   followed by a `> message` line, a diagnostic of that code with exactly that message.
 */
import { diagnose } from "./helpers/front-end";
import { projectFile } from "./helpers/project-files";

interface Example {
  line: number;
  source: string;
  code: string | null;
  message: string | null;
}

function examples(markdown: string): Example[] {
  const found: Example[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(rules(?:-error ([A-Z_]+))?)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i]);
    const next = lines[i + 1] ?? "";
    found.push({
      line: start + 1,
      source: body.join("\n"),
      code: fence[2] ?? null,
      message: fence[2] && next.startsWith("> ") ? next.slice(2) : null,
    });
  }
  return found;
}

const reference = projectFile("docs/language.md");
const all = examples(reference);

describe("docs/language.md examples", () => {
  test("there are examples of both kinds", () => {
    expect(all.filter((e) => e.code === null).length).toBeGreaterThan(15);
    expect(all.filter((e) => e.code !== null).length).toBeGreaterThan(30);
  });

  const clean = all.filter((e) => e.code === null);
  test.each(clean.map((e) => [e.line, e] as const))("```rules at line %i checks with no diagnostic", (_line, example) => {
    expect(diagnose(example.source)).toEqual([]);
  });

  const failing = all.filter((e) => e.code !== null);
  test.each(failing.map((e) => [e.line, e.code, e] as const))("```rules-error at line %i reports %s", (_line, code, example) => {
    const diagnostics = diagnose(example.source);
    expect(diagnostics.map((d) => d.code)).toContain(code);
    if (example.message !== null) {
      expect(diagnostics.filter((d) => d.code === code).map((d) => d.message)).toContain(example.message);
    }
  });

  test("every diagnostic code in the codes table has an example or is a limit", () => {
    const table = reference.split("### All codes")[1].split("## Limits")[0];
    const codes = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    const exemplified = new Set(failing.map((e) => e.code));
    const limits = new Set(["TOO_LARGE", "TOO_MANY_ERRORS"]);
    expect(codes.filter((c) => !exemplified.has(c) && !limits.has(c))).toEqual([]);
  });
});
