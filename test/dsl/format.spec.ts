import fc from "fast-check";
import { formatModel } from "../../src/dsl/format";
import { parse } from "../../src/dsl/parse";
import { print } from "../../src/dsl/printer";
import { SEED_MODEL, wholeModelExample } from "./helpers/project-files";

const fmt = (source: string) => {
  const { formatted, diagnostics } = formatModel(source);
  if (formatted === null) throw new Error(JSON.stringify(diagnostics));
  return formatted;
};

describe("formatModel", () => {
  test("prints each statement canonically, one per line", () => {
    expect(fmt('visit   "/pricing"=>15\nrole "CEO"=>+5 ')).toBe('visit "/pricing" => +15\nrole "CEO" => +5\n');
  });

  test("keeps own-line comments above their statement and trailing comments, aligned in a run", () => {
    const source = [
      "# Engagement",
      "download                     => +1     # a document",
      'subscribe "newsletter"       => +5     once',
      'email_open "newsletter"      => +2     # a newsletter',
      'visit "/pricing"             => +15    # the pricing page',
      "",
      "",
      "   # Fit",
      'industry in ["SaaS","Software"] => +10',
    ].join("\n");
    expect(fmt(source)).toBe(
      [
        "# Engagement",
        "download => +1  # a document",
        'subscribe "newsletter" => +5 once',
        'email_open "newsletter" => +2  # a newsletter',
        'visit "/pricing" => +15        # the pricing page',
        "",
        "# Fit",
        'industry in ["SaaS", "Software"] => +10',
        "",
      ].join("\n"),
    );
  });

  test("moves comments inside a multi-line statement above it", () => {
    const source = 'visit "/pricing" # the page\n  at least 3 times within 7 days # a week\n  => +20 once # once\n';
    expect(fmt(source)).toBe('# the page\n# a week\nvisit "/pricing" at least 3 times within 7 days => +20 once  # once\n');
  });

  test("separates kinds of statements by a blank line, as the printer does", () => {
    const source = "funnel A > B\ndownload => +1\n# stages\nstage B when score >= 5\n";
    expect(fmt(source)).toBe("funnel A > B\n\ndownload => +1\n\n# stages\nstage B when score >= 5\n");
  });

  test("a file without comments or extra blank lines formats as the printer prints", () => {
    const source = "funnel A > B | C\ndownload => +1\nvisit => +2 max 3\nstage B when score >= 5 and has visit";
    expect(fmt(source)).toBe(print(parse(source).ast));
  });

  test("two statements on one line: the comment belongs to the second", () => {
    expect(fmt("download => +1 visit => +2 # visits\n")).toBe("download => +1\nvisit => +2  # visits\n");
  });

  test("# inside strings is not a comment", () => {
    expect(fmt('visit "/a#b" => +1 # real\n')).toBe('visit "/a#b" => +1  # real\n');
  });

  test("comments only, and the empty file", () => {
    expect(fmt("  # nothing yet  \n\n\n# more\n")).toBe("# nothing yet\n\n# more\n");
    expect(fmt("")).toBe("");
  });

  test("refuses a source with syntax errors", () => {
    const { formatted, diagnostics } = formatModel("visit => \n");
    expect(formatted).toBeNull();
    expect(diagnostics.some((d) => d.severity === "error")).toBe(true);
  });

  test("the seed model is in canonical layout (qualify fmt --check examples/ passes)", () => {
    expect(fmt(SEED_MODEL)).toBe(SEED_MODEL);
  });

  test("is idempotent and keeps the model's meaning on the examples", () => {
    for (const source of [SEED_MODEL, wholeModelExample()]) {
      const once = fmt(source);
      expect(fmt(once)).toBe(once);
      expect(print(parse(once).ast)).toBe(print(parse(source).ast));
      for (const line of source.split("\n")) {
        const comment = line.indexOf("#");
        if (comment >= 0) expect(once).toContain(line.slice(comment).trimEnd());
      }
    }
  });
});

describe("formatModel on random layouts", () => {
  const STATEMENTS = [
    "funnel A > B > C | D",
    'visit "/pricing" => +15',
    'download "case-study*" where source = "ads" => +10 max 3',
    "webinar where properties.minutes >= 30 at least 2 times within 7 days => +10 expires after 90 days",
    'rule "Demo": demo_request => +30 once',
    'role contains "Director" and (companySize >= 50 or industry in ["SaaS", "Software"]) => +10',
    "stage B when score >= 50",
    "stage C when has demo_request and not fit < 10",
    'visit "/blog/*" => +2 decays 10% every 30 days expires after 1 week',
    'group "Product A" max 60 decays 50% every 2 weeks { visit "/a/*" => +10 download "a-*" => +5 decays 10% every 1 day }',
    'group "Empty" { }',
    'stage C when group "Product A" >= 30 or score > 100',
  ];
  // A statement broken over lines, with spaces and comments between its tokens.
  const spread = (statement: string, breaks: boolean[], comments: string[]) =>
    statement
      .split(/(?<=[^"\s]) (?=[^"]*(?:"[^"]*"[^"]*)*$)/)
      .map((word, i) => (i === 0 ? word : `${breaks[i % breaks.length] ? `  ${comments[i % comments.length] ?? ""}\n   ` : "   "}${word}`))
      .join("");
  const layout = fc.array(
    fc.record({
      statement: fc.constantFrom(...STATEMENTS),
      before: fc.array(fc.constantFrom("", "# own line", "   # indented ", "#tight"), { maxLength: 3 }),
      trailing: fc.constantFrom("", "# trailing", "  #  spaced "),
      breaks: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
      inner: fc.array(fc.constantFrom("# inner", ""), { minLength: 1, maxLength: 2 }),
    }),
    { maxLength: 6 },
  );

  test("formatting twice changes nothing, keeps every comment and the meaning", () => {
    fc.assert(
      fc.property(layout, (items) => {
        const source = items
          .map((it) => [...it.before, `${spread(it.statement, it.breaks, it.inner)} ${it.trailing}`].join("\n"))
          .join("\n");
        const once = fmt(source);
        expect(fmt(once)).toBe(once);
        expect(print(parse(once).ast)).toBe(print(parse(source).ast));
        const commentsOf = (text: string) => (text.match(/#[^\n]*/g) ?? []).map((c) => c.trimEnd()).sort();
        expect(commentsOf(once)).toEqual(commentsOf(source));
      }),
      { numRuns: 300 },
    );
  });
});
