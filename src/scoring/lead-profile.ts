/**
 * How a profile patch merges into a lead (the contract's upsert semantics): a given field
 * overwrites, an omitted one is kept, `null` clears it; `attributes` merge key by key (a `null`
 * value deletes the key, a `null` patch clears them all). Used by upserts, by interactions that
 * carry profile fields, and by batches (which merge in memory).
 */
import type { LeadEntity } from "../entities/lead.entity";

/** The fields a validated patch may change. */
export type LeadPatch = Partial<Omit<LeadEntity, "id" | "email" | "attributes">> & {
  attributes?: Record<string, unknown> | null;
};

/** The changes `patch` makes to `lead` (none: an empty object). */
export function patchChanges(lead: LeadEntity, patch: LeadPatch): Partial<LeadEntity> {
  const changes: Partial<LeadEntity> = {};
  for (const [key, value] of Object.entries(patch) as Array<[keyof LeadPatch, unknown]>) {
    if (key === "attributes") continue;
    if ((lead as unknown as Record<string, unknown>)[key] !== value) {
      (changes as Record<string, unknown>)[key] = value;
    }
  }
  if (patch.attributes !== undefined) {
    const merged = mergeAttributes(lead.attributes, patch.attributes);
    if (JSON.stringify(merged) !== JSON.stringify(lead.attributes)) changes.attributes = merged;
  }
  return changes;
}

/** `current` with `patch` merged key by key; `null` values delete keys. A `null` patch clears all. */
export function mergeAttributes(current: Record<string, unknown>, patch: Record<string, unknown> | null): Record<string, unknown> {
  if (patch === null) return {};
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
