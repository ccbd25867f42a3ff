import { didYouMean, lexicalDistance, suggestionList } from "../../src/dsl/did-you-mean";
import { DEFAULT_INTERACTION_TYPES } from "../../src/dsl/catalog";
import { LEAD_FIELDS } from "../../src/dsl/model";

describe("didYouMean", () => {
  test("finds the nearest candidate", () => {
    expect(didYouMean("rol", LEAD_FIELDS)).toBe("role");
    expect(didYouMean("vist", DEFAULT_INTERACTION_TYPES)).toBe("visit");
    expect(didYouMean("webinnar", DEFAULT_INTERACTION_TYPES)).toBe("webinar");
    expect(didYouMean("emial", LEAD_FIELDS)).toBe("email");
  });

  test("case differences count as one edit", () => {
    expect(didYouMean("companysize", LEAD_FIELDS)).toBe("companySize");
    expect(lexicalDistance("Role", "role")).toBe(1);
    expect(lexicalDistance("role", "role")).toBe(0);
  });

  test("transpositions count as one edit (Damerau)", () => {
    expect(lexicalDistance("ab", "ba")).toBe(1);
    expect(lexicalDistance("demo_reqeust", "demo_request")).toBe(1);
  });

  test("nothing close enough: undefined", () => {
    expect(didYouMean("xyzzy", LEAD_FIELDS)).toBeUndefined();
    expect(didYouMean("a", ["zz"])).toBeUndefined();
    expect(didYouMean("x", [])).toBeUndefined();
  });

  test("the input itself is never suggested", () => {
    expect(didYouMean("role", ["role"])).toBeUndefined();
    expect(didYouMean("role", ["role", "roles"])).toBe("roles");
  });

  test("suggestionList orders by distance, then alphabetically", () => {
    expect(suggestionList("visi", ["visits", "visit", "vista", "download"])).toEqual(["visit", "visits", "vista"]);
  });

  test("a very long input against the catalog is cheap", () => {
    const started = Date.now();
    expect(didYouMean("v".repeat(100_000), DEFAULT_INTERACTION_TYPES)).toBeUndefined();
    // A hostile-input bound, like the fuzz tests' 2 s: not a speed goal.
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
