/**
 * The `pg` client of the service's pool: `pg`'s own, except that a query asked for without a
 * callback (a promise, which is how TypeORM asks) is handed to `pg` with its callback from the start.
 *
 * Why: `pg`'s promise path creates the query object with no callback and sets one on it afterwards.
 * On Node 20 that late store led V8 to allocate objects of the query directly in the old
 * generation, where, once garbage, they kept the rows they pointed at alive through young
 * collections until a full one. On the page of 100 leads of benchmark (d) this client took what
 * each young collection promoted from 3.45 to 2.65 MB (docs/architecture.md, "Memory").
 * The answer is the same either way; `test/api/pg-client.spec.ts` checks that on both databases.
 */
import { Client } from "pg";

type Callback = (err: Error | null, result: unknown) => void;

/** `Client.query`'s arguments, loosely: its overloads are `pg`'s business, this only forwards them. */
type QueryArgs = [config: unknown, values?: unknown, callback?: unknown];

const untypedQuery = Client.prototype.query as unknown as (this: unknown, ...args: QueryArgs) => unknown;

/**
 * Whether `pg` was given the query's callback (as `values` or after it, or in its config) or a
 * submittable that brings its own (a cursor, a stream, a pipelined query), or an argument `pg`
 * refuses: those go to `pg` as they are.
 */
function ownCallback([config, values, callback]: QueryArgs): boolean {
  if (typeof callback === "function" || typeof values === "function") return true;
  if (typeof config === "string") return false;
  if (typeof config !== "object" || config === null) return true;
  const { submit, callback: own } = config as { submit?: unknown; callback?: unknown };
  return typeof submit === "function" || typeof own === "function";
}

export class CallbackFirstClient extends Client {
  // @ts-expect-error -- one implementation behind `pg`'s overloads, which it forwards unchanged.
  override query(...args: QueryArgs): unknown {
    if (ownCallback(args)) return untypedQuery.apply(this, args);
    const [config, values] = args;
    return new Promise((resolve, reject) => {
      const done: Callback = (err, result) => (err ? reject(err) : resolve(result));
      untypedQuery.call(this, config, values, done);
    }).catch((err: Error) => {
      // As `pg` does: the stack leads back to the code that asked, not to the socket's read.
      Error.captureStackTrace(err);
      throw err;
    });
  }
}
