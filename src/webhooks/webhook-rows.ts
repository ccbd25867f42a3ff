/**
 * Every statement on the tables `webhook` and `webhook_delivery` (the outbox): what the admin API
 * reads and writes, the outbox's insert in the transaction of a change, and the dispatcher's
 * claims, outcomes and erasure. Times of the queue (due, claimed, retried) are the database's
 * `now()`, so that every instance agrees on them.
 */
import type { ServiceContext } from "../context";
import { deferQuery } from "../database/transaction";

export const WEBHOOK_EVENTS = ["LEAD_CREATED", "LEAD_STAGE_CHANGED", "LEAD_SCORED", "LEAD_DELETED"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export type DeliveryStatus = "PENDING" | "DELIVERED" | "FAILED";

export interface WebhookRow {
  id: string;
  url: string;
  events: WebhookEvent[];
  stages: string[] | null;
  active: boolean;
  description: string | null;
  createdAt: Date;
  createdBy: string | null;
  deactivatedAt: Date | null;
  deactivatedReason: string | null;
}

export interface DeliveryRow {
  id: string;
  seq: string;
  webhookId: string;
  leadId: string;
  eventId: string;
  event: WebhookEvent;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
  /** Erased: delivered or failed past the retention, or the lead was deleted. */
  payloadErased: boolean;
}

/** A delivery claimed for one attempt, with what the attempt needs. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  url: string;
  secret: string;
  eventId: string;
  payload: unknown;
  attempts: number;
  retryUntil: Date;
}

/** An event of one change, as the outbox buffers it until its transaction commits. */
export interface OutboxEvent {
  eventId: string;
  event: WebhookEvent;
  leadId: string;
  /** The stage a `LEAD_STAGE_CHANGED` moved the lead into (what `stages` narrows on). */
  stage: string | null;
  /** The event's own fields (`data` of the payload, beside `lead`). */
  data: Record<string, unknown>;
  /** When it happened. */
  at: Date;
}

/** The rows of a statement: TypeORM answers an UPDATE or DELETE with `[rows, rowCount]`, anything else with the rows. */
async function rowsOf<T>(ctx: ServiceContext, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const result = await ctx.db.query(sql, parameters);
  return result.length === 2 && Array.isArray(result[0]) && typeof result[1] === "number" ? result[0] : result;
}

const WEBHOOK_COLUMNS = `id, url, events, stages, active, description, created_at AS "createdAt", created_by AS "createdBy",
  deactivated_at AS "deactivatedAt", deactivated_reason AS "deactivatedReason"`;

const DELIVERY_COLUMNS = `id, seq::text AS seq, webhook_id AS "webhookId", lead_id AS "leadId", event_id AS "eventId", event, status, attempts,
  last_status_code AS "lastStatusCode", last_error AS "lastError", CASE WHEN status = 'PENDING' THEN next_attempt_at END AS "nextAttemptAt",
  created_at AS "createdAt", delivered_at AS "deliveredAt", payload IS NULL AS "payloadErased"`;

/** The lead as a payload shows it: read in the transaction, after the change (a deleted lead: its id and email, from the event). */
const LEAD_JSON = `coalesce(e.data -> 'lead', jsonb_build_object(
  'id', l.id, 'email', l.email, 'firstName', l.first_name, 'lastName', l.last_name, 'company', l.company, 'role', l.role,
  'industry', l.industry, 'country', l.country, 'source', l.source, 'stage', l.stage, 'score', l.score, 'fit', l.fit,
  'engagement', l.engagement, 'createdAt', to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'updatedAt', to_char(l.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))`;

/**
 * One statement for every event of a transaction: a delivery per event and active webhook that
 * hears it (`LEAD_STAGE_CHANGED` narrowed by `stages`, compared ignoring case), in event order
 * (`seq`). The webhooks are read here, in the transaction: a webhook deleted or deactivated
 * meanwhile gets nothing.
 */
const INSERT_DELIVERIES_SQL = `
  INSERT INTO webhook_delivery (webhook_id, lead_id, event_id, event, payload, next_attempt_at, retry_until, created_at)
  SELECT w.id, e.lead_id, e.event_id, e.event,
         jsonb_build_object('id', e.event_id, 'type', e.event, 'occurredAt', e.at, 'data', (e.data - 'lead') || jsonb_build_object('lead', ${LEAD_JSON})),
         now(), now() + $7::bigint * interval '1 millisecond', now()
  FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::jsonb[], $6::text[]) WITH ORDINALITY AS e(event_id, event, lead_id, stage, data, at, n)
  JOIN webhook w ON w.active AND e.event = ANY (w.events)
    AND (e.event <> 'LEAD_STAGE_CHANGED' OR w.stages IS NULL OR lower(e.stage) IN (SELECT lower(s) FROM unnest(w.stages) s))
  LEFT JOIN lead l ON l.id = e.lead_id
  ORDER BY e.n, w.id`;

/** Queues the deliveries of `events` with the transaction's next statement or its COMMIT. */
export function insertDeliveries(tx: ServiceContext, events: readonly OutboxEvent[], retryForMs: number): Promise<void> {
  return deferQuery(tx, INSERT_DELIVERIES_SQL, [
    events.map((e) => e.eventId),
    events.map((e) => e.event),
    events.map((e) => e.leadId),
    events.map((e) => e.stage),
    events.map((e) => JSON.stringify(e.data)),
    events.map((e) => e.at.toISOString()),
    retryForMs,
  ]);
}

/**
 * Erasure of deleted leads: their pending deliveries are dropped, and the payloads of the others
 * erased (the `LEAD_DELETED` the same transaction inserts afterwards is not touched).
 */
export function eraseLeadDeliveries(tx: ServiceContext, leadIds: readonly string[]): Promise<void> {
  return deferQuery(
    tx,
    `WITH dropped AS (DELETE FROM webhook_delivery WHERE lead_id = ANY ($1::uuid[]) AND status = 'PENDING')
     UPDATE webhook_delivery SET payload = NULL WHERE lead_id = ANY ($1::uuid[]) AND status <> 'PENDING' AND payload IS NOT NULL`,
    [leadIds],
  );
}

/** The events that at least one active webhook hears (what the outbox buffers). */
export async function subscribedEvents(ctx: ServiceContext): Promise<Set<WebhookEvent>> {
  const rows: Array<{ event: WebhookEvent }> = await ctx.db.query(`SELECT DISTINCT unnest(events) AS event FROM webhook WHERE active`);
  return new Set(rows.map((r) => r.event));
}

// The admin API's statements.

export async function listWebhooks(ctx: ServiceContext): Promise<WebhookRow[]> {
  return ctx.db.query(`SELECT ${WEBHOOK_COLUMNS} FROM webhook ORDER BY created_at DESC, id DESC`);
}

export async function findWebhook(ctx: ServiceContext, id: string): Promise<WebhookRow | null> {
  const [row] = await ctx.db.query(`SELECT ${WEBHOOK_COLUMNS} FROM webhook WHERE id = $1`, [id]);
  return row ?? null;
}

export interface WebhookFields {
  url: string;
  events: WebhookEvent[];
  stages: string[] | null;
  active: boolean;
  description: string | null;
}

export async function insertWebhook(ctx: ServiceContext, fields: WebhookFields, secret: string): Promise<WebhookRow> {
  const [row] = await ctx.db.query(
    `INSERT INTO webhook (url, events, stages, active, description, secret, created_by, created_at)
     VALUES ($1, $2::text[], $3::text[], $4, $5, $6, $7, $8) RETURNING ${WEBHOOK_COLUMNS}`,
    [fields.url, fields.events, fields.stages, fields.active, fields.description, secret, ctx.caller?.name ?? null, ctx.clock.now()],
  );
  return row;
}

/** Replaces a webhook's settings (not its secret); null when there is no such webhook. Activating it clears why it was deactivated. */
export async function updateWebhook(ctx: ServiceContext, id: string, fields: WebhookFields): Promise<WebhookRow | null> {
  const [row] = await rowsOf<WebhookRow>(
    ctx,
    `UPDATE webhook SET url = $2, events = $3::text[], stages = $4::text[], active = $5, description = $6,
       deactivated_at = CASE WHEN $5 THEN NULL WHEN active THEN now() ELSE deactivated_at END,
       deactivated_reason = CASE WHEN $5 THEN NULL WHEN active THEN 'updateWebhook' ELSE deactivated_reason END
     WHERE id = $1 RETURNING ${WEBHOOK_COLUMNS}`,
    [id, fields.url, fields.events, fields.stages, fields.active, fields.description],
  );
  return row ?? null;
}

/** Deletes a webhook and its deliveries; false when there was none. */
export async function deleteWebhook(ctx: ServiceContext, id: string): Promise<boolean> {
  const rows = await rowsOf(ctx, `DELETE FROM webhook WHERE id = $1 RETURNING id`, [id]);
  return rows.length > 0;
}

/**
 * A page of a webhook's deliveries, newest first (keyset on `seq`), `status` narrowing them;
 * `limit + 1` rows at most.
 */
export async function listDeliveries(
  ctx: ServiceContext,
  webhookId: string,
  status: DeliveryStatus | null,
  beforeSeq: string | null,
  limit: number,
): Promise<DeliveryRow[]> {
  return ctx.db.query(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery
     WHERE webhook_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::bigint IS NULL OR seq < $3::bigint)
     ORDER BY seq DESC LIMIT $4`,
    [webhookId, status, beforeSeq, limit + 1],
  );
}

export async function countDeliveries(ctx: ServiceContext, webhookId: string, status: DeliveryStatus | null): Promise<number> {
  const [row] = await ctx.db.query(`SELECT count(*)::int AS n FROM webhook_delivery WHERE webhook_id = $1 AND ($2::text IS NULL OR status = $2)`, [
    webhookId,
    status,
  ]);
  return row.n;
}

export async function findDelivery(ctx: ServiceContext, id: string): Promise<DeliveryRow | null> {
  const [row] = await ctx.db.query(`SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery WHERE id = $1`, [id]);
  return row ?? null;
}

/** Makes a delivered or failed delivery (payload kept) pending again, due now, with a new retry window and no attempt counted. */
export async function requeueDelivery(ctx: ServiceContext, id: string, retryForMs: number): Promise<DeliveryRow | null> {
  const [row] = await rowsOf<DeliveryRow>(
    ctx,
    `UPDATE webhook_delivery SET status = 'PENDING', attempts = 0, next_attempt_at = now(), retry_until = now() + $2::bigint * interval '1 millisecond',
       claimed_by = NULL, claimed_until = NULL, finished_at = NULL
     WHERE id = $1 AND status <> 'PENDING' AND payload IS NOT NULL RETURNING ${DELIVERY_COLUMNS}`,
    [id, retryForMs],
  );
  return row ?? null;
}

// The dispatcher's statements.

/**
 * Claims up to `limit` due deliveries for `claimer` for `leaseMs`: of each `(webhook, lead)` only
 * the oldest pending one (by `seq`), and of each webhook no more than `perWebhook` in flight
 * across every instance (live claims count). `FOR UPDATE SKIP LOCKED`: two instances never claim
 * the same row; a claim whose lease ran out (its claimer died) is claimed again. Each claim counts
 * an attempt.
 */
export async function claimDeliveries(ctx: ServiceContext, claimer: string, limit: number, perWebhook: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  return rowsOf<ClaimedDelivery>(
    ctx,
    `WITH busy AS (
       SELECT webhook_id, count(*) AS n FROM webhook_delivery
       WHERE status = 'PENDING' AND claimed_until > now() GROUP BY webhook_id),
     heads AS (
       SELECT d.id, d.webhook_id, row_number() OVER (PARTITION BY d.webhook_id ORDER BY d.next_attempt_at, d.seq) AS n
       FROM webhook_delivery d JOIN webhook w ON w.id = d.webhook_id AND w.active
       WHERE d.status = 'PENDING' AND d.next_attempt_at <= now() AND (d.claimed_until IS NULL OR d.claimed_until <= now())
         AND NOT EXISTS (SELECT 1 FROM webhook_delivery p
                         WHERE p.webhook_id = d.webhook_id AND p.lead_id = d.lead_id AND p.status = 'PENDING' AND p.seq < d.seq)),
     picked AS (
       SELECT h.id FROM heads h LEFT JOIN busy b ON b.webhook_id = h.webhook_id
       WHERE h.n + coalesce(b.n, 0) <= $3 ORDER BY h.n LIMIT $2),
     locked AS (
       SELECT d.id FROM webhook_delivery d
       WHERE d.id IN (SELECT id FROM picked) AND d.status = 'PENDING' AND (d.claimed_until IS NULL OR d.claimed_until <= now())
       FOR UPDATE OF d SKIP LOCKED)
     UPDATE webhook_delivery d SET claimed_by = $1, claimed_until = now() + $4::bigint * interval '1 millisecond', attempts = d.attempts + 1
     FROM locked, webhook w
     WHERE d.id = locked.id AND w.id = d.webhook_id
     RETURNING d.id, d.webhook_id AS "webhookId", w.url, w.secret, d.event_id AS "eventId", d.payload, d.attempts, d.retry_until AS "retryUntil"`,
    [claimer, limit, perWebhook, leaseMs],
  );
}

/** What one attempt came to. */
export type AttemptOutcome =
  | { kind: "delivered"; statusCode: number }
  /** Retried after `retryInMs`, unless that falls past the retry window: then FAILED. */
  | { kind: "retry"; statusCode: number | null; error: string; retryInMs: number }
  /** FAILED at once (410 Gone, which also deactivates the webhook). */
  | { kind: "gone"; statusCode: number; error: string };

/**
 * Records an attempt's outcome, if `claimer` still holds the claim (a claimer whose lease ran out
 * changes nothing: the one that claimed it after decides). True when recorded.
 */
export async function finishAttempt(ctx: ServiceContext, id: string, claimer: string, outcome: AttemptOutcome): Promise<boolean> {
  const code = outcome.statusCode;
  const error = outcome.kind === "delivered" ? null : outcome.error.slice(0, 500);
  const retryIn = outcome.kind === "retry" ? outcome.retryInMs : null;
  const rows = await ctx.db.query(
    `WITH done AS (
       UPDATE webhook_delivery SET
         status = CASE WHEN $3 = 'delivered' THEN 'DELIVERED'
                       WHEN $3 = 'retry' AND now() + $6::bigint * interval '1 millisecond' <= retry_until THEN 'PENDING'
                       ELSE 'FAILED' END,
         next_attempt_at = CASE WHEN $3 = 'retry' THEN now() + $6::bigint * interval '1 millisecond' ELSE next_attempt_at END,
         last_status_code = $4, last_error = $5, claimed_by = NULL, claimed_until = NULL,
         delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END,
         finished_at = CASE WHEN $3 = 'retry' AND now() + $6::bigint * interval '1 millisecond' <= retry_until THEN NULL ELSE now() END
       WHERE id = $1 AND claimed_by = $2 RETURNING webhook_id),
     gone AS (
       UPDATE webhook SET active = false, deactivated_at = now(), deactivated_reason = 'the receiver answered 410 Gone'
       WHERE $3 = 'gone' AND active AND id IN (SELECT webhook_id FROM done) RETURNING id)
     SELECT (SELECT count(*) FROM done)::int AS n`,
    [id, claimer, outcome.kind, code, error, retryIn],
  );
  return rows[0].n > 0;
}

/** Deletes deliveries that were delivered or failed more than `retentionMs` ago (their payloads with them); how many. */
export async function pruneDeliveries(ctx: ServiceContext, retentionMs: number): Promise<number> {
  const rows = await rowsOf(
    ctx,
    `DELETE FROM webhook_delivery WHERE id IN (
       SELECT id FROM webhook_delivery WHERE status <> 'PENDING' AND finished_at < now() - $1::bigint * interval '1 millisecond' LIMIT 10000)
     RETURNING 1`,
    [retentionMs],
  );
  return rows.length;
}

/** When the next pending delivery of an active webhook is due, in ms from now (null: none pending). */
export async function nextDueInMs(ctx: ServiceContext): Promise<number | null> {
  const [row] = await ctx.db.query(
    `SELECT extract(epoch FROM (min(greatest(d.next_attempt_at, coalesce(d.claimed_until, d.next_attempt_at))) - now())) * 1000 AS ms
     FROM webhook_delivery d JOIN webhook w ON w.id = d.webhook_id AND w.active WHERE d.status = 'PENDING'`,
  );
  return row?.ms === null || row?.ms === undefined ? null : Number(row.ms);
}
