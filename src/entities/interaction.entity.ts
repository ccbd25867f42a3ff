import type { JsonObject } from "./json";
import { Column, Entity, Index } from "typeorm";
import { LeadOwnedEntity } from "./lead-owned.entity";

/**
 * Something a lead did. `seq` is the arrival order (a sequence), which breaks ties between equal
 * `occurredAt`. `(source, externalId)` is unique, a missing source being its own namespace: the
 * unique index is on `(COALESCE(source, ''), external_id)` and an empty source is refused by the API.
 */
@Entity("interaction")
@Index("interaction_lead_timeline", ["leadId", "occurredAt", "seq"])
@Index("interaction_type_seen", ["type", "occurredAt"])
export class InteractionEntity extends LeadOwnedEntity {
  /** Arrival order; bigint comes back from pg as a string. */
  @Column({ type: "bigint", insert: false, update: false, generatedIdentity: "ALWAYS", generated: "identity" })
  seq: string;

  @Column({ type: "varchar", length: 64 })
  type: string;

  @Column({ type: "varchar", length: 2048, nullable: true })
  target: string | null;

  @Column({ type: "varchar", length: 100, nullable: true })
  source: string | null;

  @Column({ name: "external_id", type: "varchar", length: 255, nullable: true })
  externalId: string | null;

  @Column({ type: "jsonb", default: () => "'{}'::jsonb" })
  properties: JsonObject;

  @Column({ name: "occurred_at", type: "timestamptz", precision: 3 })
  occurredAt: Date;

  @Column({ name: "received_at", type: "timestamptz", precision: 3 })
  receivedAt: Date;
}
