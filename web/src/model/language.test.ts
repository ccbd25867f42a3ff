import { describe, expect, it } from "vitest";
import { locate } from "./language";

describe("locate", () => {
  it("places the service's diagnostic in the text it was about, lines ending in \\r\\n or \\n alike", () => {
    const source = 'visit "/pricing" => +15\r\nvist "/x" => +1\nrol = "CEO" => +5\n';
    const d = locate(source, { severity: "error", code: "UNKNOWN_FIELD", message: "m", line: 3, column: 1, endLine: 3, endColumn: 4 });
    expect(source.slice(d.from, d.to)).toBe("rol");
    const w = locate(source, { severity: "warning", code: "UNKNOWN_INTERACTION_TYPE", message: "m", line: 2, column: 1, endLine: 2, endColumn: 5 });
    expect(source.slice(w.from, w.to)).toBe("vist");
    expect(w.fix).toBeUndefined();
  });
});
