/**
 * The what-if of a model that is not published (`previewModel`): every lead replayed with it and
 * compared with what is stored, writing nothing. Per stage: leads in it now, with the model (the
 * way publishing moves them: forward only) and from scratch (qualified afresh from the first
 * stage, so a raised threshold shows); per top mover, its stages and the rules whose points change.
 */
import type { ServiceContext } from "../context";
import type { CompiledModel, Evaluation } from "../dsl/model";
import { saturate } from "../dsl/runtime/totals";
import { AWARD_TUPLE, type AwardTuple, interactionsOf, LEAD_FIELD_COLUMNS, leadFieldsOfRow, RESET_COLUMN, resetOfRow, storedOfTuple } from "./ledger-rows";
import type { DiagnosticView, ModelVersions } from "./model-versions";

/** Leads per preview read. */
const PREVIEW_BATCH = 2000;
/** The most top movers a preview keeps (`topMovers(first)` takes at most this many). */
export const MAX_MOVERS = 100;

const FIRST_ID = "00000000-0000-0000-0000-000000000000";

/** One lead's score and stage now and with the previewed model, and the rules whose points change. */
export interface ScoreChange {
  leadId: string;
  scoreNow: number;
  scoreWithModel: number;
  change: number;
  stageNow: string;
  stageWithModel: string;
  /** Rule names, the previewed model's rules in its order, then rules it no longer has by name. */
  rulesChanged: string[];
}

export interface StagePreviewCount {
  stage: string;
  now: number;
  withModel: number;
  fromScratch: number;
}

export interface PreviewResult {
  diagnostics: DiagnosticView[];
  /** Leads whose score or stage would differ. */
  leadsChanged: number;
  stages: StagePreviewCount[];
  /** Up to `MAX_MOVERS` leads by |change|, largest first (ties: lead id). */
  topMovers: ScoreChange[];
}

const byMovement = (a: ScoreChange, b: ScoreChange) =>
  Math.abs(b.change) - Math.abs(a.change) || (a.leadId < b.leadId ? -1 : a.leadId > b.leadId ? 1 : 0);

/**
 * Replays every lead with `model` and compares with what is stored, inside one read-only
 * snapshot (`REPEATABLE READ READ ONLY`): nothing can be written, and the counts are consistent.
 * A lead's stage with the model is its current stage moved forward by the model's stage rules.
 * `bulkBounds` (`bulkWorkBounds`) sets the transaction's bounds: it reads every lead, and replays
 * a batch of them in process between two reads. `versions` values the stored awards (`explainMovers`).
 */
export async function previewModel(
  ctx: ServiceContext,
  versions: ModelVersions,
  model: CompiledModel,
  bulkBounds: string,
): Promise<Omit<PreviewResult, "diagnostics">> {
  return ctx.db.transaction("REPEATABLE READ", async (db) => {
    await db.query(`SET TRANSACTION READ ONLY`);
    await db.query(bulkBounds);
    const now = ctx.clock.now();
    const stagesNow = new Map<string, number>();
    const stagesWith = new Map<string, number>();
    const stagesFresh = new Map<string, number>();
    const firstStage = model.funnel.stages[0];
    /** Each kept mover's replay, for its rules. */
    const replays = new Map<string, Evaluation>();
    const bump = (counts: Map<string, number>, stage: string) => counts.set(stage, (counts.get(stage) ?? 0) + 1);
    let movers: ScoreChange[] = [];
    let leadsChanged = 0;
    let after = FIRST_ID;
    for (;;) {
      const leads: Array<Record<string, unknown>> = await db.query(
        `SELECT l.id, l.stage, l.score, ${RESET_COLUMN}, ${LEAD_FIELD_COLUMNS} FROM lead l WHERE l.id > $1 ORDER BY l.id LIMIT $2`,
        [after, PREVIEW_BATCH],
      );
      if (leads.length === 0) break;
      const interactions = await interactionsOf(db, leads.map((l) => l.id as string));
      for (const lead of leads) {
        const id = lead.id as string;
        const stage = lead.stage as string;
        const scoreNow = lead.score as number;
        const fields = leadFieldsOfRow(lead);
        const history = interactions.get(id) ?? [];
        const evaluation = model.replay(fields, history, now, resetOfRow(lead));
        const facts = { ...evaluation, lead: fields, interactions: history };
        const stageWith = model.nextStage(stage, facts)?.to ?? stage;
        bump(stagesNow, stage);
        bump(stagesWith, stageWith);
        bump(stagesFresh, model.nextStage(firstStage, facts)?.to ?? firstStage);
        if (evaluation.score !== scoreNow || stageWith !== stage) leadsChanged++;
        if (evaluation.score !== scoreNow) {
          const mover = { leadId: id, scoreNow, scoreWithModel: evaluation.score, change: saturate(evaluation.score - scoreNow), stageNow: stage, stageWithModel: stageWith, rulesChanged: [] };
          movers.push(mover);
          replays.set(id, evaluation);
          if (movers.length >= 4 * MAX_MOVERS) {
            movers = movers.sort(byMovement).slice(0, MAX_MOVERS);
            const kept = new Set(movers.map((m) => m.leadId));
            for (const leadId of replays.keys()) if (!kept.has(leadId)) replays.delete(leadId);
          }
        }
      }
      after = leads[leads.length - 1].id as string;
      if (leads.length < PREVIEW_BATCH) break;
    }
    const known = [...model.funnel.stages, ...model.funnel.offPath];
    const others = [...new Set([...stagesNow.keys(), ...stagesWith.keys()])].filter((s) => !known.includes(s)).sort();
    const stages = [...known, ...others].map((stage) => ({
      stage,
      now: stagesNow.get(stage) ?? 0,
      withModel: stagesWith.get(stage) ?? 0,
      fromScratch: stagesFresh.get(stage) ?? 0,
    }));
    const topMovers = movers.sort(byMovement).slice(0, MAX_MOVERS);
    await explainMovers(db, versions, model, topMovers, replays, now);
    return { leadsChanged, stages, topMovers };
  });
}

/**
 * Fills each mover's `rulesChanged`: the rules whose points differ between its stored ledger and
 * its replay with the model, both valued as of now (decayed values, before group caps). The stored
 * awards are valued with the compiled model of the version that made them (`ModelVersions`), as
 * the read side does (`score-reading.ts`), so a decaying rule the model leaves alone is not listed.
 * One read for all the movers.
 */
async function explainMovers(
  db: ServiceContext["db"],
  versions: ModelVersions,
  model: CompiledModel,
  movers: ScoreChange[],
  replays: ReadonlyMap<string, Evaluation>,
  now: Date,
): Promise<void> {
  if (movers.length === 0) return;
  const rows: Array<{ lead_id: string; rule: string; award: AwardTuple }> = await db.query(
    `SELECT a.lead_id, a.rule, ${AWARD_TUPLE} AS award FROM score_award a
      WHERE a.lead_id = ANY($1::uuid[]) AND (a.expires_at IS NULL OR a.expires_at > $2)`,
    [movers.map((m) => m.leadId), now],
  );
  const stored = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const { award, version } = storedOfTuple(row.award, () => row.rule);
    const value = (await versions.version({ db }, version)).awardValue(award, now);
    const rules = stored.get(row.lead_id) ?? new Map<string, number>();
    if (value !== 0) rules.set(award.rule, (rules.get(award.rule) ?? 0) + value);
    stored.set(row.lead_id, rules);
  }
  const order = model.rules.map((r) => r.name);
  for (const mover of movers) {
    const replay = replays.get(mover.leadId);
    const withModel = new Map<string, number>();
    for (const award of replay ? [...replay.awards, ...replay.fitAwards] : []) {
      const value = award.category === "FIT" ? award.points : model.awardValue(award, now);
      if (value !== 0) withModel.set(award.rule, (withModel.get(award.rule) ?? 0) + value);
    }
    const before = stored.get(mover.leadId) ?? new Map<string, number>();
    const changed = (rule: string) => (before.get(rule) ?? 0) !== (withModel.get(rule) ?? 0);
    const gone = [...before.keys()].filter((rule) => !order.includes(rule)).sort();
    mover.rulesChanged = [...order.filter(changed), ...gone.filter(changed)];
  }
}
