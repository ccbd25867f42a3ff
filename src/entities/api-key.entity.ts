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

  @Column({ name: "revoked_at", type: "timestamptz", precision: 3, nullable: true })
  revokedAt: Date | null;
}
