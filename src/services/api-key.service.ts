/**
 * API keys: `qk_` + 43 characters of base64url (256 random bits). Only the SHA-256 hex of a key is
 * stored; the key itself is shown once, when it is created.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { performance } from "node:perf_hooks";
import { IsNull } from "typeorm";
import type { Caller, ServiceContext } from "../context";
import { ApiKeyEntity, type Scope, SCOPES } from "../entities/api-key.entity";
import { badInput } from "../errors";

export const hashKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

/** Parses a comma-separated scope list (`read,ingest`). */
export function parseScopes(text: string): Scope[] {
  const scopes = text
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || scopes.length === 0) {
    throw badInput("scopes", `must be a list of ${SCOPES.join(", ")} (got "${text}")`);
  }
  return [...new Set(scopes)] as Scope[];
}

/**
 * How long a verified key is trusted without asking the database again. A revoked key is refused
 * at once by the instance that revoked it, and by every other instance within this time.
 */
export const KEY_TRUST_MS = 1000;
/** Verified keys held at most (only keys that exist are held, so this is a bound, not a working size). */
const MAX_TRUSTED = 10_000;

export class ApiKeyService {
  /** Callers of recently verified keys, by key hash, with the (monotonic) time they expire. */
  private readonly trusted = new Map<string, { caller: Caller; until: number }>();

  constructor(private readonly environmentAdminKey: string | null) {}

  /** Creates a key; the returned `key` is the only time the secret exists outside the caller. */
  async create(ctx: ServiceContext, name: string, scopes: Scope[]): Promise<{ key: string; record: ApiKeyEntity }> {
    if (name.trim() === "" || name.length > 200) throw badInput("name", "must be 1 to 200 characters");
    const key = `qk_${randomBytes(32).toString("base64url")}`;
    const record = ctx.db.create(ApiKeyEntity, {
      name: name.trim(),
      prefix: key.slice(0, 10),
      hash: hashKey(key),
      scopes,
      createdAt: ctx.clock.now(),
      revokedAt: null,
    });
    await ctx.db.save(record);
    return { key, record };
  }

  /** Every key, newest first, revoked ones included. */
  async list(ctx: ServiceContext): Promise<ApiKeyEntity[]> {
    return ctx.db.find(ApiKeyEntity, { order: { createdAt: "DESC" } });
  }

  /** Revokes the key whose id or prefix is `idOrPrefix`; false when there is no such active key. */
  async revoke(ctx: ServiceContext, idOrPrefix: string): Promise<boolean> {
    const qb = ctx.db
      .createQueryBuilder()
      .update(ApiKeyEntity)
      .set({ revokedAt: ctx.clock.now() })
      .where("revoked_at IS NULL");
    if (/^[0-9a-f-]{36}$/i.test(idOrPrefix)) qb.andWhere("id = :id", { id: idOrPrefix });
    else qb.andWhere("prefix = :prefix", { prefix: idOrPrefix });
    const result = await qb.execute();
    this.trusted.clear();
    return (result.affected ?? 0) > 0;
  }

  /** Whether any active key exists (on first start, one admin key is generated). */
  async anyActive(ctx: ServiceContext): Promise<boolean> {
    return (await ctx.db.count(ApiKeyEntity, { where: { revokedAt: IsNull() } })) > 0;
  }

  /**
   * The caller presenting `key` (from `Authorization: Bearer <key>`), or null when the key is
   * missing, unknown or revoked. `QUALIFY_ADMIN_KEY` is accepted as an admin key. A key verified
   * in the last `KEY_TRUST_MS` is not looked up again (unknown keys always are).
   */
  async authenticate(ctx: ServiceContext, key: string | null): Promise<Caller | null> {
    if (!key) return null;
    if (this.environmentAdminKey && safeEqual(key, this.environmentAdminKey)) {
      return { keyId: null, name: "QUALIFY_ADMIN_KEY", scopes: new Set<Scope>(["admin"]) };
    }
    if (!key.startsWith("qk_") || key.length > 100) return null;
    const hash = hashKey(key);
    const now = performance.now();
    const known = this.trusted.get(hash);
    if (known && known.until > now) return known.caller;
    const record = await ctx.db.findOneBy(ApiKeyEntity, { hash, revokedAt: IsNull() });
    if (!record) {
      this.trusted.delete(hash);
      return null;
    }
    const caller: Caller = { keyId: record.id, name: record.name, scopes: new Set(record.scopes) };
    if (this.trusted.size >= MAX_TRUSTED) this.trusted.clear();
    this.trusted.set(hash, { caller, until: now + KEY_TRUST_MS });
    return caller;
  }
}

/** Extracts the key from an `Authorization` header value (`Bearer <key>`, or the bare key). */
export function keyFromAuthorization(header: unknown): string | null {
  if (typeof header !== "string") return null;
  const match = /^\s*(?:Bearer\s+)?(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(hashKey(a), "hex");
  const y = Buffer.from(hashKey(b), "hex");
  return timingSafeEqual(x, y);
}
