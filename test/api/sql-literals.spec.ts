/**
 * The unit of work sends some statements with their parameters inlined as literals (so that BEGIN
 * and COMMIT can ride along in one round trip). An inlined value must reach the server exactly as
 * the same value bound as a parameter would: hostile text included.
 */
import { Client } from "pg";
import { inlineParameters } from "../../src/services/transaction";
import { useTestApp } from "./helpers/test-app";

const HOSTILE_TEXTS = [
  "O'Brien",
  "back\\slash\\",
  "'; DROP TABLE lead; --",
  "\\'; SELECT 1; --",
  "$2 and $1",
  "E'\\x41'",
  "$$dollar$$",
  "é, ü, 😀 and a\nnewline\tand tab",
  "",
];

describe("parameters inlined as literals", () => {
  const suite = useTestApp();

  /** A connection of its own for each test, closed before the suite drops its database. */
  async function query(text: string, values?: unknown[]): Promise<Record<string, unknown>[]> {
    const database = suite.t.config.database;
    if (database.kind !== "postgres") throw new Error("the test app always talks to a server (PGlite behind its socket)");
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  const sql = "SELECT $1::text AS text, $2::jsonb AS json, $3::timestamptz AS at, $4::text[] AS list, $5::int AS n";

  test.each(HOSTILE_TEXTS)("text %j arrives as when bound", async (text) => {
    const values = [text, { [text]: text, nested: [text] }, new Date("2026-01-02T03:04:05.678Z"), [text, null, "x"], -42];
    const bound = await query(sql, values);
    const inlined = await query(inlineParameters(sql, values));
    expect(inlined).toEqual(bound);
    expect(inlined[0].text).toBe(text);
  });

  test("null and undefined become NULL", async () => {
    const rows = await query(inlineParameters("SELECT $1::text AS a, $2::int AS b", [null, undefined]));
    expect(rows).toEqual([{ a: null, b: null }]);
  });

  test("a value is never scanned for placeholders again", () => {
    expect(inlineParameters("SELECT $1, $2", ["$2", "x"])).toBe("SELECT '$2', 'x'");
  });

  test("a missing parameter is refused, not sent", () => {
    expect(() => inlineParameters("SELECT $1, $2", ["only one"])).toThrow("no value for $2");
  });
});
