import { DurableObject } from "cloudflare:workers";
import { clock } from "../lib/clock";
import type { Env } from "../env";

/** When a key that keeps breaching is blocked, and for how long (all in milliseconds). */
export interface BlockRule {
  /** Denied requests within `periodMs` that trigger a block. */
  breaches: number;
  periodMs: number;
  /** First block's length; each repeat block is `multiplier` times longer, up to `maxMs`. */
  baseMs: number;
  multiplier: number;
  maxMs: number;
  /** A key with no block for this long starts again at the first step. */
  resetAfterMs: number;
}

export interface LimitRequest {
  /** The caller's clock (`clock.now()`), so tests can move time. */
  now: number;
  limit: number;
  windowMs: number;
  cost: number;
  block: BlockRule | null;
}

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Until the oldest admitted unit leaves the window (remaining next grows); 0 when the window is empty. */
  resetMs: number;
  /** Until this request could be admitted; 0 when it was. */
  retryAfterMs: number;
  /** Set while the key is blocked. */
  blockedUntil: number | null;
  blockLevel: number;
  /** True only on the decision that imposed the block. */
  newlyBlocked: boolean;
}

export interface BlockState {
  blockedUntil: number | null;
  level: number;
}

interface Hit {
  at: number;
  cost: number;
}

interface MetaRow extends Record<string, SqlStorageValue> {
  blocked_until: number;
  level: number;
  last_blocked_at: number;
  forget_at: number;
}

/**
 * One instance per (policy, key), named `${policy}:${key}`: holds that key's sliding-window log and
 * block state in its SQLite storage. Every method runs synchronously start to finish, so decisions
 * for one key are strictly serialised: however many requests arrive at once, no interval of the
 * window's length ever admits more than `limit` units.
 *
 * The window is a log of admitted units (`hits`, one row per millisecond with the units admitted
 * then), not an approximation: a unit admitted at `t` counts against every request until `t + window`.
 *
 * The instance is the only writer of its storage, so it keeps the window and the meta row in memory
 * (read once after a start) and only writes what changed: an admitted request costs one INSERT, plus
 * one DELETE when units left the window. If a transaction fails, the copies are dropped and read again.
 */
export class RateLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** The alarm currently set, as far as this instance knows (null after eviction: set it again). */
  private alarmAt: number | null = null;
  /** The `hits` rows, oldest first, and their total; null until read from storage. */
  private hits: Hit[] | null = null;
  private hitsTotal = 0;
  private metaRow: MetaRow | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.createSchema();
  }

  private createSchema(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS hits (at INTEGER PRIMARY KEY, cost INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS breaches (at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS breaches_at ON breaches (at);
      CREATE TABLE IF NOT EXISTS meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        blocked_until INTEGER NOT NULL DEFAULT 0,
        level INTEGER NOT NULL DEFAULT 0,
        last_blocked_at INTEGER NOT NULL DEFAULT 0,
        forget_at INTEGER NOT NULL DEFAULT 0
      );
    `);
  }

  ping(): string {
    return "pong";
  }

  /** Admits or denies one request of `cost` units, recording it when admitted. */
  decide(request: LimitRequest): LimitDecision {
    const decision = this.inTransaction(() => this.decideInTransaction(request));
    this.ensureAlarm();
    return decision;
  }

  /** Runs `body` in one storage transaction; if it throws, the in-memory copies may be ahead of storage, so they go. */
  private inTransaction<T>(body: () => T): T {
    try {
      return this.ctx.storage.transactionSync(body);
    } catch (error) {
      this.hits = null;
      this.metaRow = null;
      throw error;
    }
  }

  private decideInTransaction(request: LimitRequest): LimitDecision {
    const { now, limit, windowMs, cost, block } = request;
    const meta = this.meta();
    if (meta.blocked_until > now) {
      return this.denial(request, meta.blocked_until - now, meta, false);
    }

    const used = this.used(now, windowMs);
    if (cost <= limit && used + cost <= limit) {
      this.sql.exec("INSERT INTO hits (at, cost) VALUES (?, ?) ON CONFLICT (at) DO UPDATE SET cost = cost + excluded.cost", now, cost);
      this.admit(now, cost);
      this.remember(meta, now + windowMs);
      return {
        allowed: true,
        limit,
        remaining: limit - used - cost,
        resetMs: this.resetMs(now, windowMs),
        retryAfterMs: 0,
        blockedUntil: null,
        blockLevel: meta.level,
        newlyBlocked: false,
      };
    }

    const retryAfterMs = this.retryAfterMs(now, windowMs, limit, used, cost);
    if (!block) {
      this.remember(meta, now + windowMs);
      return this.denial(request, retryAfterMs, meta, false);
    }
    this.sql.exec("DELETE FROM breaches WHERE at <= ?", now - block.periodMs);
    this.sql.exec("INSERT INTO breaches (at) VALUES (?)", now);
    const breaches = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM breaches").one().n;
    if (breaches < block.breaches) {
      this.remember(meta, Math.max(now + windowMs, now + block.periodMs));
      return this.denial(request, retryAfterMs, meta, false);
    }

    // Escalate: a repeat offence within `resetAfterMs` of the last block climbs one step.
    const level = meta.level > 0 && now - meta.last_blocked_at < block.resetAfterMs ? meta.level + 1 : 1;
    const durationMs = Math.min(block.maxMs, Math.round(block.baseMs * block.multiplier ** (level - 1)));
    const blocked: MetaRow = { ...meta, blocked_until: now + durationMs, level, last_blocked_at: now };
    this.sql.exec("DELETE FROM breaches");
    this.writeMeta(blocked);
    this.remember(blocked, Math.max(now + windowMs, now + durationMs + block.resetAfterMs));
    return this.denial(request, Math.max(durationMs, retryAfterMs), blocked, true);
  }

  /** The block in force, if any, without recording anything. */
  blockState(now: number): BlockState {
    const meta = this.meta();
    return { blockedUntil: meta.blocked_until > now ? meta.blocked_until : null, level: meta.level };
  }

  /** Lifts a block and forgets the key's breaches and escalation; returns the block that was in force. */
  unblock(now: number): BlockState {
    return this.inTransaction(() => {
      const before = this.blockState(now);
      this.sql.exec("DELETE FROM breaches");
      this.writeMeta({ ...this.meta(), blocked_until: 0, level: 0, last_blocked_at: 0 });
      return before;
    });
  }

  /** Drops everything once nothing stored can matter any more, so idle keys cost no storage. */
  override async alarm(): Promise<void> {
    const meta = this.meta();
    const now = clock.now();
    if (meta.forget_at > now) {
      this.alarmAt = meta.forget_at;
      await this.ctx.storage.setAlarm(meta.forget_at);
      return;
    }
    this.alarmAt = null;
    this.hits = null;
    this.metaRow = null;
    await this.ctx.storage.deleteAll();
    // The instance may live on and serve the key again: it needs its tables back (empty).
    this.createSchema();
  }

  /** Units admitted within the window ending now; first drops (here and in storage) the units that left it. */
  private used(now: number, windowMs: number): number {
    const hits = this.window();
    let expired = 0;
    while (expired < hits.length && hits[expired]!.at <= now - windowMs) {
      this.hitsTotal -= hits[expired]!.cost;
      expired += 1;
    }
    if (expired > 0) {
      hits.splice(0, expired);
      this.sql.exec("DELETE FROM hits WHERE at <= ?", now - windowMs);
    }
    return this.hitsTotal;
  }

  /** The window's log as stored, read once per start of the instance. */
  private window(): Hit[] {
    if (this.hits === null) {
      this.hits = this.sql.exec<{ at: number; cost: number }>("SELECT at, cost FROM hits ORDER BY at").toArray();
      this.hitsTotal = this.hits.reduce((total, hit) => total + hit.cost, 0);
    }
    return this.hits;
  }

  private admit(now: number, cost: number): void {
    const hits = this.window();
    const last = hits.at(-1);
    // The caller's clock only moves forward in production; tests may move it back, so keep the log sorted.
    if (last && last.at === now) last.cost += cost;
    else if (!last || last.at < now) hits.push({ at: now, cost });
    else {
      const index = hits.findIndex((hit) => hit.at >= now);
      if (hits[index]!.at === now) hits[index]!.cost += cost;
      else hits.splice(index, 0, { at: now, cost });
    }
    this.hitsTotal += cost;
  }

  /** Until the oldest admitted unit leaves the window; call after `used` has dropped the expired ones. */
  private resetMs(now: number, windowMs: number): number {
    const oldest = this.window()[0];
    return oldest === undefined ? 0 : Math.max(0, oldest.at + windowMs - now);
  }

  /** The wait until enough of the oldest units have left the window for `cost` more to fit. */
  private retryAfterMs(now: number, windowMs: number, limit: number, used: number, cost: number): number {
    if (cost > limit) return windowMs;
    let toFree = used + cost - limit;
    for (const hit of this.window()) {
      toFree -= hit.cost;
      if (toFree <= 0) return Math.max(1, hit.at + windowMs - now);
    }
    return windowMs;
  }

  private denial(request: LimitRequest, retryAfterMs: number, meta: MetaRow, newlyBlocked: boolean): LimitDecision {
    const blocked = meta.blocked_until > request.now;
    return {
      allowed: false,
      limit: request.limit,
      remaining: blocked ? 0 : Math.max(0, request.limit - this.used(request.now, request.windowMs)),
      resetMs: blocked ? retryAfterMs : this.resetMs(request.now, request.windowMs),
      retryAfterMs,
      blockedUntil: blocked ? meta.blocked_until : null,
      blockLevel: meta.level,
      newlyBlocked,
    };
  }

  private meta(): MetaRow {
    if (this.metaRow === null) {
      const rows = this.sql.exec<MetaRow>("SELECT blocked_until, level, last_blocked_at, forget_at FROM meta WHERE id = 1").toArray();
      this.metaRow = rows[0] ?? { blocked_until: 0, level: 0, last_blocked_at: 0, forget_at: 0 };
    }
    return this.metaRow;
  }

  private writeMeta(meta: MetaRow): void {
    this.sql.exec(
      `INSERT INTO meta (id, blocked_until, level, last_blocked_at, forget_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET blocked_until = excluded.blocked_until, level = excluded.level,
         last_blocked_at = excluded.last_blocked_at, forget_at = excluded.forget_at`,
      meta.blocked_until,
      meta.level,
      meta.last_blocked_at,
      meta.forget_at,
    );
    this.metaRow = { ...meta };
  }

  /**
   * Pushes the moment this key's storage may be forgotten out to `until`. Writes only when the
   * horizon moves past the stored one (rounded up to a minute), to keep the hot path lean.
   */
  private remember(meta: MetaRow, until: number): void {
    if (until > meta.forget_at) {
      this.writeMeta({ ...meta, forget_at: Math.ceil(until / 60_000) * 60_000 + 60_000 });
    }
  }

  /** Keeps an alarm set at or after `forget_at`, so the alarm can clear an idle key's storage. */
  private ensureAlarm(): void {
    const forgetAt = this.meta().forget_at;
    if (forgetAt > 0 && (this.alarmAt === null || this.alarmAt < forgetAt)) {
      this.alarmAt = forgetAt;
      void this.ctx.storage.setAlarm(forgetAt);
    }
  }
}
