import DataLoader from "dataloader";
import type { EntityManager } from "typeorm";
import { type StageCause, StageTransitionEntity } from "../../entities/stage-transition.entity";
import { epochMs } from "../../scoring/ledger-rows";

/** A `stage_transition` row as the loader reads it (`at` as epoch milliseconds: no date text to parse). */
interface TransitionRow {
  id: string;
  lead_id: string;
  seq: string;
  from_stage: string | null;
  to_stage: string;
  at_ms: string;
  cause: StageCause;
  rule: string | null;
  actor: string | null;
  reason: string | null;
}

function toEntity(row: TransitionRow): StageTransitionEntity {
  const entity = new StageTransitionEntity();
  entity.id = row.id;
  entity.leadId = row.lead_id;
  entity.seq = String(row.seq);
  entity.fromStage = row.from_stage;
  entity.toStage = row.to_stage;
  entity.at = new Date(Number(row.at_ms));
  entity.cause = row.cause;
  entity.rule = row.rule;
  entity.actor = row.actor;
  entity.reason = row.reason;
  return entity;
}

/** Each lead's stage transitions, oldest first, one query per batch (plain SQL: a page of leads reads hundreds). */
export function createStageHistoryByLeadLoader(db: EntityManager): DataLoader<string, StageTransitionEntity[]> {
  return new DataLoader(async (leadIds) => {
    const rows: TransitionRow[] = await db.query(
      `SELECT id, lead_id, seq, from_stage, to_stage, ${epochMs("at")} AS at_ms, cause, rule, actor, reason
         FROM stage_transition WHERE lead_id = ANY($1::uuid[]) ORDER BY at, seq`,
      [leadIds],
    );
    const byLead = new Map<string, StageTransitionEntity[]>(leadIds.map((id) => [id, []]));
    for (const row of rows) byLead.get(row.lead_id)?.push(toEntity(row));
    return leadIds.map((id) => byLead.get(id) ?? []);
  });
}
