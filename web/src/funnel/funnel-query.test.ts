import { describe, expect, it } from "vitest";
import { choiceParams, funnelVariables, localDateTime, localDay, readChoice } from "./funnel-query";

describe("the funnel's choices", () => {
  it("makes a cohort of whole local days and an instant to the second", () => {
    const result = funnelVariables({ since: "2026-03-01", until: "2026-03-31", asOf: "2026-03-15T09:30:05" }, new Date(2026, 5, 1));
    expect(result).toEqual({
      variables: {
        since: new Date(2026, 2, 1).toISOString(),
        until: new Date(2026, 3, 1).toISOString(),
        asOf: new Date(2026, 2, 15, 9, 30, 5).toISOString(),
        compare: true,
      },
    });
  });

  it("asks for now with no choice", () => {
    expect(funnelVariables({ since: "", until: "", asOf: "" })).toEqual({ variables: { since: null, until: null, asOf: null, compare: false } });
  });

  it("says why a choice cannot run", () => {
    expect(funnelVariables({ since: "2026-02-30", until: "2026-01-01", asOf: "2999-01-01T00:00" }, new Date(2026, 0, 1))).toEqual({
      problems: ['"2026-02-30" is not a date (from).', "“As of” is in the future: choose a past instant, or none for now."],
    });
    expect(funnelVariables({ since: "2026-03-02", until: "2026-03-01", asOf: "" })).toEqual({ problems: ["The first day comes after the last day."] });
    expect(localDateTime("2026-03-01 10:00")).toBeNull();
    expect(localDay("2026-13-01")).toBeNull();
  });

  it("lives in the URL", () => {
    const choice = { since: "2026-03-01", until: "", asOf: "2026-03-15T09:30" };
    expect(readChoice(choiceParams(choice))).toEqual(choice);
    expect(choiceParams(choice).toString()).toBe("since=2026-03-01&asOf=2026-03-15T09%3A30");
  });
});
