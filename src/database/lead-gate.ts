/**
 * At most `connectionsPerLead` pooled connections serve the requests for one lead at once. Writes
 * to a lead serialise on its row lock anyway, so more connections for it only wait: when the row
 * is held elsewhere (a long transaction, a migration), every request for it would hold a
 * connection until its lock bound, and a dozen of them would take the whole pool from every other
 * lead. Past the bound, requests wait here, in memory and without a connection, in a queue per
 * lead of at most `queueLength`, each at most `queueTimeoutMs`; past that they are `UNAVAILABLE`.
 *
 * Keys are what a single write names its lead by, known before its transaction starts: the id
 * (`recordInteraction` by `leadId`, `setLeadStage`, `deleteLead`) or the normalised email
 * (`recordInteraction` by email, `upsertLead`). A lead named both ways can hold the bound twice
 * over; each key alone keeps it. Batches do not pass here: one batch is one connection whatever
 * its leads, and it locks them in id order in one statement, bounded by the lock timeout.
 *
 * A free slot costs one Map lookup and no timer. When a holder finds the lead's row locked past
 * the lock bound, the requests already waiting behind it are answered `UNAVAILABLE` at once: each
 * would only wait for the same lock again.
 */
import type { LeadGateSettings } from "../config";
import type { ServiceContext } from "../context";
import { unavailable } from "../errors";
import { timeoutOf } from "./timeouts";
import { inTransaction } from "./transaction";

/** Ids are uuids, which a client may send in capitals; emails arrive normalised already. */
const normalise = (key: string): string => key.toLowerCase();

interface Waiter {
  admit(): void;
  refuse(err: Error): void;
}

/** One lead's requests: how many hold a slot, and who waits for one, in arrival order. */
interface Slots {
  holders: number;
  waiting: Waiter[];
}

export class LeadGate {
  private readonly leads = new Map<string, Slots>();

  constructor(private readonly settings: LeadGateSettings) {}

  /**
   * Runs `work` in its own transaction (`inTransaction`) once the lead `key` has a free slot. Inside
   * a transaction already, runs it at once: the connection is held, and waiting here could only
   * keep it longer.
   */
  transaction<T>(ctx: ServiceContext, key: string, work: (tx: ServiceContext) => Promise<T>): Promise<T> {
    if (ctx.db.queryRunner?.isTransactionActive) return work(ctx);
    return this.run(key, () => inTransaction(ctx, work));
  }

  /** Runs `work` holding one of the lead `key`'s slots. */
  async run<T>(leadKey: string, work: () => Promise<T>): Promise<T> {
    const key = normalise(leadKey);
    let slots = this.leads.get(key);
    if (slots === undefined) this.leads.set(key, (slots = { holders: 0, waiting: [] }));
    if (slots.holders < this.settings.connectionsPerLead) slots.holders++;
    else await this.wait(slots);
    let failure: unknown = null;
    try {
      return await work();
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      this.release(key, slots, failure);
    }
  }

  /** Requests for `key` holding a slot and waiting for one (tests, metrics). */
  load(key: string): { holders: number; waiting: number } {
    const slots = this.leads.get(normalise(key));
    return { holders: slots?.holders ?? 0, waiting: slots?.waiting.length ?? 0 };
  }

  /** Waits for a slot that a holder hands over; refused when the queue is full or the wait too long. */
  private wait(slots: Slots): Promise<void> {
    const { queueLength, queueTimeoutMs } = this.settings;
    if (slots.waiting.length >= queueLength) return Promise.reject(unavailable("LEAD_BUSY"));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(timer);
          resolve();
        },
        refuse: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        const at = slots.waiting.indexOf(waiter);
        if (at >= 0) slots.waiting.splice(at, 1);
        reject(unavailable("LEAD_BUSY"));
      }, queueTimeoutMs);
      slots.waiting.push(waiter);
    });
  }

  /** Hands the slot to the next waiter, or frees it (and forgets the lead once nobody is left). */
  private release(key: string, slots: Slots, failure: unknown): void {
    if (slots.waiting.length > 0 && timeoutOf(failure) === "LOCK_TIMEOUT") {
      // The row is held elsewhere: everyone already waiting would wait for the same lock.
      for (const waiter of slots.waiting.splice(0)) waiter.refuse(unavailable("LOCK_TIMEOUT"));
    }
    const next = slots.waiting.shift();
    if (next) return next.admit();
    slots.holders--;
    if (slots.holders === 0) this.leads.delete(key);
  }
}
