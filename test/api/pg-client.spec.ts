/**
 * The pool's `pg` client (src/database/pg-client.ts) answers as `pg`'s own does: a query asked
 * for as a promise resolves with the same result and rejects with the same error (its stack
 * leading back to the caller), a config object is left as it was given, and a query with its own
 * callback or a submittable goes to `pg` unchanged. On both databases, through the service's pool.
 */
import { Client, type QueryResult } from "pg";
import { CallbackFirstClient } from "../../src/database/pg-client";
import { useTestApp } from "./helpers/test-app";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const PgQuery = require("pg/lib/query") as new (config: { text: string; callback: (err: Error | null, result: QueryResult) => void }) => object;

describe("the pool's pg client", () => {
  const suite = useTestApp();

  /** Runs `work` with a client of the service's pool, released after. */
  async function withPooled<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const runner = suite.t.app.context(null).db.connection.createQueryRunner();
    try {
      return await work((await runner.connect()) as Client);
    } finally {
      await runner.release();
    }
  }

  it("is the service pool's client", async () => {
    await withPooled(async (client) => expect(client).toBeInstanceOf(CallbackFirstClient));
  });

  it("resolves a promised query with what pg's promise gives: rows, fields and parsed types", async () => {
    const sql = "SELECT $1::int AS n, $2::text AS s, timestamptz '2026-01-02T03:04:05Z' AS at, '{\"a\":[1]}'::json AS j";
    const values = [7, "seven"];
    const mine = await withPooled((client) => client.query(sql, values));
    const pgQuery = Client.prototype.query as unknown as (this: Client, text: string, values: unknown[]) => Promise<QueryResult>;
    const pgs = await withPooled((client) => pgQuery.call(client, sql, values));
    expect(mine.rows).toEqual([{ n: 7, s: "seven", at: new Date("2026-01-02T03:04:05Z"), j: { a: [1] } }]);
    expect(mine.rows).toEqual(pgs.rows);
    expect(mine.fields.map((f) => [f.name, f.dataTypeID])).toEqual(pgs.fields.map((f) => [f.name, f.dataTypeID]));
    expect([mine.command, mine.rowCount]).toEqual([pgs.command, pgs.rowCount]);
  });

  it("rejects with the database's error, its stack leading back to the caller", async () => {
    const failure = await withPooled((client) => client.query("SELECT 1 / $1::int AS never", [0])).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as { code?: string }).code).toBe("22012");
    expect((failure as Error).message).toMatch(/division by zero/);
    expect((failure as Error).stack).toContain("pg-client.spec.ts");
    // The client is still good for the next query.
    await expect(withPooled((client) => client.query("SELECT 2 AS two"))).resolves.toMatchObject({ rows: [{ two: 2 }] });
  });

  it("leaves a config object as it was given", async () => {
    const config = { text: "SELECT $1::int + 1 AS next", values: [41] };
    const result = await withPooled((client) => client.query(config));
    expect(result.rows).toEqual([{ next: 42 }]);
    expect(config).toEqual({ text: "SELECT $1::int + 1 AS next", values: [41] });
    // The same object again answers again (pg would have kept the first call's callback on it).
    await expect(withPooled((client) => client.query(config))).resolves.toMatchObject({ rows: [{ next: 42 }] });
  });

  it("hands a query with its own callback, and a submittable, to pg unchanged", async () => {
    const viaCallback = await withPooled(
      (client) =>
        new Promise<{ returned: unknown; rows: unknown[] }>((resolve, reject) => {
          const returned: unknown = client.query("SELECT 3 AS three", (err: Error | null, result: QueryResult) =>
            err ? reject(err) : resolve({ returned, rows: result.rows }),
          );
        }),
    );
    expect(viaCallback).toEqual({ returned: undefined, rows: [{ three: 3 }] });

    const submitted = await withPooled(
      (client) =>
        new Promise<{ same: boolean; rows: unknown[] }>((resolve, reject) => {
          const query = new PgQuery({ text: "SELECT 4 AS four", callback: (err, result) => (err ? reject(err) : resolve({ same: returned === query, rows: result.rows })) });
          const returned: unknown = (client.query as unknown as (q: object) => unknown)(query);
        }),
    );
    expect(submitted).toEqual({ same: true, rows: [{ four: 4 }] });
  });
});
