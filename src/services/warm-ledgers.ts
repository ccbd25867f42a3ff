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
 * An entry is taken out when it is used (the transaction owns it; two transactions never share
 * one), and put back after the commit, from what was written. A transaction that rolls back
 * simply leaves no entry: the next write loads the lead from the database.
 */
import type { Award, InteractionFacts } from "../dsl/model";

/** One lead's state as of a row version. */
export interface WarmLedger {
  /** The lead row's `xmin` after the write that left this state. */
  rowVersion: string;
  /** The lead's interactions, in canonical order (`occurredAt`, then `seq`). */
  history: InteractionFacts[];
  /** Its ledger rows: every award with its row id (of the lead's model version). */
  stored: Array<{ id: string; award: Award }>;
}

export class WarmLedgers {
  /** By lead id; a Map's order is insertion order, so the first entry is the least recently put. */
  private readonly entries = new Map<string, WarmLedger>();

  /** @param capacity the most leads kept (0: the cache is off) */
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The row version of the lead's entry, if there is one (it is left in place). */
  versionOf(leadId: string): string | null {
    return this.entries.get(leadId)?.rowVersion ?? null;
  }

  /** Takes the lead's entry out; it is returned only when it is of `rowVersion`. */
  take(leadId: string, rowVersion: string): WarmLedger | undefined {
    const entry = this.entries.get(leadId);
    if (entry === undefined) return undefined;
    this.entries.delete(leadId);
    return entry.rowVersion === rowVersion ? entry : undefined;
  }

  /** Keeps `entry` as the lead's state, dropping the least recently kept lead when full. */
  put(leadId: string, entry: WarmLedger): void {
    if (this.capacity === 0) return;
    this.entries.delete(leadId);
    this.entries.set(leadId, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Forgets every lead (a model published in this process, tests). */
  clear(): void {
    this.entries.clear();
  }
}
