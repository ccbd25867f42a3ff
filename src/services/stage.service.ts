/**
 * Funnel stages: the funnel in force, manual moves (`setLeadStage`), a lead's history, and the
 * funnel statistics.
 */
import type { ServiceContext } from "../context";
import type { LeadGate } from "../database/lead-gate";
import type { Funnel } from "../dsl/model";
import type { LeadEntity } from "../entities/lead.entity";
import type { Announcements } from "../events/announce";
import { moveByHand } from "../scoring/lead-rows";
import type { ModelVersions } from "../scoring/model-versions";
import type { Scorer } from "../scoring/scorer";
import type { LeadService } from "./lead.service";
import { checkPast, checkText, MAX_REASON_LENGTH, Problems } from "./validation";

export interface FunnelStageStats {
  stage: string;
  leads: number;
  reached: number;
  conversionToNext: number | null;
}

/** The funnel's stage called `name` (ignoring case and surrounding spaces); else a problem on `field`, and null. */
function stageNamed(funnel: Funnel, name: string, field: string, problems: Problems): string | null {
  const stages = [...funnel.stages, ...funnel.offPath];
  const stage = stages.find((s) => s.toLowerCase() === name.trim().toLowerCase());
  if (stage === undefined) problems.add(field, `must be one of ${stages.join(", ")}`);
  return stage ?? null;
}

export class StageService {
  constructor(
    private readonly models: ModelVersions,
    private readonly leads: LeadService,
    private readonly announce: Announcements,
    private readonly gate: LeadGate,
    private readonly scorer: Scorer,
  ) {}

  /** The funnel in force: the active scoring model's. */
  async funnel(ctx: ServiceContext): Promise<Funnel> {
    return (await this.models.active(ctx)).model.funnel;
  }

  /**
   * Moves a lead to `stage` by hand (any stage of the funnel, forwards or backwards, or off-path),
   * recording who did it and why. Stage rules are not run; the lead's next change runs them.
   * `resetEngagement` (recycling): in the same transaction, the lead's engagement restarts now
   * (`Scorer.resetEngagement`: interactions dated before now earn nothing, a RESET score point).
   */
  async setStage(
    ctx: ServiceContext,
    leadId: string,
    stage: string,
    reason: string | null | undefined,
    resetEngagement = false,
  ): Promise<LeadEntity> {
    const problems = new Problems();
    const target = stageNamed(await this.funnel(ctx), stage, "stage", problems);
    const why = checkText(problems, "reason", reason, MAX_REASON_LENGTH) ?? null;
    problems.throwIfAny();
    return this.gate.transaction(ctx, leadId, async (tx) => {
      const lead = await this.leads.lockById(tx, leadId);
      if (lead.stage !== target) {
        const transition = await moveByHand(tx, lead, target as string, why);
        this.announce.stageChanged(tx, lead.id, transition);
      }
      // After the move: the reset's write carries the lead's stage as it is now.
      if (resetEngagement) await this.scorer.resetEngagement(tx, lead);
      return lead;
    });
  }

  /** Refuses (`BAD_USER_INPUT` on `field`, the funnel's stages listed) a name that is no stage of the funnel in force. */
  async checkStageName(ctx: ServiceContext, stage: string, field: string): Promise<void> {
    const problems = new Problems();
    stageNamed(await this.funnel(ctx), stage, field, problems);
    problems.throwIfAny();
  }

  /**
   * Funnel statistics for the cohort of leads created in `[since, until)` (open ends: all):
   * per stage of the path, `leads` currently in it, `reached` = leads whose history (before
   * `until`) reached it or a later stage, and `conversionToNext` = reached(next) / reached(this).
   * Off-path stages follow with `reached` = leads that were ever in them and no conversion.
   * `asOf`: all of it as it stood at that instant (leads created by then, each in the stage its
   * last move at or before it left it in, history up to it). Deleted leads are gone from every
   * instant (erasure).
   */
  async stats(
    ctx: ServiceContext,
    since: Date | null | undefined,
    until: Date | null | undefined,
    asOf?: Date | null,
  ): Promise<FunnelStageStats[]> {
    const problems = new Problems();
    if (asOf) checkPast(problems, "asOf", asOf, ctx.clock.now());
    problems.throwIfAny();
    const funnel = await this.funnel(ctx);
    // $1/$2: the cohort window on lead.created_at (null: open); $2 also bounds the history; $3: asOf (null: now).
    const cohort = `($1::timestamptz IS NULL OR l.created_at >= $1) AND ($2::timestamptz IS NULL OR l.created_at < $2)
                    AND ($3::timestamptz IS NULL OR l.created_at <= $3)`;
    const params = [since ?? null, until ?? null, asOf ?? null];
    const current: Array<{ stage: string; n: string }> = asOf
      ? await ctx.db.query(
          `SELECT s.stage, count(*) AS n FROM (
             SELECT DISTINCT ON (t.lead_id) t.to_stage AS stage
               FROM stage_transition t JOIN lead l ON l.id = t.lead_id
              WHERE ${cohort} AND t.at <= $3
              ORDER BY t.lead_id, t.at DESC, t.seq DESC) s
            GROUP BY s.stage`,
          params,
        )
      : await ctx.db.query(`SELECT l.stage, count(*) AS n FROM lead l WHERE ${cohort} GROUP BY l.stage`, params);
    // Off-path stages: leads that were ever in them; path stages: each lead's furthest stage.
    const history: Array<{ stage: string | null; furthest: number | null; n: string }> = await ctx.db.query(
      `WITH cohort_history AS (
         SELECT t.lead_id, t.to_stage FROM stage_transition t JOIN lead l ON l.id = t.lead_id
          WHERE ${cohort} AND ($2::timestamptz IS NULL OR t.at < $2) AND ($3::timestamptz IS NULL OR t.at <= $3))
       SELECT to_stage AS stage, NULL::int AS furthest, count(DISTINCT lead_id) AS n
         FROM cohort_history WHERE to_stage = ANY($4::text[]) GROUP BY to_stage
       UNION ALL
       SELECT NULL, furthest, count(*) FROM (
         SELECT max(array_position($5::text[], to_stage::text)) AS furthest FROM cohort_history GROUP BY lead_id
       ) f WHERE furthest IS NOT NULL GROUP BY furthest`,
      [...params, funnel.offPath, funnel.stages],
    );
    const inStage = new Map(current.map((r) => [r.stage, Number(r.n)]));
    const furthestCounts = new Map<number, number>();
    const offPathReached = new Map<string, number>();
    for (const row of history) {
      if (row.furthest !== null) furthestCounts.set(Number(row.furthest), Number(row.n));
      else if (row.stage !== null) offPathReached.set(row.stage, Number(row.n));
    }
    const reached = funnel.stages.map((_, i) => {
      let total = 0;
      for (const [furthest, n] of furthestCounts) if (furthest >= i + 1) total += n;
      return total;
    });
    const path = funnel.stages.map((stage, i) => ({
      stage,
      leads: inStage.get(stage) ?? 0,
      reached: reached[i],
      conversionToNext: i + 1 < reached.length && reached[i] > 0 ? reached[i + 1] / reached[i] : null,
    }));
    const offPath = funnel.offPath.map((stage) => ({
      stage,
      leads: inStage.get(stage) ?? 0,
      reached: offPathReached.get(stage) ?? 0,
      conversionToNext: null,
    }));
    return [...path, ...offPath];
  }
}
