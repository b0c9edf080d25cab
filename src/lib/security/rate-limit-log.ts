import type { Context } from "hono";
import { sql } from "drizzle-orm";
import { clock } from "../clock";
import { newId } from "../ids";
import { rateLimitLogs } from "../../db/schema";
import { keyKindOf, type RateLimitPolicyName } from "./rate-limit";
import type { AppEnv } from "../../env";

export interface BreachRecord {
  policy: RateLimitPolicyName;
  key: string;
  limit: number;
  windowMs: number;
  /** Set when this breach imposed a block. */
  blockedUntil?: number | null;
  blockLevel?: number;
}

/**
 * Counts a breach in RateLimitLog: one row per (policy, key, window), upserted, so a flood of
 * denied requests grows a counter instead of the table. A block also stamps its end and level on the
 * row. Written after the response (`waitUntil`); a failed write is logged, never surfaced.
 */
export function recordBreach(c: Context<AppEnv>, breach: BreachRecord): void {
  const now = clock.now();
  const windowStart = Math.floor(now / breach.windowMs) * breach.windowMs;
  const blockFields =
    breach.blockedUntil != null ? { blockedUntil: breach.blockedUntil, blockLevel: breach.blockLevel ?? 1 } : {};
  const write = c
    .get("db")
    .insert(rateLimitLogs)
    .values({
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
      ...blockFields,
    })
    .onConflictDoUpdate({
      target: [rateLimitLogs.policy, rateLimitLogs.key, rateLimitLogs.windowStart],
      set: { count: sql`${rateLimitLogs.count} + 1`, updatedAt: now, ...blockFields },
    })
    .then(() => undefined)
    .catch((error: unknown) =>
      c.get("logger").warn("rate limit log write failed", { policy: breach.policy, error: String(error) }),
    );
  c.executionCtx.waitUntil(write);
}
