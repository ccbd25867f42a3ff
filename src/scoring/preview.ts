/**
 * The what-if of a model that is not published (`previewModel`): every lead replayed with it and
 * compared with what is stored, writing nothing.
 */
import type { ServiceContext } from "../context";
import type { CompiledModel } from "../dsl/model";
import { saturate } from "../dsl/runtime/totals";
import { interactionsOf, LEAD_FIELD_COLUMNS, leadFieldsOfRow } from "./ledger-rows";
import type { DiagnosticView } from "./model-versions";

/** Leads per preview read. */
const PREVIEW_BATCH = 2000;
/** The most top movers a preview keeps (`topMovers(first)` takes at most this many). */
export const MAX_MOVERS = 100;

const FIRST_ID = "00000000-0000-0000-0000-000000000000";

/** One lead's score now and with the previewed model. */
export interface ScoreChange {
  leadId: string;
  scoreNow: number;
  scoreWithModel: number;
  change: number;
}

export interface StagePreviewCount {
  stage: string;
  now: number;
  withModel: number;
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
 * a batch of them in process between two reads.
 */
export async function previewModel(ctx: ServiceContext, model: CompiledModel, bulkBounds: string): Promise<Omit<PreviewResult, "diagnostics">> {
  return ctx.db.transaction("REPEATABLE READ", async (db) => {
    await db.query(`SET TRANSACTION READ ONLY`);
    await db.query(bulkBounds);
    const now = ctx.clock.now();
    const stagesNow = new Map<string, number>();
    const stagesWith = new Map<string, number>();
    const bump = (counts: Map<string, number>, stage: string) => counts.set(stage, (counts.get(stage) ?? 0) + 1);
    let movers: ScoreChange[] = [];
    let leadsChanged = 0;
    let after = FIRST_ID;
    for (;;) {
      const leads: Array<Record<string, unknown>> = await db.query(
        `SELECT l.id, l.stage, l.score, ${LEAD_FIELD_COLUMNS} FROM lead l WHERE l.id > $1 ORDER BY l.id LIMIT $2`,
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
        const evaluation = model.replay(fields, history, now);
        const stageWith = model.nextStage(stage, { ...evaluation, lead: fields, interactions: history })?.to ?? stage;
        bump(stagesNow, stage);
        bump(stagesWith, stageWith);
        if (evaluation.score !== scoreNow || stageWith !== stage) leadsChanged++;
        if (evaluation.score !== scoreNow) {
          movers.push({ leadId: id, scoreNow, scoreWithModel: evaluation.score, change: saturate(evaluation.score - scoreNow) });
          if (movers.length >= 4 * MAX_MOVERS) movers = movers.sort(byMovement).slice(0, MAX_MOVERS);
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
    }));
    return { leadsChanged, stages, topMovers: movers.sort(byMovement).slice(0, MAX_MOVERS) };
  });
}
