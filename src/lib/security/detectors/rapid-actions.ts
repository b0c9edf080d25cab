import { sql } from "drizzle-orm";
import type { Context } from "hono";
import { securityCounters } from "../../../db/schema";
import type { AppEnv } from "../../../env";
import { writeSecurityEvent } from "../events";

/** More state-changing requests than a person makes: `limit` within one `windowMs` window. */
export const RAPID_ACTIONS = { limit: 30, windowMs: 10_000 } as const;

/**
 * Counts one state-changing request by `actorId` in the current fixed window and reports rapid
 * actions when this request is the one that reaches the limit. The count comes back from the same
 * atomic upsert that raised it, so exactly one request per window crosses the line: one event per
 * actor per window, however many requests arrive at once.
 */
export async function detectRapidActions(
  c: Context<AppEnv>,
  input: { actorId: string; apiKeyId: string | null; now: number },
): Promise<boolean> {
  const windowStart = input.now - (input.now % RAPID_ACTIONS.windowMs);
  const row = await c.var.db
    .insert(securityCounters)
    .values({ key: `actions:${input.actorId}`, windowStart, count: 1, expiresAt: windowStart + 2 * RAPID_ACTIONS.windowMs })
    .onConflictDoUpdate({
      target: [securityCounters.key, securityCounters.windowStart],
      set: { count: sql`${securityCounters.count} + 1` },
    })
    .returning({ count: securityCounters.count })
    .get();
  if (row?.count !== RAPID_ACTIONS.limit) return false;
  await writeSecurityEvent(c, {
    type: "rapid_actions",
    severity: "MEDIUM",
    actorId: input.actorId,
    apiKeyId: input.apiKeyId,
    details: {
      actions: row.count,
      windowSeconds: RAPID_ACTIONS.windowMs / 1000,
      windowStart: new Date(windowStart).toISOString(),
      lastMethod: c.req.method,
      lastPath: c.req.path,
    },
  });
  return true;
}
