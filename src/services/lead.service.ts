/**
 * Leads: reading (by id, by email, as a filtered keyset-paginated list), the upsert with the
 * contract's merge semantics, and erasure. Every method takes the service context first.
 */
import type { SelectQueryBuilder } from "typeorm";
import type { ServiceContext } from "../context";
import { type CursorValue, cursorTime, decodeCursor, encodeCursor, type Page, pageSize, toPage } from "../database/cursor";
import type { LeadGate } from "../database/lead-gate";
import { RetryTransaction } from "../database/transaction";
import type { LeadFields } from "../dsl/model";
import { LeadEntity } from "../entities/lead.entity";
import { badInput, notFound } from "../errors";
import type { Announcements } from "../events/announce";
import { type LeadPatch, patchChanges } from "../scoring/lead-profile";
import { deleteLead, insertLeads, lockByEmail, lockById, updateProfile } from "../scoring/lead-rows";
import { groupKeyIn } from "../scoring/group-keys";
import type { ModelVersions } from "../scoring/model-versions";
import type { Scorer } from "../scoring/scorer";
import {
  checkEmail,
  checkJsonObject,
  checkLeadId,
  checkText,
  isUuid,
  MAX_NAME_LENGTH,
  MAX_SOURCE_LENGTH,
  NUL_PROBLEM,
  Problems,
} from "./validation";

/**
 * The profile fields of `LeadInput`: omitted (undefined) keeps a field, `null` clears it;
 * `attributes` merge key by key (a `null` value deletes the key).
 */
export type LeadInputData = { email: string } & Partial<Omit<LeadFields, "email" | "attributes">> & {
  attributes?: Record<string, unknown> | null;
};

export interface LeadFilterData {
  stage?: string[] | null;
  minScore?: number | null;
  maxScore?: number | null;
  source?: string | null;
  search?: string | null;
  updatedSince?: Date | null;
  role?: string | null;
  industry?: string | null;
  country?: string | null;
  company?: string | null;
  minFit?: number | null;
  maxFit?: number | null;
  minEngagement?: number | null;
  maxEngagement?: number | null;
  minCompanySize?: number | null;
  maxCompanySize?: number | null;
  attributes?: Record<string, unknown> | null;
  /** Points in groups of the active model (`lead_group_points`); all must hold. */
  groups?: Array<{ group: string; min?: number | null; max?: number | null }> | null;
}

export type LeadOrderField = "SCORE" | "FIT" | "ENGAGEMENT" | "CREATED_AT" | "UPDATED_AT" | "EMAIL" | "GROUP";
export type OrderDirection = "ASC" | "DESC";
export interface LeadOrderData {
  field: LeadOrderField;
  direction: OrderDirection;
  /** With `GROUP` only: the group whose points order the leads. */
  group?: string | null;
}

/** A filter on one group's points, its name resolved to its stored key. */
interface GroupRange {
  key: string;
  min: number | null;
  max: number | null;
}


const TEXT_FIELDS = ["firstName", "lastName", "role", "company", "industry", "country"] as const;

const ORDER_COLUMNS: Record<Exclude<LeadOrderField, "GROUP">, { property: keyof LeadEntity; kind: "number" | "date" | "text" }> = {
  SCORE: { property: "score", kind: "number" },
  FIT: { property: "fit", kind: "number" },
  ENGAGEMENT: { property: "engagement", kind: "number" },
  CREATED_AT: { property: "createdAt", kind: "date" },
  UPDATED_AT: { property: "updatedAt", kind: "date" },
  EMAIL: { property: "email", kind: "text" },
};

/** Validates a `LeadInput`; `prefix` is the argument path used in error fields (`input`, `input.lead`). */
export function validateLeadInput(
  input: LeadInputData,
  prefix: string,
  maxJsonBytes: number,
): { email: string; patch: LeadPatch } {
  const problems = new Problems();
  const email = checkEmail(problems, `${prefix}.email`, input.email);
  const patch: LeadPatch = {};
  for (const field of TEXT_FIELDS) {
    const limit = field === "country" ? MAX_SOURCE_LENGTH : MAX_NAME_LENGTH;
    const value = checkText(problems, `${prefix}.${field}`, input[field], limit);
    if (value !== undefined) patch[field] = value;
  }
  const source = checkText(problems, `${prefix}.source`, input.source, MAX_SOURCE_LENGTH);
  if (source !== undefined) patch.source = source;
  if (input.companySize !== undefined) {
    if (input.companySize !== null && input.companySize < 0) problems.add(`${prefix}.companySize`, "must not be negative");
    patch.companySize = input.companySize;
  }
  if (input.attributes !== undefined) {
    checkJsonObject(problems, `${prefix}.attributes`, input.attributes, maxJsonBytes);
    patch.attributes = input.attributes;
  }
  problems.throwIfAny();
  return { email: email as string, patch };
}

export class LeadService {
  constructor(
    private readonly scorer: Scorer,
    private readonly announce: Announcements,
    private readonly gate: LeadGate,
    private readonly maxJsonBytes: number,
    private readonly models: ModelVersions,
  ) {}

  /** The lead with this id, or null. */
  async findById(ctx: ServiceContext, id: string): Promise<LeadEntity | null> {
    if (!isUuid(id)) return null;
    return ctx.db.findOneBy(LeadEntity, { id });
  }

  /** The lead with this email (compared trimmed and case-insensitively), or null. */
  async findByEmail(ctx: ServiceContext, email: string): Promise<LeadEntity | null> {
    // No stored email holds U+0000 (refused on the way in), and PostgreSQL would refuse the text.
    if (email.includes("\u0000")) return null;
    return ctx.db.findOneBy(LeadEntity, { email: email.trim().toLowerCase() });
  }

  /** One page of leads, `first` (≤ 100) after the cursor `after`, in `order` with `id` breaking ties. */
  async list(
    ctx: ServiceContext,
    filter: LeadFilterData | null | undefined,
    order: LeadOrderData | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<Page<LeadEntity>> {
    const limit = pageSize(first);
    const { field, direction } = order ?? { field: "SCORE", direction: "DESC" };
    const orderGroup = await this.orderGroup(ctx, order);
    const qb = this.filtered(ctx, filter, await this.groupRanges(ctx, filter));
    const column = field === "GROUP" ? null : ORDER_COLUMNS[field];
    // By a group: its rows in the index `lead_group_order` (every lead scored with the model has one per group).
    if (orderGroup !== null) qb.innerJoin("lead_group_points", "g", "g.lead_id = l.id AND g.group_key = :order_group", { order_group: orderGroup });
    const path = column === null ? "g.points" : `l.${String(column.property)}`;
    if (after) {
      const cursor = decodeCursor(after, "after");
      const value = this.cursorParameter(cursor.value, column?.kind ?? "number");
      const comparison = direction === "DESC" ? "<" : ">";
      qb.andWhere(`(${path}, l.id) ${comparison} (:afterValue, :afterId)`, { afterValue: value, afterId: cursor.id });
    }
    qb.orderBy(path, direction).addOrderBy("l.id", direction);
    if (column !== null) {
      qb.take(limit + 1);
      const rows = limit === 0 ? [] : await qb.getMany();
      return toPage(rows, limit, (lead) => encodeCursor(this.cursorValue(lead, column), lead.id), !!after);
    }
    const { entities, raw } = limit === 0 ? { entities: [], raw: [] } : await qb.addSelect("g.points", "group_points").limit(limit + 1).getRawAndEntities();
    const points = new Map((raw as Array<{ l_id: string; group_points: number }>).map((r) => [r.l_id, r.group_points]));
    return toPage(entities, limit, (lead) => encodeCursor(points.get(lead.id) ?? null, lead.id), !!after);
  }

  /** How many leads match `filter`. */
  async count(ctx: ServiceContext, filter: LeadFilterData | null | undefined): Promise<number> {
    return this.filtered(ctx, filter, await this.groupRanges(ctx, filter)).getCount();
  }

  /** The stored key of the order's group; null for another order. GROUP and `group` go together. */
  private async orderGroup(ctx: ServiceContext, order: LeadOrderData | null | undefined): Promise<string | null> {
    const group = order?.group ?? null;
    if (order?.field !== "GROUP") {
      if (group !== null) throw badInput("orderBy.group", "is only for field: GROUP");
      return null;
    }
    if (group === null) throw badInput("orderBy.group", "is required with field: GROUP (the group whose points order the leads)");
    return groupKeyIn((await this.models.active(ctx)).model, group, "orderBy.group");
  }

  /** The filter's groups, each resolved in the active model (an unknown name is BAD_USER_INPUT). */
  private async groupRanges(ctx: ServiceContext, filter: LeadFilterData | null | undefined): Promise<GroupRange[]> {
    const groups = filter?.groups ?? [];
    if (groups.length === 0) return [];
    const { model } = await this.models.active(ctx);
    return groups.map((g, i) => ({ key: groupKeyIn(model, g.group, `filter.groups.${i}.group`), min: g.min ?? null, max: g.max ?? null }));
  }

  /**
   * Creates or updates the lead keyed by `input.email`, merging the given fields (see
   * `LeadInputData`), in its own transaction unless one is open.
   */
  async upsert(ctx: ServiceContext, input: LeadInputData, prefix = "input"): Promise<LeadEntity> {
    const { email, patch } = validateLeadInput(input, prefix, this.maxJsonBytes);
    return this.gate.transaction(ctx, email, async (tx) => {
      const { lead } = await this.lockOrCreate(tx, email);
      await this.applyPatch(tx, lead, patch);
      await this.scorer.scoreProfileChange(tx, lead);
      return lead;
    });
  }

  /**
   * Within a transaction: locks the lead with this (normalised) email, creating it at the first
   * funnel stage if there is none. Concurrent callers serialise on the row lock. A known lead (the
   * usual case) costs one statement; plain SQL, as this is the ingest path.
   */
  async lockOrCreate(tx: ServiceContext, email: string, options: { notFoundYet?: boolean } = {}): Promise<{ lead: LeadEntity; created: boolean }> {
    // `notFoundYet`: the caller's statement just found no lead with this email (the INSERT below
    // still meets a concurrent one).
    if (!options.notFoundYet) {
      const existing = await lockByEmail(tx, email);
      if (existing) return { lead: existing, created: false };
    }
    const [lead] = await insertLeads(tx, [email], tx.clock.now());
    if (lead) {
      this.announce.created(tx, lead.id);
      return { lead, created: true };
    }
    // A concurrent insert of the same email committed first (the INSERT waited for it).
    const raced = await lockByEmail(tx, email);
    if (!raced) throw new RetryTransaction(`lead ${email} vanished after a concurrent insert`);
    return { lead: raced, created: false };
  }

  /** Within a transaction: locks the lead with this id; NOT_FOUND if there is none. */
  async lockById(tx: ServiceContext, id: string, field = "leadId"): Promise<LeadEntity> {
    checkLeadId(id, field);
    const lead = await lockById(tx, id);
    if (!lead) throw notFound(`Lead ${id}`);
    return lead;
  }

  /** Within a transaction: applies a validated patch to a locked lead (and to the object). */
  async applyPatch(tx: ServiceContext, lead: LeadEntity, patch: LeadPatch): Promise<boolean> {
    const changes = patchChanges(lead, patch);
    if (Object.keys(changes).length === 0) return false;
    changes.updatedAt = tx.clock.now();
    await updateProfile(tx, lead, changes);
    return true;
  }

  /** Erases the lead and, by cascade, its interactions, awards and stage history (and its webhook payloads but its `LEAD_DELETED`). False if unknown. */
  async delete(ctx: ServiceContext, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return this.gate.transaction(ctx, id, async (tx) => {
      const email = await deleteLead(tx, id);
      if (email === null) return false;
      await this.announce.deleted(tx, { id, email });
      return true;
    });
  }

  private filtered(ctx: ServiceContext, filter: LeadFilterData | null | undefined, groups: readonly GroupRange[] = []): SelectQueryBuilder<LeadEntity> {
    const qb = ctx.db.getRepository(LeadEntity).createQueryBuilder("l");
    if (!filter) return qb;
    const problems = new Problems();
    const texts = { source: filter.source, search: filter.search, role: filter.role, industry: filter.industry, country: filter.country, company: filter.company };
    for (const [name, text] of Object.entries(texts)) {
      if (text?.includes("\u0000")) problems.add(`filter.${name}`, NUL_PROBLEM);
      else if (text && text.trim().length > MAX_NAME_LENGTH) problems.add(`filter.${name}`, `must be at most ${MAX_NAME_LENGTH} characters`);
    }
    filter.stage?.forEach((stage, i) => {
      if (stage.includes("\u0000")) problems.add(`filter.stage.${i}`, NUL_PROBLEM);
    });
    const attributes = Object.entries(filter.attributes ?? {});
    for (const [key, value] of attributes) {
      if (key.includes("\u0000") || (typeof value === "string" && value.includes("\u0000"))) problems.add(`filter.attributes.${key.replace(/\u0000/g, "")}`, NUL_PROBLEM);
      else if (value !== null && !["string", "number", "boolean"].includes(typeof value)) problems.add(`filter.attributes.${key}`, "must be text, a number, a boolean or null");
    }
    problems.throwIfAny();

    // Stage names match ignoring case, as `setLeadStage` takes them (the index `lead_stage_ci`).
    if (filter.stage) qb.andWhere("lower(l.stage) IN (:...stages)", { stages: filter.stage.length ? filter.stage.map((s) => s.trim().toLowerCase()) : [""] });
    const ranges = [
      ["score", filter.minScore, filter.maxScore],
      ["fit", filter.minFit, filter.maxFit],
      ["engagement", filter.minEngagement, filter.maxEngagement],
      ["company_size", filter.minCompanySize, filter.maxCompanySize],
    ] as const;
    for (const [column, min, max] of ranges) {
      if (min != null) qb.andWhere(`l.${column} >= :min_${column}`, { [`min_${column}`]: min });
      if (max != null) qb.andWhere(`l.${column} <= :max_${column}`, { [`max_${column}`]: max });
    }
    if (filter.source != null) qb.andWhere("l.source = :source", { source: filter.source.trim() });
    // Profile fields: equal ignoring case and surrounding spaces.
    for (const column of ["role", "industry", "country", "company"] as const) {
      const text = filter[column];
      if (text != null) qb.andWhere(`lower(l.${column}) = :${column}_ci`, { [`${column}_ci`]: text.trim().toLowerCase() });
    }
    // Attributes: every key's value equal as text, ignoring case; null: the key is absent or null.
    attributes.forEach(([key, value], i) => {
      if (value === null) qb.andWhere(`l.attributes ->> :attr_key_${i} IS NULL`, { [`attr_key_${i}`]: key });
      else qb.andWhere(`lower(l.attributes ->> :attr_key_${i}) = :attr_value_${i}`, { [`attr_key_${i}`]: key, [`attr_value_${i}`]: String(value).toLowerCase() });
    });
    if (filter.updatedSince != null) qb.andWhere("l.updatedAt >= :updatedSince", { updatedSince: filter.updatedSince });
    // Groups: a probe of the lead's row of each (its primary key).
    groups.forEach(({ key, min, max }, i) => {
      const bounds = [min !== null ? `g${i}.points >= :group_min_${i}` : "", max !== null ? `g${i}.points <= :group_max_${i}` : ""].filter(Boolean);
      qb.andWhere(
        `EXISTS (SELECT 1 FROM lead_group_points g${i} WHERE g${i}.lead_id = l.id AND g${i}.group_key = :group_key_${i}${bounds.map((b) => ` AND ${b}`).join("")})`,
        { [`group_key_${i}`]: key, [`group_min_${i}`]: min, [`group_max_${i}`]: max },
      );
    });
    const search = filter.search?.trim();
    if (search) {
      // The same expression as the trigram index `lead_search`.
      qb.andWhere(
        `(l.email || ' ' || coalesce(l.first_name, '') || ' ' || coalesce(l.last_name, '') || ' ' || coalesce(l.company, '')) ILIKE :search`,
        { search: `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` },
      );
    }
    return qb;
  }

  private cursorValue(lead: LeadEntity, column: (typeof ORDER_COLUMNS)[keyof typeof ORDER_COLUMNS]): CursorValue {
    const value = lead[column.property];
    return value instanceof Date ? value.toISOString() : (value as CursorValue);
  }

  private cursorParameter(value: CursorValue, kind: "number" | "date" | "text"): unknown {
    const ok =
      (kind === "number" && typeof value === "number") ||
      (kind === "text" && typeof value === "string") ||
      (kind === "date" && typeof value === "string" && !Number.isNaN(Date.parse(value)));
    if (!ok) throw badInput("after", "is a cursor of another order");
    return kind === "date" ? cursorTime(value as string, "after") : value;
  }
}
