/**
 * The one seam on driver internals. Pipelining several statements into one round trip of the
 * extended protocol needs what neither `pg` nor TypeORM exposes publicly:
 * - `pg/lib/query` (the Query class the client queues) and `pg/lib/utils.prepareValue`;
 * - the connection's `parse/bind/describe/execute/sync` and its `parsedStatements` /
 *   `submittedNamedStatements` records (which named statements this connection has prepared);
 * - TypeORM's `QueryRunner.isTransactionActive`, written so that TypeORM's own operations join the
 *   transaction `transaction.ts` opened.
 *
 * Nothing else in `src/` touches them. `test/api/pg-pipeline.contract.spec.ts` checks every one
 * against the pinned versions (`VERIFIED_WITH`) on both databases, and fails when an upgrade moves
 * them. With `QUALIFY_DB_PIPELINING=false`, `transaction.ts` uses TypeORM's public transaction API
 * instead and this module is not used at all.
 */
import type { QueryRunner } from "typeorm";

/** The versions whose internals this module was checked against (the contract test compares). */
export const VERIFIED_WITH = { pg: "8.23.1", typeorm: "1.1.1" } as const;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgUtils = require("pg/lib/utils") as { prepareValue(value: unknown): unknown };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const PgQuery = require("pg/lib/query") as new (config: {
  text: string;
  name?: string;
  callback: (err: Error | null, results: unknown) => void;
}) => PgQueryInstance;

interface PgQueryInstance {
  text: string;
  name?: string;
}

/** What of `pg`'s connection a pipelined query drives. */
export interface PgConnection {
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(message: { text: string; name?: string; types?: unknown[] }): void;
  bind(message: { statement?: string; values?: readonly unknown[]; valueMapper: (value: unknown) => unknown }): void;
  describe(message: { type: "P"; name: string }): void;
  execute(message: { portal?: string }): void;
  sync(): void;
}

/** A `pg` client as the transaction sees it (the one a TypeORM query runner holds). */
export interface PgClient {
  query(text: unknown, values?: unknown, callback?: unknown): unknown;
}

export type PgResult = { rows: unknown[]; rowCount: number | null; command: string };

/** One statement of a round trip; `name`: prepared once per connection under that name. */
export interface Step {
  text: string;
  values: readonly unknown[];
  name?: string;
  /** For a deferred write whose rows are wanted: called with them once its trip is answered. */
  onRows?: (rows: unknown[]) => void;
}

const NEEDS_ESCAPE = /[\\"]/;

/**
 * `values` as a PostgreSQL array literal, or undefined when it holds anything but strings,
 * numbers, booleans and nulls (pg's own encoding then). What pg's encoder produces, without its
 * per-element string building: a batch binds tens of thousands of elements.
 */
function arrayLiteral(values: readonly unknown[]): string | undefined {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = "NULL";
    else if (typeof v === "string") parts[i] = NEEDS_ESCAPE.test(v) ? `"${v.replace(/[\\"]/g, "\\$&")}"` : `"${v}"`;
    else if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") parts[i] = String(v);
    else return undefined;
  }
  return `{${parts.join(",")}}`;
}

/** A parameter as sent: arrays of plain values encoded here, anything else by pg. */
function prepareValue(value: unknown): unknown {
  return Array.isArray(value) ? (arrayLiteral(value) ?? pgUtils.prepareValue(value)) : pgUtils.prepareValue(value);
}

/** Parameters for pg's own query path (which leaves strings as they are). */
export const encodeArrays = (values: readonly unknown[]): unknown[] => values.map((v) => (Array.isArray(v) ? (arrayLiteral(v) ?? v) : v));

/**
 * Several statements in one round trip of the extended protocol: each is parsed (a named one
 * only the first time on a connection), bound, described and executed, then one Sync. The
 * callback gets one result per statement.
 */
function pipelinedQuery(steps: readonly Step[], parsedHere: Step[], callback: (err: Error | null, results: PgResult[]) => void): PgQueryInstance {
  const last = steps[steps.length - 1];
  // `text` and `name` are what the client reads of its active query (a named statement is marked parsed).
  const query = new PgQuery({
    text: last.text,
    name: last.name,
    callback: (err, results) => callback(err, Array.isArray(results) ? results : [results as PgResult]),
  });
  Object.assign(query, {
    requiresPreparation: () => true,
    prepare(connection: PgConnection) {
      for (const step of steps) {
        const parsed = step.name !== undefined && (connection.parsedStatements[step.name] ?? connection.submittedNamedStatements[step.name]) === step.text;
        if (!parsed) {
          connection.parse({ text: step.text, name: step.name ?? "", types: [] });
          if (step.name !== undefined) {
            connection.submittedNamedStatements[step.name] = step.text;
            parsedHere.push(step);
          }
        }
        connection.bind({ statement: step.name ?? "", values: step.values, valueMapper: prepareValue });
        connection.describe({ type: "P", name: "" });
        connection.execute({ portal: "" });
      }
      connection.sync();
    },
  });
  return query;
}

/**
 * Sends `steps` in one round trip on `client` through `query` (its own, not intercepted); one
 * result per step. When the trip fails, the server skipped every message after the failure, so
 * which of the trip's named statements were really prepared is unknown: they are forgotten (pg
 * would take them as prepared) and passed to `uncertain`, to be settled once the transaction has
 * ended (`settlePrepared`).
 */
export async function sendPipelined(
  client: PgClient,
  query: PgClient["query"],
  steps: readonly Step[],
  uncertain: (statements: ReadonlyMap<string, string>) => void,
): Promise<PgResult[]> {
  const parsedHere: Step[] = [];
  try {
    return await new Promise<PgResult[]>((resolve, reject) => {
      query.call(
        client,
        pipelinedQuery(steps, parsedHere, (err, results) => (err ? reject(err) : resolve(results))),
      );
    });
  } catch (err) {
    const connection = connectionOf(client);
    const names = new Map<string, string>();
    // pg marks the trip's last statement as parsed when any Parse of the trip completes.
    for (const step of [...parsedHere, steps[steps.length - 1]]) {
      if (step.name === undefined) continue;
      names.set(step.name, step.text);
      delete connection.parsedStatements[step.name];
      delete connection.submittedNamedStatements[step.name];
    }
    if (names.size > 0) uncertain(names);
    throw err;
  }
}

const connectionOf = (client: PgClient): PgConnection => (client as unknown as { connection: PgConnection }).connection;

/**
 * After a failed transaction has rolled back: of `statements` (name → text), those the server did
 * prepare are marked prepared again on the connection, so they are not parsed a second time.
 */
export async function settlePrepared(client: PgClient, query: PgClient["query"], statements: ReadonlyMap<string, string>): Promise<void> {
  const result = (await query.call(client, "SELECT name FROM pg_prepared_statements WHERE name = ANY($1::text[])", [[...statements.keys()]])) as PgResult;
  const connection = connectionOf(client);
  for (const row of result.rows as Array<{ name: string }>) {
    const text = statements.get(row.name);
    if (text !== undefined) connection.parsedStatements[row.name] = text;
  }
}

/**
 * Routes every statement sent on `client` through `route` until the returned function restores
 * it; `send` is the client's own `query`, for the statements the route passes through.
 */
export function interceptQueries(
  client: PgClient,
  route: (send: PgClient["query"], text: unknown, values?: unknown, callback?: unknown) => unknown,
): { original: PgClient["query"]; restore: () => void } {
  const original = client.query;
  const send = original.bind(client);
  client.query = (text: unknown, values?: unknown, callback?: unknown) => route(send, text, values, callback);
  return { original, restore: () => void (client.query = original) };
}

/** Tells TypeORM that `runner` is (or no longer is) inside a transaction, so its own operations join it. */
export function markTransactionActive(runner: QueryRunner, active: boolean): void {
  (runner as { isTransactionActive: boolean }).isTransactionActive = active;
}
