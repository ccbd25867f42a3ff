/**
 * Warm ledgers: the scoring state of the leads this process wrote last (their interactions in
 * canonical order and their ledger rows), so that the next batch for the same leads need not
 * load it again. It is a cache, never a source of truth, and holds nothing another instance
 * needs: every entry carries the version of the lead's row it was written with (`xmin`, returned
 * by the write), and is used only when the lead locked now is still that very row version.
 *
 * Why that is enough: every write to a lead's interactions or ledger also updates the lead's row
 * (recording, rescoring, expiry sweeps, profile and stage changes all do), so a row that is the
 * same version as when this process wrote it has the same history and ledger. A write elsewhere,
 * on this instance or another, makes a new row version and the entry is passed over.
 *
 * Memory is bounded twice: at most `capacity` leads (`QUALIFY_WARM_LEADS`), and at most
 * `WARM_ITEMS_PER_LEAD` times that many interactions and ledger rows in all (a lead with a very
 * long history is simply not kept); the least recently written go first.
 *
 * An entry is taken out when it is used (the transaction owns it; two transactions never share
 * one), and put back after the commit, from what was written. A transaction that rolls back
 * simply leaves no entry: the next write loads the lead from the database.
 */
import type { Award, InteractionFacts } from "../dsl/model";
import type { LeadEntity } from "../entities/lead.entity";
import { lockedRowVersion } from "./lead-rows";

/** One lead's state as of a row version. */
export interface WarmLedger {
  /** The lead row's `xmin` after the write that left this state. */
  rowVersion: string;
  /** The lead's interactions, in canonical order (`occurredAt`, then `seq`). */
  history: InteractionFacts[];
  /** Its ledger rows: every award with its row id (of the lead's model version). */
  stored: Array<{ id: string; award: Award }>;
}

/** Interactions and ledger rows kept per lead kept, on average, at most (the memory bound). */
export const WARM_ITEMS_PER_LEAD = 20;

const weightOf = (entry: WarmLedger): number => entry.history.length + entry.stored.length;

export class WarmLedgers {
  /** By lead id; a Map's order is insertion order, so the first entry is the least recently put. */
  private readonly entries = new Map<string, WarmLedger>();
  /** Interactions and ledger rows held in all. */
  private items = 0;
  /** The most interactions and ledger rows held in all: a few leads with long histories take the place of many. */
  readonly maxItems: number;

  /** @param capacity the most leads kept (0: the cache is off) */
  constructor(readonly capacity: number) {
    this.maxItems = capacity * WARM_ITEMS_PER_LEAD;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The row version of the lead's entry, if there is one (it is left in place). */
  versionOf(leadId: string): string | null {
    return this.entries.get(leadId)?.rowVersion ?? null;
  }

  /** Takes the lead's entry out; it is returned only when it is of `rowVersion`. */
  take(leadId: string, rowVersion: string): WarmLedger | undefined {
    const entry = this.remove(leadId);
    return entry?.rowVersion === rowVersion ? entry : undefined;
  }

  /**
   * Takes out the state of a lead locked by `lead-rows.ts`, if it is of the row version locked.
   * Profile fields merged since the lock change no history or ledger.
   */
  takeLocked(lead: LeadEntity): WarmLedger | undefined {
    const rowVersion = lockedRowVersion(lead);
    return rowVersion === undefined ? undefined : this.take(lead.id, rowVersion);
  }

  /**
   * Keeps `entry` as the lead's state, dropping the least recently kept leads while there are more
   * than `capacity` leads or `maxItems` items. A lead larger than a tenth of `maxItems` is not kept.
   */
  put(leadId: string, entry: WarmLedger): void {
    this.remove(leadId);
    const weight = weightOf(entry);
    if (this.capacity === 0 || weight > this.maxItems / 10) return;
    this.entries.set(leadId, entry);
    this.items += weight;
    while (this.entries.size > this.capacity || this.items > this.maxItems) this.remove(this.entries.keys().next().value as string);
  }

  private remove(leadId: string): WarmLedger | undefined {
    const entry = this.entries.get(leadId);
    if (entry === undefined) return undefined;
    this.entries.delete(leadId);
    this.items -= weightOf(entry);
    return entry;
  }
}
