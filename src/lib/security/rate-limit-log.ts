import type { Context } from "hono";
import { sql } from "drizzle-orm";
import { clock } from "../clock";
import { newId } from "../ids";
import { rateLimitLogs, type NewRateLimitLog } from "../../db/schema";
import { keyKindOf, type RateLimitPolicyName } from "./rate-limit";
import type { Database } from "../../db";
import type { AppEnv } from "../../env";
import type { Logger } from "../logger";

export interface BreachRecord {
  policy: RateLimitPolicyName;
  key: string;
  limit: number;
  windowMs: number;
  /** Set when this breach imposed a block. */
  blockedUntil?: number | null;
  blockLevel?: number;
}

/** How long breaches gather in the isolate before one batch writes them. */
const FLUSH_DELAY_MS = 200;
/** A scheduled flush not done by then is taken as lost (its request was cut off) and scheduled again. */
const FLUSH_GIVE_UP_MS = 10_000;

/** Breaches seen by this isolate and not yet written, one entry per (policy, key, window). */
const pending = new Map<string, NewRateLimitLog>();
let flushScheduledAt: number | null = null;

/**
 * Counts a breach in RateLimitLog: one row per (policy, key, window), so a flood of denied requests
 * grows a counter instead of the table. Breaches gather in the isolate for a moment and are written
 * in one D1 batch of upserts after the response (`waitUntil`), so a flood costs a few writes, not
 * one per request. A block also stamps its end and level on the row. A failed write is logged,
 * never surfaced.
 */
export function recordBreach(c: Context<AppEnv>, breach: BreachRecord): void {
  const now = clock.now();
  const windowStart = Math.floor(now / breach.windowMs) * breach.windowMs;
  const id = `${breach.policy}\n${breach.key}\n${windowStart}`;
  const entry = pending.get(id);
  if (entry) {
    entry.count = (entry.count ?? 0) + 1;
    entry.updatedAt = now;
  } else {
    pending.set(id, {
      id: newId("rateLimitLog", now),
      policy: breach.policy,
      keyKind: keyKindOf(breach.key),
      key: breach.key,
      windowStart,
      windowSeconds: Math.round(breach.windowMs / 1000),
      count: 1,
      limit: breach.limit,
      createdAt: now,
      updatedAt: now,
    });
  }
  if (breach.blockedUntil != null) {
    const row = pending.get(id)!;
    row.blockedUntil = breach.blockedUntil;
    row.blockLevel = breach.blockLevel ?? 1;
  }

  const started = Date.now();
  if (flushScheduledAt === null || started - flushScheduledAt > FLUSH_GIVE_UP_MS) {
    flushScheduledAt = started;
    c.executionCtx.waitUntil(flushSoon(c.get("db"), c.get("logger")));
  }
}

async function flushSoon(db: Database, logger: Logger): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS));
  flushScheduledAt = null;
  const rows = [...pending.values()];
  pending.clear();
  if (rows.length === 0) return;
  const [first, ...rest] = rows.map((row) =>
    db
      .insert(rateLimitLogs)
      .values(row)
      .onConflictDoUpdate({
        target: [rateLimitLogs.policy, rateLimitLogs.key, rateLimitLogs.windowStart],
        set: {
          count: sql`${rateLimitLogs.count} + excluded.count`,
          updatedAt: row.updatedAt,
          ...(row.blockedUntil != null ? { blockedUntil: row.blockedUntil, blockLevel: row.blockLevel } : {}),
        },
      }),
  );
  try {
    await db.batch([first!, ...rest]);
  } catch (error) {
    logger.warn("rate limit log write failed", { rows: rows.length, error: String(error) });
  }
}
