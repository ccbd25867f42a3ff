/**
 * Sections (a) and (b)'s inputs and their plain-`pg` baseline: realistic interactions (pages,
 * case studies, newsletters, demo requests, webinars; some targets as full URLs) drawn from a
 * seeded PRNG, fresh leads made in SQL, and the baseline's transaction, which writes the rows the
 * product writes for the same interactions (the interaction, its award rows, the stage moves, the
 * lead's totals, and with a v2 model its group points and next change) with awards from the
 * benchmark's rules by hand (`service-rules.ts`).
 */
import { randomUUID } from "node:crypto";
import type { ClientBase, Pool, PoolClient } from "pg";
import { type ActivityRule, type HandModel, likeMatches, nextStage, usesV2 } from "./service-rules";
import { prng } from "./workload";

/** One interaction to record: for the product an `InteractionInput`, for the baseline rows. */
export interface WorkItem {
  /** Index into the side's lead ids. */
  lead: number;
  type: string;
  /** As sent (sometimes a full URL with a query). */
  target: string | null;
  /** The target normalised as the product matches it (the hand-written rules read this). */
  path: string | null;
  externalId: string;
  occurredAt: Date;
}

type Draw = () => number;
type Kind = (draw: Draw) => { type: string; target: string | null; path: string | null };

const page = (path: string, draw: Draw) => ({
  type: "visit",
  target: draw() < 0.3 ? `https://www.example.com${path}?utm_source=${draw() < 0.5 ? "ads" : "newsletter"}` : path,
  path,
});
const n = (draw: Draw, max: number) => 1 + Math.floor(draw() * max);

/** [weight, kind] */
const KINDS: ReadonlyArray<readonly [number, Kind]> = [
  [30, (d) => page(`/blog/post-${n(d, 200)}`, d)],
  [10, (d) => page("/pricing", d)],
  [3, (d) => page("/careers", d)],
  [10, (d) => page(["/", "/features", `/docs/guide-${n(d, 40)}`][Math.floor(d() * 3)], d)],
  [15, () => ({ type: "email_open", target: "newsletter", path: "newsletter" })],
  [5, (d) => ({ type: "email_open", target: `promo-${n(d, 12)}`, path: null })],
  [8, (d) => ({ type: "download", target: `case-study-${n(d, 30)}.pdf`, path: null })],
  [5, (d) => ({ type: "download", target: `whitepaper-${n(d, 10)}.pdf`, path: null })],
  [5, () => ({ type: "subscribe", target: "newsletter", path: "newsletter" })],
  [2, () => ({ type: "demo_request", target: null, path: null })],
  [7, (d) => ({ type: "webinar", target: `webinar-${n(d, 20)}`, path: null })],
];
const TOTAL_WEIGHT = KINDS.reduce((sum, [w]) => sum + w, 0);

/**
 * `count` interactions over `leads` leads, one every 10 ms from `start` (in the past, in order),
 * with unique external ids `<label>-<i>`.
 */
export function generateWork(count: number, leads: number, seed: number, start: Date, label: string): WorkItem[] {
  const draw = prng(seed);
  const items: WorkItem[] = [];
  for (let i = 0; i < count; i++) {
    let pick = draw() * TOTAL_WEIGHT;
    let kind = KINDS[KINDS.length - 1][1];
    for (const [weight, k] of KINDS) {
      if ((pick -= weight) < 0) {
        kind = k;
        break;
      }
    }
    const { type, target, path } = kind(draw);
    // `path` for the rules: a download's or email's target is matched as it is.
    items.push({ lead: Math.floor(draw() * leads), type, target, path: path ?? target, externalId: `${label}-${i}`, occurredAt: new Date(start.getTime() + i * 10) });
  }
  return items;
}

/** The `InteractionInput` of an item. */
export const inputOf = (item: WorkItem, leadIds: readonly string[]) => ({
  leadId: leadIds[item.lead],
  type: item.type,
  target: item.target,
  source: "bench",
  externalId: item.externalId,
  occurredAt: item.occurredAt.toISOString(),
});

/** What the schema holds today (the ledger gained `rule_index` and the lead `model_version` with scoring). */
export interface SchemaShape {
  activeVersion: number;
  awardHasRuleIndex: boolean;
  leadHasModelVersion: boolean;
}

export async function schemaShape(db: Pool | ClientBase): Promise<SchemaShape> {
  const { rows } = await db.query(
    `SELECT (SELECT coalesce(max(version), 0) FROM scoring_model WHERE active) AS version,
            EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'score_award' AND column_name = 'rule_index') AS rule_index,
            EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'lead' AND column_name = 'model_version') AS model_version`,
  );
  return { activeVersion: rows[0].version, awardHasRuleIndex: rows[0].rule_index, leadHasModelVersion: rows[0].model_version };
}

/**
 * `count` fresh leads `<label>-<n>@bench.example` at the first stage, half of them with a first
 * name (so the seed's `stage Lead when firstName is set` moves them), none holding a fit rule, and
 * already at the active model version: their ledger (empty) is consistent with it.
 */
export async function createLeads(pool: Pool, shape: SchemaShape, count: number, label: string): Promise<string[]> {
  const version = shape.leadHasModelVersion ? ", model_version" : "";
  const { rows } = await pool.query(
    `INSERT INTO lead (email, first_name, stage, created_at, updated_at${version})
     SELECT $1 || '-' || n || '@bench.example', CASE WHEN n % 2 = 0 THEN 'Ada' END, 'Subscriber', now(), now()${shape.leadHasModelVersion ? ", $3::int" : ""}
       FROM generate_series(1, $2::int) n
     RETURNING id`,
    shape.leadHasModelVersion ? [label, count, shape.activeVersion] : [label, count],
  );
  return rows.map((r: { id: string }) => r.id);
}

/** An award whose value changes with time or counts towards a group (v2), as the baseline keeps it. */
interface HeldAward {
  rule: ActivityRule;
  atMs: number;
}

interface LeadState {
  /** Fit, and engagement from awards that neither decay nor belong to a group. */
  fit: number;
  plain: number;
  score: number;
  stage: string;
  named: boolean;
  hasDemo: boolean;
  /** Awards so far per capped rule. */
  capped: Map<number, number>;
  /** Awards of decaying or grouped rules (v2). */
  held: HeldAward[];
  /** Group points as last written (`lead_group_points`), by group key; null: none written yet. */
  written: Map<string, { points: number; uncapped: number }> | null;
}

/** What one interaction did to a lead. */
export interface HandScore {
  awards: ActivityRule[];
  points: number;
  move: { from: string; to: string } | null;
  /** v2: the lead's engagement, its next change (epoch ms, null: none) and the group rows to write. */
  engagement: number;
  nextMs: number | null;
  groups: Array<{ key: string; points: number; uncapped: number }>;
}

/**
 * The baseline's scoring, by hand: the model's activity rules and the seed's stage rules over a
 * lead's state kept in this process (the baseline is the only writer of its leads). Interactions
 * arrive in `occurredAt` order per lead, so a cap is a count (no capped rule decays). With a v2
 * model, the awards of decaying or grouped rules are kept and valued as of now: a decaying award
 * keeps `steps[k]` after k full periods; a group's points are its awards' values summed, then
 * capped; the next change is the earliest next step of an award not yet at 0.
 */
export class HandScorer {
  private readonly leads = new Map<string, LeadState>();
  private readonly v2: boolean;
  awardRows = 0;
  stageMoves = 0;

  constructor(private readonly model: HandModel) {
    this.v2 = usesV2(model);
  }

  /** The lead's state, from its locked row the first time (fresh leads: no awards yet). */
  state(id: string, row: { score: number; fit: number; stage: string; first_name: string | null }): LeadState {
    let s = this.leads.get(id);
    if (!s) {
      if (this.v2 && row.fit !== 0) throw new Error("the baseline's v2 scorer takes fresh leads without fit (its fit groups stay 0)");
      s = { fit: row.fit, plain: row.score - row.fit, score: row.score, stage: row.stage, named: !!row.first_name?.trim(), hasDemo: false, capped: new Map(), held: [], written: null };
      this.leads.set(id, s);
    }
    return s;
  }

  /** Scores one interaction as of `nowMs`: the rules that award, the points, the stage move (from, to) if any. */
  score(s: LeadState, item: WorkItem, nowMs: number): HandScore {
    const awards: ActivityRule[] = [];
    let points = 0;
    const atMs = item.occurredAt.getTime();
    for (const rule of this.model.activity) {
      if (rule.type !== item.type || !likeMatches(rule.like, item.path)) continue;
      if (rule.max !== null) {
        const so = s.capped.get(rule.index) ?? 0;
        if (so >= rule.max) continue;
        s.capped.set(rule.index, so + 1);
      }
      awards.push(rule);
      points += rule.points;
      if (rule.decay !== null || rule.group !== null) s.held.push({ rule, atMs });
      else s.plain += rule.points;
    }
    if (item.type === "demo_request") s.hasDemo = true;
    let engagement = s.plain;
    let nextMs: number | null = null;
    const groups: HandScore["groups"] = [];
    if (this.v2) {
      const sums = new Map<string, number>();
      for (const { rule, atMs: at } of s.held) {
        let value = rule.points;
        if (rule.decay !== null) {
          const { steps, everyMs } = rule.decay;
          const k = nowMs <= at ? 0 : Math.floor((nowMs - at) / everyMs);
          value = k < steps.length ? steps[k] : 0;
          if (k < steps.length - 1) nextMs = Math.min(nextMs ?? Infinity, at + (k + 1) * everyMs);
        }
        if (rule.group === null) engagement += value;
        else sums.set(rule.group, (sums.get(rule.group) ?? 0) + value);
      }
      const first = s.written === null;
      const written = (s.written ??= new Map());
      for (const g of this.model.groups) {
        const uncapped = sums.get(g.key) ?? 0;
        const capped = g.max === null ? uncapped : Math.min(uncapped, g.max);
        // Fresh leads hold no fit: the fit groups stay 0.
        if (g.category === "ENGAGEMENT") engagement += capped;
        const before = written.get(g.key);
        if (first || before?.points !== capped || before.uncapped !== uncapped) {
          groups.push({ key: g.key, points: capped, uncapped });
          written.set(g.key, { points: capped, uncapped });
        }
      }
    }
    s.score = s.fit + engagement;
    const to = nextStage(s.stage, { score: s.score, named: s.named, hasDemo: s.hasDemo });
    const move = to === null ? null : { from: s.stage, to };
    if (to !== null) s.stage = to;
    this.awardRows += awards.length;
    if (move) this.stageMoves++;
    return { awards, points, move, engagement, nextMs, groups };
  }

  /** Whether the model is v2 (the baseline writes group points and next changes). */
  get writesV2(): boolean {
    return this.v2;
  }

  ruleName(index: number): string {
    return this.model.names[index];
  }

  stageRule(stage: string): string {
    return this.model.stageRules.get(stage) ?? "";
  }
}

/**
 * One baseline transaction for `items` (one interaction in (a), a batch of 1,000 in (b)), with the
 * writes the product makes: lock the leads (`SELECT … FOR UPDATE`), insert the interactions, their
 * award rows and the stage moves, and update each lead's totals; each kind of row in one statement
 * (`unnest` of arrays), then COMMIT. Resolves with the number of statements sent.
 */
export async function baselineTransaction(
  client: PoolClient,
  shape: SchemaShape,
  scorer: HandScorer,
  items: readonly WorkItem[],
  leadIds: readonly string[],
): Promise<number> {
  const ids = [...new Set(items.map((i) => leadIds[i.lead]))].sort();
  let statements = 0;
  const query = (sql: string, params?: unknown[]) => {
    statements++;
    return client.query(sql, params);
  };
  await query("BEGIN");
  try {
    const { rows } = await query(`SELECT id, score, fit, stage, first_name FROM lead WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [ids]);
    const locked = new Map(rows.map((r: { id: string; score: number; fit: number; stage: string; first_name: string | null }) => [r.id, r]));
    const stateOf = (id: string) => {
      const row = locked.get(id);
      if (!row) throw new Error(`lead ${id} does not exist`);
      return scorer.state(id, row);
    };
    const now = new Date();
    const nowMs = now.getTime();
    const ix = { id: [] as string[], lead: [] as string[], type: [] as string[], target: [] as Array<string | null>, externalId: [] as string[], at: [] as Date[] };
    const aw = { lead: [] as string[], interaction: [] as string[], index: [] as number[], rule: [] as string[], points: [] as number[], at: [] as Date[] };
    const mv = { lead: [] as string[], from: [] as string[], to: [] as string[], rule: [] as string[] };
    // The last figures of each (lead, group) of the items: one row each.
    const groupRows = new Map<string, { lead: string; key: string; points: number; uncapped: number }>();
    const last = new Map<string, HandScore>();
    for (const item of items) {
      const leadId = leadIds[item.lead];
      const id = randomUUID();
      ix.id.push(id);
      ix.lead.push(leadId);
      ix.type.push(item.type);
      ix.target.push(item.target);
      // The product records the same items in the same database: the baseline's ids are its own.
      ix.externalId.push(`baseline-${item.externalId}`);
      ix.at.push(item.occurredAt);
      const scored = scorer.score(stateOf(leadId), item, nowMs);
      const { awards, move } = scored;
      last.set(leadId, scored);
      for (const g of scored.groups) groupRows.set(`${leadId}/${g.key}`, { lead: leadId, ...g });
      for (const rule of awards) {
        aw.lead.push(leadId);
        aw.interaction.push(id);
        aw.index.push(rule.index);
        aw.rule.push(scorer.ruleName(rule.index));
        aw.points.push(rule.points);
        aw.at.push(item.occurredAt);
      }
      if (move) {
        mv.lead.push(leadId);
        mv.from.push(move.from);
        mv.to.push(move.to);
        mv.rule.push(scorer.stageRule(move.to));
      }
    }
    await query(
      `INSERT INTO interaction (id, lead_id, type, target, source, external_id, occurred_at, received_at)
       SELECT u.id, u.lead_id, u.type, u.target, 'bench', u.external_id, u.occurred_at, $7
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS u (id, lead_id, type, target, external_id, occurred_at)`,
      [ix.id, ix.lead, ix.type, ix.target, ix.externalId, ix.at, now],
    );
    if (aw.lead.length > 0) {
      const ruleIndex = shape.awardHasRuleIndex ? ["rule_index, ", "u.rule_index, "] : ["", ""];
      await query(
        `INSERT INTO score_award (lead_id, interaction_id, ${ruleIndex[0]}rule, category, points, awarded_at, expires_at, model_version)
         SELECT u.lead_id, u.interaction_id, ${ruleIndex[1]}u.rule, 'ENGAGEMENT', u.points, u.awarded_at, NULL, $7
           FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::int[], $6::timestamptz[]) AS u (lead_id, interaction_id, rule_index, rule, points, awarded_at)`,
        [aw.lead, aw.interaction, aw.index, aw.rule, aw.points, aw.at, shape.activeVersion],
      );
    }
    if (mv.lead.length > 0) {
      await query(
        `INSERT INTO stage_transition (lead_id, from_stage, to_stage, at, cause, rule)
         SELECT u.lead_id, u.from_stage, u.to_stage, $5, 'RULE', u.rule
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS u (lead_id, from_stage, to_stage, rule)`,
        [mv.lead, mv.from, mv.to, mv.rule, now],
      );
    }
    const totals = ids.map(stateOf);
    if (!scorer.writesV2) {
      await query(
        `UPDATE lead l SET engagement = u.score, score = u.score, stage = u.stage, updated_at = $4
           FROM unnest($1::uuid[], $2::int[], $3::text[]) AS u (id, score, stage)
          WHERE l.id = u.id`,
        [ids, totals.map((t) => t.score), totals.map((t) => t.stage), now],
      );
    } else {
      const gp = [...groupRows.values()];
      // v2: the group rows that changed travel in the same statement as the totals and next changes.
      await query(
        `WITH groups AS (
           INSERT INTO lead_group_points (lead_id, group_key, points, uncapped)
           SELECT * FROM unnest($6::uuid[], $7::text[], $8::int[], $9::int[])
           ON CONFLICT (lead_id, group_key) DO UPDATE SET points = excluded.points, uncapped = excluded.uncapped)
         UPDATE lead l SET engagement = u.engagement, score = u.score, stage = u.stage, next_expiry_at = to_timestamp(u.next_ms / 1000.0), updated_at = $4
           FROM unnest($1::uuid[], $2::int[], $3::text[], $5::int[], $10::float8[]) AS u (id, score, stage, engagement, next_ms)
          WHERE l.id = u.id`,
        [
          ids,
          totals.map((t) => t.score),
          totals.map((t) => t.stage),
          now,
          ids.map((id) => last.get(id)?.engagement ?? 0),
          gp.map((g) => g.lead),
          gp.map((g) => g.key),
          gp.map((g) => g.points),
          gp.map((g) => g.uncapped),
          ids.map((id) => last.get(id)?.nextMs ?? null),
        ],
      );
    }
    await query("COMMIT");
    return statements;
  } catch (err) {
    await query("ROLLBACK");
    throw err;
  }
}
