import { Column, Entity, PrimaryGeneratedColumn } from "typeorm";

export const SCOPES = ["read", "ingest", "sales", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * An API key. Only the SHA-256 of the key is stored (keys are 256-bit random, so a fast hash is
 * enough); `prefix` is the start of the key, shown in listings so people can tell keys apart.
 */
@Entity("api_key")
export class ApiKeyEntity {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "varchar", length: 200 })
  name: string;

  @Column({ type: "varchar", length: 16 })
  prefix: string;

  @Column({ type: "char", length: 64, unique: true })
  hash: string;

  @Column({ type: "text", array: true })
  scopes: Scope[];

  @Column({ name: "created_at", type: "timestamptz", precision: 3 })
  createdAt: Date;

  /** Who created it: the creating caller's name (null for keys made before this was recorded). */
  @Column({ name: "created_by", type: "varchar", length: 200, nullable: true })
  createdBy: string | null;

  @Column({ name: "revoked_at", type: "timestamptz", precision: 3, nullable: true })
  revokedAt: Date | null;

  @Column({ name: "revoked_by", type: "varchar", length: 200, nullable: true })
  revokedBy: string | null;

  /** When the key was last presented, to the minute (the verifying statement writes it at most once a minute). */
  @Column({ name: "last_used_at", type: "timestamptz", precision: 3, nullable: true })
  lastUsedAt: Date | null;

  /** This key's own budgets per window (`app/rate-limits.ts`); null: the service's setting (`QUALIFY_RATE_LIMIT_*`). 0: no limit. */
  @Column({ name: "rate_limit_requests", type: "integer", nullable: true })
  rateLimitRequests: number | null;

  @Column({ name: "rate_limit_cost", type: "integer", nullable: true })
  rateLimitCost: number | null;

  @Column({ name: "rate_limit_window_seconds", type: "integer", nullable: true })
  rateLimitWindowSeconds: number | null;
}
