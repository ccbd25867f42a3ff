import { compilePattern, normaliseTarget } from "../../src/dsl/runtime/targets";
import { equalsTest, isSet, numericValue, orderingTest, textTest, textValue } from "../../src/dsl/runtime/values";

describe("normaliseTarget", () => {
  test.each([
    ["https://acme.com/pricing", "/pricing"],
    ["https://acme.com/pricing/", "/pricing"],
    ["https://acme.com/pricing?utm_source=x", "/pricing"],
    ["https://acme.com/pricing#plans", "/pricing"],
    ["https://acme.com/pricing/?a=1#b", "/pricing"],
    ["https://acme.com", "/"],
    ["https://acme.com/", "/"],
    ["https://acme.com?x=1", "/"],
    ["https://acme.com#top", "/"],
    ["http://user:pw@acme.com:8080/a/b//", "/a/b/"],
    ["HTTPS://Acme.COM/Pricing", "/Pricing"],
    ["svn+ssh://host/repo/", "/repo"],
    ["/pricing/", "/pricing"],
    ["/", "/"],
    ["/blog/a%20b", "/blog/a%20b"],
    ["  /pricing  ", "/pricing"],
    ["case-study-1.pdf", "case-study-1.pdf"],
    ["case-study-1.pdf?download=1", "case-study-1.pdf"],
    ["newsletter", "newsletter"],
    ["mailto:ann@example.com", "mailto:ann@example.com"],
  ])("%s → %s", (input, expected) => {
    expect(normaliseTarget(input)).toBe(expected);
  });

  test("a missing or blank target is not set", () => {
    expect(normaliseTarget(null)).toBeNull();
    expect(normaliseTarget(undefined)).toBeNull();
    expect(normaliseTarget("")).toBeNull();
    expect(normaliseTarget("   ")).toBeNull();
  });
});

describe("compilePattern", () => {
  const matches = (pattern: string, target: string) => {
    const t = normaliseTarget(target);
    return t !== null && compilePattern(pattern)(t.toLowerCase());
  };

  test("whole string, case-insensitive", () => {
    expect(matches("/pricing", "/pricing")).toBe(true);
    expect(matches("/pricing", "/PRICING")).toBe(true);
    expect(matches("/Pricing", "/pricing")).toBe(true);
    expect(matches("/pricing", "/pricing-old")).toBe(false);
    expect(matches("/pricing", "/en/pricing")).toBe(false);
  });

  test("patterns are normalised like targets", () => {
    expect(matches("/pricing/", "/pricing")).toBe(true);
    expect(matches("https://acme.com/pricing?x=1", "/pricing/")).toBe(true);
    expect(matches("/pricing", "https://www.acme.com/pricing/?utm=a#top")).toBe(true);
  });

  test("* matches any run, the empty one included", () => {
    expect(matches("/blog/*", "/blog/post-1")).toBe(true);
    expect(matches("/blog/*", "/blog/2024/post")).toBe(true);
    expect(matches("/blog/*", "/blog/")).toBe(false); // normalised to /blog
    expect(matches("/blog/*", "/blog")).toBe(false);
    expect(matches("/blog*", "/blog")).toBe(true);
    expect(matches("case-study*", "Case-Study-1.pdf")).toBe(true);
    expect(matches("*.pdf", "whitepaper.PDF")).toBe(true);
    expect(matches("*.pdf", "whitepaper.pdf.zip")).toBe(false);
    expect(matches("*study*", "case-study-1.pdf")).toBe(true);
    expect(matches("a*b*c", "abc")).toBe(true);
    expect(matches("a*b*c", "aXbYc")).toBe(true);
    expect(matches("a*b*c", "acb")).toBe(false);
    expect(matches("a*bb*b", "abbb")).toBe(true);
    expect(matches("a*bb*b", "abb")).toBe(false);
    expect(matches("*", "anything")).toBe(true);
    expect(matches("**", "x")).toBe(true);
  });

  test("regular-expression characters are literal", () => {
    expect(matches("/a.b", "/aXb")).toBe(false);
    expect(matches("/a.b", "/a.b")).toBe(true);
    expect(matches("/(x)+[y]$", "/(x)+[y]$")).toBe(true);
    expect(matches("/a\\d", "/a1")).toBe(false);
  });

  test("a blank pattern matches nothing", () => {
    expect(compilePattern("")("")).toBe(false);
    expect(compilePattern("  ")("x")).toBe(false);
  });
});

describe("values", () => {
  test("blank, null and absent are not set", () => {
    expect(isSet(undefined)).toBe(false);
    expect(isSet(null)).toBe(false);
    expect(isSet("")).toBe(false);
    expect(isSet("  \t")).toBe(false);
    expect(isSet(0)).toBe(true);
    expect(isSet(false)).toBe(true);
    expect(isSet(" x ")).toBe(true);
  });

  test("numeric values are finite numbers and decimal strings", () => {
    expect(numericValue(45)).toBe(45);
    expect(numericValue(" 45 ")).toBe(45);
    expect(numericValue("-1.5")).toBe(-1.5);
    expect(numericValue("2e3")).toBe(2000);
    expect(numericValue(".5")).toBe(0.5);
    expect(numericValue("0x10")).toBeNull();
    expect(numericValue("Infinity")).toBeNull();
    expect(numericValue("1e999")).toBeNull();
    expect(numericValue(Infinity)).toBeNull();
    expect(numericValue(NaN)).toBeNull();
    expect(numericValue("")).toBeNull();
    expect(numericValue("45 min")).toBeNull();
    expect(numericValue(true)).toBeNull();
  });

  test("text is trimmed and lower-cased", () => {
    expect(textValue("  SaaS ")).toBe("saas");
    expect(textValue(45)).toBe("45");
    expect(textValue(true)).toBe("true");
    expect(textValue({})).toBeNull();
    expect(textValue([])).toBeNull();
  });

  test("= with a number literal compares numerically, else false", () => {
    const eq = equalsTest(45);
    expect(eq(45)).toBe(true);
    expect(eq("45")).toBe(true);
    expect(eq("45.0")).toBe(true);
    expect(eq("forty-five")).toBe(false);
    expect(eq(true)).toBe(false);
  });

  test("= with a string literal compares the text", () => {
    const eq = equalsTest(" SaaS");
    expect(eq("saas ")).toBe(true);
    expect(eq("Software")).toBe(false);
    expect(equalsTest("45")(45)).toBe(true);
    expect(equalsTest("45")("45.0")).toBe(false);
    expect(equalsTest("true")(true)).toBe(true);
    expect(equalsTest("[object Object]")({})).toBe(false);
  });

  test("ordering holds only for numeric values", () => {
    expect(orderingTest(">=", 30)(30)).toBe(true);
    expect(orderingTest(">=", 30)("30")).toBe(true);
    expect(orderingTest(">", 30)("30")).toBe(false);
    expect(orderingTest("<", 30)("abc")).toBe(false);
    expect(orderingTest("<=", 30)(null)).toBe(false);
    expect(orderingTest("<", "10")(5)).toBe(true);
    expect(orderingTest("<", "ten")(5)).toBe(false);
  });

  test("contains, startsWith and endsWith work on the text", () => {
    expect(textTest("contains", "director")("Marketing DIRECTOR ")).toBe(true);
    expect(textTest("startsWith", "mark")(" Marketing")).toBe(true);
    expect(textTest("endsWith", "@GMAIL.com")("ann@gmail.com")).toBe(true);
    expect(textTest("contains", 4)(1450)).toBe(true);
    expect(textTest("contains", "x")({ x: 1 })).toBe(false);
  });
});
