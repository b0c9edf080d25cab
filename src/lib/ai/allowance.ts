import { and, desc, eq, gte, sql } from "drizzle-orm";
import type { Database } from "../../db";
import { aiUsage, plans, subscriptions, type Role } from "../../db/schema";
import { ApiError } from "../errors";

export interface AiAllowance {
  /** Tokens used this calendar month (UTC). */
  used: number;
  /** Tokens allowed this month; null: no limit. */
  limit: number | null;
  /** Where the limit comes from. */
  source: "admin" | "plan" | "free";
  monthStart: number;
  resetsAt: number;
}

/** The first instant of the month `now` falls in, and of the next (UTC). */
export function monthOf(now: number): { start: number; next: number } {
  const date = new Date(now);
  return {
    start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1),
    next: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1),
  };
}

/**
 * A user's AI allowance for this month: admins have no limit; a subscriber has their active plan's
 * `aiMonthlyTokens` (null: no limit); anyone else the free allowance (AI_FREE_MONTHLY_TOKENS).
 */
export async function aiAllowance(
  db: Database,
  user: { id: string; role: Role },
  freeMonthlyTokens: number,
  now: number,
): Promise<AiAllowance> {
  const { start, next } = monthOf(now);
  const [[usage], [plan]] = await db.batch([
    db
      .select({ tokens: sql<number>`coalesce(sum(${aiUsage.promptTokens} + ${aiUsage.completionTokens}), 0)` })
      .from(aiUsage)
      .where(and(eq(aiUsage.userId, user.id), gte(aiUsage.createdAt, start))),
    db
      .select({ aiMonthlyTokens: plans.aiMonthlyTokens })
      .from(subscriptions)
      .innerJoin(plans, eq(plans.id, subscriptions.planId))
      .where(
        and(
          eq(subscriptions.userId, user.id),
          eq(subscriptions.status, "ACTIVE"),
          sql`coalesce(${subscriptions.endsAt}, ${now} + 1) > ${now}`,
        ),
      )
      .orderBy(desc(subscriptions.startsAt))
      .limit(1),
  ]);
  const used = usage?.tokens ?? 0;
  if (user.role === "admin") return { used, limit: null, source: "admin", monthStart: start, resetsAt: next };
  if (plan) return { used, limit: plan.aiMonthlyTokens, source: "plan", monthStart: start, resetsAt: next };
  return { used, limit: freeMonthlyTokens, source: "free", monthStart: start, resetsAt: next };
}

/** Refuses a call once the month's allowance is spent (checked before the call: a call may end a little over). */
export function requireAllowanceLeft(allowance: AiAllowance, now: number): void {
  if (allowance.limit === null || allowance.used < allowance.limit) return;
  const retryAfter = Math.max(1, Math.ceil((allowance.resetsAt - now) / 1000));
  throw new ApiError(
    "quota_exceeded",
    `This month's AI allowance (${allowance.limit} tokens) is used up; it renews ${new Date(allowance.resetsAt).toISOString()}.`,
    {
      headers: { "Retry-After": String(retryAfter) },
      extensions: { used: allowance.used, limit: allowance.limit, resetsAt: new Date(allowance.resetsAt).toISOString() },
    },
  );
}
