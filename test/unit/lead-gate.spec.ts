/**
 * The lead gate (`src/database/lead-gate.ts`) on its own, in memory: how many requests for one
 * lead run at once, who waits and in what order, and when waiting ends. Its place on the requests
 * (pooled connections, a locked row) is tested end to end in test/api/timeouts.spec.ts.
 */
import { DatabaseError } from "pg";
import type { ServiceContext } from "../../src/context";
import { LeadGate } from "../../src/database/lead-gate";
import { domainErrorOf } from "../../src/errors";

/** Work that runs until `finish` or `fail` is called. */
function pending() {
  let finish!: () => void;
  let fail!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { done, finish, fail };
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const reasonOf = (err: unknown) => domainErrorOf(err)?.details.reason;

const gate = (overrides: Partial<ConstructorParameters<typeof LeadGate>[0]> = {}) =>
  new LeadGate({ connectionsPerLead: 2, queueLength: 10, queueTimeoutMs: 10_000, ...overrides });

describe("LeadGate", () => {
  it("runs at most the bound for one lead at once, the rest in arrival order, other leads alongside", async () => {
    const order: number[] = [];
    const held = Array.from({ length: 5 }, () => pending());
    const g = gate();
    const calls = held.map((h, i) =>
      g.run("lead-b", async () => {
        order.push(i);
        await h.done;
      }),
    );
    for (const call of calls) call.catch(() => undefined);
    const other = g.run("lead-c", async () => "other lead");
    await settle();
    expect(order).toEqual([0, 1]);
    expect(g.load("lead-b")).toEqual({ holders: 2, waiting: 3 });
    await expect(other).resolves.toBe("other lead");
    held[1].finish();
    await settle();
    expect(order).toEqual([0, 1, 2]);
    held[0].fail(new Error("not a bound: the slot passes on"));
    await settle();
    expect(order).toEqual([0, 1, 2, 3]);
    for (const h of held) h.finish();
    await Promise.allSettled(calls);
    expect(g.load("lead-b")).toEqual({ holders: 0, waiting: 0 });
  });

  it("refuses at once past the queue's length, and a waiter at the end of its wait", async () => {
    const g = gate({ connectionsPerLead: 1, queueLength: 1, queueTimeoutMs: 100 });
    const holder = pending();
    const first = g.run("lead", () => holder.done);
    const waiter = g.run("lead", async () => "ran");
    const refused = g.run("lead", async () => "ran");
    await expect(refused).rejects.toMatchObject({ code: "UNAVAILABLE", details: { reason: "LEAD_BUSY" } });
    const started = Date.now();
    await expect(waiter).rejects.toMatchObject({ code: "UNAVAILABLE", details: { reason: "LEAD_BUSY" } });
    // Generous: only that it waited about its bound, not forever.
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(g.load("lead")).toEqual({ holders: 1, waiting: 0 });
    holder.finish();
    await first;
    expect(g.load("lead")).toEqual({ holders: 0, waiting: 0 });
  });

  it("answers everyone waiting at once when a holder finds the lead's row locked past the bound", async () => {
    const g = gate({ connectionsPerLead: 1 });
    const holder = pending();
    const first = g.run("lead", () => holder.done);
    const waiting = [g.run("lead", async () => "ran"), g.run("lead", async () => "ran")];
    await settle();
    holder.fail(Object.assign(new DatabaseError("canceling statement due to lock timeout", 0, "error"), { code: "55P03" }));
    await expect(first).rejects.toMatchObject({ code: "55P03" });
    const answers = await Promise.allSettled(waiting);
    expect(answers.map((a) => (a.status === "rejected" ? reasonOf(a.reason) : a.value))).toEqual(["LOCK_TIMEOUT", "LOCK_TIMEOUT"]);
    expect(g.load("lead")).toEqual({ holders: 0, waiting: 0 });
    // The next request finds the lead free.
    await expect(g.run("lead", async () => "ran")).resolves.toBe("ran");
  });

  it("knows a lead by its id in any case", async () => {
    const g = gate({ connectionsPerLead: 1 });
    const holder = pending();
    const first = g.run("0f8fad5b-d9cb-469f-a165-70867728950e", () => holder.done);
    const second = g.run("0F8FAD5B-D9CB-469F-A165-70867728950E", async () => "ran");
    await settle();
    expect(g.load("0f8fad5b-d9cb-469f-a165-70867728950e")).toEqual({ holders: 1, waiting: 1 });
    holder.finish();
    await first;
    await expect(second).resolves.toBe("ran");
  });

  it("takes no slot for work inside an open transaction (its connection is held already)", async () => {
    const g = gate({ connectionsPerLead: 1, queueLength: 0 });
    const holder = pending();
    const first = g.run("lead", () => holder.done);
    const inTransaction = { db: { queryRunner: { isTransactionActive: true } } } as unknown as ServiceContext;
    await expect(g.transaction(inTransaction, "lead", async () => "joined")).resolves.toBe("joined");
    holder.finish();
    await first;
  });
});
