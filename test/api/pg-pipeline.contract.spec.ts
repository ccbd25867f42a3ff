/**
 * The contract of the one seam on driver internals, src/database/pg-pipeline.ts: everything it
 * takes from `pg` and TypeORM beyond their public API is still there, with the shape it relies
 * on, in the versions it was checked against (`VERIFIED_WITH`); and pipelined units of work still
 * behave as transaction.ts documents (hot statements prepared once per connection, deferred
 * writes sent with the COMMIT, a failed deferred write committing nothing, array parameters
 * encoded exactly). An upgrade of `pg` or `typeorm` fails here first.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Client } from "pg";
import type { DataSource } from "typeorm";
import type { ServiceContext } from "../../src/context";
import { type PgConnection, VERIFIED_WITH } from "../../src/database/pg-pipeline";
import { sqlState } from "../../src/database/timeouts";
import { deferQuery, hotStatement, inTransaction } from "../../src/database/transaction";
import { ApiKeyEntity } from "../../src/entities/api-key.entity";
import { testDatabase, useTestApp } from "./helpers/test-app";

/** The version of the installed package `name` (its package.json, found from where it resolves). */
function installedVersion(name: string): string {
  for (let dir = path.dirname(require.resolve(name)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version: string };
      if (pkg.name === name) return pkg.version;
    }
    if (path.dirname(dir) === dir) throw new Error(`no package.json of ${name} above ${require.resolve(name)}`);
  }
}

/** The pg client a query runner holds, as far as the pipeline drives it (`query`: a simple-protocol round trip). */
interface LiveClient {
  connection: PgConnection & { query(text: string): void };
}

/** The pg client of the unit of work `tx` runs in. */
async function clientOf(tx: ServiceContext): Promise<LiveClient> {
  if (!tx.db.queryRunner) throw new Error("not inside a unit of work");
  return (await tx.db.queryRunner.connect()) as LiveClient;
}

/**
 * Records the round trips `client` starts from now on, each as the statements whose Parse it
 * carries: Parse messages up to a Sync are one trip of the extended protocol, a simple Query is one.
 */
function recordTrips(client: LiveClient): { trips(): string[][]; restore(): void } {
  const parse = jest.spyOn(client.connection, "parse");
  const sync = jest.spyOn(client.connection, "sync");
  const simple = jest.spyOn(client.connection, "query");
  return {
    trips() {
      const events = [
        ...parse.mock.calls.map(([message], i) => ({ order: parse.mock.invocationCallOrder[i], text: message.text, ends: false })),
        ...simple.mock.calls.map(([text], i) => ({ order: simple.mock.invocationCallOrder[i], text, ends: true })),
        ...sync.mock.invocationCallOrder.map((order) => ({ order, text: null, ends: true })),
      ].sort((a, b) => a.order - b.order);
      const trips: string[][] = [];
      let trip: string[] = [];
      for (const { text, ends } of events) {
        if (text !== null) trip.push(text);
        if (ends) {
          trips.push(trip);
          trip = [];
        }
      }
      return trips;
    },
    restore() {
      for (const spy of [parse, sync, simple]) spy.mockRestore();
    },
  };
}

describe(`pg-pipeline.ts contract [${testDatabase()}]`, () => {
  const s = useTestApp();
  const ctx = () => s.t.app.context(null);
  const dataSource = (): DataSource => ctx().db.connection;

  let nextId = 0;
  const note = (text: string | null): [number, string | null] => [++nextId, text];
  const INSERT_NOTE = "INSERT INTO contract_note (id, note) VALUES ($1, $2) RETURNING id, note";

  /**
   * The notes among `ids` that a connection of its own (outside the service's pool) sees. On PGlite
   * it would wait for a transaction open on another connection: asked only when none is.
   */
  const seenElsewhere = async (ids: number[]): Promise<number[]> => {
    const database = s.t.config.database;
    if (database.kind !== "postgres") throw new Error("the API tests run on a database server (or PGlite's socket)");
    const other = new Client({ connectionString: database.url });
    await other.connect();
    try {
      return (await other.query<{ id: number }>("SELECT id FROM contract_note WHERE id = ANY($1::int[]) ORDER BY id", [ids])).rows.map((r) => r.id);
    } finally {
      await other.end();
    }
  };

  beforeAll(() => ctx().db.query("CREATE TABLE contract_note (id int PRIMARY KEY, note text NOT NULL)"));

  describe("what pg-pipeline.ts takes from pg and TypeORM", () => {
    it("the installed pg and typeorm are the versions it was verified with", () => {
      const stale = (["pg", "typeorm"] as const)
        .map((name) => ({ name, installed: installedVersion(name), verified: VERIFIED_WITH[name] }))
        .filter((v) => v.installed !== v.verified)
        .map(
          (v) =>
            `${v.name} ${v.installed} is installed, but src/database/pg-pipeline.ts was verified with ${v.verified}: ` +
            `re-check pg-pipeline.ts against ${v.name} ${v.installed} (every internal its header lists), then update VERIFIED_WITH`,
        );
      expect(stale).toEqual([]);
    });

    it("pg/lib/query is a constructor keeping text and name, with the methods the client calls; pg/lib/utils.prepareValue a function", () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Query = require("pg/lib/query") as new (config: { text: string; name: string; callback: () => void }) => Record<string, unknown>;
      expect(typeof Query).toBe("function");
      const query = new Query({ text: "SELECT 1", name: "contract", callback: () => undefined });
      // The client reads the active query's text and name; it calls requiresPreparation, then prepare.
      expect({ text: query.text, name: query.name, requiresPreparation: typeof query.requiresPreparation, prepare: typeof query.prepare }).toEqual({
        text: "SELECT 1",
        name: "contract",
        requiresPreparation: "function",
        prepare: "function",
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      expect(typeof (require("pg/lib/utils") as { prepareValue?: unknown }).prepareValue).toBe("function");
    });

    it("a query runner's live pg client has the connection records and messages the pipeline drives", async () => {
      const runner = dataSource().createQueryRunner("master");
      try {
        const { connection } = (await runner.connect()) as LiveClient;
        const kind = (v: unknown) => (v === null ? "null" : typeof v);
        expect({
          parsedStatements: kind(connection.parsedStatements),
          submittedNamedStatements: kind(connection.submittedNamedStatements),
          parse: kind(connection.parse),
          bind: kind(connection.bind),
          describe: kind(connection.describe),
          execute: kind(connection.execute),
          sync: kind(connection.sync),
        }).toEqual({
          parsedStatements: "object",
          submittedNamedStatements: "object",
          parse: "function",
          bind: "function",
          describe: "function",
          execute: "function",
          sync: "function",
        });
      } finally {
        await runner.release();
      }
    });

    it("a TypeORM query runner has an own, writable, boolean isTransactionActive", async () => {
      const runner = dataSource().createQueryRunner("master");
      try {
        const descriptor = Object.getOwnPropertyDescriptor(runner, "isTransactionActive");
        expect(descriptor).toMatchObject({ writable: true, value: false });
      } finally {
        await runner.release();
      }
    });

    it("TypeORM's own operations inside a unit join its transaction: rolled back with it", async () => {
      const hash = randomBytes(32).toString("hex");
      const unit = inTransaction(ctx(), async (tx) => {
        // `save` opens (and commits) a transaction of its own unless the runner is marked active.
        await tx.db.save(ApiKeyEntity, { name: "contract", prefix: "contract", hash, scopes: ["read"], createdAt: new Date(), revokedAt: null });
        expect(await tx.db.countBy(ApiKeyEntity, { hash })).toBe(1);
        throw new Error("roll the unit back");
      });
      await expect(unit).rejects.toThrow("roll the unit back");
      expect(await ctx().db.countBy(ApiKeyEntity, { hash })).toBe(0);
    });
  });

  describe("pipelined units of work (transaction.ts)", () => {
    it("a hot statement is prepared once on its connection, and answers right each time", async () => {
      const sql = hotStatement("SELECT $1::int + 1 AS n");
      await inTransaction(ctx(), async (tx) => {
        const { connection } = await clientOf(tx);
        const parse = jest.spyOn(connection, "parse");
        try {
          // The first statement of the unit: BEGIN and it in one pipelined trip.
          const first = await tx.db.query(sql, [41]);
          const name = Object.keys(connection.parsedStatements).find((key) => connection.parsedStatements[key] === sql);
          // Then through pg's own query path, by name.
          const second = await tx.db.query(sql, [1]);
          expect({ first, second, name }).toEqual({ first: [{ n: 42 }], second: [{ n: 2 }], name: expect.any(String) });
          expect(parse.mock.calls.filter(([message]) => message.text === sql).map(([message]) => message.name)).toEqual([name]);
        } finally {
          parse.mockRestore();
        }
      });
    });

    it("a deferred write waits for the COMMIT and travels with it: BEGIN, the write and COMMIT in one round trip", async () => {
      const [id, text] = note("deferred");
      let returned: unknown[] | undefined;
      let recorder: ReturnType<typeof recordTrips> | undefined;
      try {
        await inTransaction(ctx(), async (tx) => {
          recorder = recordTrips(await clientOf(tx));
          await deferQuery(tx, INSERT_NOTE, [id, text], (rows) => (returned = rows));
          // Not sent yet: no rows came back (checked first: once sent, PGlite would hold the other connection's query).
          expect(returned).toBeUndefined();
          expect(await seenElsewhere([id])).toEqual([]);
        });
        expect(returned).toEqual([{ id, note: text }]);
        // The first trip on the connection (once released, the pool may lend it to other work).
        expect(recorder?.trips()[0]).toEqual(["BEGIN", INSERT_NOTE, "COMMIT"]);
        expect(await seenElsewhere([id])).toEqual([id]);
      } finally {
        recorder?.restore();
      }
    });

    it("a failing deferred write fails the unit at its COMMIT; nothing of the unit is committed; the connection is clean after", async () => {
      const [kept, text] = note("written before the failing write");
      const [failing] = note(null);
      let deferQueryResolved = false;
      const unit = inTransaction(ctx(), async (tx) => {
        await tx.db.query(INSERT_NOTE, [kept, text]);
        // NOT NULL: refused by the server, once it gets the statement.
        await deferQuery(tx, INSERT_NOTE, [failing, null]);
        deferQueryResolved = true;
      });
      const error = await unit.then(
        () => null,
        (err: unknown) => err,
      );
      expect({ deferQueryResolved, sqlState: sqlState(error) }).toEqual({ deferQueryResolved: true, sqlState: "23502" });
      expect(await seenElsewhere([kept, failing])).toEqual([]);
      // The failed transaction was rolled back before its connection went back to the pool.
      await expect(inTransaction(ctx(), (tx) => tx.db.query("SELECT count(*)::int AS n FROM contract_note WHERE id = $1", [kept]))).resolves.toEqual([{ n: 0 }]);
    });

    // After an error the server skips the rest of the trip, its Parse messages included, while pg
    // keeps a statement recorded as prepared when its Parse was queued (`submittedNamedStatements`)
    // or when ANY Parse of the trip completed (`parsedStatements`, for the trip's last statement):
    // the seam forgets a failed trip's named statements and, after the ROLLBACK, marks again those
    // the server did prepare. Without that, every later use of such a statement on the connection
    // failed with `prepared statement "qualify_…" does not exist`.
    it("a hot statement whose Parse a failed trip skipped is not taken as prepared, and runs on that connection after", async () => {
      const afterTheWrite = hotStatement("SELECT $1::int * 2 AS n");
      const secondWrite = hotStatement("INSERT INTO contract_note (id, note) SELECT $1, $2 WHERE $3 RETURNING id");
      const cases: Array<[string, string, (tx: ServiceContext) => Promise<unknown>]> = [
        ["sent behind a failing deferred write", afterTheWrite, (tx) => tx.db.query(afterTheWrite, [21])],
        ["deferred behind a failing deferred write", secondWrite, (tx) => deferQuery(tx, secondWrite, [note("second")[0], "second", false])],
      ];
      const recorded: Record<string, { sqlState: string | undefined; preparedAs: string[] }> = {};
      for (const [label, sql, next] of cases) {
        let connection: PgConnection | undefined;
        const error = await inTransaction(ctx(), async (tx) => {
          ({ connection } = await clientOf(tx));
          await deferQuery(tx, INSERT_NOTE, [note(null)[0], null]);
          await next(tx);
        }).then(
          () => null,
          (err: unknown) => err,
        );
        const names = { ...connection?.submittedNamedStatements, ...connection?.parsedStatements };
        recorded[label] = { sqlState: sqlState(error), preparedAs: Object.keys(names).filter((name) => names[name] === sql) };
      }
      expect(recorded).toEqual(Object.fromEntries(cases.map(([label]) => [label, { sqlState: "23502", preparedAs: [] }])));
      // On the embedded database (a pool of one) this is the very connection.
      await expect(inTransaction(ctx(), (tx) => tx.db.query(afterTheWrite, [21]))).resolves.toEqual([{ n: 42 }]);
      await expect(inTransaction(ctx(), (tx) => deferQuery(tx, secondWrite, [note("second")[0], "second", false]))).resolves.toBeUndefined();
    });

    it("a hot statement a failed trip did prepare (before the failure) is known as prepared after the rollback", async () => {
      const before = hotStatement("INSERT INTO contract_note (id, note) SELECT $1, $2 WHERE $3 RETURNING id -- prepared before a failure");
      let connection: PgConnection | undefined;
      const error = await inTransaction(ctx(), async (tx) => {
        ({ connection } = await clientOf(tx));
        // One trip with the COMMIT: this write parses and runs, the next one fails (NOT NULL).
        await deferQuery(tx, before, [note("kept")[0], "kept", false]);
        await deferQuery(tx, INSERT_NOTE, [note(null)[0], null]);
      }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(sqlState(error)).toBe("23502");
      expect(Object.entries(connection?.parsedStatements ?? {}).filter(([, text]) => text === before)).toHaveLength(1);
      // Used again on that connection: not parsed a second time ("already exists").
      await expect(inTransaction(ctx(), (tx) => deferQuery(tx, before, [note("again")[0], "again", false]))).resolves.toBeUndefined();
    });

    it("array parameters (quotes, backslashes, NULLs, unicode) round-trip exactly, pipelined or not", async () => {
      const texts = ["plain", "", "NULL", null, 'double "quotes"', "back\\slash", 'a \\" pair', "\\", "comma, {braces}", " spaced ", "new\nline", "'single'", "ünïcødé ✓ 🚀"];
      const ints = [0, -1, 2147483647, null];
      const bools = [true, false, null];
      const sql = "SELECT $1::text[] AS texts, $2::int[] AS ints, $3::boolean[] AS bools, $4::text[] AS empty";
      const parameters = [texts, ints, bools, []];
      let deferred: unknown[] | undefined;
      const answers = await inTransaction(ctx(), async (tx) => {
        // With BEGIN: a pipelined trip.
        const first = await tx.db.query(sql, parameters);
        // A deferred statement and the next one: a pipelined trip of two.
        await deferQuery(tx, sql, parameters, (rows) => (deferred = rows));
        const withDeferred = await tx.db.query(sql, parameters);
        // Nothing pending: pg's own query path, arrays encoded by the pipeline.
        const alone = await tx.db.query(sql, parameters);
        return { first, deferred, withDeferred, alone };
      });
      const exact = [{ texts, ints, bools, empty: [] }];
      expect(answers).toEqual({ first: exact, deferred: exact, withDeferred: exact, alone: exact });
    });
  });
});
