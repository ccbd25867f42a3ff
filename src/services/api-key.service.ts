/**
 * API keys: `qk_` + 43 characters of base64url (256 random bits). Only the SHA-256 hex of a key is
 * stored; the key itself is shown once, when it is created.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { performance } from "node:perf_hooks";
import { IsNull } from "typeorm";
import { DEFAULT_RATE_LIMITS, MAX_RATE_LIMIT_BUDGET, MAX_RATE_LIMIT_WINDOW_SECONDS, type RateLimitSettings } from "../config";
import type { Caller, KeyRateLimit, ServiceContext } from "../context";
import { inTransaction } from "../database/transaction";
import { ApiKeyEntity, type Scope, SCOPES } from "../entities/api-key.entity";
import { DomainError, notFound } from "../errors";
import { checkText, isUuid, MAX_NAME_LENGTH, Problems } from "./validation";

export const hashKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

/**
 * How long a verified key is trusted without asking the database again. A revoked key is refused
 * at once by the instance that revoked it, and by every other instance within this time.
 */
export const KEY_TRUST_MS = 1000;
/** Verified keys held at most (only keys that exist are held, so this is a bound, not a working size). */
const MAX_TRUSTED = 10_000;
/**
 * `last_used_at` is written by the statement that verifies a key, and only when the stored time is
 * older than this: a key in constant use costs one write a minute, not one per request.
 */
export const LAST_USED_PRECISION_SECONDS = 60;

// One statement: the key's caller, and its last use recorded when the stored one is stale.
const VERIFY_SQL = `
  WITH k AS (
    SELECT id, name, scopes, last_used_at, rate_limit_requests, rate_limit_cost, rate_limit_window_seconds FROM api_key WHERE hash = $1 AND revoked_at IS NULL
  ), used AS (
    UPDATE api_key SET last_used_at = $2 FROM k
    WHERE api_key.id = k.id AND api_key.revoked_at IS NULL
      AND (k.last_used_at IS NULL OR k.last_used_at < $2::timestamptz - make_interval(secs => ${LAST_USED_PRECISION_SECONDS}))
  )
  SELECT id, name, scopes, rate_limit_requests, rate_limit_cost, rate_limit_window_seconds FROM k`;

/** A verified key's row, as VERIFY_SQL answers it. */
interface VerifiedKey {
  id: string;
  name: string;
  scopes: Scope[];
  rate_limit_requests: number | null;
  rate_limit_cost: number | null;
  rate_limit_window_seconds: number | null;
}

/** A key's budgets as an admin gives them: omitted or null follows the service's setting; 0 is no limit. */
export interface RateLimitInputValue {
  requests?: number | null;
  cost?: number | null;
  windowSeconds?: number | null;
}

/** A key's budgets in force: its own where an admin set them, else the service's settings. */
export interface EffectiveRateLimit extends RateLimitSettings {
  /** Whether an admin set any of them for this key. */
  custom: boolean;
}

/** The caller's key as `viewer` answers it. */
export interface ViewerRecord {
  id: string | null;
  name: string;
  prefix: string | null;
  createdAt: Date | null;
  scopes: Scope[];
  effectiveScopes: Scope[];
  rateLimit: EffectiveRateLimit;
}

/** What a key row locked for revocation looks like (the key and every active admin key). */
interface LockedKey {
  id: string;
  scopes: Scope[];
  revoked_at: Date | null;
}

export class ApiKeyService {
  /** Callers of recently verified keys, by key hash, with the (monotonic) time they expire. */
  private readonly trusted = new Map<string, { caller: Caller; until: number }>();
  /**
   * Revocations committed by this instance. A verification that read the database before one of
   * them committed does not put its (possibly revoked) key in `trusted`.
   */
  private revocations = 0;

  constructor(
    private readonly environmentAdminKey: string | null,
    /** The budgets of keys an admin set none for (`QUALIFY_RATE_LIMIT_*`). */
    private readonly rateLimitSettings: RateLimitSettings = DEFAULT_RATE_LIMITS,
  ) {}

  /**
   * Creates a key for `scopes` (`admin` implies the others); the returned `key` is the only time
   * the secret exists outside the caller. Every invalid argument is reported at once.
   */
  async create(
    ctx: ServiceContext,
    name: string,
    scopes: readonly Scope[],
    rateLimit: RateLimitInputValue | null = null,
  ): Promise<{ key: string; record: ApiKeyEntity }> {
    const problems = new Problems();
    const cleanName = checkText(problems, "name", name, MAX_NAME_LENGTH);
    if (cleanName === null) problems.add("name", "must not be empty");
    if (scopes.length === 0) problems.add("scopes", `must name at least one scope (${SCOPES.join(", ")})`);
    const limits = checkRateLimit(problems, "rateLimit", rateLimit);
    problems.throwIfAny();
    const key = `qk_${randomBytes(32).toString("base64url")}`;
    const record = ctx.db.create(ApiKeyEntity, {
      name: cleanName as string,
      prefix: key.slice(0, 10),
      hash: hashKey(key),
      scopes: SCOPES.filter((s) => scopes.includes(s)),
      createdAt: ctx.clock.now(),
      createdBy: ctx.caller?.name ?? null,
      revokedAt: null,
      revokedBy: null,
      lastUsedAt: null,
      rateLimitRequests: limits.requests,
      rateLimitCost: limits.cost,
      rateLimitWindowSeconds: limits.windowSeconds,
    });
    await ctx.db.save(record);
    return { key, record };
  }

  /** The key with this id (revoked or not), or null. */
  async findById(ctx: ServiceContext, id: string): Promise<ApiKeyEntity | null> {
    return isUuid(id) ? ctx.db.findOneBy(ApiKeyEntity, { id }) : null;
  }

  /** Every key, newest first, revoked ones included. */
  async list(ctx: ServiceContext): Promise<ApiKeyEntity[]> {
    return ctx.db.find(ApiKeyEntity, { order: { createdAt: "DESC", id: "ASC" } });
  }

  /**
   * Revokes the key `id`. Idempotent: a key already revoked is answered as it is (its first
   * `revokedAt` and `revokedBy` kept), so a retried call succeeds. An unknown id is NOT_FOUND.
   * The last active admin key is not revoked (CONFLICT) unless `QUALIFY_ADMIN_KEY` is set: with it
   * gone nobody could manage keys over the API. The instance refuses the key from the commit on;
   * other instances within `KEY_TRUST_MS`.
   */
  async revoke(ctx: ServiceContext, id: string): Promise<ApiKeyEntity> {
    if (!isUuid(id)) throw notFound("API key");
    return inTransaction(ctx, async (tx) => {
      // The key and every active admin key, locked in id order (concurrent revocations cannot
      // deadlock): two admins revoking the last two admin keys at once are serialised here, and
      // the second, once the first has committed, finds only the key it would revoke left.
      const locked: LockedKey[] = await tx.db.query(
        `SELECT id, scopes, revoked_at FROM api_key
         WHERE id = $1 OR (revoked_at IS NULL AND 'admin' = ANY (scopes))
         ORDER BY id FOR UPDATE`,
        [id],
      );
      const target = locked.find((k) => k.id === id);
      if (!target) throw notFound("API key");
      if (target.revoked_at === null) {
        const activeAdmins = locked.filter((k) => k.revoked_at === null && k.scopes.includes("admin"));
        if (!this.environmentAdminKey && activeAdmins.length === 1 && activeAdmins[0].id === id) {
          throw new DomainError(
            "CONFLICT",
            "This is the last active admin key: create another admin key first (or set QUALIFY_ADMIN_KEY), then revoke this one",
          );
        }
        await tx.db.query(`UPDATE api_key SET revoked_at = $2, revoked_by = $3 WHERE id = $1`, [id, tx.clock.now(), tx.caller?.name ?? null]);
        tx.afterCommit?.(() => this.forgetTrusted());
      }
      return tx.db.findOneByOrFail(ApiKeyEntity, { id });
    });
  }

  /**
   * Sets the budgets of the key `id` (`rateLimit`: each one omitted or null follows the service's
   * setting; `null` as a whole: all of them do). The key's budgets are replaced, not merged. Takes
   * effect on this instance at once and on the others within `KEY_TRUST_MS`; what the key spent in
   * its current window still counts. An unknown id is NOT_FOUND.
   */
  async setRateLimit(ctx: ServiceContext, id: string, rateLimit: RateLimitInputValue | null): Promise<ApiKeyEntity> {
    const problems = new Problems();
    const limits = checkRateLimit(problems, "rateLimit", rateLimit);
    problems.throwIfAny();
    if (!isUuid(id)) throw notFound("API key");
    const [, updated]: [unknown, number] = await ctx.db.query(
      `UPDATE api_key SET rate_limit_requests = $2, rate_limit_cost = $3, rate_limit_window_seconds = $4 WHERE id = $1`,
      [id, limits.requests, limits.cost, limits.windowSeconds],
    );
    if (updated === 0) throw notFound("API key");
    this.forgetTrusted();
    return ctx.db.findOneByOrFail(ApiKeyEntity, { id });
  }

  /** The budgets in force for `key`: its own where an admin set them, else the service's settings. */
  rateLimitOf(key: Pick<ApiKeyEntity, "rateLimitRequests" | "rateLimitCost" | "rateLimitWindowSeconds">): EffectiveRateLimit {
    return effectiveRateLimit(this.rateLimitSettings, { requests: key.rateLimitRequests, cost: key.rateLimitCost, windowSeconds: key.rateLimitWindowSeconds });
  }

  /**
   * The caller's key as it may know itself (`viewer`): its id, name, prefix and creation from its
   * row (none for QUALIFY_ADMIN_KEY, which is not stored), its scopes as given and as in force,
   * and its budgets. The caller was verified for this request, so its row is read by id; a key
   * revoked since is still answered for this request, as every other field of it would be.
   */
  async viewer(ctx: ServiceContext): Promise<ViewerRecord> {
    const caller = ctx.caller;
    if (!caller) throw new DomainError("UNAUTHENTICATED", "A valid API key is required");
    const record = caller.keyId === null ? null : await ctx.db.findOneBy(ApiKeyEntity, { id: caller.keyId });
    const scopes = SCOPES.filter((scope) => caller.scopes.has(scope));
    return {
      id: caller.keyId,
      name: caller.name,
      prefix: record?.prefix ?? null,
      createdAt: record?.createdAt ?? null,
      scopes,
      effectiveScopes: caller.scopes.has("admin") ? [...SCOPES] : scopes,
      rateLimit: effectiveRateLimit(this.rateLimitSettings, caller.rateLimit),
    };
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
    const known = this.trusted.get(hash);
    if (known && known.until > performance.now()) return known.caller;
    const revocations = this.revocations;
    const [record]: VerifiedKey[] = await ctx.db.query(VERIFY_SQL, [hash, ctx.clock.now()]);
    if (!record) {
      this.trusted.delete(hash);
      return null;
    }
    const caller: Caller = {
      keyId: record.id,
      name: record.name,
      scopes: new Set(record.scopes),
      rateLimit: { requests: record.rate_limit_requests, cost: record.rate_limit_cost, windowSeconds: record.rate_limit_window_seconds },
    };
    if (revocations === this.revocations) {
      if (this.trusted.size >= MAX_TRUSTED) this.trusted.clear();
      this.trusted.set(hash, { caller, until: performance.now() + KEY_TRUST_MS });
    }
    return caller;
  }

  /** After a revocation committed (or a key's budgets changed): every key is looked up again on its next use. */
  private forgetTrusted(): void {
    this.revocations++;
    this.trusted.clear();
  }
}

/** The budgets in force: each of `own` that is set (not null), else the setting's. */
export function effectiveRateLimit(settings: RateLimitSettings, own: KeyRateLimit | undefined): EffectiveRateLimit {
  return {
    requests: own?.requests ?? settings.requests,
    cost: own?.cost ?? settings.cost,
    windowSeconds: own?.windowSeconds ?? settings.windowSeconds,
    custom: !!own && (own.requests !== null || own.cost !== null || own.windowSeconds !== null),
  };
}

/** Checks a key's budgets as an admin gives them; records problems under `field.requests`… */
function checkRateLimit(problems: Problems, field: string, input: RateLimitInputValue | null): KeyRateLimit {
  const budget = (name: "requests" | "cost" | "windowSeconds", min: number, max: number): number | null => {
    const value = input?.[name];
    if (value === undefined || value === null) return null;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.add(`${field}.${name}`, `must be a whole number from ${min} to ${max}${min === 0 ? " (0: no limit)" : ""}, or null for the service's setting`);
      return null;
    }
    return value;
  };
  return {
    requests: budget("requests", 0, MAX_RATE_LIMIT_BUDGET),
    cost: budget("cost", 0, MAX_RATE_LIMIT_BUDGET),
    windowSeconds: budget("windowSeconds", 1, MAX_RATE_LIMIT_WINDOW_SECONDS),
  };
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
