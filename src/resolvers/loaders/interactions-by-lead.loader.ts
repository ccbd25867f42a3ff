import DataLoader from "dataloader";
import type { EntityManager } from "typeorm";
import { InteractionEntity } from "../../entities/interaction.entity";
import { badInput } from "../../errors";
import { cursorTime, decodeCursor, encodeCursor, type Page, toPage } from "../../database/cursor";
import { epochMs } from "../../scoring/ledger-rows";
import type { CompiledModel } from "../../dsl/model";
import type { ModelVersions } from "../../scoring/model-versions";
import { AWARD_TUPLES, type AwardsByInteractionLoader, type AwardTuple } from "./awards-by-interaction.loader";
import { byGroup } from "./by-group";

/**
 * One lead's page of interactions, newest first: `first` after the cursor `after`; `awards`: read
 * the awards of each with it (into the awards loader), when the page's `points` or `awards` are
 * asked; `details`: read the `DETAIL_FIELDS` too, when the page asks for one of them.
 */
export interface InteractionPageKey {
  leadId: string;
  first: number;
  after: string | null;
  awards: boolean;
  details: boolean;
}

/**
 * The fields of an interaction a page reads only when asked for (`InteractionPageKey.details`):
 * a page of 100 leads showing what each did needs none of them, and each costs a parse per row
 * (the properties a JSON document) and objects alive until the answer is sent.
 */
export const DETAIL_FIELDS: ReadonlySet<string> = new Set(["source", "externalId", "properties", "receivedAt"]);

/**
 * An interaction read without its `DETAIL_FIELDS`: reading one of them is a bug (the page's key
 * said they were not asked), so it throws rather than answer a value that was never read.
 */
class BriefInteraction extends InteractionEntity {}
for (const field of DETAIL_FIELDS) {
  Object.defineProperty(BriefInteraction.prototype, field, {
    get() {
      throw new Error(`Interaction.${field} was not read with this page (interactions-by-lead.loader.ts, DETAIL_FIELDS)`);
    },
  });
}

/** The cursor of an interaction in newest-first order: `(occurredAt, seq)` plus its id. */
export const interactionCursor = (i: InteractionEntity): string =>
  encodeCursor(`${i.occurredAt.toISOString()}|${i.seq}`, i.id);

function parseAfter(after: string): { occurredAt: Date; seq: string } {
  const { value } = decodeCursor(after, "after");
  const [iso, seq] = typeof value === "string" ? value.split("|") : [];
  // `seq` is a bigint: at most 18 digits always fit.
  if (!iso || !seq || !/^\d{1,18}$/.test(seq)) throw badInput("after", "is not a valid cursor");
  return { occurredAt: cursorTime(iso, "after"), seq };
}

/** An `interaction` row as the page's SQL reads it (times as epoch milliseconds: no date text to parse). */
interface InteractionRow {
  id: string;
  lead_id: string;
  seq: string;
  type: string;
  target: string | null;
  /** The `DETAIL_FIELDS`' columns: absent without `details`. */
  source?: string | null;
  external_id?: string | null;
  properties?: InteractionEntity["properties"];
  occurred_ms: string;
  received_ms?: string;
  /** With `awards`: the interaction's awards (`AWARD_TUPLES`), null when it has none. */
  awards?: AwardTuple[] | null;
}

/** Sets the fields every page reads from a raw `interaction` row (SQL that TypeORM did not build). */
function withBriefFields(entity: InteractionEntity, row: InteractionRow): InteractionEntity {
  entity.id = row.id;
  entity.leadId = row.lead_id;
  entity.seq = String(row.seq);
  entity.type = row.type;
  entity.target = row.target;
  entity.occurredAt = new Date(Number(row.occurred_ms));
  return entity;
}

/** Maps a raw `interaction` row to the entity, its `DETAIL_FIELDS` included. */
function toEntity(row: InteractionRow): InteractionEntity {
  const entity = withBriefFields(new InteractionEntity(), row);
  entity.source = row.source ?? null;
  entity.externalId = row.external_id ?? null;
  entity.properties = row.properties ?? {};
  entity.receivedAt = new Date(Number(row.received_ms));
  return entity;
}

/**
 * Maps a raw `interaction` row read without its `DETAIL_FIELDS` to a `BriefInteraction`, not
 * constructed: the class's field initialisers would define the detail fields over the getters.
 */
const toBriefEntity = (row: InteractionRow): InteractionEntity => withBriefFields(Object.create(BriefInteraction.prototype) as InteractionEntity, row);

/**
 * Pages of interactions for many leads at once: one query per distinct `(first, after)` in the
 * batch (a list of leads asks the same page of each, so that is one query), each lead's newest
 * `first + 1` after the cursor read backwards along its timeline index (`lead_id, occurred_at,
 * seq`): a page costs its own rows, however long the leads' histories are. With `awards`, each
 * interaction's awards come in the same statement and are kept by `awardsLoader` (one round trip
 * fewer, and no list of a thousand ids sent back to the database), with the models of their versions.
 */
export function createInteractionsByLeadLoader(
  db: EntityManager,
  awardsLoader: AwardsByInteractionLoader,
  models: ModelVersions,
): DataLoader<InteractionPageKey, Page<InteractionEntity>, string> {
  return new DataLoader(
    (keys) =>
      byGroup(
        keys,
        (key) => `${key.first}:${key.after ?? ""}:${key.awards}:${key.details}`,
        async (group) => {
          const { first, after, awards, details } = group[0];
          const cursor = after ? parseAfter(after) : null;
          const rows: InteractionRow[] =
            first === 0
              ? []
              : await db.query(
                  `SELECT i.id, i.lead_id, i.seq, i.type, i.target, ${epochMs("i.occurred_at")} AS occurred_ms${details ? `,
                          i.source, i.external_id, i.properties, ${epochMs("i.received_at")} AS received_ms` : ""}${awards ? `,
                          ${AWARD_TUPLES("i.id")} AS awards` : ""}
                     FROM unnest($1::uuid[]) WITH ORDINALITY AS k (id, n)
                    CROSS JOIN LATERAL (
                      SELECT * FROM interaction i
                       WHERE i.lead_id = k.id${cursor ? " AND (i.occurred_at, i.seq) < ($3::timestamptz, $4::bigint)" : ""}
                       ORDER BY i.occurred_at DESC, i.seq DESC LIMIT $2
                    ) i
                    ORDER BY k.n, i.occurred_at DESC, i.seq DESC`,
                  [group.map((k) => k.leadId), first + 1, ...(cursor ? [cursor.occurredAt, cursor.seq] : [])],
                );
          if (awards) {
            const compiled = new Map<number, CompiledModel>();
            for (const row of rows) for (const tuple of row.awards ?? []) if (!compiled.has(tuple[7])) compiled.set(tuple[7], await models.version({ db }, tuple[7]));
            for (const row of rows) awardsLoader.settle(row.id, row.awards ?? null, compiled);
          }
          const byLead = new Map<string, InteractionEntity[]>();
          for (const row of rows) {
            const entity = details ? toEntity(row) : toBriefEntity(row);
            const page = byLead.get(entity.leadId);
            if (page) page.push(entity);
            else byLead.set(entity.leadId, [entity]);
          }
          return new Map(group.map((key) => [key, toPage(byLead.get(key.leadId) ?? [], first, interactionCursor, !!after)]));
        },
      ),
    { cacheKeyFn: (key) => `${key.leadId}:${key.first}:${key.after ?? ""}:${key.awards}:${key.details}` },
  );
}
