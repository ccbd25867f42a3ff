/**
 * One lead's ledger in memory, inside a write transaction: its history and awards, changes applied
 * one by one in arrival order (`apply`), then written with the other leads of the same transaction
 * in one statement (`LeadLedger.write`, through `ledger-writer.ts`).
 *
 * A single interaction is one `apply` and one write; a batch is many `apply`s over several leads
 * and still one write. Either way each change is scored as its own change: the compiled model
 * decides (`incremental` for a lead on the active version, a full `replay` when its version is
 * behind or a field change reaches `where lead.<field>`, `fit` always), then the stage rules are
 * evaluated once (they see the groups' points: `group "X"`).
 *
 * Values are as of now (decay, expiry), groups are capped, and the lead's engagement reset
 * (`engagementSince`, recycling) is the `resetAt` of every replay and incremental step. v1 models
 * take the compiled model's plain path throughout.
 */
import { randomUUID } from "node:crypto";
import type { ServiceContext } from "../context";
import type { Award, CompiledModel, GroupPoints, InteractionFacts, LeadFields } from "../dsl/model";
import { inCanonicalOrder } from "../dsl/runtime/ledger";
import { saturate } from "../dsl/runtime/totals";
import type { LeadEntity } from "../entities/lead.entity";
import { StageTransitionEntity } from "../entities/stage-transition.entity";
import { factsOfTuple, type HistoryRow, leadFieldsOf, storedOfTuple } from "./ledger-rows";
import { type LeadOutcome, type ScorePointRow, writeOutcomes } from "./ledger-writer";
import type { ModelVersions } from "./model-versions";
import { sameGroups, timeSteps } from "./time-steps";
import type { WarmLedger, WarmLedgers } from "./warm-ledgers";

/** One change of a lead. */
export interface LeadChange {
  /** A new interaction (not yet in the ledger's history), or null for a profile change alone. */
  interaction: InteractionFacts | null;
  /** Whether profile fields changed (already merged into the lead). */
  fieldsChanged: boolean;
}

/** What one change did. */
export interface ChangeEffect {
  /** The change of the lead's score: its score after, minus its score as of now before. */
  pointsAwarded: number;
  stageChange: StageTransitionEntity | null;
  /** The new interaction's awards right after this change (null for a profile change). */
  interactionAwards: Award[] | null;
}

/** The lead's totals after a change. */
interface Totals {
  fit: number;
  engagement: number;
  score: number;
  /** The next instant an award's value changes (an expiry or a decay step). */
  nextExpiryAt: Date | null;
  groups: GroupPoints[];
}

const awardKey = (a: Award): string => `${a.interactionId ?? ""}:${a.ruleIndex}`;

export class LeadLedger {
  /** Activity and fit awards that count for the lead now (of the active version once changed). */
  private awards: Award[];
  /** The ledger row of each award loaded from the database. */
  private readonly rowIds = new Map<Award, string>();
  /** Rows to delete. */
  private readonly removedRowIds: string[] = [];
  /** Every row of the lead is to go (it was on another model version). */
  private deleteAll = false;
  /** The lead's version is behind: the next change replays it in full. */
  private needsReplay: boolean;
  private readonly transitions: StageTransitionEntity[] = [];
  /** Whether anything needs writing, and whether `updated_at` moves. */
  private dirty = false;
  private touched = false;
  /** Profile fields are written with the totals (the batch path merges them in memory). */
  writeProfile = false;
  /** Score history points to write, and the totals of the last one (or the stored totals). */
  private readonly points: ScorePointRow[] = [];
  private last: { score: number; fit: number; engagement: number };
  /** Passed expiries and decay steps are recorded once, before the first change. */
  private stepsRecorded = false;
  /**
   * The lead's stored group points (`lead_group_points`) when known to equal what its ledger gives
   * (null: unknown, written with the next outcome); the groups to write, once changed.
   */
  private storedGroups: GroupPoints[] | null = null;
  private groupsToWrite: GroupPoints[] | null = null;
  /** The engagement was reset now (`engagement_since` is written). */
  private engagementReset = false;

  private constructor(
    readonly lead: LeadEntity,
    readonly version: number,
    readonly model: CompiledModel,
    private readonly history: InteractionFacts[],
    stored: Array<{ id: string; award: Award }>,
    private readonly now: Date,
  ) {
    this.awards = stored.map((s) => s.award);
    for (const s of stored) this.rowIds.set(s.award, s.id);
    this.needsReplay = lead.modelVersion !== version;
    this.last = { score: lead.score, fit: lead.fit, engagement: lead.engagement };
    // The writer keeps a lead's group rows equal to its ledger's groups as of its last write or
    // sweep, which hold until its next change: known when that is still ahead (v1: no groups). A
    // lead without awards may have no rows yet: its (zero) groups are written, so that every lead
    // scored with a grouped model has a row per group (the order by a group joins them).
    const next = lead.nextExpiryAt?.getTime() ?? Infinity;
    if (!this.needsReplay && next > now.getTime() && (model.groups.length === 0 || this.awards.length > 0)) {
      this.storedGroups = model.groups.length === 0 ? [] : model.totalsOf(this.engagementAwards(), this.fitAwards(), now).groups;
    }
  }

  /** The lead's engagement reset: interactions dated before it earn nothing. */
  private get resetAt(): Date | null {
    return this.lead.engagementSince ?? null;
  }

  /**
   * The ledger of `lead`, of the active model version `row.version`. Its history and ledger rows
   * are `warm`, this process's state of the lead (`WarmLedgers.take`: the lead's row is the
   * version that state was written with), else the row's. `exclude`: interactions of the row
   * still to be applied as changes (a batch inserts its interactions first).
   */
  static async load(
    models: ModelVersions,
    tx: ServiceContext,
    lead: LeadEntity,
    row: HistoryRow,
    now: Date,
    options: { warm?: WarmLedger; exclude?: ReadonlySet<string> } = {},
  ): Promise<LeadLedger> {
    if (row.version === null) throw new Error("no scoring model is active (the service publishes the seed model when it starts)");
    const version = row.version;
    const model = await models.version(tx, version);
    const { warm, exclude } = options;
    if (warm) return new LeadLedger(lead, version, model, warm.history, warm.stored, now);
    if (row.interactions === null || row.awards === null) throw new Error(`the history of lead ${lead.id} was not read`);
    const name = (v: number, index: number) => (v === version ? model.rules[index]?.name : undefined) ?? "";
    let history = row.interactions.map(factsOfTuple);
    if (exclude) history = history.filter((i) => !exclude.has(i.id));
    return new LeadLedger(lead, version, model, history, row.awards.map((t) => storedOfTuple(t, name)), now);
  }

  /** Scores one change (after the previous ones) and moves the stage forward if a rule says so. */
  apply(change: LeadChange): ChangeEffect {
    const nowMs = this.now.getTime();
    this.recordSteps(nowMs);
    const before = this.model.totalsOf(this.engagementAwards(), this.fitAwards(), this.now).score;
    const ix = change.interaction;
    const fields = leadFieldsOf(this.lead);
    this.scoreEngagement(change, fields);
    if (ix) this.history.push(ix);
    const totals = this.scoreFit(fields);
    const stageChange = this.moveStage(fields, totals);
    this.markChanged(ix !== null, stageChange !== null, totals);
    this.recordPoint(this.now, totals, ix ? "INTERACTION" : "PROFILE", ix?.id ?? null);
    const { fit, engagement, score, nextExpiryAt } = totals;
    Object.assign(this.lead, { fit, engagement, score, nextExpiryAt, modelVersion: this.version, stage: stageChange?.toStage ?? this.lead.stage });
    return {
      pointsAwarded: saturate(totals.score - before),
      stageChange,
      interactionAwards: ix ? this.awards.filter((a) => a.category === "ENGAGEMENT" && a.interactionId === ix.id) : null,
    };
  }

  /**
   * Expiries and decay steps the sweeper has not applied yet (the lead's next change has passed):
   * each such instant that changed the stored totals gets its point, at that instant, before this
   * change's (`time-steps.ts`).
   */
  private recordSteps(nowMs: number): void {
    const due = this.lead.nextExpiryAt;
    if (this.stepsRecorded || due === null || due.getTime() > nowMs) return;
    this.stepsRecorded = true;
    // A lead behind the active version is replayed in full: its rows are of another model.
    if (this.needsReplay) return;
    for (const step of timeSteps(this.model, this.engagementAwards(), this.fitAwards(), due, this.now)) {
      this.recordPoint(step.at, step.totals, step.cause, null);
    }
  }

  /**
   * Resets the lead's engagement as of now (recycling): its engagement is replayed in full from
   * that instant, and the change is recorded as a RESET point.
   */
  reset(): void {
    this.recordSteps(this.now.getTime());
    this.lead.engagementSince = this.now;
    this.engagementReset = true;
    this.touched = true;
    this.lead.updatedAt = this.now;
    this.scoreEngagement({ interaction: null, fieldsChanged: true }, leadFieldsOf(this.lead), true);
    const totals = this.scoreFit(leadFieldsOf(this.lead));
    this.markChanged(false, false, totals);
    this.dirty = true;
    this.recordPoint(this.now, totals, "RESET", null);
    const { fit, engagement, score, nextExpiryAt } = totals;
    Object.assign(this.lead, { fit, engagement, score, nextExpiryAt, modelVersion: this.version });
  }

  /** A point of the score history when `totals` differ from the last point's. */
  private recordPoint(at: Date, totals: { score: number; fit: number; engagement: number }, cause: ScorePointRow["cause"], interactionId: string | null): void {
    const { score, fit, engagement } = totals;
    const last = this.last;
    if (last.score === score && last.fit === fit && last.engagement === engagement) return;
    this.points.push({ at, score, fit, engagement, cause, interactionId });
    this.last = { score, fit, engagement };
  }

  /** The engagement awards after `change`: a full replay, or the model's incremental step. */
  private scoreEngagement(change: LeadChange, fields: LeadFields, fullReplay = false): void {
    const { model, now, resetAt } = this;
    const ix = change.interaction;
    const replay = () => model.replay(fields, ix ? [...this.history, ix] : this.history, now, resetAt).awards;
    if (this.needsReplay) {
      // Another model version's rows all go; the lead is replayed in full.
      this.deleteAll = this.rowIds.size > 0 || this.deleteAll;
      this.rowIds.clear();
      this.removedRowIds.length = 0;
      this.awards = [...replay()];
      this.needsReplay = false;
    } else if (fullReplay || (change.fieldsChanged && model.engagementReadsLead)) {
      this.replace(this.engagementAwards(), replay());
    } else if (ix) {
      const result = model.incremental({ lead: fields, interactions: this.history, awards: this.engagementAwards(), resetAt }, ix, now);
      this.remove(result.removed);
      this.awards.push(...result.added);
    }
  }

  /** The fit awards for the lead as it is now, and the totals that follow. */
  private scoreFit(fields: LeadFields): Totals {
    const { model, now } = this;
    const fit = model.fit(fields, now);
    this.replace(this.fitAwards(), fit.awards);
    const engaged = this.engagementAwards();
    const totals = model.totalsOf(engaged, fit.awards, now);
    if (!sameGroups(this.storedGroups, totals.groups)) this.groupsToWrite = totals.groups;
    else this.groupsToWrite = null;
    return { fit: totals.fit, engagement: totals.engagement, score: totals.score, groups: totals.groups, nextExpiryAt: model.nextChange(engaged, now) };
  }

  /** The stage rules, evaluated once: the move (queued for the write), if any. */
  private moveStage(fields: LeadFields, totals: Totals): StageTransitionEntity | null {
    const { fit, engagement, score, groups } = totals;
    const move = this.model.nextStage(this.lead.stage, { fit, engagement, score, groups, lead: fields, interactions: this.history });
    if (!move) return null;
    const transition = Object.assign(new StageTransitionEntity(), {
      id: randomUUID(),
      leadId: this.lead.id,
      fromStage: this.lead.stage,
      toStage: move.to,
      at: this.now,
      cause: "RULE" as const,
      rule: move.rule,
      actor: null,
      reason: null,
    });
    this.transitions.push(transition);
    return transition;
  }

  /** Whether the change leaves anything to write, and whether it stamps the lead's `updatedAt`. */
  private markChanged(interaction: boolean, moved: boolean, totals: Totals): void {
    const lead = this.lead;
    if (
      interaction ||
      moved ||
      this.deleteAll ||
      this.removedRowIds.length > 0 ||
      this.groupsToWrite !== null ||
      this.awards.some((a) => !this.rowIds.has(a)) ||
      lead.modelVersion !== this.version ||
      lead.fit !== totals.fit ||
      lead.engagement !== totals.engagement ||
      lead.score !== totals.score ||
      (lead.nextExpiryAt?.getTime() ?? null) !== (totals.nextExpiryAt?.getTime() ?? null)
    ) {
      this.dirty = true;
    }
    // A new interaction or a stage move changes the lead now (a profile change was stamped when merged).
    if (interaction || moved) {
      this.touched = true;
      lead.updatedAt = this.now;
    }
  }

  private engagementAwards(): Award[] {
    return this.awards.filter((a) => a.category === "ENGAGEMENT");
  }

  private fitAwards(): Award[] {
    return this.awards.filter((a) => a.category === "FIT");
  }

  /** The current awards of `interactionId` (for a batch's answers, once every change is applied). */
  awardsOf(interactionId: string): Award[] {
    return this.awards.filter((a) => a.interactionId === interactionId);
  }

  /** Replaces `current` (a subset of the awards) with `fresh`, keeping the awards present in both. */
  private replace(current: Award[], fresh: readonly Award[]): void {
    const byKey = new Map(current.map((a) => [awardKey(a), a]));
    const added: Award[] = [];
    for (const award of fresh) if (!byKey.delete(awardKey(award))) added.push(award);
    this.remove(byKey.values());
    this.awards.push(...added);
  }

  private remove(awards: Iterable<Award>): void {
    const gone = new Set(awards);
    if (gone.size === 0) return;
    for (const award of gone) {
      const rowId = this.rowIds.get(award);
      if (rowId === undefined) continue;
      this.removedRowIds.push(rowId);
      this.rowIds.delete(award);
    }
    this.awards = this.awards.filter((a) => !gone.has(a));
  }

  /** What to write for this lead; every award gets its row id here, so the ledger in memory is the ledger written. */
  private outcome(): LeadOutcome {
    const added: Array<{ award: Award; id: string }> = [];
    for (const award of this.awards) {
      if (this.rowIds.has(award)) continue;
      const id = randomUUID();
      this.rowIds.set(award, id);
      added.push({ award, id });
    }
    return {
      lead: this.lead,
      wipe: this.deleteAll,
      removedRowIds: this.removedRowIds,
      added,
      moves: this.transitions,
      points: this.points.splice(0),
      groups: this.takeGroups(),
      reset: this.engagementReset,
      touched: this.touched,
      profile: this.writeProfile,
    };
  }

  /** The groups to write (null: the stored rows are current); from then on they are the stored ones. */
  private takeGroups(): GroupPoints[] | null {
    const groups = this.groupsToWrite;
    if (groups !== null) this.storedGroups = groups;
    this.groupsToWrite = null;
    return groups;
  }

  /** The state of this ledger as written, for `WarmLedgers` (every award has its row id then). */
  private warm(rowVersion: string): WarmLedger {
    return {
      rowVersion,
      // This ledger is done with once written: its own array is kept (sorted if arrivals were out of order).
      history: inCanonicalOrder(this.history) as InteractionFacts[],
      stored: this.awards.map((award) => ({ id: this.rowIds.get(award) as string, award })),
    };
  }

  /**
   * Writes every ledger's changes in one statement. All the ledgers belong to one transaction,
   * so to one model version. Once committed, each written lead's state is kept in `warmLedgers`
   * (under the row version its update made) for the next write.
   */
  static async write(tx: ServiceContext, ledgers: readonly LeadLedger[], warmLedgers: WarmLedgers): Promise<void> {
    const dirty = ledgers.filter((l) => l.dirty);
    if (dirty.length === 0) return;
    const { model, version, now } = dirty[0];
    const keepWarm = (rows: ReadonlyArray<{ id: string; row_version: string }>) => {
      const versions = new Map(rows.map((r) => [r.id, r.row_version]));
      const states = dirty.flatMap((l) => {
        const rowVersion = versions.get(l.lead.id);
        return rowVersion === undefined ? [] : [[l.lead.id, l.warm(rowVersion)] as const];
      });
      tx.afterCommit?.(() => {
        for (const [leadId, state] of states) warmLedgers.put(leadId, state);
      });
    };
    await writeOutcomes(tx, {
      model,
      version,
      now,
      outcomes: dirty.map((l) => l.outcome()),
      // Its result is needed only to keep the leads warm.
      onRowVersions: warmLedgers.capacity > 0 ? keepWarm : undefined,
    });
    for (const l of dirty) l.dirty = false;
  }
}
